#!/usr/bin/env bats
# splice-cat's extras: --header, --header-file, --offset, --length, --pipe-size, --no-splice,
# --progress, --stats, and how they combine with each other and with the cat options.
load 'splice-cat-common'

setup() {
  export LC_ALL=C  # values in messages are quoted 'x' there (‘x’ under UTF-8, as GNU's quote())
  make_fixtures
  printf '0123456789' > ten
  printf 'abcdefghij' > alpha
  head -c 300000 /dev/urandom > big
}

@test "--header: literal text, no newline added, before the first input" {
  run "$SC" --header 'H\n:' ten
  assert_success
  assert_output 'H\n:0123456789'
  run "$SC" --header '' ten
  assert_output '0123456789'
  "$SC" --header "$(printf 'line\n')"$'\n' ten alpha > out
  printf 'line\n0123456789abcdefghij' | cmp - out
}

@test "--header is not formatted and does not disturb cat's state" {
  "$SC" --header 'TITLE' -n text partial > out
  { printf 'TITLE'; "$ORACLE" -n text partial; } | cmp - out
  "$SC" --header $'a\n\n\n' -s -A text > out
  { printf 'a\n\n\n'; "$ORACLE" -s -A text; } | cmp - out
}

@test "--header-file: any readable file, copied whole, before the first input" {
  "$SC" --header-file alpha ten - < text > out
  cat alpha ten text | cmp - out
  "$SC" --header-file /proc/version --offset 2 --length 3 -n ten > out
  { cat /proc/version; "$ORACLE" -n <(printf '234'); } | cmp - out
  mkfifo fifo
  (timeout 10 sh -c "printf 'from fifo\\n' > fifo" &)
  run timeout 10 "$SC" --header-file fifo ten
  assert_output $'from fifo\n0123456789'
}

@test "--header-file that cannot be read: error, no output at all, exit 1" {
  run "$SC" --header-file nosuch ten
  assert_failure 1
  assert_output "splice-cat: nosuch: No such file or directory"
  mkdir dir
  run "$SC" --header-file dir ten
  assert_failure 1
  assert_output "splice-cat: dir: Is a directory"
  cp ten f
  run bash -c "'$SC' --header-file f ten >> f"
  assert_failure 1
  assert_output "splice-cat: f: input file is output file"
  assert_equal "$(cat f)" 0123456789
}

@test "--header and --header-file together are refused before any I/O" {
  run "$SC" --header x --header-file alpha ten
  assert_failure 1
  assert_line --index 0 "splice-cat: --header excludes --header-file"
  assert_line --index 1 "Try 'splice-cat --help' for more information."
}

@test "the header is written even when every input fails" {
  run bash -c "'$SC' --header 'H' nosuch 2>/dev/null"
  assert_failure 1
  assert_output "H"
}

@test "--offset and --length cut each FILE; suffixes; past the end is empty" {
  run "$SC" --offset 2 --length 3 ten alpha
  assert_output "234cde"
  run "$SC" --offset 7 ten alpha
  assert_output "789hij"
  run "$SC" --length 4 ten alpha
  assert_output "0123abcd"
  run "$SC" --offset 20 ten
  assert_success
  assert_output ""
  run "$SC" --length 0 ten
  assert_output ""
  "$SC" --offset 1K --length 2K big > out
  tail -c +1025 big | head -c 2048 | cmp - out
  "$SC" --offset 1KB --length 1M big > out
  tail -c +1001 big | cmp - out
}

@test "ranges of standard input: relative to where it stands, repeated - reads on" {
  run bash -c "'$SC' --offset 2 --length 3 - - < ten"
  assert_output "234789"
  run bash -c "cat ten | '$SC' --offset 2 --length 3 - -"
  assert_output "234789"
  run bash -c "{ dd bs=1 count=1 status=none of=/dev/null; '$SC' --offset 2 --length 3; } < ten"
  assert_output "345"
  run bash -c "cat ten | '$SC' --offset 20"
  assert_success
  assert_output ""
}

