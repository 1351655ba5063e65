# Shared by the network command tests (splice-net*.bats, pipelines.bats): background processes
# that teardown always reaps, port discovery, and waits bounded in time.
# Loading it loads bats-support, bats-assert and bats-file, and gives a test file setup() and
# teardown() (net_setup, net_teardown) that it may replace with its own: a setup() of its own
# sets T (the test's temporary folder, where "pids" is kept), by net_setup or itself.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

# net_setup: SN (splice-net), HELP (this folder) and T (the test's temporary folder), which
# becomes the working directory.
net_setup() {
  SN="$CONDUIT_BIN/splice-net"
  HELP="$CONDUIT_SRC/tests/cli/helpers"
  T="$BATS_TEST_TMPDIR"
  cd "$T"
}

# random_fixtures NAME:BYTES...: FIX is the file's temporary folder (exported), holding each NAME
# with BYTES random bytes (for setup_file).
random_fixtures() {
  export FIX="$BATS_FILE_TMPDIR"
  local f
  for f in "$@"; do
    head -c "${f#*:}" /dev/urandom > "$FIX/${f%%:*}"
  done
}

setup() {
  net_setup
}

teardown() {
  net_teardown
}

# descendants PID: PID's children, grandchildren ... (the command under timeout, strace's tracee).
descendants() {
  local c
  for c in $(pgrep -P "$1"); do
    echo "$c"
    descendants "$c"
  done
}

# bg CMD...: runs CMD in the background (bounded by timeout), remembered for teardown.
# --foreground: a signal sent to timeout reaches CMD once (otherwise timeout also signals its
# whole process group, and a server sees two SIGTERMs: "stop", then "drop everything").
bg() {
  timeout --foreground 60 "$@" 3>&- &
  echo $! >> "$T/pids"
  LAST=$!
}

# free_port: a port that is free now (for peers that cannot listen on port 0), taken below the
# kernel's ephemeral range: a port from that range (what bind to port 0 gives) can be taken by any
# other test's outgoing connection before the peer binds it ("Address already in use", seen under
# ctest -j2); below it only another free_port can, one chance in thousands.
free_port() {
  python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(10000, max(low, 10001))
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("free_port: no free port below " + str(low))
'
}

# wait_until CMD...: until CMD succeeds, tried every 0.05 s (at most 10 s); fails when it never
# did. The waits below are this with a condition and a message.
wait_until() {
  local i
  for i in $(seq 200); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# wait_for FILE REGEX: until FILE has a line matching REGEX (at most 10 s).
wait_for() {
  wait_until grep -Eq "$2" "$1" 2>/dev/null && return 0
  echo "timed out waiting for /$2/ in $1:" >&2
  cat "$1" >&2 || true
  return 1
}

# size_above FILE BYTES: FILE holds more than BYTES (a missing FILE holds none).
size_above() {
  [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]
}

# wait_size FILE BYTES: until FILE holds more than BYTES (at most 10 s; a client is mid-stream).
wait_size() {
  wait_until size_above "$1" "$2" && return 0
  echo "timed out waiting for $1 to pass $2 bytes" >&2
  return 1
}

# listening PORT: something listens on 127.0.0.1/::1 PORT (seen without connecting to it).
listening() {
  [ -n "$(ss -Hltn "sport = :$1")" ]
}

# wait_tcp PORT: until something listens on 127.0.0.1/::1 PORT.
wait_tcp() {
  wait_until listening "$1"
}

# queued PORT: how many connections wait in the accept queue of the TCP listener on PORT (a
# listening socket's Recv-Q); they completed the handshake, the server has not taken them.
queued() {
  ss -Hltn "sport = :$1" | awk '{ print $2 }'
}

# queued_is PORT N: exactly N connections wait in that queue.
queued_is() {
  [ "$(queued "$1")" = "$2" ]
}

# wait_queued PORT N: until exactly N connections wait in that queue (at most 10 s).
wait_queued() {
  wait_until queued_is "$1" "$2" && return 0
  echo "timed out waiting for $2 queued connections on port $1:" >&2
  ss -Hltn "sport = :$1" >&2
  return 1
}

# wait_unix PATH: until the Unix socket PATH exists.
wait_unix() {
  wait_until test -S "$1"
}

# wait_exists FILE: until FILE exists (at most 10 s; a client's "I have read some" mark).
wait_exists() {
  wait_until test -e "$1" && return 0
  echo "timed out waiting for $1 to exist" >&2
  return 1
}

# listen_port LOG: the port from "listening on HOST:PORT" once it appears.
listen_port() {
  wait_for "$1" 'listening on' || return 1
  sed -n 's/.*listening on .*:\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1
}

# server_bg SUBCOMMAND LOG ARGS...: starts `splice-net SUBCOMMAND ARGS` (serve, relay; with $SN,
# the binary) in the background, its standard error in LOG; sets SERVER_PID (timeout's: a signal
# sent to it reaches splice-net) and PORT from "listening on HOST:PORT".
server_bg() {
  local sub=$1 log=$2
  shift 2
  bg "$SN" "$sub" "$@" 2> "$log"
  SERVER_PID=$LAST
  PORT=$(listen_port "$log")
}

# serve_bg LOG ARGS...: server_bg serve; SERVE_PID as SERVER_PID.
serve_bg() {
  server_bg serve "$@" || return
  SERVE_PID=$SERVER_PID
}

# fanout_bg LOG INPUT ARGS...: starts `splice-net fanout ARGS 127.0.0.1:0 < INPUT`; sets FAN_PID
# (timeout's pid: a signal sent to it reaches splice-net) and PORT.
fanout_bg() {
  local log=$1 input=$2
  shift 2
  timeout --foreground 60 "$SN" fanout "$@" 127.0.0.1:0 < "$input" 2> "$log" 3>&- &
  FAN_PID=$!
  echo $! >> "$T/pids"
  PORT=$(listen_port "$log")
}

# exit_of PID: waits for a background job and sets $status to its exit status (`run wait`
# would wait in a subshell, which has no such child).
exit_of() {
  status=0
  output=""
  wait "$1" || status=$?
}

# net_teardown: kills every process tree started with bg (call it from teardown()). When the
# test failed, shows the end of every log it left: a server's side of the story is in them.
net_teardown() {
  local p d
  if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
    for p in "$T"/*.log "$T"/log*; do
      [ -f "$p" ] || continue
      echo "--- last lines of ${p##*/}:"
      tail -n 15 "$p"
    done
  fi
  for p in $(cat "$T/pids" 2>/dev/null); do
    # Killing timeout alone with SIGKILL would leave its command running: take the whole tree.
    for d in $(descendants "$p"); do kill -9 "$d" 2>/dev/null || true; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
