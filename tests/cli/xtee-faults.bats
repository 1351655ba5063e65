#!/usr/bin/env bats
# xtee under faults and unusual ends: readers that leave early (every --output-error mode, GNU
# tee as the oracle), SIGINT with and without -i, O_NONBLOCK stdin, tty, socket and >4 GiB
# inputs, and strace fault injection (ENOSYS -> copying path, mid-stream EIO) plus the
# strace -c proof that a pipe -> pipes + file run moves no payload through read/write.
load 'helpers/xtee'

setup() {
  xtee_setup
  # LeakSanitizer cannot run under ptrace (strace); leaks are checked by the other test files.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  seq 1000000 > "$T/in"   # 6.9 MB: more than any pipe holds, so an early exit is seen
}

# early_reader PROG MODE: PROG MODE f, its stdout read by `head -c 10`; prints "status" and
# leaves stderr in err.
early_reader() {
  local prog=$1; shift
  (set +e; cd "$T"; rm -f f
   cat in | timeout 20 "$prog" "$@" f 2> err | head -c 10 > /dev/null
   echo "${PIPESTATUS[1]}")
}

@test "stdout reader exits early: every mode matches GNU tee (status, message, FILE complete)" {
  for mode in "" -p --output-error --output-error=warn --output-error=warn-nopipe \
              --output-error=exit --output-error=exit-nopipe; do
    gnu=$(early_reader tee $mode); sed 's/^tee: /xtee: /' "$T/err" > "$T/err.gnu"
    gsize=$(stat -c %s "$T/f")
    ours=$(early_reader "$XTEE" $mode); cp "$T/err" "$T/err.x"
    xsize=$(stat -c %s "$T/f")
    [ "$gnu" = "$ours" ] || fail "mode '$mode': GNU status $gnu, xtee $ours"
    diff "$T/err.gnu" "$T/err.x" || fail "mode '$mode': messages differ"
    case "$mode" in
      ""|*=exit) [ "$ours" != 0 ] ;;  # killed by SIGPIPE / exited at once: FILE partial
      *) cmp "$T/in" "$T/f" || fail "mode '$mode': FILE incomplete ($gsize vs $xsize)" ;;
    esac
  done
  [ "$(early_reader "$XTEE")" = 141 ]
}

@test "a >(process) output that exits early: -p carries on, default dies of SIGPIPE" {
  run bash -c "cat '$T/in' | '$XTEE' -p >(head -c 1 > /dev/null) '$T/f' > '$T/out'"
  assert_success
  cmp "$T/in" "$T/f"; cmp "$T/in" "$T/out"
  run bash -c "cat '$T/in' | '$XTEE' >(head -c 1 > /dev/null) '$T/f' > /dev/null"
  assert_failure 141
  run bash -c "cat '$T/in' | '$XTEE' --output-error=warn >(head -c 1 > /dev/null) '$T/f' > /dev/null"
  assert_failure 1
  assert_output --regexp "^xtee: /dev/fd/[0-9]+: Broken pipe$"
  cmp "$T/in" "$T/f"
}

# Runs xtee (with SIGINT at its default action, which background jobs of a script lack) on a
# fifo; sends SIGINT after the first line arrived; prints the exit status.
interrupt() {
  (set +e; cd "$T"; rm -f fifo f; mkfifo fifo
   python3 -c 'import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
     "$XTEE" "$@" f < fifo > /dev/null &
   pid=$!
   trap '' PIPE   # (after the start: xtee must not inherit it) a dead xtee must not kill us
   exec 3> fifo
   echo first >&3
   for _ in $(seq 400); do [ -s f ] && break; sleep 0.025; done
   kill -INT $pid
   echo second >&3 2>/dev/null
   exec 3>&-
   wait $pid; echo $?)
}

@test "SIGINT kills xtee (130) and -i ignores it" {
  [ "$(interrupt)" = 130 ]
  [ "$(interrupt -i)" = 0 ]
  [ "$(cat "$T/f")" = "$(printf 'first\nsecond')" ]
}

@test "O_NONBLOCK stdin: polled, identical output" {
  run bash -c "(head -c 100000 '$T/in'; sleep 0.2; tail -c +100001 '$T/in') |
    python3 -c 'import os,fcntl,sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])' \
    '$XTEE' '$T/a' -a '$T/b' | cat > '$T/out'"
  assert_success
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/b"; cmp "$T/in" "$T/out"
}

@test "O_NONBLOCK stdin whose poll() fails: a read error, not a spin until the input ends" {
  command -v strace >/dev/null || skip "strace not installed"
  # stdin: a FIFO that stays empty and never ends (its shell holds a writer). A wait whose
  # failure is ignored spins on read() until `timeout` kills it (124). (A pipe from `sleep 3`
  # ended before start-up finished under load.)
  # --output-error=exit reads the first buffer itself; the default mode reads through Fanout.
  local nb='import os,fcntl,sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])'
  local mode
  for mode in --output-error=exit --output-error=warn; do
    rm -f "$T/empty" && mkfifo "$T/empty"
    run bash -c "exec 3<> '$T/empty'; timeout 20 strace -f -o /dev/null -e inject=poll:error=EIO \
      python3 -c '$nb' '$XTEE' $mode '$T/f' < '$T/empty' > /dev/null"
    assert_failure 1
    assert_output "xtee: read error: Input/output error"
  done
}

