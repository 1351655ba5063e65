#!/usr/bin/env bats
# hw-encrypt keeps its secrets out of core dumps, swap and other processes: the process is not
# dumpable while it runs, and key material lives in locked mappings marked MADV_DONTDUMP.

load 'helpers/hw_encrypt'

setup() {
  umask 077
  hw_setup 100000
  chmod 755 "$BATS_TEST_TMPDIR"
}

teardown() {
  kill_bg
}

# start_stalled [PREFIX...]: hw-encrypt -d with the input stalled after the header (keys loaded).
start_stalled() {
  mkfifo in
  { head -c "$HEADER" c; exec sleep 60; } > in &
  BG_PIDS=$!
  "$@" "$B" -d --key-fd 3 -t 1 - /dev/null 3< key < in &
  PID=$!
  BG_PIDS="$BG_PIDS $PID"
}

@test "while keys are held the process is not dumpable (no core, no ptrace by the same user)" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to run the command as another user and look at it"
  command -v setpriv > /dev/null || skip "setpriv (util-linux) is not installed"
  chmod 644 c
  start_stalled setpriv --reuid=65534 --regid=65534 --clear-groups --
  # A dumpable process's /proc files belong to its user; a non-dumpable one's to root.
  # Wait for setpriv to have become hw-encrypt (setresuid alone makes it non-dumpable for a
  # moment), and for hw-encrypt to wait on its input with the key loaded.
  for _ in $(seq 100); do
    case $(readlink "/proc/$PID/exe") in */hw-encrypt) break ;; esac
    sleep 0.1
  done
  sleep 1
  grep -q '^Uid:.*65534' "/proc/$PID/status" || fail "not running as nobody"
  assert_equal "$(stat -c %u "/proc/$PID/status")" 0
}

@test "key material is in locked mappings left out of core dumps" {
  [ -r /proc/self/smaps ] || skip "no /proc/PID/smaps"
  [ "$(id -u)" -eq 0 ] || skip "only root can read a non-dumpable process's smaps"
  start_stalled
  found=
  for _ in $(seq 100); do
    if grep -q '^VmFlags:.* dd' "/proc/$PID/smaps" 2> /dev/null; then found=1; break; fi
    sleep 0.1
  done
  [ -n "$found" ] || fail "no MADV_DONTDUMP mapping"
  # AddressSanitizer turns mlock(2) into a no-op: the lock is checked in normal builds only.
  if grep -qa __asan_init "$B"; then skip "mlock is a no-op under AddressSanitizer"; fi
  grep '^VmFlags:.* dd' "/proc/$PID/smaps" | grep -q ' lo' || fail "the DONTDUMP mappings are not locked"
}
