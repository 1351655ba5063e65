#!/usr/bin/env bats
# splice-cat against GNU cat: every option, option spellings, operands, messages, exit status.
load 'splice-cat-common'

# The C locale: values in messages are quoted 'x' there (‘x’ under UTF-8, as GNU's quote()).
setup() {
  export LC_ALL=C
  make_fixtures
}

@test "each cat option, alone and combined, matches GNU cat across several files" {
  local opts
  for opts in "" -A -b -e -E -n -s -t -T -u -v -bn -nb -sn -sb -nE -bsA -vT -vE -sET \
              "--show-all" "--number-nonblank" "--show-ends" "--number" "--squeeze-blank" \
              "--show-tabs" "--show-nonprinting" "-n --number-nonblank"; do
    # shellcheck disable=SC2086
    same $opts text partial leading empty text partial binary partial
  done
}

@test "formatting state carries across operands and standard input" {
  STDIN=partial same -n text partial - leading
  STDIN=leading same -s leading - leading
  STDIN=partial same -E partial - leading     # "\r" at the end of one input, "\n" at the next
  STDIN=text same -bsA - - partial
}

@test "random inputs and option sets match GNU cat byte for byte" {
  run python3 - "$SC" "$ORACLE" <<'PY'
import random, subprocess, sys
prog, oracle = sys.argv[1], sys.argv[2]
rng = random.Random(20261125)
alphabet = b"\n\n\n\r\t a\x00\x1b\x7f\x80\x89\x8a\xa0\xff"
flags = ["-A", "-b", "-e", "-E", "-n", "-s", "-t", "-T", "-u", "-v"]
bad = 0
for case in range(100):
    files = []
    for k in range(rng.randint(1, 4)):
        data = bytes(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 2, 7, 60, 400])))
        name = f"fuzz{k}"
        open(name, "wb").write(data)
        files.append(name)
    opts = rng.sample(flags, rng.randint(1, 4))
    exp = subprocess.run([oracle] + opts + files, capture_output=True).stdout
    got = subprocess.run([prog] + opts + files, capture_output=True).stdout
    if exp != got:
        bad += 1
        print("MISMATCH", opts, [open(f, "rb").read() for f in files])
print("mismatches:", bad)
sys.exit(1 if bad else 0)
PY
  assert_success
  assert_output "mismatches: 0"
}

@test "line numbers past 999999 widen like GNU cat" {
  yes '' | head -n 1000003 > many
  same -n many
  same -bE many
}

@test "every byte value under -v, -A, -T and plain" {
  python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' > bytes
  same -v bytes
  same -A bytes
  same -T bytes
  same -e bytes
  same bytes
}

@test "operands: none, -, repeated -, --, options after operands" {
  STDIN=text same
  STDIN=text same -
  STDIN=text same - - text
  STDIN=text same -n -- text -
  STDIN=text same text -n
  printf 'x\n' > ./-n
  STDIN=text same -- -n
}

@test "long options may be abbreviated as with getopt_long; ambiguous ones are refused" {
  same --num text
  same --number-n text
  same --squeeze text
  same --show-a text
  same --num text
  # ambiguous among GNU cat's own names: GNU's message, GNU's list (not --stats)
  run "$SC" --s text
  assert_failure 1
  assert_line --index 0 "splice-cat: option '--s' is ambiguous; possibilities: '--squeeze-blank' '--show-nonprinting' '--show-ends' '--show-tabs' '--show-all'"
  run "$SC" --num text
  assert_failure 1
  assert_line --index 0 --partial "option '--num' is ambiguous; possibilities:"
}

@test "missing, unreadable and directory operands: message, carry on, exit 1" {
  mkdir dir
  same text nosuch partial
  same nosuch
  same dir text
  same 'with space' text
  same text nosuch dir text - nosuch
  if [ "$(id -u)" = 0 ]; then
    skip "running as root: a file without read permission is still readable"
  fi
  cp text locked && chmod 000 locked
  same text locked text
}

