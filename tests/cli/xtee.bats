#!/usr/bin/env bats
# xtee against GNU tee 9.1 (/usr/bin/tee) as the oracle: every output file's bytes, stdout,
# stderr (program name substituted) and exit status, across input kinds x output kinds x options.
# Faults, signals, big inputs, strace proofs: xtee-faults.bats. Docs: xtee-docs.bats.
load 'helpers/xtee'

setup() {
  xtee_setup
  head -c 300000 /dev/urandom > "$T/in"
  printf 'small input\n' > "$T/small"
}

# oracle KIND INPUT ARGS...: runs `tee ARGS` and `xtee ARGS` in two fresh folders with stdin
# from INPUT (KIND file: redirected; pipe: through cat), then compares the folders: every
# output file, stdout, stderr and the exit status.
oracle() {
  local kind=$1 input=$2; shift 2
  local side prog
  for side in gnu x; do
    rm -rf "${T:?}/$side"; mkdir "$T/$side"
    if [ "$side" = gnu ]; then prog=tee; else prog=$XTEE; fi
    if [ "$kind" = pipe ]; then
      (set +e; cd "$T/$side"; cat "$input" | timeout 20 "$prog" "$@" > stdout 2> stderr; echo $? > status)
    else
      (set +e; cd "$T/$side"; timeout 20 "$prog" "$@" < "$input" > stdout 2> stderr; echo $? > status)
    fi
  done
  sed -i "s/^tee: /xtee: /; s/'tee --help'/'xtee --help'/" "$T/gnu/stderr"
  run diff -r "$T/gnu" "$T/x"
  if [ "$status" -ne 0 ]; then
    echo "$output"; echo "--- gnu stderr:"; cat "$T/gnu/stderr"; echo "--- xtee stderr:"; cat "$T/x/stderr"
    return 1
  fi
}

@test "no FILE: pipe and file input copied to stdout" {
  oracle pipe "$T/in"
  oracle file "$T/in"
}

@test "empty input and /dev/null input" {
  : > "$T/empty"
  oracle pipe "$T/empty" a b
  oracle file "$T/empty" a b
  oracle file /dev/null a
}

@test "one and three FILEs from a pipe and from a file" {
  oracle pipe "$T/in" a
  oracle file "$T/in" a
  oracle pipe "$T/in" a b c
  oracle file "$T/in" a b c
}

@test "64 FILEs" {
  files=(); for i in $(seq 64); do files+=("f$i"); done
  oracle pipe "$T/in" "${files[@]}"
  oracle file "$T/in" "${files[@]}"
}

@test "-a appends to existing files; --append and mixed with new files" {
  oracle pipe "$T/in" -a a b
  # pre-existing content survives, the input follows it
  printf 'old\n' > "$T/old"
  cp "$T/old" "$T/g"; cp "$T/old" "$T/y"
  cat "$T/in" | tee -a "$T/g" > /dev/null
  cat "$T/in" | "$XTEE" -a "$T/y" > /dev/null
  cmp "$T/g" "$T/y"
  [ "$(head -n 1 "$T/y")" = old ]
  oracle file "$T/in" --append a
}

@test "'-' is a file named '-', as in GNU tee 9.1" {
  oracle pipe "$T/small" -
  oracle file "$T/in" - a
  assert_file_exists "$T/x/-"
}

@test "the same file named twice (and -a twice with a small input)" {
  oracle pipe "$T/in" a a
  oracle file "$T/in" a b a
  oracle pipe "$T/small" -a a a
}

@test "/dev/null as an output" {
  oracle pipe "$T/in" /dev/null a
  oracle file "$T/in" a /dev/null
}

@test "pipe outputs via >(...) receive identical bytes" {
  cat "$T/in" | "$XTEE" >(cat > "$T/p1") >(cat > "$T/p2") "$T/f" > "$T/out"
  # process substitutions finish on their own: wait until both files are complete
  for _ in $(seq 200); do
    [ "$(stat -c %s "$T/p1")" = 300000 ] && [ "$(stat -c %s "$T/p2")" = 300000 ] && break
    sleep 0.05
  done
  cmp "$T/in" "$T/p1"; cmp "$T/in" "$T/p2"; cmp "$T/in" "$T/f"; cmp "$T/in" "$T/out"
}

@test "stdout into a pipe whose reader reads everything, file input" {
  "$XTEE" "$T/f" < "$T/in" | cat > "$T/out"
  cmp "$T/in" "$T/out"; cmp "$T/in" "$T/f"
}

@test "a FILE that cannot be opened: message, others written, status 1" {
  oracle pipe "$T/in" a /nonexistent/dir/f b
  oracle pipe "$T/small" /
}

@test "a read error: directory as input" {
  oracle file / a
}

@test "/dev/full output in every --output-error mode, -p and the default" {
  for mode in "" -p --output-error --output-error=warn --output-error=warn-nopipe \
              --output-error=exit --output-error=exit-nopipe --output-error=warn- -a; do
    oracle pipe "$T/small" $mode a /dev/full b
    oracle file "$T/small" $mode /dev/full a
  done
}

