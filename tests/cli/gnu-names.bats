#!/usr/bin/env bats
# What every command shares with GNU's tools (issue 12): the name it was invoked under in every
# message and in "Try 'X --help'", file names quoted by GNU's rules, and --help/--version
# output that cannot be written reported as "X: write error: reason" with status 1.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
  T="$BATS_TEST_TMPDIR"
  export LC_ALL=C
  for c in splice-cat xtee splice-net hw-encrypt; do ln -s "$CONDUIT_BIN/$c" "$T/my-$c"; done
}

@test "--help and --version write errors are reported, every command and subcommand" {
  for words in "splice-cat --help" "splice-cat --version" "xtee --help" "xtee --version" \
               "splice-net --help" "splice-net --version" "splice-net send --help" \
               "splice-net recv --help" "splice-net serve --help" "splice-net fanout --help" \
               "splice-net relay --help" "hw-encrypt --help" "hw-encrypt --version"; do
    set -- $words
    run bash -c "'$CONDUIT_BIN/$1' ${*:2} > /dev/full"
    [ "$status" = 1 ] || fail "$words > /dev/full: status $status"
    [ "$output" = "$1: write error: No space left on device" ] || fail "$words: '$output'"
    run "$CONDUIT_BIN/$1" "${@:2}"
    [ "$status" = 0 ] || fail "$words: status $status"
  done
}

@test "every command names itself as invoked, in messages and in Try '... --help'" {
  for c in splice-cat xtee splice-net hw-encrypt; do
    run "$T/my-$c" --bogus
    assert_failure
    assert_output "my-$c: unrecognized option '--bogus'
Try 'my-$c --help' for more information."
  done
  run "$T/my-splice-net" send --bogus
  assert_output --partial "Try 'my-splice-net --help'"
  run "$T/my-splice-cat" /nonexistent
  assert_output "my-splice-cat: /nonexistent: No such file or directory"
  run bash -c "echo x | '$T/my-xtee' /nonexistent/f"
  assert_output --partial "my-xtee: /nonexistent/f: No such file or directory"
  run "$T/my-hw-encrypt" -k /nonexistent/key
  assert_output --partial "my-hw-encrypt: /nonexistent/key: No such file or directory"
  run "$T/my-splice-net" send 127.0.0.1:1 /nonexistent/f
  assert_output --partial "my-splice-net: /nonexistent/f: No such file or directory"
}

@test "file names in every command's messages are quoted as GNU quotes them" {
  local name=$'/nonexistent/a\nb\033[31m'
  local quoted="'/nonexistent/a'\$'\\n''b'\$'\\033''[31m'"
  run "$CONDUIT_BIN/splice-cat" "$name"
  assert_output "splice-cat: $quoted: No such file or directory"
  run bash -c 'echo x | "$0" "$1" > /dev/null' "$CONDUIT_BIN/xtee" "$name"
  assert_output "xtee: $quoted: No such file or directory"
  run "$CONDUIT_BIN/hw-encrypt" -k "$name"
  assert_output --partial "hw-encrypt: $quoted: No such file or directory"
  run "$CONDUIT_BIN/splice-net" send 127.0.0.1:1 "$name"
  assert_output --partial "splice-net: $quoted: No such file or directory"
  [[ "$output" != *$'\033'* ]] || fail "raw ESC reached stderr"
}
