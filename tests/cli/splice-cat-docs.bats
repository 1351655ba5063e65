#!/usr/bin/env bats
# splice-cat's man page and shell completions: lint-clean, loadable, offering the options.
load 'splice-cat-common'

OPTIONS=(--show-all --number-nonblank --show-ends --number --squeeze-blank --show-tabs
         --show-nonprinting --header --header-file --offset --length --pipe-size --no-splice
         --progress --stats --help --version)

@test "man page is clean under mandoc -T lint -W warning" {
  command -v mandoc >/dev/null || skip "mandoc not installed"
  run mandoc -T lint -W warning "$CONDUIT_SRC/man/splice-cat.1"
  assert_success
  assert_output ""
}

@test "man page documents every option, the exit status and examples" {
  command -v mandoc >/dev/null || skip "mandoc not installed"
  text=$(mandoc -T ascii "$CONDUIT_SRC/man/splice-cat.1" | col -b)
  for section in SYNOPSIS DESCRIPTION "DATA PATHS" "EXIT STATUS" EXAMPLES; do
    grep -q "^$section" <<< "$text" || fail "no $section section"
  done
  for opt in "${OPTIONS[@]}"; do
    grep -q -- "$opt" <<< "$text" || fail "$opt not documented"
  done
}

@test "--help lists every option" {
  run "$SC" --help
  for opt in "${OPTIONS[@]}"; do
    assert_output --partial -- "$opt"
  done
}

@test "bash completion loads and offers the options" {
  run bash -c "source '$CONDUIT_SRC/completions/bash/splice-cat' && complete -p splice-cat &&
    COMP_WORDS=(splice-cat --); COMP_CWORD=1; _splice_cat; printf '%s\n' \"\${COMPREPLY[@]}\""
  assert_success
  assert_line --index 0 --partial "-F _splice_cat splice-cat"
  for opt in "${OPTIONS[@]}"; do assert_line -- "$opt"; done
  run bash -c "source '$CONDUIT_SRC/completions/bash/splice-cat' &&
    COMP_WORDS=(splice-cat --stats=j); COMP_CWORD=1; _splice_cat; echo \"\${COMPREPLY[@]}\""
  assert_output json
}

@test "zsh completion loads and offers the options" {
  command -v zsh >/dev/null || skip "zsh not installed"
  run zsh -n "$CONDUIT_SRC/completions/zsh/_splice-cat"
  assert_success
  run timeout 30 zsh -f "$BATS_TEST_DIRNAME/splice-cat-zcomplete.zsh" \
    "$CONDUIT_SRC/completions/zsh" "splice-cat --"
  offered=$(printf '%s' "$output" | tr -d '\r' | grep -o -- '--[a-z-]*' | sort -u)
  for opt in "${OPTIONS[@]}"; do
    grep -qx -- "$opt" <<< "$offered" || fail "zsh does not offer $opt"
  done
}

@test "fish completion loads and offers the options" {
  command -v fish >/dev/null || skip "fish not installed"
  run fish -c "source '$CONDUIT_SRC/completions/fish/splice-cat.fish'; complete -C'splice-cat --'"
  assert_success
  for opt in "${OPTIONS[@]}"; do
    assert_line --regexp "^$opt"$'\t'
  done
}
