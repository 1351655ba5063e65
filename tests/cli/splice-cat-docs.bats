#!/usr/bin/env bats
# splice-cat's man page and shell completions: lint-clean, loadable, offering the options.
load 'splice-cat-common'
load 'helpers/docs'

OPTIONS=(--show-all --number-nonblank --show-ends --number --squeeze-blank --show-tabs
         --show-nonprinting --header --header-file --offset --length --pipe-size --no-splice
         --progress --stats --follow --retry --pid --sleep-interval --file-headers
         --help --version)

@test "man page is clean under mandoc -T lint -W warning" {
  assert_man_lint_clean splice-cat
}

@test "man page documents every option, the exit status and examples" {
  assert_man_documents splice-cat "${OPTIONS[@]}"
}

@test "--help lists every option" {
  run "$SC" --help
  for opt in "${OPTIONS[@]}"; do
    assert_output --partial -- "$opt"
  done
}

@test "completions load in bash, zsh and fish and offer the options" {
  run complete_bash splice-cat "splice-cat --stats=j"
  assert_output json
  assert_completions_offer splice-cat "splice-cat --" "${OPTIONS[@]}"
  assert_completions_load splice-cat
}
