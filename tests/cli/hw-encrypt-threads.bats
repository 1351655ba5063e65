#!/usr/bin/env bats
# hw-encrypt -t: how many threads run (the one doing I/O computes too, so -t N is N threads),
# and the default, which leaves a CPU to the process at each end of a pipe.

load 'helpers/hw_encrypt'

setup() {
  umask 077
  hw_setup 1000000
}

# traced CMD...: runs CMD under strace, its thread creations (clone calls) logged to `trace`.
traced() { env "$NOLEAKS" strace -f -qq -e trace=clone,clone3 -o trace "$@"; }

# threads_made: the threads the traced command created
threads_made() { grep -c 'CLONE_THREAD' trace || true; }

need_two_cpus() {
  command -v strace > /dev/null || skip "strace is not installed"
  taskset -c 0,1 true 2> /dev/null || skip "CPUs 0 and 1 are not both available"
}

@test "-t N runs N threads computing: N - 1 workers besides the one doing I/O" {
  need_two_cpus
  traced "$B" -k key -t 1 p out
  assert_equal "$(threads_made)" 0
  traced "$B" -k key -t 3 p out
  assert_equal "$(threads_made)" 2
  traced "$B" -d -k key -t 2 out back
  assert_equal "$(threads_made)" 1
  cmp back p
}

@test "default -t: the CPUs available, less one for each end that is a pipe" {
  need_two_cpus
  # Files on both sides: both CPUs.
  traced taskset -c 0,1 "$B" -k key p out
  assert_equal "$(threads_made)" 1
  # One CPU: one thread.
  traced taskset -c 0 "$B" -k key p out
  assert_equal "$(threads_made)" 0
  # A pipe on either side: its other end needs a CPU; on two CPUs that leaves one.
  cat p | traced taskset -c 0,1 "$B" -k key - out
  assert_equal "$(threads_made)" 0
  traced taskset -c 0,1 "$B" -k key p | cat > out2
  assert_equal "$(threads_made)" 0
  traced taskset -c 0,1 "$B" -d -k key out2 | cat > back
  assert_equal "$(threads_made)" 0
  cmp back p
  # Both sides pipes on three CPUs or more: what is left after the two neighbours.
  if taskset -c 0,1,2 true 2> /dev/null; then
    cat p | traced taskset -c 0,1,2 "$B" -k key | cat > out3
    assert_equal "$(threads_made)" 0
  fi
}
