#!/usr/bin/env bats
# make package: the Debian packages. conduit holds every command (stripped), its man page (gzipped)
# and completions in the standard places, with copyright and changelog, and what it installs runs;
# libconduit-dev holds the library's development files; lintian finds no errors in either.
# Unpacked into staging roots, never installed.

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
  export DEV_ROOT="$BATS_FILE_TMPDIR/dev-root"
  mkdir -p "$DEV_ROOT"
  dpkg-deb -x "$PKG_DIR"/libconduit-dev_*.deb "$DEV_ROOT"
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
    page="$ROOT/usr/share/man/man1/$c.1.gz"
    assert_file_exists "$page"
    # gzip -9n: no file name, no time stamp (Debian policy 12.1, reproducible builds).
    run od -An -tx1 -N8 "$page"
    assert_output " 1f 8b 08 00 00 00 00 00"
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

@test "the installed commands are stripped, their debug symbols in a -dbgsym package" {
  for c in $(built_commands); do
    run file -L "$ROOT/usr/bin/$c"
    assert_output --partial ", stripped"
  done
  run dpkg-deb -c "$PKG_DIR"/conduit-dbgsym_*.ddeb
  assert_success
  assert_output --partial "./usr/lib/debug/.build-id/"
}

@test "each package ships a machine-readable copyright and a gzipped changelog" {
  for doc in "$ROOT/usr/share/doc/conduit" "$DEV_ROOT/usr/share/doc/libconduit-dev"; do
    assert_file_exists "$doc/copyright"
    run head -1 "$doc/copyright"
    assert_output "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    run bash -c "gzip -dc '$doc/changelog.gz' | head -1"
    assert_output --regexp "^conduit \($(dpkg-deb -f "$PKG_DIR"/conduit_*.deb Version)\) "
  done
}

@test "libconduit-dev holds the headers, the library, the CMake package and conduit.pc" {
  run dpkg-deb -f "$PKG_DIR"/libconduit-dev_*.deb Package Section
  assert_line "Package: libconduit-dev"
  assert_line "Section: libdevel"
  assert_file_exists "$DEV_ROOT/usr/include/conduit/fanout.hpp"
  assert_file_exists "$DEV_ROOT/usr/include/conduit/version.hpp"
  assert_file_not_exists "$DEV_ROOT/usr/include/conduit/cli.hpp"
  run find "$DEV_ROOT/usr/lib" -name 'libconduit.*' -o -name conduit-config.cmake -o -name conduit.pc
  assert_line --partial "/conduit-config.cmake"
  assert_line --partial "/conduit.pc"
  assert_line --regexp "/libconduit\.(a|so)$"
  # The commands' package holds no development files.
  run find "$ROOT" -name '*.hpp' -o -name '*.a' -o -name '*.pc'
  assert_output ""
}

@test "lintian finds no errors in the packages" {
  command -v lintian >/dev/null || skip "lintian is not installed (Debian: lintian)"
  run lintian --fail-on error \
    "$PKG_DIR"/conduit_*.deb "$PKG_DIR"/libconduit-dev_*.deb
  echo "$output"
  assert_success
  refute_output --regexp '^E: '
}
