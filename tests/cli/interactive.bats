#!/usr/bin/env bats
# Interactive use: bytes that have arrived reach the reader at once, on every command that
# splices from something that can block (a socket, a tty) into a pipe someone else reads. A
# splice that sleeps on an empty socket holds the pipe's lock, so the reader's read() waited for
# the next bytes or the end of the stream: a chat deadlocked. Each round is bounded by a timeout
# (helpers/interactive.py), so a regression fails instead of hanging. Also: a peer's reset is
# named as the peer's, not as standard output's, on the splice and read/write paths.
load 'helpers/net'

setup() {
  net_setup
  CHAT="$HELP/interactive.py"
}

# echo_server: socat echoes each connection back through cat; sets ECHO_PORT.
echo_server() {
  ECHO_PORT=$(free_port)
  bg socat "TCP-LISTEN:$ECHO_PORT,reuseaddr,fork" EXEC:cat
  wait_tcp "$ECHO_PORT"
}

# recv_reader ARGS...: `splice-net recv -v ARGS 127.0.0.1:0 | interactive.py reader 3 > out`
# in the background; sets PORT. The reader select()s, then must read within 3 s.
recv_reader() {
  bg bash -c '"$1" recv -v "${@:3}" 127.0.0.1:0 2> log | python3 "$2" reader 3 > out' _ \
    "$SN" "$CHAT" "$@"
  PORT=$(listen_port log)
}

# peer_resets PORT: a server on PORT that takes a request, answers 100000 bytes, then resets
# (SO_LINGER 0).
peer_resets() {
  timeout 30 python3 - "$1" 3>&- <<'PY' &
import socket, struct, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(20)
c, _ = s.accept()
c.settimeout(20)
data = b"x"
while data and not data.endswith(b"\n"):
    data = c.recv(100)
c.sendall(b"x" * 100000)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
  echo $! >> "$T/pids"
  wait_tcp "$1"
}

# client_resets PORT: a client of PORT that sends 100000 bytes, then resets.
client_resets() {
  timeout 10 python3 - "$1" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"x" * 100000)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
}

@test "recv | a select()ing reader: what arrived is read at once while the peer holds on" {
  for mode in --splice --no-splice; do
    rm -f log out
    recv_reader $([ "$mode" = --no-splice ] && echo --no-splice)
    bg python3 "$CHAT" trickle "127.0.0.1:$PORT" hi 10
    wait_for out 'got|timed out'
    run cat out
    assert_output --regexp "^got b'hi' after 0\.[0-9] s$"
  done
}

@test "send -r: a 30-round chat with an echo server (socat) completes" {
  echo_server
  run timeout 120 python3 "$CHAT" chat 30 5 -- "$SN" send -r "127.0.0.1:$ECHO_PORT"
  assert_success
  assert_output "30 rounds"
}

@test "splice-cat: a socket on stdin into a pipe, 30 rounds" {
  run timeout 120 python3 "$CHAT" sockchat 30 5 -- "$CONDUIT_BIN/splice-cat"
  assert_success
  assert_output "30 rounds"
  run timeout 120 python3 "$CHAT" sockchat 30 5 -- "$CONDUIT_BIN/splice-cat" - -
  assert_success
}

@test "splice-cat: a terminal on stdin into a pipe, 30 rounds" {
  run timeout 120 python3 "$CHAT" ptychat 30 5 -- "$CONDUIT_BIN/splice-cat"
  assert_success
  assert_output "30 rounds"
}

@test "xtee: a socket or a terminal on stdin into a pipe, 30 rounds" {
  run timeout 120 python3 "$CHAT" sockchat 30 5 -- "$CONDUIT_BIN/xtee" /dev/null
  assert_success
  assert_output "30 rounds"
  run timeout 120 python3 "$CHAT" ptychat 30 5 -- "$CONDUIT_BIN/xtee" out
  assert_success
  assert_output "30 rounds"
}

@test "relay: a 30-round chat through the relay to an echo server" {
  echo_server
  bg "$SN" relay 127.0.0.1:0 "127.0.0.1:$ECHO_PORT" 2> log
  PORT=$(listen_port log)
  run timeout 120 python3 "$CHAT" netchat "127.0.0.1:$PORT" 30 5
  assert_success
  assert_output "30 rounds"
}

@test "fanout: a client gets each line of a trickling input at once" {
  mkfifo in
  # Read-write: the FIFO opens at once and never reads end of file while the test writes.
  bg bash -c 'exec "$1" fanout 127.0.0.1:0 0<>in 2> log' _ "$SN"
  PORT=$(listen_port log)
  run timeout 120 python3 "$CHAT" lines "127.0.0.1:$PORT" 30 5 in
  assert_success
  assert_output "30 rounds"
}

@test "hw-encrypt: a trickling pipe is encrypted and decrypted to its end, never held" {
  "$CONDUIT_BIN/hw-encrypt" keygen -o key
  run timeout 60 bash -c '{ printf abc; sleep 1; printf def; sleep 1; printf ghi; } |
    "$1" -k key | "$1" -d -k key' _ "$CONDUIT_BIN/hw-encrypt"
  assert_success
  assert_output "abcdefghi"
}

@test "recv: a peer's reset is named as the peer's, with splice and without" {
  for mode in --splice --no-splice; do
    rm -f log
    bg bash -c '"$1" recv -v "${@:2}" 127.0.0.1:0 2> log | cat > /dev/null
      exit "${PIPESTATUS[0]}"' _ "$SN" \
      $([ "$mode" = --no-splice ] && echo --no-splice)
    local pid=$LAST
    PORT=$(listen_port log)
    client_resets "$PORT"
    exit_of "$pid"
    [ "$status" -ne 0 ]
    run grep -v 'listening on\|connection from' log
    assert_output --regexp "^splice-net: 127\.0\.0\.1:[0-9]+: connection reset by peer after [0-9]+ bytes received$"
  done
}

@test "send -r: a peer's reset is named as the peer's, with splice and without" {
  for mode in --splice --no-splice; do
    local p
    p=$(free_port)
    peer_resets "$p"
    run timeout 20 bash -c 'printf "request\n" | "$1" send -r "${@:3}" "127.0.0.1:$2" | cat > /dev/null;
      exit "${PIPESTATUS[1]}"' _ "$SN" "$p" $([ "$mode" = --no-splice ] && echo --no-splice)
    assert_failure 1
    assert_output --regexp "^splice-net: 127\.0\.0\.1:$p: connection reset by peer after [0-9]+ bytes received$"
  done
}

@test "splice-cat: a reset on a socket stdin is an input error, not standard output's" {
  for mode in --splice --no-splice; do
    run timeout 20 python3 - "$CONDUIT_BIN/splice-cat" "$mode" <<'PY'
import socket, struct, subprocess, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
args = [sys.argv[1]] + (["--no-splice"] if sys.argv[2] == "--no-splice" else [])
p = subprocess.Popen(args, stdin=s, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
s.close()
c.sendall(b"x" * 100000)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
out, err = p.communicate(timeout=15)
sys.stdout.write(err.decode())
sys.exit(p.returncode)
PY
    assert_failure 1
    assert_output "splice-cat: -: Connection reset by peer"
  done
}
