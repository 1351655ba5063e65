#!/usr/bin/env bats
# splice-cat --follow: GNU tail -f -c +1 is the oracle, run beside splice-cat on the same file
# with the same writer (same bytes, same messages, same reaction to truncation and rotation).
# No test depends on timing: writers wait until the followers' outputs show what was written
# before the next step, every follower stops with --pid after its writer exits, and every
# command is bounded by `timeout`.
load 'splice-cat-common'

# LeakSanitizer cannot run under ptrace: in sanitizer builds the strace cases run without it.
NOLEAKS="ASAN_OPTIONS=detect_leaks=0"

setup() {
  cd "$BATS_TEST_TMPDIR"
  WRITER="$CONDUIT_SRC/tests/cli/helpers/follow_writer.py"
}

# size_at_least FILE N: waits (at most 60 s) until FILE holds at least N bytes.
size_at_least() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.05
  done
  echo "timed out: $1 never reached $2 bytes" >&2
  return 1
}

# contains FILE TEXT: waits (at most 60 s) until FILE contains TEXT.
contains() {
  local i
  for ((i = 0; i < 1200; i++)); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out: $1 never said $2" >&2
  return 1
}

# follow_both WRITER_FUNCTION TAIL_ARGS -- SC_ARGS: runs the writer, then tail and splice-cat
# following until the writer exits; leaves tail.out/.err, sc.out/.err, tail_rc, sc_rc.
follow_both() {
  local fn=$1 tail_args=() w t s
  shift
  while [ "$1" != -- ]; do tail_args+=("$1"); shift; done
  shift
  "$fn" & w=$!
  timeout 60 tail -s 0.1 --pid=$w "${tail_args[@]}" > tail.out 2> tail.err & t=$!
  timeout 60 "$SC" --sleep-interval=0.1 --pid=$w "$@" > sc.out 2> sc.err & s=$!
  wait $w
  tail_rc=0 sc_rc=0
  wait $t || tail_rc=$?
  wait $s || sc_rc=$?
  sed -i 's/^tail:/splice-cat:/' tail.err
}

same_as_tail() {
  cmp tail.out sc.out || fail "output differs from tail's: $(od -c sc.out | head -5)"
  diff -u tail.err sc.err || fail "messages differ from tail's"
  [ "$tail_rc" = "$sc_rc" ] || fail "status $sc_rc, tail's $tail_rc"
}

@test "--follow: the file so far, then what is appended, as tail -f -c +1" {
  printf 'first\n' > f
  grow() {
    size_at_least tail.out 6; size_at_least sc.out 6
    printf 'second\n' >> f
    size_at_least tail.out 13; size_at_least sc.out 13
    printf 'third, no newline' >> f
  }
  follow_both grow -c +1 -f f -- --follow f
  same_as_tail
  printf 'first\nsecond\nthird, no newline' | cmp - sc.out
}

@test "-f waits with inotify: an append shows up without the polling interval" {
  printf 'a' > f
  grow() {
    size_at_least sc.out 1
    printf 'b' >> f
    size_at_least sc.out 2 || exit 1  # well before a poll every 1000 s would look
  }
  grow & w=$!
  timeout 60 "$SC" -f --sleep-interval=1000 f > sc.out 2> sc.err & s=$!
  wait $w
  kill $s; wait $s || true
  printf 'ab' | cmp - sc.out
  [ ! -s sc.err ]
}

@test "a file truncated while followed: 'file truncated', then copied from its start, as tail" {
  printf 'hello world\n' > f
  shrink() {
    size_at_least tail.out 12; size_at_least sc.out 12
    printf 'ab\n' > f   # shorter than what was copied: the truncation cannot go unseen
    size_at_least tail.out 15; size_at_least sc.out 15
    printf 'more\n' >> f
  }
  follow_both shrink -c +1 -f f -- -f f
  same_as_tail
  printf 'hello world\nab\nmore\n' | cmp - sc.out
  grep -qx 'splice-cat: f: file truncated' sc.err
}

@test "-f follows the descriptor: a renamed file is still followed, the new name ignored" {
  printf 'one\n' > f
  rotate() {
    size_at_least tail.out 4; size_at_least sc.out 4
    mv f f.1
    printf 'two\n' >> f.1
    printf 'new file\n' > f
    size_at_least tail.out 8; size_at_least sc.out 8
  }
  follow_both rotate -c +1 -f f -- -f f
  same_as_tail
  printf 'one\ntwo\n' | cmp - sc.out
}