@test "/dev/full as standard output" {
  for mode in "" -p --output-error=warn --output-error=exit; do
    for side in gnu x; do
      if [ "$side" = gnu ]; then prog=tee; else prog=$XTEE; fi
      (set +e; cd "$T"; rm -f f; $prog $mode f < small > /dev/full 2> err.$side; echo $? > st.$side; cp f f.$side)
    done
    sed -i 's/^tee: /xtee: /' "$T/err.gnu"
    cmp "$T/err.gnu" "$T/err.x"; cmp "$T/st.gnu" "$T/st.x"; cmp "$T/f.gnu" "$T/f.x"
  done
}

@test "option errors match GNU: invalid option, bad and ambiguous MODE, flag with argument" {
  oracle pipe "$T/small" -z
  oracle pipe "$T/small" --output-error=bogus
  oracle pipe "$T/small" --output-error=ex
  oracle pipe "$T/small" --append=1
  oracle pipe "$T/small" --bogus
}

# same_outcome ARGS...: oracle with standard input from $T/small, leaving out what stdout
# holds (the --help and --version texts differ by design) but not whether it holds anything.
same_outcome() {
  local gnu_out=0 x_out=0
  oracle pipe "$T/small" "$@" > /dev/null || true
  [ -s "$T/gnu/stdout" ] && gnu_out=1
  [ -s "$T/x/stdout" ] && x_out=1
  [ "$gnu_out" = "$x_out" ] || fail "stdout empty on one side only for: $*"
  rm "$T/gnu/stdout" "$T/x/stdout"
  diff -r "$T/gnu" "$T/x" || fail "stderr or status differ from GNU tee for: $*"
}

@test "option errors: the first in command-line order wins, as in GNU tee" {
  # a bad MODE before an unknown option is reported, after it is not
  for other in --foo -z --append=1 --output-error=warn -p "-- --foo"; do
    oracle pipe "$T/small" --output-error=bogus $other
    oracle pipe "$T/small" $other --output-error=bogus
  done
  oracle pipe "$T/small" --outp=ex --foo
  oracle pipe "$T/small" --output-error=warn --output-error=bogus a
  # --help and --version act where they stand: after a bad MODE, never, before one, always
  for stop in --help --version; do
    same_outcome --output-error=bogus $stop
    same_outcome $stop --output-error=bogus
    same_outcome $stop --foo
    same_outcome --foo $stop
  done
}

@test "long option prefixes and -p/--output-error order (last wins)" {
  oracle pipe "$T/small" --app a --ign
  oracle pipe "$T/small" --output-error=exit -p /dev/full a
  oracle pipe "$T/small" -p --output-error=exit /dev/full a
  oracle pipe "$T/small" --output-err=warn /dev/full a
}

@test "-- ends options; -i accepted" {
  oracle pipe "$T/small" -i -- -a
}

@test "--no-splice gives identical results; --stats reports tee and no copying" {
  cat "$T/in" | "$XTEE" --no-splice "$T/a" > "$T/out"
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/out"
  run bash -c "cat '$T/in' | '$XTEE' --stats '$T/b' 2>&1 >/dev/null"
  assert_success
  assert_output --partial "tee"
  refute_output --partial "read_write"
  run bash -c "cat '$T/in' | '$XTEE' --stats=json '$T/b' 2>&1 >/dev/null"
  assert_success
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["paths"]["tee"] == 300000, d' "$output"
  run bash -c "cat '$T/in' | '$XTEE' --no-splice --stats=json '$T/b' 2>&1 >/dev/null"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["paths"]["tee"] == 0 and d["paths"]["read_write"] == 600000, d' "$output"
}

@test "--progress draws on stderr only; --pipe-size accepted and validated" {
  run bash -c "'$XTEE' --progress '$T/a' < '$T/in' 2>'$T/err' | cmp - '$T/in'"
  assert_success
  grep -q "xtee:" "$T/err"
  cat "$T/in" | "$XTEE" --pipe-size 64K "$T/a" > "$T/out"
  cmp "$T/in" "$T/a"; cmp "$T/in" "$T/out"
  run "$XTEE" --pipe-size bogus
  assert_failure 1
  assert_output --partial "Try 'xtee --help'"
}

@test "--help and --version" {
  run "$XTEE" --help
  assert_success
  assert_line --index 0 "Usage: xtee [OPTION]... [FILE]..."
  assert_output --partial "warn-nopipe"
  # GNU tee's option and MODE lines verbatim; the extras' descriptions in the same column
  while IFS= read -r line; do
    assert_line -- "$line"
  done < <(LC_ALL=C tee --help | grep -E '^ +-|^  (warn|exit)')
  column=$(grep -- '-a, --append ' <<< "$output" | sed -E 's/append to.*//' | wc -L)
  for extra in --pipe-size --no-splice --progress --stats; do
    [ "$(grep -- "^      $extra" <<< "$output" | sed -E 's/^( +--[^ ]+( [A-Z]+)? +).*/\1/' | wc -L)" = "$column" ] \
      || fail "$extra not aligned at column $column"
  done
  run "$XTEE" --version
  assert_success
  assert_line --index 0 --regexp '^xtee \(conduit\) [0-9]+\.[0-9]+\.[0-9]+$'
}
