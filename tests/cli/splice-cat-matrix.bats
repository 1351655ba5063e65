#!/usr/bin/env bats
# splice-cat x input kinds x output kinds x options, byte for byte and exit status against GNU
# cat. The wiring (FIFO writer, socket pairs, TCP loopback, a pty for the tty) is done by
# splice-cat-io.py, identically for both programs.
load 'splice-cat-common'

OUTPUTS=(pipe file append null socket tcp tty)
# "splice-cat options|GNU cat options": extras must not change the bytes.
OPTSETS=("|" "-A -s|-A -s" "--no-splice --pipe-size=64K --stats|")

setup() {
  cd "$BATS_TEST_TMPDIR"
  # Bigger than the 64 KiB default pipe and GNU cat's 128 KiB buffer, text and binary mixed.
  head -c 300000 /dev/urandom > src
  seq 1 30000 >> src
  printf 'tail without newline' >> src
}

matrix() {
  local input=$1 out_kind
  for out_kind in "${OUTPUTS[@]}"; do
    run timeout 120 python3 "$BATS_TEST_DIRNAME/splice-cat-io.py" compare "$input" "$out_kind" \
      src "$ORACLE" "$SC" -- "${OPTSETS[@]}"
    [ "$status" -eq 0 ] || fail "$input -> $out_kind: $output"
  done
}

@test "matrix: regular file operand -> every output kind" { matrix regular; }
@test "matrix: empty file -> every output kind" { matrix empty; }
@test "matrix: /proc files (size 0; /proc/1/cmdline refuses splice) -> every output kind" { matrix proc; }
@test "matrix: FIFO operand -> every output kind" { matrix fifo; }
@test "matrix: socket on stdin -> every output kind" { matrix socket; }
@test "matrix: regular file on stdin -> every output kind" { matrix stdin-file; }
@test "matrix: pipe on stdin -> every output kind" { matrix stdin-pipe; }

@test "the matrix helper notices a difference (it can fail)" {
  run python3 "$BATS_TEST_DIRNAME/splice-cat-io.py" compare regular pipe src "$ORACLE" "$SC" -- "-n|"
  assert_failure
  assert_output --partial MISMATCH
}

@test "/proc/self/status (refuses splice) comes out whole" {
  run "$SC" /proc/self/status
  assert_success
  assert_line --index 0 --regexp $'^Name:\tsplice-cat$'
  # the same fields, in the same order, as GNU cat shows for itself
  diff <("$ORACLE" /proc/self/status | cut -d: -f1) <(printf '%s\n' "$output" | cut -d: -f1)
  run "$SC" -A /proc/self/status
  assert_line --index 0 --regexp '^Name:\^Isplice-cat\$$'
}

@test "sparse input over 4 GiB: same checksum, ranges past 4 GiB" {
  # On tmpfs a hole is read as the shared zero page: 5 GiB cost neither disk nor memory, and
  # the test stays quick (on ext4 the holes would first be allocated in the page cache).
  local dir=/dev/shm
  [ -d "$dir" ] && [ -w "$dir" ] || dir=$BATS_TEST_TMPDIR
  SPARSE=$(mktemp -p "$dir" splice-cat-sparse.XXXXXX)
  truncate -s 5G "$SPARSE"
  printf 'MARK-4G' | dd of="$SPARSE" bs=1 seek=$((4 * 1024 * 1024 * 1024 + 100)) conv=notrunc status=none
  printf 'MARK-END' | dd of="$SPARSE" bs=1 seek=$((5 * 1024 * 1024 * 1024 - 8)) conv=notrunc status=none
  # `/usr/bin/cat FILE | cksum` for exactly this content (computed once with GNU cat; reading
  # 5 GiB twice per run would double the test's time).
  run bash -c "'$SC' '$SPARSE' | cksum"
  assert_output "929166820 5368709120"
  run "$SC" -v --offset $((5 * 1024 * 1024 * 1024 - 10)) "$SPARSE"
  assert_output "^@^@MARK-END"
  run "$SC" --offset $((4 * 1024 * 1024 * 1024 + 100)) --length 7 "$SPARSE"
  assert_output "MARK-4G"
  run "$SC" --offset 5G "$SPARSE"
  assert_output ""
  run bash -c "'$SC' --offset \$((5 * 1024 * 1024 * 1024 - 8)) '$SPARSE' - < '$SPARSE' | head -c 8"
  assert_output "MARK-END"
}

teardown() {
  [ -z "${SPARSE:-}" ] || rm -f "$SPARSE"
}

@test "file -> file uses copy_file_range, also for many operands" {
  "$SC" src src > out
  cat src src | cmp - out
  "$SC" --stats=json src src > out 2> stats
  grep -q '"copy_file_range":'"$((2 * $(stat -c %s src)))" stats
}
