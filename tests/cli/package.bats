#!/usr/bin/env bats
# make package: the Debian package holds every command, its man page and completions in the
# standard places, and what it installs runs. Unpacked into a staging root, never installed.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

COMMANDS="splice-cat xtee splice-net hw-encrypt"

setup_file() {
  export BUILD_DIR="$(cd "$CONDUIT_BIN/.." && pwd)"
  export PKG_DIR="$BATS_FILE_TMPDIR/pkg"
  export ROOT="$BATS_FILE_TMPDIR/root"
  mkdir -p "$PKG_DIR" "$ROOT"
  (cd "$BUILD_DIR" && cpack -G DEB -B "$PKG_DIR" >"$PKG_DIR/cpack.log" 2>&1) || {
    cat "$PKG_DIR/cpack.log" >&3; return 1; }
  dpkg-deb -x "$PKG_DIR"/conduit_*.deb "$ROOT"
}

built_commands() {
  for c in $COMMANDS; do [ -x "$CONDUIT_BIN/$c" ] && echo "$c"; done
}

@test "the package is a valid Debian package named conduit" {
  run dpkg-deb -f "$PKG_DIR"/conduit_*.deb Package Version Architecture
  assert_success
  assert_line "Package: conduit"
  assert_line --regexp '^Version: [0-9]+\.[0-9]+\.[0-9]+'
}

@test "every built command is installed in /usr/bin and runs" {
  for c in $(built_commands); do
    assert_file_executable "$ROOT/usr/bin/$c"
    run "$ROOT/usr/bin/$c" --version
    assert_success
    assert_line --index 0 --regexp "^$c \(conduit\) [0-9]"
  done
}

@test "every installed command has a man page that man -l renders" {
  for c in $(built_commands); do
    page="$ROOT/usr/share/man/man1/$c.1"
    assert_file_exists "$page"
    run env MANWIDTH=80 man -l "$page"
    assert_success
    assert_output --partial "$c"
  done
}

@test "every installed command has bash, zsh and fish completions that load" {
  for c in $(built_commands); do
    b="$ROOT/usr/share/bash-completion/completions/$c"
    z="$ROOT/usr/share/zsh/vendor-completions/_$c"
    f="$ROOT/usr/share/fish/vendor_completions.d/$c.fish"
    assert_file_exists "$b"; assert_file_exists "$z"; assert_file_exists "$f"
    run bash -c "source /usr/share/bash-completion/bash_completion 2>/dev/null; source '$b' && complete -p $c"
    assert_success
    run zsh -n "$z"
    assert_success
    run fish -c "source '$f'; complete -C'$c --'"
    assert_success
    assert_output --partial -- "--"
  done
}

@test "the installed splice-cat moves bytes like cat" {
  [ -x "$ROOT/usr/bin/splice-cat" ] || skip "splice-cat not built"
  head -c 1000000 /dev/urandom > "$BATS_TEST_TMPDIR/in"
  "$ROOT/usr/bin/splice-cat" "$BATS_TEST_TMPDIR/in" | cmp - "$BATS_TEST_TMPDIR/in"
}
