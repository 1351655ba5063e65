# Shared by the splice-cat*.bats files: helpers and the oracle comparison.
# GNU cat 9.x (/usr/bin/cat) is the oracle: splice-cat must print the same bytes, the same
# messages (program name aside) and exit with the same status.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

SC="$CONDUIT_BIN/splice-cat"
ORACLE=/usr/bin/cat

# GNU cat names itself by argv[0]: make its messages say splice-cat.
normalize() {
  sed -i "s#^\(/usr/bin/\)\{0,1\}cat:#splice-cat:#; s#^Try '\(/usr/bin/\)\{0,1\}cat #Try 'splice-cat #" "$1"
}

# Runs the oracle and splice-cat with the same arguments, standard input from $STDIN (or
# /dev/null), in the current directory; compares stdout bytes, stderr and exit status.
same() {
  local d="$BATS_TEST_TMPDIR" in="${STDIN:-/dev/null}" erc=0 grc=0
  "$ORACLE" "$@" <"$in" >"$d/exp.out" 2>"$d/exp.err" || erc=$?
  "$SC" "$@" <"$in" >"$d/got.out" 2>"$d/got.err" || grc=$?
  normalize "$d/exp.err"
  cmp "$d/exp.out" "$d/got.out" || fail "stdout differs from GNU cat for: $*"
  diff -u "$d/exp.err" "$d/got.err" || fail "stderr differs from GNU cat for: $*"
  [ "$erc" = "$grc" ] || fail "exit status $grc, GNU cat $erc, for: $*"
}

# Same as same(), for a shell snippet in which "CAT" stands for the program under test.
same_sh() {
  local d="$BATS_TEST_TMPDIR" erc=0 grc=0 snippet="$1"
  bash -c "CAT=$ORACLE; $snippet" >"$d/exp.out" 2>"$d/exp.err" || erc=$?
  bash -c "CAT=$SC; $snippet" >"$d/got.out" 2>"$d/got.err" || grc=$?
  normalize "$d/exp.err"
  cmp "$d/exp.out" "$d/got.out" || fail "stdout differs from GNU cat for: $snippet"
  diff -u "$d/exp.err" "$d/got.err" || fail "stderr differs from GNU cat for: $snippet"
  [ "$erc" = "$grc" ] || fail "exit status $grc, GNU cat $erc, for: $snippet"
}

# Text that exercises every formatting rule: empty-line runs, CR LF, tabs, control and high
# bytes, and a last line without its newline.
make_fixtures() {
  cd "$BATS_TEST_TMPDIR"
  printf '\n\n\nfirst\tline\r\n\n\n\nthird\x01\x7f\x80\x89\x8a\xff end\r\n\r\r\n\n' > text
  printf 'no newline at end\r' > partial
  printf '\nstarts with newline\n\n' > leading
  : > empty
  head -c 70000 /dev/urandom > binary
}
