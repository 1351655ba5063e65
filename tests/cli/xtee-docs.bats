#!/usr/bin/env bats
# xtee's man page and shell completions: lint-clean, loadable, offering the options.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

OPTIONS=(--append --ignore-interrupts --output-error --pipe-size --no-splice --progress --stats
         --help --version)

@test "man page is clean under mandoc -T lint -W warning" {
  command -v mandoc >/dev/null || skip "mandoc not installed"
  run mandoc -T lint -W warning "$CONDUIT_SRC/man/xtee.1"
  assert_success
  assert_output ""
}

@test "man page documents every option, the modes, the exit status and examples" {
  command -v mandoc >/dev/null || skip "mandoc not installed"
  text=$(mandoc -T ascii "$CONDUIT_SRC/man/xtee.1" | col -b)
  for section in SYNOPSIS DESCRIPTION "DATA PATHS" "EXIT STATUS" EXAMPLES; do
    grep -q "^$section" <<< "$text" || fail "no $section section"
  done
  for word in "${OPTIONS[@]}" warn-nopipe exit-nopipe SIGPIPE; do
    grep -q -- "$word" <<< "$text" || fail "$word not documented"
  done
}

@test "--help lists every option and MODE" {
  run "$CONDUIT_BIN/xtee" --help
  for word in "${OPTIONS[@]}" -a -i -p warn warn-nopipe exit exit-nopipe; do
    assert_output --partial -- "$word"
  done
}

@test "bash completion loads and offers the options and modes" {
  run bash -c "source '$CONDUIT_SRC/completions/bash/xtee' && complete -p xtee &&
    COMP_WORDS=(xtee --); COMP_CWORD=1; _xtee; printf '%s\n' \"\${COMPREPLY[@]}\""
  assert_success
  assert_line --index 0 --partial "-F _xtee xtee"
  for opt in "${OPTIONS[@]}"; do assert_line -- "$opt"; done
  run bash -c "source '$CONDUIT_SRC/completions/bash/xtee' &&
    COMP_WORDS=(xtee --output-error=e); COMP_CWORD=1; _xtee; echo \"\${COMPREPLY[@]}\""
  assert_output "exit exit-nopipe"
}

@test "zsh completion loads and offers the options" {
  command -v zsh >/dev/null || skip "zsh not installed"
  run zsh -n "$CONDUIT_SRC/completions/zsh/_xtee"
  assert_success
  run zsh -c "autoload -U compinit; compinit -u; source '$CONDUIT_SRC/completions/zsh/_xtee' 2>&1; true"
  assert_success
  helper="$BATS_TEST_DIRNAME/splice-cat-zcomplete.zsh"
  [ -f "$helper" ] || skip "no zpty helper to drive a completion"
  run timeout 30 zsh -f "$helper" "$CONDUIT_SRC/completions/zsh" "xtee --"
  offered=$(printf '%s' "$output" | tr -d '\r' | grep -o -- '--[a-z-]*' | sort -u)
  for opt in "${OPTIONS[@]}"; do
    grep -qx -- "$opt" <<< "$offered" || fail "zsh does not offer $opt"
  done
}

@test "fish completion loads and offers the options" {
  command -v fish >/dev/null || skip "fish not installed"
  run fish -c "source '$CONDUIT_SRC/completions/fish/xtee.fish'; complete -C'xtee --'"
  assert_success
  for opt in "${OPTIONS[@]}"; do
    assert_line --regexp "^$opt"$'\t'
  done
}
