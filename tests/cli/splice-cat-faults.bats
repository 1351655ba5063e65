#!/usr/bin/env bats
# splice-cat when the kernel says no: fallbacks forced with strace fault injection, real errors
# mid-stream, full devices, early readers, O_NONBLOCK descriptors, thousands of operands.
load 'splice-cat-common'

setup() {
  cd "$BATS_TEST_TMPDIR"
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked elsewhere.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  head -c 400000 /dev/urandom > src
  seq 1 20000 > lines
  command -v strace >/dev/null || skip "strace not installed"
}

# Sanitizer runtimes make system calls of their own (UBSan probes memory through a pipe2 and a
# write), which some of these tests would count or break.
sanitized() { grep -qa __asan_init "$SC"; }

# A wrapper that runs splice-cat under strace with the given fault injection.
inject() {
  printf '#!/bin/sh\nexec strace -f -o /dev/null -e %s "%s" "$@"\n' "$1" "$SC" > faulty
  chmod +x faulty
  echo "$BATS_TEST_TMPDIR/faulty"
}

@test "ENOSYS from splice, copy_file_range and sendfile: same bytes by read/write everywhere" {
  local prog out_kind in_kind
  prog=$(inject inject=splice,copy_file_range,sendfile:error=ENOSYS)
  # (the cat options never use the pump: plain copies only)
  for out_kind in pipe file append null socket tty; do
    for in_kind in regular stdin-pipe socket; do
      run timeout 60 python3 "$BATS_TEST_DIRNAME/splice-cat-io.py" compare "$in_kind" "$out_kind" \
        src "$ORACLE" "$prog" -- "|"
      [ "$status" -eq 0 ] || fail "$in_kind -> $out_kind: $output"
    done
  done
  "$prog" --stats=json src 2>stats | cmp - src
  grep -q '"read_write":400000' stats
}

@test "EINVAL on the first splice only: falls back, same bytes" {
  prog=$(inject inject=splice:error=EINVAL:when=1)
  "$prog" src lines src | cmp - <(cat src lines src)
  "$prog" src lines src > out
  cat src lines src | cmp - out
}

@test "pipe2 fails with EMFILE: no broker pipe, read/write instead, same bytes" {
  if sanitized; then skip "UBSan's own pipe2 probes fail too under this injection"; fi
  prog=$(inject inject=pipe2:error=EMFILE)
  local out_kind
  for out_kind in null socket tty file; do
    run timeout 60 python3 "$BATS_TEST_DIRNAME/splice-cat-io.py" compare regular "$out_kind" \
      src "$ORACLE" "$prog" -- "|"
    [ "$status" -eq 0 ] || fail "$out_kind: $output"
  done
  "$prog" --stats=json src 2>stats >/dev/null
  grep -q '"read_write":400000' stats
}

@test "EIO on the third splice: reported against the input, next operand still copied, exit 1" {
  prog=$(inject inject=splice:error=EIO:when=3)
  head -c 50000 src > s50k
  run bash -c "'$prog' s50k lines 2>err | cksum; cat err"
  # file -> pipe (64 KiB: not grown for so small an input): splice 1 moves s50k, 2 sees its
  # end, 3 fails on lines
  assert_line --index 0 "$(cksum < s50k)"
  assert_line --index 1 "splice-cat: lines: Input/output error"
  run "$prog" src lines
  assert_failure 1
}

@test "ENOSPC from splice after bytes moved: a write error, the run stops, exit 1" {
  prog=$(inject inject=splice:error=ENOSPC:when=2)
  run bash -c "'$prog' lines src src | wc -c"
  assert_output --partial "splice-cat: write error: No space left on device"
  run "$prog" lines src
  assert_failure 1
}

@test "file -> pipe moves the payload without read or write" {
  strace -f -e trace=read,write,splice -o trace "$SC" src lines | cat > out
  cat src lines | cmp - out
  # no write to standard output at all, and no read of payload size (only small ones: the
  # loader, /proc/sys/fs/pipe-max-size, a sanitizer's probes)
  run grep -c '^[0-9]* *write(1,' trace
  assert_output 0
  run awk '$2 ~ /^(read|write)\(/ { n = $NF + 0; if (n > 4096) print }' trace
  assert_output ""
  run grep -c '^[0-9]* *splice(' trace
  [ "$output" -ge 3 ]
}

