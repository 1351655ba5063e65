# What the hw-encrypt .bats files share: the stream's sizes, a key and a sealed file to work on,
# and the end of the processes a case left in the background.

# LeakSanitizer cannot run under ptrace: in sanitizer builds the strace cases run without it.
NOLEAKS="ASAN_OPTIONS=detect_leaks=0"

HEADER=76       # header size with a key
SEALED=65552    # 64 KiB chunk + 16-byte tag

# hw_setup BYTES: B (the binary), and in the case's temporary folder (the current one after
# this) a new key `key`, BYTES random bytes `p` and `c`, p sealed with the key.
hw_setup() {
  B="$CONDUIT_BIN/hw-encrypt"
  cd "$BATS_TEST_TMPDIR"
  "$B" keygen -o key
  head -c "$1" /dev/urandom > p
  "$B" -k key p c
}

# kill_bg: ends the background processes whose pids a case put in BG_PIDS.
kill_bg() {
  local pid
  for pid in ${BG_PIDS:-}; do kill "$pid" 2> /dev/null || true; done
}
