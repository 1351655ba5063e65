#!/usr/bin/env bats
# hw-encrypt --whole: standard output (or a device or FIFO OUT) gets all of the stream or nothing,
# through an unnamed spool file in $TMPDIR that no failure, signal or kill -9 leaves behind.

load 'helpers/bytes'
load 'helpers/hw_encrypt'

setup() {
  hw_setup 300000
  mkdir spool
  export TMPDIR="$BATS_TEST_TMPDIR/spool"
}

teardown() {
  kill_bg
}

@test "--whole: a stream that fails anywhere writes nothing at all to standard output" {
  head -c $(( HEADER + 3 * SEALED )) c > t
  # Without --whole the verified chunks go out (the reason for the option) ...
  run bash -c "'$B' -d -k key t | wc -c"
  assert_output --partial '196608'
  # ... with it, nothing, whichever way the stream fails.
  run bash -c "'$B' -d -k key --whole t | wc -c; exit \${PIPESTATUS[0]}"
  assert_failure 2
  assert_line --index 1 0
  assert_line --index 0 --partial 'truncated stream: it ends after chunk 2'
  cp c t; flip t $(( HEADER + 4 * SEALED + 10 ))
  "$B" -d -k key --whole t > out && fail "a modified stream was accepted"
  [ "$(stat -c %s out)" -eq 0 ]
  # --raw CBC with bad padding: nothing either.
  printf '%064d\n' 0 > k.hex
  iv=$(printf '%032d' 0)
  printf 'x%.0s' $(seq 100) | openssl enc -aes-256-cbc -K "$(cat k.hex)" -iv "$iv" > raw
  flip raw 90
  run bash -c "'$B' -d --raw --cipher aes-256-cbc --key-hex-file k.hex --iv $iv raw | wc -c"
  assert_line 96
  run bash -c "'$B' -d --raw --cipher aes-256-cbc --key-hex-file k.hex --iv $iv --whole raw | wc -c; exit \${PIPESTATUS[0]}"
  assert_failure 2
  assert_line 0
  [ -z "$(ls -A spool)" ]
}

@test "--whole: a stream that verifies comes out byte for byte, to a pipe, a file, a FIFO" {
  "$B" -d -k key --whole c | cmp - p
  "$B" -d -k key --whole c > out
  cmp out p
  mkfifo fifo
  timeout 20 cat fifo > got &
  "$B" -d -k key --whole c fifo
  wait $!
  cmp got p
  # Encryption too: the ciphertext of a whole input or nothing.
  "$B" -k key --whole p | "$B" -d -k key | cmp - p
  [ -z "$(ls -A spool)" ]
}

@test "--whole: the spool has no name in \$TMPDIR, even while it is written or after kill -9" {
  mkfifo in
  { head -c $(( HEADER + 3 * SEALED )) c; exec sleep 60; } > in &
  BG_PIDS=$!
  "$B" -d -k key -t 1 --whole in > out &
  pid=$!
  spooled=$(written_below "$pid" "$TMPDIR")
  [ "$spooled" -ge 65536 ] || fail "nothing was spooled"
  [ -z "$(ls -A spool)" ] || fail "the spool has a name: $(ls -A spool)"
  [ "$(stat -c %s out)" -eq 0 ] || fail "output before the end"
  kill -9 "$pid"
  wait "$pid" || true
  [ -z "$(ls -A spool)" ]
  [ "$(stat -c %s out)" -eq 0 ]
}

@test "--whole: where O_TMPFILE is refused, a file unlinked at once; a missing \$TMPDIR is named" {
  command -v strace > /dev/null || skip "strace is not installed"
  env "$NOLEAKS" strace -f -o trace -P "$TMPDIR" -e trace=openat -e inject=openat:error=EOPNOTSUPP \
    "$B" -d -k key --whole c > out
  grep -q 'O_TMPFILE.*EOPNOTSUPP.*INJECTED' trace || fail "$(cat trace)"
  cmp out p
  [ -z "$(ls -A spool)" ]
  TMPDIR=$PWD/nosuch run "$B" -d -k key --whole c
  assert_failure 1
  assert_output "hw-encrypt: --whole spool in $PWD/nosuch: No such file or directory"
}
