#!/usr/bin/env bats
# hw-encrypt's OUT: a regular file (or a new name) is replaced atomically, keeping its mode, owner
# and group, through an unnamed O_TMPFILE file that no crash can leave behind; anything else
# (devices, FIFOs, names of open descriptors) is written in place and never replaced.
# The real /dev/null and /dev/full are never written by these tests: devices are made with mknod.

load 'helpers/hw_encrypt'

setup() {
  hw_setup 150000
}

teardown() {
  kill_bg
  if [ -n "${SHARED:-}" ]; then rm -rf "$SHARED"; fi
}

# no_leftovers DIR: no OUT temporary files remain
no_leftovers() { ! ls -A "${1:-.}" | grep -q '\.hw-encrypt-'; }

# as_nobody CMD...: runs CMD as user nobody (uid 65534), or skips visibly when that cannot be done.
as_nobody() {
  [ "$(id -u)" -eq 0 ] || skip "needs root to run a command as another user"
  command -v setpriv > /dev/null || skip "setpriv (util-linux) is not installed"
  setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

@test "a FIFO, a symlink to one and a descriptor's name are written in place, never replaced" {
  mkfifo fifo
  timeout 20 cat fifo > got &
  "$B" -d -k key c fifo
  wait $!
  [ -p fifo ] || fail "the FIFO was replaced"
  cmp got p
  ln -s fifo link
  timeout 20 cat fifo > got2 &
  "$B" -d -k key c link
  wait $!
  [ -L link ] && [ -p fifo ] || fail "the symlink or its FIFO was replaced"
  cmp got2 p
  # /dev/stdout is a symlink to /proc/self/fd/1: a link of our own to it, stdout a file here.
  ln -s /proc/self/fd/1 stdout-link
  "$B" -d -k key c stdout-link > got3
  [ -L stdout-link ] || fail "the link to /proc/self/fd/1 was replaced"
  cmp got3 p
  "$B" -d -k key c /dev/fd/1 > got4
  cmp got4 p
  no_leftovers
}

@test "a character device is written in place: /dev/full-like gives ENOSPC and stays a device" {
  [ "$(id -u)" -eq 0 ] || skip "mknod needs root"
  mkdir dev
  if ! mknod dev/full c 1 7 2> /dev/null || ! mknod dev/null c 1 3 2> /dev/null; then
    skip "mknod is not permitted here"
  fi
  run "$B" -d -k key c dev/full
  assert_failure 1
  assert_output "hw-encrypt: dev/full: No space left on device"
  [ -c dev/full ] || fail "dev/full is no longer a character device"
  run "$B" -d -k key c dev/null
  assert_success
  [ -c dev/null ] || fail "dev/null is no longer a character device"
  [ "$(stat -c %t,%T dev/null)" = 1,3 ]
  no_leftovers dev
}

@test "a normal user can decrypt to /dev/null (no temporary file in /dev)" {
  chmod 644 c
  run as_nobody "$B" -d --key-fd 3 /proc/self/fd/0 /dev/null 3< key < c
  assert_success
  assert_output ''
  [ -c /dev/null ]
}

@test "the replacement keeps the old file's mode, owner and group; a new OUT gets 0666 & ~umask" {
  echo old > out
  chmod 600 out
  if [ "$(id -u)" -eq 0 ]; then chown 1234:5678 out; fi
  "$B" -d -k key c out
  cmp out p
  [ "$(stat -c %a out)" = 600 ] || fail "mode $(stat -c %a out)"
  if [ "$(id -u)" -eq 0 ]; then
    [ "$(stat -c %u:%g out)" = 1234:5678 ] || fail "owner $(stat -c %u:%g out)"
  fi
  chmod 2750 out
  "$B" -d -k key c out
  [ "$(stat -c %a out)" = 2750 ] || fail "mode $(stat -c %a out)"
  (umask 027 && "$B" -d -k key c new1)
  [ "$(stat -c %a new1)" = 640 ]
  (umask 0 && "$B" -d -k key c new2)
  [ "$(stat -c %a new2)" = 666 ]
  # A symlink to a regular file: the file is replaced, the link stays.
  echo old > real
  chmod 640 real
  ln -s real link
  "$B" -d -k key c link
  [ -L link ] || fail "the symlink was replaced"
  cmp real p
  [ "$(stat -c %a real)" = 640 ]
  no_leftovers
}

@test "over a file it cannot chown, a normal user's replacement keeps the mode (EPERM ignored)" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to run a command as another user"
  # A directory the user nobody can reach (the test's own may sit below a private one).
  SHARED=$(mktemp -d /tmp/hw-encrypt-shared.XXXXXX)
  chmod 777 "$SHARED"
  echo old > "$SHARED/out"
  chmod 646 "$SHARED/out"
  run as_nobody "$B" -d --key-fd 3 /proc/self/fd/0 "$SHARED/out" 3< key < c
  assert_success
  cmp "$SHARED/out" p
  [ "$(stat -c %a "$SHARED/out")" = 646 ]
  no_leftovers "$SHARED"
}

@test "kill -9 in the middle of a decryption leaves no new name in OUT's directory" {
  mkdir d
  echo precious > d/out
  mkfifo in
  before=$(ls -A d)
  # The input stalls after two chunks: the first is written, the command waits for more.
  { head -c $(( HEADER + 2 * SEALED )) c; exec sleep 60; } > in &
  BG_PIDS=$!
  "$B" -d -k key -t 1 in d/out &
  pid=$!
  written=$(written_below "$pid" "$PWD/d")
  [ "$written" -ge 65536 ] || fail "the first chunk never reached the temporary file"
  kill -9 "$pid"
  wait "$pid" || true
  assert_equal "$(ls -A d)" "$before"
  assert_equal "$(cat d/out)" precious
}

@test "where O_TMPFILE is refused (EOPNOTSUPP), a named temporary file still gives an atomic OUT" {
  command -v strace > /dev/null || skip "strace is not installed"
  # -P .: only system calls on this directory, i.e. the O_TMPFILE open, are failed.
  env "$NOLEAKS" strace -f -o trace -P . -e trace=openat -e inject=openat:error=EOPNOTSUPP \
    "$B" -d -k key c out
  grep -q 'O_TMPFILE.*EOPNOTSUPP.*INJECTED' trace || fail "$(cat trace)"
  cmp out p
  head -c $(( HEADER + SEALED )) c > t
  echo precious > out
  run env "$NOLEAKS" strace -f -o trace -P . -e trace=openat -e inject=openat:error=EOPNOTSUPP \
    "$B" -d -k key t out
  assert_failure 2
  assert_equal "$(cat out)" precious
  no_leftovers
}
