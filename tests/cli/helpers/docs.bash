# docs.bash: the man page and shell completion checks every command's tests share.
# Load with `load 'helpers/docs'` after bats-support and bats-assert. Each assert_* fails the
# test with a message; a shell or tool that is missing is a visible skip, after the checks that
# could run.

# assert_man_lint_clean CMD: man/CMD.1 has no warning under mandoc -T lint, and no Fl that
# takes the words after a delimiter for flags too (".Fl -tls ; relay, with" renders
# "--tls; -relay, -with": a word after the delimiter needs No).
assert_man_lint_clean() {
  command -v mandoc > /dev/null || skip "mandoc not installed"
  run mandoc -T lint -W warning "$CONDUIT_SRC/man/$1.1"
  assert_success
  assert_output ""
  run sh -c 'mandoc -T lint -W style "$1" 2>&1 | grep "no blank before trailing delimiter: Fl "' sh \
    "$CONDUIT_SRC/man/$1.1"
  assert_output ""
  # the same without a delimiter: ".Fl -tls or Fl -tls-target" renders "--tls -or --tls-target"
  run sh -c 'mandoc -T ascii "$1" 2> /dev/null | col -b | grep -E -- "(^|[ (])-(or|and|with)([ ,;.)]|$)"' sh \
    "$CONDUIT_SRC/man/$1.1"
  assert_output ""
}

# assert_man_documents CMD WORD...: man/CMD.1, as mandoc renders it, has the sections every
# command's page has (SYNOPSIS, DESCRIPTION, DATA PATHS, EXIT STATUS, EXAMPLES) and mentions
# each WORD.
assert_man_documents() {
  command -v mandoc >/dev/null || skip "mandoc not installed"
  local cmd=$1 text section word
  shift
  text=$(mandoc -T ascii "$CONDUIT_SRC/man/$cmd.1" | col -b)
  for section in SYNOPSIS DESCRIPTION "DATA PATHS" "EXIT STATUS" EXAMPLES; do
    grep -q "^$section" <<< "$text" || fail "no $section section"
  done
  for word in "$@"; do
    grep -q -- "$word" <<< "$text" || fail "$word not documented"
  done
}

# complete_bash CMD LINE: what CMD's bash completion offers, one per line, after LINE (words
# split at spaces; a LINE ending in a space completes a new empty word).
complete_bash() {
  bash -c 'source "$1" || exit 1
    read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=$2; COMP_POINT=${#2}
    "_${3//-/_}" && printf "%s\n" "${COMPREPLY[@]}"' \
    complete_bash "$CONDUIT_SRC/completions/bash/$1" "$2" "$1"
}

# complete_zsh CMD LINE: the terminal output of zsh (completions from completions/zsh first in
# fpath) after LINE and TAB.
complete_zsh() {
  timeout 30 zsh -f "$CONDUIT_SRC/tests/cli/helpers/zcomplete.zsh" "$CONDUIT_SRC/completions/zsh" "$2"
}

# complete_fish CMD LINE: fish's candidates after LINE, "word<TAB>description" per line.
complete_fish() {
  fish -c 'source $argv[1]; or exit 1; complete -C$argv[2]' \
    "$CONDUIT_SRC/completions/fish/$1.fish" "$2"
}

# assert_completions_load CMD: the bash file registers _CMD for CMD; the zsh file parses and
# loads under compinit; the fish file sources cleanly.
assert_completions_load() {
  local cmd=$1 missing=()
  run bash -c "source '$CONDUIT_SRC/completions/bash/$cmd' && complete -p $cmd"
  assert_success
  assert_line --index 0 --partial -- "-F _${cmd//-/_} $cmd"
  if command -v zsh > /dev/null; then
    run zsh -n "$CONDUIT_SRC/completions/zsh/_$cmd"
    assert_success
    run zsh -fc "autoload -Uz compinit && compinit -u -D; source '$CONDUIT_SRC/completions/zsh/_$cmd'; echo loaded"
    assert_success
    assert_output --partial loaded
  else
    missing+=(zsh)
  fi
  if command -v fish > /dev/null; then
    run fish -c "source '$CONDUIT_SRC/completions/fish/$cmd.fish'"
    assert_success
    assert_output ""
  else
    missing+=(fish)
  fi
  [ ${#missing[@]} -eq 0 ] || skip "not installed: ${missing[*]}"
}

# assert_completions_offer CMD LINE OPTION...: bash, zsh and fish each offer every OPTION
# (a --long option) after LINE and TAB.
assert_completions_offer() {
  local cmd=$1 line=$2 opt offered missing=()
  shift 2
  run complete_bash "$cmd" "$line"
  assert_success
  for opt in "$@"; do assert_line -- "$opt"; done
  if command -v zsh > /dev/null; then
    run complete_zsh "$cmd" "$line"
    offered=$(printf '%s' "$output" | tr -d '\r' | grep -o -- '--[a-z0-9-]*' | sort -u)
    for opt in "$@"; do
      grep -qx -- "$opt" <<< "$offered" || fail "zsh does not offer $opt after '$line'"
    done
  else
    missing+=(zsh)
  fi
  if command -v fish > /dev/null; then
    run complete_fish "$cmd" "$line"
    assert_success
    for opt in "$@"; do assert_line --regexp "^$opt"$'\t'; done
  else
    missing+=(fish)
  fi
  [ ${#missing[@]} -eq 0 ] || skip "not installed: ${missing[*]}"
}
