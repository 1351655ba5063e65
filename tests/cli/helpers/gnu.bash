# Drop-in checks: splice-cat and xtee run under the names `cat` and `tee` (symlinks in a temp
# dir, first on PATH), compared with GNU cat and tee run the same way.
#
# gnu_setup: makes $T/bin/{cat,tee} -> our commands; GNU's stay at $GNU_CAT / $GNU_TEE.
# same_as_gnu 'SHELL CODE': runs the code twice from $T/work, with `cat` and `tee` first GNU's,
#   then ours; stdout, stderr and the exit status must be identical. The code sees a fresh copy
#   of $T/work each time (fixtures made before the call).

gnu_setup() {
  T="$BATS_TEST_TMPDIR"
  mkdir -p "$T/bin" "$T/gnubin" "$T/work"
  ln -sf "$CONDUIT_BIN/splice-cat" "$T/bin/cat"
  ln -sf "$CONDUIT_BIN/xtee" "$T/bin/tee"
  GNU_CAT=$(PATH=/usr/bin:/bin command -v cat)
  GNU_TEE=$(PATH=/usr/bin:/bin command -v tee)
  ln -sf "$GNU_CAT" "$T/gnubin/cat"
  ln -sf "$GNU_TEE" "$T/gnubin/tee"
  # LeakSanitizer cannot run under ptrace (strace); leaks are checked by the other test files.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# run_as WHICH CODE: runs CODE with WHICH's cat and tee first on PATH, in a copy of $T/work.
run_as() {
  local which=$1 code=$2
  rm -rf "$T/run.$which"
  cp -a "$T/work" "$T/run.$which"
  local status=0
  (cd "$T/run.$which" && PATH="$T/$which:$PATH" bash -c "$code") \
    > "$T/$which.out" 2> "$T/$which.err" || status=$?
  echo "$status" > "$T/$which.status"
}

same_as_gnu() {
  run_as gnubin "$1"
  run_as bin "$1"
  local ok=1
  cmp -s "$T/gnubin.status" "$T/bin.status" || ok=0
  cmp -s "$T/gnubin.out" "$T/bin.out" || ok=0
  cmp -s "$T/gnubin.err" "$T/bin.err" || ok=0
  if [ $ok = 0 ]; then
    echo "differs from GNU: $1"
    echo "status: GNU $(cat "$T/gnubin.status"), ours $(cat "$T/bin.status")"
    echo "--- stderr (GNU, ours)"; diff "$T/gnubin.err" "$T/bin.err"
    echo "--- stdout (GNU, ours)"; diff <(od -c "$T/gnubin.out" | head -20) <(od -c "$T/bin.out" | head -20)
    return 1
  fi
}