@test "-F: a file replaced by a rename over its name: 'has been replaced', the new file from its start" {
  printf 'old\n' > f
  rotate() {
    size_at_least tail.out 4; size_at_least sc.out 4
    printf 'new\n' > g
    mv g f
    contains tail.err 'following new file'; contains sc.err 'following new file'
    size_at_least tail.out 8; size_at_least sc.out 8
    printf 'newer\n' >> f
  }
  follow_both rotate -c +1 -F f -- -F f
  same_as_tail
  printf 'old\nnew\nnewer\n' | cmp - sc.out
  grep -qx "splice-cat: 'f' has been replaced;  following new file" sc.err
}

@test "-F: a file moved away then recreated: 'has become inaccessible', then 'has appeared'" {
  printf 'old\n' > f
  rotate() {
    size_at_least tail.out 4; size_at_least sc.out 4
    mv f f.1
    contains tail.err 'inaccessible'; contains sc.err 'inaccessible'
    printf 'new\n' > f
    size_at_least tail.out 8; size_at_least sc.out 8
  }
  follow_both rotate -c +1 -F f -- -F f
  same_as_tail
  printf 'old\nnew\n' | cmp - sc.out
  grep -qx "splice-cat: 'f' has become inaccessible: No such file or directory" sc.err
  grep -qx "splice-cat: 'f' has appeared;  following new file" sc.err
}

@test "--follow=name without --retry: a removed file is given up, 'no files remaining', status 1" {
  printf 'x\n' > f
  remove() {
    size_at_least tail.out 2; size_at_least sc.out 2
    rm f
    contains tail.err 'no files remaining'; contains sc.err 'no files remaining'
  }
  follow_both remove -c +1 --follow=name f -- --follow=name f
  same_as_tail
  [ "$sc_rc" = 1 ]
}

@test "-F: a file missing at the start is waited for; without --retry it is an error" {
  late() {
    contains tail.err 'cannot open'; contains sc.err 'cannot open'
    printf 'late\n' > f
    size_at_least tail.out 5; size_at_least sc.out 5
  }
  follow_both late -c +1 -F f -- -F f
  same_as_tail
  grep -qx "splice-cat: cannot open 'f' for reading: No such file or directory" sc.err
  grep -qx "splice-cat: 'f' has appeared;  following new file" sc.err

  run timeout 20 "$SC" -f nope
  assert_failure 1
  assert_output "splice-cat: cannot open 'nope' for reading: No such file or directory
splice-cat: no files remaining"
}

@test "-F: the old file's last bytes are copied before the new file's" {
  printf 'old\n' > f
  sleep 600 & w=$!
  timeout 60 "$SC" --sleep-interval=0.1 --pid=$w -F f > sc.out 2> sc.err & s=$!
  size_at_least sc.out 4
  # Stopped, the follower sees the append and the replacement at once, when it goes on.
  c=$(pgrep -P $s)  # splice-cat itself, not timeout
  kill -STOP $c
  printf 'new\n' > g
  printf 'last words\n' >> f
  mv g f
  kill -CONT $c
  size_at_least sc.out 19
  kill $w
  wait $s
  printf 'old\nlast words\nnew\n' | cmp - sc.out
}

@test "--pid: everything written before the writer died is copied, then the run ends with 0" {
  : > f
  python3 "$WRITER" f 1500 11 & w=$!
  timeout 120 "$SC" --sleep-interval=0.1 --pid=$w -f f | cat > piped
  cmp f piped
  : > g
  python3 "$WRITER" g 1500 12 & w=$!
  timeout 120 "$SC" --sleep-interval=0.1 --pid=$w -f g > regular
  cmp g regular
  [ "$(stat -c %s f)" -gt 1000000 ]  # thousands of odd-sized appends, a few MB
}

@test "several growing files at once: every byte of each, in order; --file-headers as tail -v" {
  # Headers as tail -v's, from the same writes.
  printf 'A1\n' > x; printf 'B1\n' > y
  grow() {
    size_at_least tail.out 27; size_at_least sc.out 27
    printf 'B2\n' >> y
    size_at_least tail.out 30; size_at_least sc.out 30
    printf 'A2\n' >> x
  }
  follow_both grow -c +1 -v -f x y -- --file-headers -f x y
  same_as_tail
  # Two writers at full speed: cut apart at the headers, each file's bytes come whole, in order.
  : > a; : > b
  ( python3 "$WRITER" a 700 21 & python3 "$WRITER" b 700 22 & wait ) & w=$!
  timeout 120 "$SC" --sleep-interval=0.1 --pid=$w --file-headers -f a b > both
  python3 - <<'PY'
import re
data = open("both", "rb").read()
assert data.startswith(b"==> a <==\n"), data[:20]
parts = re.split(rb"\n==> (a|b) <==\n", data[len(b"==> a <==\n"):])
got = {b"a": [parts[0]], b"b": []}
for name, piece in zip(parts[1::2], parts[2::2]):
    got[name].append(piece)
for name in (b"a", b"b"):
    assert b"".join(got[name]) == open(name.decode(), "rb").read(), name
PY
}