@test "ranges are the same on every path and input kind" {
  local expected
  expected=$(tail -c +1001 big | head -c 100000 | cksum)
  for opts in "" "--no-splice"; do
    assert_equal "$("$SC" $opts --offset 1000 --length 100000 big | cksum)" "$expected"
    assert_equal "$("$SC" $opts --offset 1000 --length 100000 big > out; cksum < out)" "$expected"
    assert_equal "$("$SC" $opts --offset 1000 --length 100000 - < big | cksum)" "$expected"
    assert_equal "$(cat big | "$SC" $opts --offset 1000 --length 100000 | cksum)" "$expected"
  done
}

@test "ranges combine with the cat options: the range is cut first, then formatted" {
  "$SC" -n --offset 1 --length 4 text text > out
  "$ORACLE" -n <(tail -c +2 text | head -c 4; tail -c +2 text | head -c 4) | cmp - out
  "$SC" -A --offset 5 big > out
  tail -c +6 big | "$ORACLE" -A | cmp - out
}

@test "bad sizes are usage errors" {
  run "$SC" --offset x ten
  assert_failure 1
  assert_line --index 0 "splice-cat: invalid offset: 'x'"
  run "$SC" --length -5 ten
  assert_failure 1
  run "$SC" --pipe-size 1 ten
  assert_failure 1
  assert_line --index 0 --partial "invalid pipe size"
}

@test "--stats: text and JSON on stderr, stdout untouched, bytes counted per path" {
  "$SC" --stats big > out 2> err
  cmp big out
  grep -q '^splice-cat: 300000 bytes' err
  "$SC" --stats=json big ten 2> err | cmp - <(cat big ten)
  python3 - err <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["program"] == "splice-cat", s
assert s["bytes"] == 300010, s
assert s["paths"]["splice"] == 300010, s
assert s["syscalls"]["read"] == 0 and s["syscalls"]["write"] == 0, s
PY
  "$SC" --stats=json --no-splice big 2> err | cmp - big
  grep -q '"read_write":300000' err
  # formatted output goes through read/write; the bytes counted are the bytes written
  "$SC" --stats=json -n text 2> err > out
  grep -q "\"read_write\":$(stat -c %s out)" err
  run "$SC" --stats=xml ten
  assert_failure 1
}

@test "--progress: a meter on stderr only when asked; percent when the total is known" {
  run bash -c "'$SC' big ten 2>&1 >/dev/null"
  assert_output ""
  "$SC" --progress big ten 2> err > out
  cat big ten | cmp - out
  grep -q '100%' err
  "$SC" --progress --offset 100 --length 1000 big 2> err > out
  grep -q '100%' err
  cat big | "$SC" --progress 2> err > out
  cmp big out
  grep -q 'splice-cat: ' err
  run grep -c '%' err
  assert_output 0
  "$SC" --progress -A big 2> err > out
  grep -q '100%' err
  "$ORACLE" -A big | cmp - out
}

@test "--pipe-size: a stdout pipe is grown toward it, within the rules for a shared pipe" {
  run python3 - "$SC" <<'PY'
import fcntl, os, subprocess, sys
F_GETPIPE_SZ = 1032
# Input of unknown size (a pipe): as asked, or 256 KiB by default (the cap for a pipe that
# belongs to the pipeline). A 10-byte file: never grown (at most half the input).
for want, source, expect in (("1M", "pipe", 1 << 20), ("256K", "pipe", 256 << 10),
                             (None, "pipe", 256 << 10), ("1M", "file", 64 << 10),
                             (None, "file", 64 << 10)):
    r, w = os.pipe()
    args = [sys.argv[1]] + (["--pipe-size", want] if want else [])
    if source == "file":
        subprocess.run(args + ["ten"], stdout=w, check=True)
    else:
        subprocess.run(args, input=b"0123456789", stdout=w, check=True)
    os.close(w)
    size = fcntl.fcntl(r, F_GETPIPE_SZ)
    assert os.read(r, 100) == b"0123456789"
    print(want, source, size)
    assert size == expect, (want, source, size)
PY
  assert_success
}

@test "--no-splice and --pipe-size change nothing in the bytes" {
  for opts in "--no-splice" "--pipe-size 4K" "--pipe-size 64K --no-splice"; do
    "$SC" $opts big text - < ten | cmp - <(cat big text ten)
    "$SC" $opts big text > out
    cat big text | cmp - out
  done
}
