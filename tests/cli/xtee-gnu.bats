#!/usr/bin/env bats
# xtee installed as `tee`: what GNU coreutils' own tests check of tee (v9.1: misc/tee.sh,
# help-version.sh, invalid-opt.pl, usage_vs_getopt.sh, tty-eof; master: tests/tee/*,
# misc/io-errors.sh, write-errors.sh, read-errors.sh), checked by our own cases against GNU tee
# 9.1 run the same way (helpers/gnu.bash).
# GNU's own test suite is not run here: Debian's coreutils source package is not fetched.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'helpers/gnu'

setup() {
  gnu_setup
  export LC_ALL=C
  cd "$T/work"
  head -c 1048576 /dev/urandom > in1m
}

@test "tee: messages name the command as invoked and quote file names as GNU does (C and UTF-8)" {
  for loc in C C.UTF-8; do
    same_as_gnu "export LC_ALL=$loc; echo x | tee /nonexistent/\$'a\\nb' /nonexistent/\"it's\" /nonexistent/\$'\\xc3\\xa9' /nonexistent/\$'\\xff' a:b"
    same_as_gnu "export LC_ALL=$loc; echo x | tee > /dev/full"
    same_as_gnu "export LC_ALL=$loc; echo x | tee --output-error=warn /dev/full 'x y'; cat 'x y'"
  done
}

@test "tee: --output-error values: empty, ambiguous, invalid, as GNU's argmatch says (C and UTF-8)" {
  for loc in C C.UTF-8; do
    for v in "" e w bogus "it's" "\$'a\\nb'" "\$'\\xc3\\xa9'" exit-nopipe warn; do
      same_as_gnu "export LC_ALL=$loc; tee --output-error=$v < /dev/null"
    done
  done
}

@test "tee: exit modes stop before any output when a FILE cannot be opened" {
  for mode in exit exit-nopipe; do
    same_as_gnu "echo x | tee --output-error=$mode g /nonexistent/f h; ls"
  done
  run_as bin "echo x | tee --output-error=exit /nonexistent/f g"
  [ ! -e "$T/run.bin/g" ] || fail "a later FILE was created"
  [ ! -s "$T/bin.out" ] || fail "standard output got data"
  [ "$(cat "$T/bin.status")" = 1 ]
  # Without an exit mode the others go on, as in GNU.
  same_as_gnu "echo x | tee g /nonexistent/f h; cat g h"
}

@test "tee: in exit modes a failing output stops the run before the others get more than one buffer" {
  for mode in exit exit-nopipe; do
    for input in "< in1m" "cat in1m |"; do
      run_as bin "$input tee --output-error=$mode g /dev/full > out; s=\$?; wc -c < out; wc -c < g; exit \$s"
      [ "$(cat "$T/bin.status")" = 1 ] || fail "status $(cat "$T/bin.status")"
      run cat "$T/bin.err"
      assert_output "tee: /dev/full: No space left on device"
      local out g
      { read -r out; read -r g; } < "$T/bin.out"
      [ "$out" -le 8192 ] && [ "$g" -le 8192 ] || fail "$mode, $input: stdout $out, g $g bytes"
    done
  done
  # GNU's own limit is its 8 KiB buffer: never more than GNU.
  run_as gnubin "tee --output-error=exit /dev/full < in1m | wc -c"
  [ "$(cat "$T/gnubin.out")" -le 8192 ]
  # A healthy run in an exit mode is still complete.
  run_as bin "cat in1m | tee --output-error=exit g | cmp - in1m && cmp g in1m"
  [ "$(cat "$T/bin.status")" = 0 ]
  run_as bin "tee --output-error=exit-nopipe g < in1m | cmp - in1m && cmp g in1m"
  [ "$(cat "$T/bin.status")" = 0 ]
  run_as bin "printf '' | tee --output-error=exit g; wc -c < g"
  [ "$(cat "$T/bin.out")" = 0 ]
}

@test "tee: usage errors and GNU's abbreviations (invalid-opt)" {
  for args in --invalid-opt -/ --- -y --help=x --append=1 "--output-err=bogus" --o=e; do
    same_as_gnu "tee $args < /dev/null"
  done
  for abbrev in --h --he --hel; do
    run "$T/bin/tee" $abbrev
    assert_success
    assert_line --index 0 "Usage: tee [OPTION]... [FILE]..."
  done
  same_as_gnu "echo x | tee --ap --ig --output-e=warn g; cat g"
}

@test "tee: every option --help lists is accepted as written there (usage_vs_getopt)" {
  run "$T/bin/tee" --help
  assert_success
  local opts
  opts=$(grep -oE -- '--[a-z][a-z-]*(=[A-Z]+|\[=[A-Z]+\])?' <<< "$output" | sort -u)
  [ "$(wc -l <<< "$opts")" -ge 8 ] || fail "too few options found: $opts"
  for opt in $opts; do
    opt=${opt/\[=*\]/}
    opt=${opt/=SIZE/=64K}
    [ "$opt" != --version ] || continue  # it acts first, as in GNU
    run "$T/bin/tee" "$opt" --help
    [ "$status" = 0 ] || fail "'tee $opt --help' exits $status: $output"
    [[ "${lines[0]}" == "Usage: tee "* ]] || fail "'tee $opt --help' printed: ${lines[0]}"
  done
}

@test "tee: --help and --version report write errors as GNU does (help-version)" {
  same_as_gnu "tee --help > /dev/full"
  same_as_gnu "tee --version > /dev/full"
}

@test "tee: POSIXLY_CORRECT stops options at the first operand" {
  same_as_gnu "echo x | POSIXLY_CORRECT=1 tee f -a; ls; cat ./-a"
  same_as_gnu "echo x | tee f -a; ls"
}

@test "tee: files, -a, the same file twice, '-' as a file name (tee.sh)" {
  same_as_gnu "echo a | tee t1 t2; echo b | tee -a t1 t1; cat t1 t2"
  same_as_gnu "echo a | tee -; cat ./-"
  same_as_gnu "echo a | tee; echo rc=\$?"
  same_as_gnu "tee < in1m t1 | cmp - in1m && cmp t1 in1m"
}

@test "tee: read and write errors, named as GNU names them (read-errors, write-errors, io-errors)" {
  same_as_gnu "tee < ."
  same_as_gnu "tee t1 < .; ls"
  same_as_gnu "timeout 10 tee < /dev/zero > /dev/full"
  same_as_gnu "echo x | tee /dev/full; echo rc=\$?"
  same_as_gnu "echo x | tee -p /dev/full > /dev/null"
}

@test "tee: reading a terminal ends at EOF (tty-eof)" {
  run timeout 20 python3 "$CONDUIT_SRC/tests/cli/helpers/tty_eof.py" "$T/bin/tee"
  assert_success
  assert_output "0 b'abc\\r\\nabc\\r\\n'"
}

@test "tee: a reader that leaves early kills tee by SIGPIPE as with GNU (pipes sized to the work)" {
  head -c 512000 /dev/urandom > z500k
  same_as_gnu 'tee < z500k | head -c1 > /dev/null; echo "${PIPESTATUS[0]}"'
  run bash -c "'$T/bin/tee' < in1m | python3 -c 'import fcntl, time; time.sleep(0.5); print(fcntl.fcntl(0, 1032))'"
  assert_output 262144
}