@test "--offset and --length with --follow: start at the offset, stop after the length" {
  printf '0123456789' > f
  grow() {
    size_at_least sc.out 6
    printf 'abcdef' >> f
  }
  grow & w=$!
  timeout 60 "$SC" --sleep-interval=0.1 --pid=$w --offset=4 -f f > sc.out
  printf '456789abcdef' | cmp - sc.out
  # The length ends the run by itself, the writer still alive.
  sleep 600 & w=$!
  grow2() { size_at_least sc.out 3; printf 'XYZ' >> f; }
  grow2 & g=$!
  timeout 60 "$SC" --pid=$w --offset=8 --length=7 -f f > sc.out
  wait $g
  kill $w
  printf '89abcde' | cmp - sc.out
  # An offset beyond the end waits for the file to get there (no "file truncated").
  printf '01' > h
  grow3() { sleep 0.5; printf '2345' >> h; }
  grow3 & w=$!
  timeout 60 "$SC" --sleep-interval=0.1 --pid=$w --offset=3 -f h > sc.out 2> sc.err
  printf '345' | cmp - sc.out
  [ ! -s sc.err ]
}

@test "a reader that goes away ends the follow at once: 141 by SIGPIPE, or 'write error' with it ignored" {
  printf 'hello' > f
  run timeout 30 bash -c "'$SC' -f f | head -c 5 > /dev/null; exit \${PIPESTATUS[0]}"
  [ "$status" = 141 ]
  run timeout 30 bash -c "trap '' PIPE; '$SC' -f f 2> err | head -c 5 > /dev/null; echo \${PIPESTATUS[0]}; cat err"
  assert_success
  assert_output "1
splice-cat: write error: Broken pipe"
}

@test "inotify unavailable: 'reverting to polling', still follows (every --sleep-interval)" {
  command -v strace > /dev/null || skip "strace missing"
  printf 'a' > f
  grow() { size_at_least sc.out 1; printf 'b' >> f; size_at_least sc.out 2; }
  grow & w=$!
  timeout 60 env "$NOLEAKS" strace -f -o /dev/null -e inject=inotify_init1:error=EMFILE \
    "$SC" --sleep-interval=0.1 --pid=$w -f f > sc.out 2> sc.err
  printf 'ab' | cmp - sc.out
  grep -qx 'splice-cat: inotify cannot be used, reverting to polling: Too many open files' sc.err

  printf 'a' > f
  grow & w=$!
  timeout 60 env "$NOLEAKS" strace -f -o /dev/null -e inject=inotify_add_watch:error=ENOSPC \
    "$SC" --sleep-interval=0.1 --pid=$w -f f > sc.out 2> sc.err
  printf 'ab' | cmp - sc.out
  diff -u - sc.err <<'ERR'
splice-cat: inotify resources exhausted
splice-cat: inotify cannot be used, reverting to polling
ERR
}

@test "--stats: bytes by path and the number of waits" {
  printf 'abc' > f
  grow() { size_at_least sc.out 3; printf 'def' >> f; size_at_least sc.out 6; }
  grow & w=$!
  timeout 60 "$SC" --stats=json --sleep-interval=0.1 --pid=$w -f f 2> stats | cat > sc.out
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["bytes"] == 6 and d["paths"]["splice"] == 6 and d["waits"] >= 1, d' stats
}

@test "--follow refuses cat's formatting options; --pid and --retry warn without it" {
  printf 'x\n' > f
  for opt in -n -b -s -v -E -T -A -e -t; do
    run timeout 10 "$SC" -f "$opt" f
    assert_failure 1
    assert_line --index 0 'splice-cat: --follow cannot be combined with -A, -b, -e, -E, -n, -s, -t, -T or -v'
  done
  run timeout 10 "$SC" --follow=sideways f
  assert_failure 1
  run timeout 10 "$SC" --pid=1 --retry f
  assert_success
  assert_output "splice-cat: warning: PID ignored; --pid=PID is useful only when following
splice-cat: warning: --retry ignored; --retry is useful only when following
x"
}

@test "--follow with the output file among the inputs: 'input file is output file'" {
  printf 'x\n' > f
  run timeout 20 bash -c "'$SC' -f f >> f"
  assert_failure 1
  assert_output 'splice-cat: f: input file is output file
splice-cat: no files remaining'
}

@test "standard input: a pipe is copied to its end, then the run ends" {
  run timeout 20 bash -c "printf 'piped' | '$SC' -f"
  assert_success
  assert_output 'piped'
}
