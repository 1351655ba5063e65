#!/usr/bin/env bats
# docs/stream-format.md is the complete spec: an independent decoder written from it alone
# (helpers/hw_encrypt_decode.py, Python's cryptography package, no code shared with hw-encrypt)
# decrypts what hw-encrypt writes, and refuses what it refuses.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
  B="$CONDUIT_BIN/hw-encrypt"
  D="$CONDUIT_SRC/tests/cli/helpers/hw_encrypt_decode.py"
  python3 -c 'import cryptography' 2> /dev/null ||
    skip "python3-cryptography is not installed (scripts/install-deps)"
  cd "$BATS_TEST_TMPDIR"
  umask 077
  "$B" keygen -o key
}

@test "the independent decoder decrypts key streams of every boundary size, 1 and 2 threads" {
  for n in 0 1 15 16 17 65535 65536 65537 131072 200000; do
    head -c "$n" /dev/urandom > p
    for t in 1 2; do
      "$B" -k key -t "$t" p c
      python3 "$D" --key key c > out || fail "size $n, $t threads: $(python3 "$D" --key key c 2>&1 > /dev/null)"
      cmp out p || fail "size $n, $t threads: plaintext differs"
    done
  done
  # Through a pipe, and with the key as hex.
  head -c 100000 /dev/urandom > p
  cat p | "$B" -k key | python3 "$D" --key key | cmp - p
  od -An -tx1 key | tr -d ' \n' > key.hex
  "$B" -k key.hex p c
  python3 "$D" --key key.hex c | cmp - p
}

@test "the independent decoder decrypts passphrase streams" {
  printf 'a passphrase for the spec test\n' > pw
  head -c 70000 /dev/urandom > p
  "$B" --scrypt-work 15 --passphrase-file pw p c
  python3 "$D" --passphrase pw c | cmp - p
}

@test "the independent decoder refuses what hw-encrypt refuses (it is not a pushover)" {
  head -c 70000 /dev/urandom > p
  "$B" -k key p c
  head -c $(( 76 + 65552 )) c > t
  run python3 "$D" --key key t
  assert_failure 2
  "$B" keygen -o other
  run python3 "$D" --key other c
  assert_failure 2
  assert_output --partial 'wrong key'
  cp c t
  printf 'x' >> t
  run python3 "$D" --key key t
  assert_failure 2
}

@test "--context binds a stream to a string (format version 2 only then); the decoder follows the spec" {
  head -c 70000 /dev/urandom > p
  # Without --context the bytes are version 1, as before.
  "$B" -k key p plain.enc
  [ "$(od -An -tu1 -j 8 -N 1 plain.enc | tr -d ' ')" = 1 ]
  "$B" -k key --context sun p sun.enc
  "$B" -k key --context mon p mon.enc
  [ "$(od -An -tu1 -j 8 -N 1 sun.enc | tr -d ' ')" = 2 ]
  [ "$(stat -c %s sun.enc)" -eq "$(stat -c %s plain.enc)" ]
  "$B" -d -k key --context sun sun.enc | cmp - p
  python3 "$D" --key key --context sun sun.enc | cmp - p
  # sun.enc copied over mon.enc no longer decrypts as mon.
  cp sun.enc mon.enc
  run "$B" -d -k key --context mon mon.enc out
  assert_failure 2
  assert_output "hw-encrypt: mon.enc: wrong key or context (or the header was modified)"
  [ ! -e out ]
  run python3 "$D" --key key --context mon mon.enc
  assert_failure 2
  run "$B" -d -k key sun.enc
  assert_failure 2
  assert_output "hw-encrypt: sun.enc: the stream is bound to a context: give it with --context"
  run "$B" -d -k key --context sun plain.enc
  assert_failure 2
  assert_output "hw-encrypt: plain.enc: the stream is not bound to a context (it was made without --context)"
  printf 'a passphrase for the spec test\n' > pw
  "$B" --scrypt-work 15 --passphrase-file pw --context 'backup 2026-11-28' p pc.enc
  python3 "$D" --passphrase pw --context 'backup 2026-11-28' pc.enc | cmp - p
  run "$B" -k key --context '' p x
  assert_failure 1
  assert_line --index 0 'hw-encrypt: --context needs a non-empty STRING'
}
