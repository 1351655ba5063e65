# What the hw-encrypt .bats files share: the stream's sizes, a key and a sealed file to work on,
# a wait for what a stalled hw-encrypt has written, and the end of the processes a case left in
# the background. Loading it loads bats-support, bats-assert and bats-file.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

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

# written_below PID DIR: waits (at most about 10 s) until process PID has a file below DIR open
# that holds 64 KiB or more, and prints its size (0 when none did). hw-encrypt is not dumpable:
# only root sees its descriptors; for others it waits 2 s instead and prints 65536.
written_below() {
  local written=0 fd
  for _ in $(seq 100); do
    if ! ls /proc/"$1"/fd > /dev/null 2>&1; then
      sleep 2
      written=65536
      break
    fi
    for fd in /proc/"$1"/fd/*; do
      case $(readlink "$fd") in "$2"/*) written=$(stat -L -c %s "$fd") ;; esac
    done
    [ "$written" -ge 65536 ] && break
    sleep 0.1
  done
  echo "$written"
}