@test "input file is output file: refused exactly where GNU cat refuses" {
  cp text f
  same_sh 'cp text f; "$CAT" f >> f; echo "rc=$?"; cat f'
  same_sh 'cp text f; "$CAT" text f partial >> f; echo "rc=$?"; cat f'
  same_sh 'cp text f; "$CAT" f 1<>f; echo "rc=$?"; cat f'
  same_sh 'cp text f; "$CAT" < f > f; echo "rc=$?"; cat f'
  same_sh 'cp text f; "$CAT" -n - >> f < f; echo "rc=$?"; cat f'
  same_sh ': > e; "$CAT" e >> e; echo "rc=$?"; cat e'
  same_sh 'cp text f; "$CAT" f > /dev/null; echo "rc=$?"'
  # Input already read to its end: nothing left to copy, so not refused.
  same_sh 'cp text f; { cat > /dev/null; "$CAT" - >> f; echo "rc=$?"; } < f; cat f'
}

@test "standard input is read from where it stands" {
  same_sh '{ dd bs=5 count=1 status=none of=/dev/null; "$CAT"; } < text'
  same_sh '{ dd bs=5 count=1 status=none of=/dev/null; "$CAT" -n - -; } < text'
}

@test "closed standard input and standard output are reported as GNU cat does" {
  same_sh '"$CAT" <&-'
  same_sh '"$CAT" text >&-'
  same_sh '"$CAT" -n text >&-'
}

@test "usage errors: GNU messages and exit status 1" {
  same -x text
  same -nx text
  same -bn -Ez text
  same --frobnicate text
  same --number=3 text
  same --show-a=x text
  # the first problem in command-line order wins; --help and --version end the reading
  same -n --foo -z text
  same -n -z --foo text
  same --number=3 --foo text
  same --foo --number=3 text
  same -- -z --foo
  # --version and --help act where they stand (their texts differ by design: stdout left out)
  same_sh '"$CAT" --version --foo > /dev/null'
  same_sh '"$CAT" --foo --version > /dev/null'
  same_sh '"$CAT" --help -nz > /dev/null'
  same_sh '"$CAT" -nz --help > /dev/null'
  run "$SC" --help --num    # --help acts first, as with getopt
  assert_success
  assert_line --index 0 "Usage: splice-cat [OPTION]... [FILE]..."
  run "$SC" --header
  assert_failure 1
  assert_line --index 0 "splice-cat: option '--header' requires an argument"
  assert_line --index 1 "Try 'splice-cat --help' for more information."
  run "$SC" --no-splice=yes text
  assert_failure 1
  assert_line --index 0 "splice-cat: option '--no-splice' doesn't allow an argument"
  # a bad value of an extra is rejected where it stands, before what comes after it
  run "$SC" --offset x --foo --length y text
  assert_failure 1
  assert_line --index 0 "splice-cat: invalid offset: 'x'"
  run "$SC" --length y --offset x --help
  assert_failure 1
  assert_line --index 0 "splice-cat: invalid length: 'y'"
  run "$SC" --foo --offset x
  assert_line --index 0 "splice-cat: unrecognized option '--foo'"
  # a required value is the next word, whatever it looks like (getopt does the same)
  run "$SC" --header --num text
  assert_success
  assert_output "--num$(cat text)"
}

@test "--help and --version" {
  run "$SC" --help
  assert_success
  assert_line --index 0 "Usage: splice-cat [OPTION]... [FILE]..."
  assert_output --partial "-A, --show-all           equivalent to -vET"
  assert_output --partial "--header=TEXT"
  # GNU cat's option lines verbatim; the extras' descriptions in the same column
  while IFS= read -r line; do
    assert_line -- "$line"
  done < <(LC_ALL=C "$ORACLE" --help | grep -E '^ +-')
  column=$(grep -- '-A, --show-all ' <<< "$output" | sed -E 's/equivalent.*//' | wc -L)
  for extra in --header --header-file --offset --length --pipe-size --no-splice --progress --stats; do
    [ "$(grep -E -- "^      $extra( |\[|=)" <<< "$output" | sed -E 's/^( +--[^ ]+( [A-Z]+)? +).*/\1/' | wc -L)" = "$column" ] \
      || fail "$extra not aligned at column $column"
  done
  run "$SC" --version
  assert_success
  assert_line --index 0 --regexp '^splice-cat \(conduit\) [0-9]+\.[0-9]+\.[0-9]+$'
}
