#!/usr/bin/env bats
# hw-encrypt's kernel (AF_ALG) backend on the host: where the kernel has no AF_ALG (these machines;
# forced elsewhere with strace fault injection on socket()), --backend kernel must fail clearly,
# leave nothing behind, and --list-backends / --backend auto must say and do the right thing.
# The backend's real work is tested on a real kernel in qemu: tests/vm (docs/kernel-backend.md).
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

setup() {
  HW=$CONDUIT_BIN/hw-encrypt
  [ -x "$HW" ] || skip "hw-encrypt is not built"
  cd "$BATS_TEST_TMPDIR"
  head -c 32 /dev/urandom >key
  head -c 100000 /dev/urandom >plain
  od -An -tx1 -v key | tr -d ' \n' >key.hex
  # Without AF_ALG here, socket(AF_ALG) fails by itself; elsewhere strace makes it fail.
  if "$HW" --list-backends | grep -q '^kernel: available'; then
    command -v strace >/dev/null || skip "this kernel has AF_ALG and strace is missing"
    NOALG=(strace -f -o /dev/null -e inject=socket:error=EAFNOSUPPORT)
  else
    NOALG=()
  fi
}

@test "--backend kernel without AF_ALG: clear message, status 1, no output file" {
  run "${NOALG[@]}" "$HW" --backend kernel -e -k key plain out
  assert_failure 1
  assert_output --partial "hw-encrypt: kernel crypto API (AF_ALG) is not available: Address family not supported by protocol"
  assert_file_not_exists out
  run "${NOALG[@]}" "$HW" --backend kernel -d -k key plain out
  assert_failure 1
  assert_output --partial "kernel crypto API (AF_ALG) is not available"
  assert_file_not_exists out
}

@test "--backend kernel --raw without AF_ALG fails the same way" {
  run "${NOALG[@]}" "$HW" --raw --backend kernel --cipher aes-256-ctr --key-hex-file key.hex \
    --iv 000102030405060708090a0b0c0d0e0f -e plain out
  assert_failure 1
  assert_output --partial "kernel crypto API (AF_ALG) is not available"
  assert_file_not_exists out
}

@test "--list-backends says the kernel backend is not available, and why; auto picks OpenSSL" {
  run "${NOALG[@]}" "$HW" --list-backends
  assert_success
  assert_line --regexp '^kernel: not available: kernel crypto API \(AF_ALG\) is not available: Address family not supported'
  assert_line --regexp '^openssl: available'
  assert_line '  aes-256-gcm: openssl'
  assert_line '  aes-256-ctr: openssl'
}

@test "--backend auto without AF_ALG uses OpenSSL and round-trips" {
  run "${NOALG[@]}" "$HW" -e -k key plain enc
  assert_success
  run "$HW" --backend openssl -d -k key enc dec
  assert_success
  run cmp plain dec
  assert_success
}
