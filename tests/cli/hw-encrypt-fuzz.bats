#!/usr/bin/env bats
# Builds the hw-encrypt decoder fuzzer (tests/fuzz/decoder_fuzz.cpp) with clang's libFuzzer,
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs it for 25 seconds over a seed corpus
# of valid streams. The core's crypto sources are compiled straight into it, instrumented (the
# GCC-built library would give the fuzzer no coverage). Skips, visibly, without clang.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
  CLANG=$(command -v clang++-14 || command -v clang++ || true)
  [ -n "$CLANG" ] || skip "clang++ is not installed (Debian: clang-14, libclang-rt-14-dev)"
  OUT="$CONDUIT_BIN/../fuzz"
  FUZZER="$OUT/hw-encrypt-decoder-fuzz"
  S="$CONDUIT_SRC"
  # Every crypto source (whichever kernel backend is there: the stub or the AF_ALG one) and the
  # few core files they use.
  SOURCES="$S/tests/fuzz/decoder_fuzz.cpp $(echo "$S"/libcore/crypto/*.cpp) $S/libcore/sys.cpp
    $S/libcore/diag.cpp $S/libcore/quote.cpp $S/libcore/fd.cpp $S/libcore/pipe.cpp $S/libcore/result.cpp
    $S/libcore/mapped_input.cpp $S/libcore/sigbus_guard.cpp"
}

build_fuzzer() {
  mkdir -p "$OUT"
  local newer
  newer=$(find $SOURCES "$S"/include/conduit -newer "$FUZZER" 2>/dev/null | head -1)
  if [ -x "$FUZZER" ] && [ -z "$newer" ]; then return 0; fi
  "$CLANG" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I"$S/include" $SOURCES -lcrypto -lpthread \
    -o "$FUZZER.tmp" && mv "$FUZZER.tmp" "$FUZZER"
}

@test "decoder fuzzer: 25 s under ASan+UBSan over valid seed streams, no findings" {
  run build_fuzzer
  if [ "$status" -ne 0 ] && grep -q 'libclang_rt.fuzzer\|fsanitize=fuzzer' <<< "$output"; then
    skip "clang cannot link libFuzzer here: $output"
  fi
  assert_success
  cd "$BATS_TEST_TMPDIR"
  mkdir -p seeds corpus
  HW_ENCRYPT_FUZZ_SEEDS=seeds "$FUZZER"
  [ "$(ls seeds | wc -l)" -ge 5 ]
  # Seeds must decrypt cleanly: run each once (libFuzzer treats file arguments as inputs).
  run "$FUZZER" -runs=0 seeds
  assert_success
  run timeout 120 env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "$FUZZER" -max_total_time=25 -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 corpus seeds
  echo "$output" | tail -15
  assert_success
  assert_output --partial 'Done'
  refute_output --partial 'ERROR: AddressSanitizer'
  refute_output --partial 'runtime error'
}