@test "strace -c: the zero-copy path makes splice calls and no payload read/write" {
  if sanitized; then skip "the sanitizer runtime makes write calls of its own"; fi
  strace -c -f -o summary "$SC" src src src | cat > /dev/null
  run awk '$NF == "write" { print }' summary
  assert_output ""
  grep -q ' splice$' summary
}

@test "read/write buffers are page-aligned (the kernel copies into them about 3x faster)" {
  # 128 KiB reads into a malloc'd (16-byte offset) buffer cost ~79 us against ~25 us aligned
  for opts in "-n" "--no-splice"; do
    strace -e raw=read -e trace=read -o trace "$SC" $opts src > /dev/null
    run awk '/^read\(0x[0-9a-f]+, .*0x20000\)/ && $2 !~ /000,$/ { print }' trace
    assert_output ""
    grep -Eq '^read\(0x[0-9a-f]+, .*0x20000\)' trace
  done
}

@test "/dev/full: write error reported as GNU cat does, exit 1" {
  same_sh '"$CAT" lines > /dev/full'
  same_sh '"$CAT" -n lines > /dev/full'
  same_sh '"$CAT" lines nosuch lines > /dev/full'
  same_sh '"$CAT" - < lines > /dev/full'
  same_sh '"$CAT" --show-all - < src > /dev/full'
  run bash -c "'$SC' --no-splice lines > /dev/full"
  assert_failure 1
  assert_output "splice-cat: write error: No space left on device"
}

@test "a reader that exits early: killed by SIGPIPE (141); with SIGPIPE ignored, write error" {
  head -c 5M /dev/urandom > big   # more than any pipe holds
  same_sh '"$CAT" big | head -c1 > /dev/null; echo "${PIPESTATUS[@]}"'
  same_sh '"$CAT" -n big | head -c1 > /dev/null; echo "${PIPESTATUS[@]}"'
  same_sh '"$CAT" < big | head -c1 > /dev/null; echo "${PIPESTATUS[@]}"'
  same_sh 'trap "" PIPE; "$CAT" big | head -c1 > /dev/null; echo "${PIPESTATUS[@]}"'
  same_sh 'trap "" PIPE; "$CAT" -v big | head -c1 > /dev/null; echo "${PIPESTATUS[@]}"'
  run bash -c "trap '' PIPE; '$SC' --no-splice big | head -c1 > /dev/null; echo \"\${PIPESTATUS[@]}\""
  assert_output --partial "splice-cat: write error: Broken pipe"
  assert_line "1 0"
}

@test "O_NONBLOCK stdin and stdout left by another process: waited out, same bytes" {
  nb='import os, fcntl, sys
for fd in (0, 1):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execv(sys.argv[1], sys.argv[1:])'
  for opts in "" "-n" "--no-splice" "-A"; do
    # a slow writer and a slow reader, so both ends really would block
    got=$( (cat src; sleep 0.2; cat lines) | timeout 60 python3 -c "$nb" "$SC" $opts - lines | (sleep 0.2; cksum))
    expected=$( (cat src lines) | "$ORACLE" ${opts/--no-splice/} - lines | cksum)
    assert_equal "$got" "$expected"
  done
}

@test "thousands of operands, missing ones among them: same output, messages and status" {
  mkdir many && cd many
  for i in $(seq 1 1200); do printf 'file %d\n' "$i" > "f$i"; done
  names=()
  for i in $(seq 1 1200); do names+=("f$i"); [ $((i % 400)) -eq 0 ] && names+=(missing$i); done
  same "${names[@]}"
  same -n "${names[@]}"
  # the same file 5000 times: descriptors are not leaked
  run bash -c "'$SC' \$(yes f1 | head -n 5000) | wc -l"
  assert_output 5000
}
