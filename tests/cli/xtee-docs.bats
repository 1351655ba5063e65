#!/usr/bin/env bats
# xtee's man page and shell completions: lint-clean, loadable, offering the options.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'helpers/docs'

OPTIONS=(--append --ignore-interrupts --output-error --pipe-size --no-splice --progress --stats
         --help --version)

@test "man page is clean under mandoc -T lint -W warning" {
  assert_man_lint_clean xtee
}

@test "man page documents every option, the modes, the exit status and examples" {
  assert_man_documents xtee "${OPTIONS[@]}" warn-nopipe exit-nopipe SIGPIPE
}

@test "--help lists every option and MODE" {
  run "$CONDUIT_BIN/xtee" --help
  for word in "${OPTIONS[@]}" -a -i -p warn warn-nopipe exit exit-nopipe; do
    assert_output --partial -- "$word"
  done
}

@test "completions load in bash, zsh and fish and offer the options and modes" {
  run complete_bash xtee "xtee --output-error=e"
  assert_output $'exit\nexit-nopipe'
  assert_completions_offer xtee "xtee --" "${OPTIONS[@]}"
  assert_completions_load xtee
}
