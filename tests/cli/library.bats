#!/usr/bin/env bats
# libconduit as an installed library: `cmake --install` of the build into a temporary prefix, then
# the examples in examples/ built against that copy (never the build tree) both ways a user would,
# find_package(conduit) and pkg-config, and run: the recorder (Fanout), the HTTP file server
# (net::FileServer, fetched with curl) and the sealer (crypto::StreamSealer/StreamOpener, checked
# against hw-encrypt both ways).

# net.bash: bg, listen_port, exit_of and a teardown that reaps what bg started.
load 'helpers/net'

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

# examples: builds the examples once with find_package(conduit) against the installed copy, into
# $EXAMPLES (the folder of the programs).
examples() {
  export EXAMPLES="$BATS_FILE_TMPDIR/examples"
  [ -x "$EXAMPLES/seal" ] && [ -x "$EXAMPLES/file_server" ] && return 0
  cmake -S "$CONDUIT_SRC/examples" -B "$EXAMPLES" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$SAN_FLAGS" >"$BATS_FILE_TMPDIR/examples.log" 2>&1 &&
    cmake --build "$EXAMPLES" >>"$BATS_FILE_TMPDIR/examples.log" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/examples.log"; return 1; }
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

@test "install: LIBRARY.md and the examples come with the development files" {
  assert_file_exists "$PREFIX/share/doc/libconduit-dev/LIBRARY.md"
  for f in CMakeLists.txt Makefile recorder.cpp file_server.cpp seal.cpp; do
    assert_file_exists "$PREFIX/share/doc/libconduit-dev/examples/$f"
  done
}

@test "example file_server: curl gets a file whole and a range, the program logs and stops itself" {
  examples
  mkdir -p "$T/www/sub"
  head -c 300001 /dev/urandom > "$T/www/sub/video.ts"
  bg "$EXAMPLES/file_server" --requests 3 "$T/www" 127.0.0.1:0 2> "$T/server.log"
  local pid=$LAST port
  port=$(listen_port "$T/server.log")
  curl -sSf --max-time 20 "http://127.0.0.1:$port/sub/video.ts" -o "$T/whole"
  cmp "$T/www/sub/video.ts" "$T/whole"
  run curl -sS --max-time 20 -r 1000-1999 -w '%{http_code}' -o "$T/part" "http://127.0.0.1:$port/sub/video.ts"
  assert_output 206
  cmp "$T/part" <(tail -c +1001 "$T/www/sub/video.ts" | head -c 1000)
  run curl -sS --max-time 20 -w '%{http_code}' -o /dev/null "http://127.0.0.1:$port/missing"
  assert_output 404
  # The third response was the last it wanted: it stops from its own event callback.
  exit_of "$pid"
  assert_equal "$status" 0
  run cat "$T/server.log"
  assert_line --regexp '^file_server: 127\.0\.0\.1:[0-9]+ "GET /sub/video\.ts HTTP/1\.1" 200 300001 bytes'
  assert_line --regexp '^file_server: 127\.0\.0\.1:[0-9]+ "GET /sub/video\.ts HTTP/1\.1" 206 1000 bytes'
  assert_line --regexp '^file_server: 127\.0\.0\.1:[0-9]+ "GET /missing HTTP/1\.1" 404 '
  assert_line --partial 'stopping (enough requests)'
  assert_line 'file_server: stopped after 3 response(s)'
}

@test "example file_server: SIGTERM stops it too, and a bad address is reported" {
  examples
  mkdir -p "$T/www"
  bg "$EXAMPLES/file_server" "$T/www" 127.0.0.1:0 2> "$T/server.log"
  local pid=$LAST
  listen_port "$T/server.log" > /dev/null
  kill -TERM "$pid"
  exit_of "$pid"
  assert_equal "$status" 0
  run cat "$T/server.log"
  assert_line --partial 'stopping (SIGTERM)'
  run "$EXAMPLES/file_server" "$T/www" 127.0.0.1
  assert_failure 1
  assert_output --partial "file_server: 127.0.0.1: missing port"
}

@test "example seal: hw-encrypt -d decrypts what it seals, whatever the input's size" {
  examples
  local hw="$CONDUIT_BIN/hw-encrypt" size
  "$hw" keygen -o "$T/key"
  # Empty, shorter than a chunk, a whole number of 64 KiB chunks (the last one full), and more.
  for size in 0 1 65535 65536 196608 3000001; do
    head -c "$size" "$BATS_FILE_TMPDIR/in" > "$T/plain"
    "$EXAMPLES/seal" "$T/key" "$T/sealed" < "$T/plain"
    "$hw" -d -k "$T/key" "$T/sealed" > "$T/opened" || { echo "size $size"; return 1; }
    cmp "$T/plain" "$T/opened"
  done
}

@test "example seal: opens what hw-encrypt seals, and refuses a modified or cut stream" {
  examples
  local hw="$CONDUIT_BIN/hw-encrypt"
  "$hw" keygen -o "$T/key"
  "$hw" -k "$T/key" < "$BATS_FILE_TMPDIR/in" > "$T/sealed"
  "$EXAMPLES/seal" --open "$T/key" "$T/sealed" > "$T/opened"
  cmp "$BATS_FILE_TMPDIR/in" "$T/opened"
  "$hw" -k "$T/key" < /dev/null > "$T/empty"
  run "$EXAMPLES/seal" --open "$T/key" "$T/empty"
  assert_success
  assert_output ""
  # A whole chunk missing at the end: the opener's finish() says so.
  head -c $((12 + 32 + 32 + 2 * (65536 + 16))) "$T/sealed" > "$T/cut"
  run "$EXAMPLES/seal" --open "$T/key" "$T/cut"
  assert_failure 1
  assert_output --partial "truncated stream"
  cp "$T/sealed" "$T/modified"
  printf 'X' | dd of="$T/modified" bs=1 seek=100000 conv=notrunc 2>/dev/null
  run "$EXAMPLES/seal" --open "$T/key" "$T/modified"
  assert_failure 1
  assert_output --partial "failed authentication"
  "$hw" keygen -o "$T/other"
  run "$EXAMPLES/seal" --open "$T/other" "$T/sealed"
  assert_failure 1
  assert_output --partial "wrong key"
}

@test "example seal: opens hw-encrypt's output as it arrives on a pipe, whatever its size" {
  examples
  local hw="$CONDUIT_BIN/hw-encrypt" size
  "$hw" keygen -o "$T/key"
  # Empty, shorter than a chunk, a whole number of chunks (the last one full), and more.
  for size in 0 1 65535 65536 196608 3000001; do
    head -c "$size" "$BATS_FILE_TMPDIR/in" > "$T/plain"
    "$hw" -k "$T/key" < "$T/plain" > "$T/sealed"
    "$EXAMPLES/seal" --open "$T/key" "$T/sealed" > "$T/opened" || { echo "size $size"; return 1; }
    cmp "$T/plain" "$T/opened"
    python3 "$BATS_TEST_DIRNAME/helpers/pieces.py" "$T/sealed" |
      "$EXAMPLES/seal" --open "$T/key" - > "$T/piped" || { echo "piped, size $size"; return 1; }
    cmp "$T/plain" "$T/piped"
  done
}

@test "example seal: a stream cut or modified on the way is refused with decrypt's words" {
  examples
  local hw="$CONDUIT_BIN/hw-encrypt"
  "$hw" keygen -o "$T/key"
  "$hw" -k "$T/key" < "$BATS_FILE_TMPDIR/in" > "$T/sealed"
  local len=$(stat -c %s "$T/sealed")
  # Cut inside the header, after two whole chunks, inside the last chunk: hw-encrypt -d and the
  # example say the same.
  for cut in 40 $((12 + 32 + 32 + 2 * (65536 + 16))) $((len - 100)); do
    head -c "$cut" "$T/sealed" > "$T/cut"
    run bash -c "'$hw' -d -k '$T/key' '$T/cut' > /dev/null"
    assert_failure
    local want=${output#"hw-encrypt: $T/cut: "}
    run bash -c "set -o pipefail; python3 '$BATS_TEST_DIRNAME/helpers/pieces.py' '$T/cut' | '$EXAMPLES/seal' --open '$T/key' - > /dev/null"
    assert_failure 1
    assert_output "seal: standard input: $want"
  done
  cp "$T/sealed" "$T/modified"
  printf 'X' | dd of="$T/modified" bs=1 seek=100000 conv=notrunc 2>/dev/null
  run bash -c "set -o pipefail; python3 '$BATS_TEST_DIRNAME/helpers/pieces.py' '$T/modified' | '$EXAMPLES/seal' --open '$T/key' - > '$T/part'"
  assert_failure 1
  assert_output --partial "failed authentication"
  # What came out before the refusal verified: the chunk before the damaged one, whole.
  [ "$(stat -c %s "$T/part")" -eq 65536 ]
  cmp "$T/part" <(head -c 65536 "$BATS_FILE_TMPDIR/in")
}

@test "example file_server: a client that hangs up mid-response ends that response, not the server" {
  examples
  mkdir -p "$T/www"
  head -c 50000000 /dev/zero > "$T/www/big"
  echo small > "$T/www/small"
  bg "$EXAMPLES/file_server" --requests 2 "$T/www" 127.0.0.1:0 2> "$T/server.log"
  local pid=$LAST port
  port=$(listen_port "$T/server.log")
  # sendfile to a socket whose peer has gone raises SIGPIPE: the program ignores it (LIBRARY.md),
  # so the server carries on with the next client.
  timeout 20 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
s.close()' "$port"
  run curl -sS --max-time 20 "http://127.0.0.1:$port/small"
  assert_output small
  exit_of "$pid"
  assert_equal "$status" 0
  # The event said which response went out whole (FileServerEvent::complete).
  run cat "$T/server.log"
  assert_line --regexp '^file_server: 127\.0\.0\.1:[0-9]+ "GET /big HTTP/1\.1" 200 [0-9]+ bytes [0-9.]+ s \(cut short\)$'
  assert_line --regexp '^file_server: 127\.0\.0\.1:[0-9]+ "GET /small HTTP/1\.1" 200 6 bytes [0-9.]+ s$'
}
