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
