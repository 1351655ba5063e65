#!/usr/bin/env bats
# libconduit as an installed library: `cmake --install` of the build into a temporary prefix, then
# the example in examples/ built against that copy (never the build tree) both ways a user would,
# find_package(conduit) and pkg-config, and run.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

setup_file() {
  export BUILD_DIR="$(cd "$CONDUIT_BIN/.." && pwd)"
  export PREFIX="$BATS_FILE_TMPDIR/prefix"
  cmake --install "$BUILD_DIR" --prefix "$PREFIX" >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
  export PC_DIR="$(dirname "$(find "$PREFIX" -name conduit.pc | head -1)")"
  export LIB="$(find "$PREFIX" -name 'libconduit.a' -o -name 'libconduit.so' | head -1)"
  # A shared build (-DCONDUIT_SHARED=ON): the pkg-config build has no run path to the library.
  export LD_LIBRARY_PATH="$(dirname "$LIB")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # A sanitizer build (make test-asan) installs an instrumented library: its users need the runtime.
  export SAN_FLAGS=""
  if grep -qa __asan_init "$CONDUIT_BIN/xtee"; then SAN_FLAGS="-fsanitize=address,undefined"; fi
  # Input for the recorder: several pipe-fulls, not a multiple of the page size.
  head -c 3000001 /dev/urandom > "$BATS_FILE_TMPDIR/in"
}

# record RECORDER: runs it between two pipes (so tee(2) and splice can do the work) and checks
# that standard output and the recording both hold exactly the input's bytes.
record() {
  local dir="$BATS_TEST_TMPDIR"
  cat "$BATS_FILE_TMPDIR/in" | "$1" --stats "$dir/rec" 2>"$dir/stats" | cat > "$dir/out"
  cmp "$BATS_FILE_TMPDIR/in" "$dir/out"
  cmp "$BATS_FILE_TMPDIR/in" "$dir/rec"
  # The library chose its zero-copy paths: pages were duplicated with tee(2).
  grep -Eq '"tee": *[1-9]' "$dir/stats" || { cat "$dir/stats"; false; }
  # And from a regular file into a regular file (copying lanes).
  "$1" "$dir/rec2" < "$BATS_FILE_TMPDIR/in" > "$dir/out2"
  cmp "$BATS_FILE_TMPDIR/in" "$dir/out2"
  cmp "$BATS_FILE_TMPDIR/in" "$dir/rec2"
}

@test "install: the library, its headers, CMake package and pkg-config files" {
  assert_file_exists "$LIB"
  assert_file_exists "$PREFIX/include/conduit/fanout.hpp"
  assert_file_exists "$PREFIX/include/conduit/crypto/stream.hpp"
  assert_file_exists "$PREFIX/include/conduit/version.hpp"
  assert_file_exists "$PC_DIR/conduit.pc"
  assert_file_exists "$(dirname "$PC_DIR")/cmake/conduit/conduit-config.cmake"
  assert_file_exists "$(dirname "$PC_DIR")/cmake/conduit/conduit-config-version.cmake"
  # Option parsing (CLI11) belongs to the commands, not to the library.
  assert_file_not_exists "$PREFIX/include/conduit/cli.hpp"
  run grep -rl 'CLI/\|conduit/cli.hpp' "$PREFIX/include"
  assert_failure
  run bash -c "nm -C '$LIB' | grep -c 'CLI::'"
  assert_output 0
  if [[ $LIB == *.so ]]; then
    # A shared libconduit exports its API, namespace conduit, and nothing else (conduit.map).
    run bash -c "nm -D --defined-only -C '$LIB' | cut -c20- | grep -vc '^\(typeinfo \(name \)\?for \|vtable for \)\?conduit::'"
    assert_output 0
  fi
}

@test "install: every installed header compiles on its own from the installed tree" {
  cd "$PREFIX/include"
  for h in $(find conduit -name '*.hpp' | sort); do
    echo "#include <$h>" | g++ -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$PREFIX/include" \
      -x c++ - || { echo "header $h"; return 1; }
  done
}

@test "pkg-config: conduit.pc finds the installed tree wherever it was installed" {
  run env PKG_CONFIG_PATH="$PC_DIR" pkg-config --modversion conduit
  assert_success
  assert_output "$(sed -n 's/.*kVersion = "\(.*\)".*/\1/p' "$PREFIX/include/conduit/version.hpp")"
  run env PKG_CONFIG_PATH="$PC_DIR" pkg-config --cflags --libs conduit
  assert_success
  assert_output --partial "-I$PC_DIR/../../include"
  assert_output --partial "-lconduit"
}

@test "example: built with find_package(conduit) against the installed copy, records its input" {
  local b="$BATS_TEST_TMPDIR/build"
  cmake -S "$CONDUIT_SRC/examples" -B "$b" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$SAN_FLAGS" >"$BATS_TEST_TMPDIR/cmake.log" 2>&1 ||
    { cat "$BATS_TEST_TMPDIR/cmake.log"; return 1; }
  # It found the installed package, not the build tree.
  run grep '^conduit_DIR:' "$b/CMakeCache.txt"
  assert_output --partial "$PREFIX/"
  cmake --build "$b" >"$BATS_TEST_TMPDIR/build.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/build.log"; return 1; }
  run "$b/recorder" --version
  assert_success
  assert_output --regexp '^recorder \(libconduit [0-9]+\.[0-9]+\.[0-9]+\)$'
  record "$b/recorder"
}

@test "example: built with pkg-config against the installed copy, records its input" {
  local out="$BATS_TEST_TMPDIR"
  PKG_CONFIG_PATH="$PC_DIR" make -s -C "$CONDUIT_SRC/examples" OUT="$out" CXXFLAGS="-O2 -g $SAN_FLAGS" >"$out/make.log" 2>&1 ||
    { cat "$out/make.log"; return 1; }
  record "$out/recorder"
}

@test "example: a failing output is reported and stops the recording" {
  local out="$BATS_TEST_TMPDIR"
  PKG_CONFIG_PATH="$PC_DIR" make -s -C "$CONDUIT_SRC/examples" OUT="$out" CXXFLAGS="-O2 -g $SAN_FLAGS" >"$out/make.log" 2>&1 ||
    { cat "$out/make.log"; return 1; }
  run bash -c "'$out/recorder' '$out/rec' < '$BATS_FILE_TMPDIR/in' > /dev/full"
  assert_failure 1
  assert_output "recorder: standard output: No space left on device"
}