@test "tty input and tty output (script -qc)" {
  command -v script >/dev/null || skip "script (util-linux) not installed"
  printf 'line one\nline two\n\004' | timeout 20 script -qec "'$XTEE' '$T/f' > /dev/null" /dev/null > /dev/null
  [ "$(cat "$T/f")" = "$(printf 'line one\nline two')" ]
  run timeout 20 script -qec "printf 'to the tty\n' | '$XTEE' '$T/g'" /dev/null
  assert_success
  assert_output --partial "to the tty"
  [ "$(cat "$T/g")" = "to the tty" ]
}

@test "socket input (socat EXEC gives a socketpair stdin)" {
  command -v socat >/dev/null || skip "socat not installed"
  timeout 20 socat -u "OPEN:$T/in" EXEC:"$XTEE --stats $T/a $T/b" 2> "$T/err"
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/b"
  grep -q "tee" "$T/err"   # the socket was spliced into a broker pipe and teed
}

@test "input over 4 GiB (sparse file) to /dev/null and a pipe" {
  # On tmpfs a hole reads as the shared zero page; on ext4 every page would be allocated.
  dir=$T; [ -w /dev/shm ] && dir=/dev/shm
  sparse="$dir/xtee-sparse-$$-$BATS_TEST_NUMBER"
  truncate -s 5G "$sparse" || skip "cannot create a sparse file here"
  run bash -c "timeout 120 '$XTEE' /dev/null < '$sparse' | wc -c"
  rm -f "$sparse"
  assert_success
  assert_output 5368709120
}

@test "strace: ENOSYS on tee and splice -> identical outputs via read/write" {
  command -v strace >/dev/null || skip "strace not installed"
  cat "$T/in" | strace -f -o /dev/null -e inject=tee,splice:error=ENOSYS \
    "$XTEE" "$T/a" -a "$T/b" | cat > "$T/out"
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/b"; cmp "$T/in" "$T/out"
  strace -f -o /dev/null -e inject=tee,splice:error=ENOSYS "$XTEE" "$T/c" < "$T/in" > "$T/out2"
  cmp "$T/in" "$T/c"; cmp "$T/in" "$T/out2"
  cat "$T/in" | strace -f -o /dev/null -e inject=tee:error=EINVAL "$XTEE" "$T/d" | cat > "$T/out3"
  cmp "$T/in" "$T/d"; cmp "$T/in" "$T/out3"
}

@test "strace: a refused first splice demotes that output only (lane, then consumer)" {
  command -v strace >/dev/null || skip "strace not installed"
  for when in 1 2; do
    rm -f "$T/a" "$T/b" "$T/out"
    cat "$T/in" | strace -f -o /dev/null -e inject=splice:error=EINVAL:when=$when \
      "$XTEE" --stats=json "$T/a" "$T/b" 2> "$T/err" | cat > "$T/out"
    cmp "$T/in" "$T/a"; cmp "$T/in" "$T/b"; cmp "$T/in" "$T/out"
    # exactly one output's worth went by read/write
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["fallbacks"] == 1 and d["paths"]["tee"] > 0 and d["paths"]["read_write"] == int(sys.argv[2]), d' "$T/err" "$(stat -c %s "$T/in")"
  done
}

@test "strace: mid-stream EIO on one output: reported, the others complete, status 1" {
  command -v strace >/dev/null || skip "strace not installed"
  run bash -c "cat '$T/in' | strace -f -o /dev/null -e inject=splice:error=EIO:when=3 \
    '$XTEE' '$T/a' '$T/b' 2>'$T/err' | cat > '$T/out'; echo \${PIPESTATUS[1]}"
  assert_output 1
  run cat "$T/err"
  assert_output --regexp "^xtee: .*: Input/output error$"
  # exactly one output is short; the rest are whole
  whole=0
  for f in a b out; do cmp -s "$T/in" "$T/$f" && whole=$((whole + 1)); done
  [ "$whole" = 2 ]
}

@test "strace -c: pipe -> pipes + file moves no payload through read/write" {
  command -v strace >/dev/null || skip "strace not installed"
  mkfifo "$T/fifo"
  cat "$T/fifo" > "$T/p" &
  reader=$!
  cat "$T/in" | strace -c -f -o "$T/counts" "$XTEE" "$T/fifo" "$T/a" | cat > "$T/out"
  wait $reader
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/p"; cmp "$T/in" "$T/out"
  tee_calls=$(awk '$NF == "tee" {print $4}' "$T/counts")
  [ "${tee_calls:-0}" -gt 0 ] || fail "no tee calls: $(cat "$T/counts")"
  # Bytes, not calls: a sanitized build's runtime makes small reads and writes of its own.
  cat "$T/in" | strace -f -e trace=read,write -o "$T/rw" "$XTEE" "$T/b" "$T/c" | cat > "$T/out2"
  cmp "$T/in" "$T/b"; cmp "$T/in" "$T/out2"
  moved=$(awk '/(read|write)\(/ { n = $NF; if (n ~ /^[0-9]+$/) sum += n } END { print sum + 0 }' "$T/rw")
  [ "$moved" -lt 65536 ] || fail "$moved bytes through read/write for $(stat -c %s "$T/in") of payload"
  if ! grep -qa __asan_init "$XTEE"; then
    writes=$(awk '$NF == "write" {print $4}' "$T/counts")
    [ "${writes:-0}" -eq 0 ] || fail "write calls: $writes"
  fi
}
