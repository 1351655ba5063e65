#!/usr/bin/env bats
# splice-net against real peers (nc, socat, curl) on loopback and Unix sockets only: send, recv,
# serve (plain and HTTP), load with slow and stalled clients, faults (resets, half-closes,
# EMFILE, ENOSYS fallbacks), cut-off clients reset, SIGHUP, Unix paths that are not ours,
# standard output gone, messages, man page and completions.
load 'helpers/net'

setup_file() {
  random_fixtures mid:1048576 small:262144 med:$((8 * 1048576)) big:$((64 * 1048576))
  printf 'hello, world\n' > "$FIX/text"
}

# recv_bg LOG ARGS...: starts `splice-net recv -v ARGS` and sets PORT.
recv_bg() {
  local log=$1
  shift
  bg "$SN" recv -v "$@" 2> "$log"
  RECV_PID=$LAST
}

same_file() { cmp "$1" "$2"; }

@test "send into nc -l and into socat; large file compared by checksum" {
  local p
  p=$(free_port)
  bg nc -l 127.0.0.1 "$p" > out.nc < /dev/null
  wait_tcp "$p"
  run timeout 30 "$SN" send --stats=json "127.0.0.1:$p" "$FIX/big"
  assert_success
  assert_output --partial '"sendfile":67108864'
  wait "$LAST"
  [ "$(sha256sum < out.nc)" = "$(sha256sum < "$FIX/big")" ]

  p=$(free_port)
  bg socat -u "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr" CREATE:out.socat
  wait_tcp "$p"
  run timeout 30 "$SN" send "127.0.0.1:$p" "$FIX/mid" "$FIX/text"
  assert_success
  wait "$LAST"
  cat "$FIX/mid" "$FIX/text" | cmp - out.socat
}

@test "stdin pipe goes by splice; nc -N and socat into recv" {
  recv_bg log 127.0.0.1:0 -o got --stats
  PORT=$(listen_port log)
  timeout 10 nc -N 127.0.0.1 "$PORT" < "$FIX/mid"
  wait "$RECV_PID"
  same_file got "$FIX/mid"
  grep -q 'connection from 127.0.0.1:' log
  grep -Eq 'splice_broker +1048576 bytes' log

  recv_bg log2 127.0.0.1:0 -o got2
  PORT=$(listen_port log2)
  timeout 30 socat -u "FILE:$FIX/big" "TCP:127.0.0.1:$PORT"
  wait "$RECV_PID"
  [ "$(sha256sum < got2)" = "$(sha256sum < "$FIX/big")" ]

  recv_bg log3 127.0.0.1:0 -o got3
  PORT=$(listen_port log3)
  cat "$FIX/big" | timeout 30 "$SN" send --stats "127.0.0.1:$PORT" 2> send.err
  wait "$RECV_PID"
  cmp got3 "$FIX/big"
  grep -Eq 'splice +67108864 bytes' send.err
}

@test "recv into a pipe: socket -> pipe by splice, large file intact" {
  local p
  p=$(free_port)
  (timeout 30 "$SN" recv --stats "127.0.0.1:$p" 2> recv.err | sha256sum > sum.out) 3>&- &
  echo $! >> "$T/pids"
  local reader=$!
  wait_tcp "$p"
  timeout 30 socat -u "FILE:$FIX/big" "TCP:127.0.0.1:$p"
  wait "$reader"
  [ "$(cat sum.out)" = "$(sha256sum < "$FIX/big")" ]
  grep -Eq 'splice +67108864 bytes' recv.err
}

@test "Unix sockets both ways, with nc -U and socat" {
  recv_bg log "unix:$T/r.sock" -o got
  wait_unix "$T/r.sock"
  timeout 10 nc -N -U "$T/r.sock" < "$FIX/mid"
  wait "$RECV_PID"
  same_file got "$FIX/mid"
  assert_not_exist "$T/r.sock"  # removed when recv ends

  bg socat -u "UNIX-LISTEN:$T/s.sock" CREATE:out.socat
  wait_unix "$T/s.sock"
  run timeout 10 "$SN" send "unix:$T/s.sock" "$FIX/mid"
  assert_success
  wait "$LAST"
  same_file out.socat "$FIX/mid"
}

@test "IPv6 loopback" {
  if ! python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    skip "no IPv6 loopback on this machine"
  fi
  recv_bg log '[::1]:0' -o got
  PORT=$(listen_port log)
  grep -q 'listening on \[::1\]:' log
  run timeout 10 "$SN" send "[::1]:$PORT" "$FIX/mid"
  assert_success
  wait "$RECV_PID"
  same_file got "$FIX/mid"
  grep -q 'connection from \[::1\]:' log
}

@test "a :PORT listener takes IPv4 and IPv6 (dual stack)" {
  recv_bg log :0 -o got --keep
  PORT=$(listen_port log)
  timeout 10 "$SN" send "127.0.0.1:$PORT" "$FIX/text"
  if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    timeout 10 "$SN" send "[::1]:$PORT" "$FIX/text"
    expected=2
  else
    expected=1
  fi
  wait_for log "connection from .*:[0-9]+$" 
  kill -TERM "$RECV_PID"
  wait "$RECV_PID"
  [ "$(grep -c 'hello, world' got)" -eq "$expected" ]
}

@test "recv --keep takes connections one after another; SIGTERM ends it cleanly" {
  recv_bg log 127.0.0.1:0 --keep -o got --stats
  PORT=$(listen_port log)
  timeout 10 "$SN" send "127.0.0.1:$PORT" "$FIX/small"
  timeout 10 "$SN" send "127.0.0.1:$PORT" "$FIX/text"
  wait_for log 'connection from.*' 
  kill -TERM "$RECV_PID"
  exit_of "$RECV_PID"
  assert_success
  cat "$FIX/small" "$FIX/text" | cmp - got
  grep -q 'bytes (' log  # the --stats summary was printed on the way out
}

# one_peer PORT OUT: a Python peer in the background (LAST; its output in OUT) that accepts one
# connection on 127.0.0.1:PORT as `c` (20 s to come), then runs the Python on standard input
# (socket, struct and sys imported); returns once it listens.
one_peer() {
  local port=$1 out=$2 body
  body=$(cat)
  bg python3 -c "import socket, struct, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(1); s.settimeout(20)
c, _ = s.accept()
$body" "$port" > "$out" 2>&1
  wait_tcp "$port"
}

@test "send --recv is two-way, like nc: our half-close, then the peer's answer" {
  local p
  p=$(free_port)
  one_peer "$p" srv.out <<'PY'
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(b"got %d\n" % n); c.close()
PY
  run timeout 10 "$SN" send --recv "127.0.0.1:$p" "$FIX/mid"
  assert_success
  assert_output "got 1048576"
}

@test "half-close the other way: the peer finishes first while we still send" {
  local p
  p=$(free_port)
  one_peer "$p" srv.out <<'PY'
c.sendall(b"banner\n"); c.shutdown(socket.SHUT_WR)   # we are done talking
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print(n)
PY
  local srv=$LAST
  run timeout 20 bash -c "cat '$FIX/big' | '$SN' send --recv 127.0.0.1:$p"
  assert_success
  assert_output "banner"
  wait "$srv"
  [ "$(cat srv.out)" = "$((64 * 1048576))" ]
}

@test "peer reset in the middle of a send: clear message with the bytes sent" {
  local p
  p=$(free_port)
  one_peer "$p" srv.out <<'PY'
got = 0
while got < 1 << 20:
    got += len(c.recv(65536))
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()  # unread data + linger 0: a reset
PY
  run timeout 20 "$SN" send "127.0.0.1:$p" "$FIX/big"
  assert_failure 1
  assert_output --regexp "^splice-net: 127\.0\.0\.1:$p: connection (reset|closed) by peer after [0-9]+ bytes sent$"
}

@test "peer reset in the middle of a recv: clear message with the bytes received" {
  recv_bg log 127.0.0.1:0 -o got
  PORT=$(listen_port log)
  timeout 10 python3 - "$PORT" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"x" * 100000)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
  exit_of "$RECV_PID"
  assert_failure 1
  grep -Eq '^splice-net: 127\.0\.0\.1:[0-9]+: connection reset by peer after [0-9]+ bytes received$' log
}

# broken_pipe ignored|default [--any-output]: the last `run` wrote to a reader that had gone:
# with SIGPIPE ignored, status 1 and "splice-net: write error: Broken pipe" alone; by default,
# death by SIGPIPE (141) with nothing said (unless --any-output: nothing asserted of it).
broken_pipe() {
  if [ "$1" = ignored ]; then
    assert_failure 1
    assert_output "splice-net: write error: Broken pipe"
  else
    assert_failure 141
    [ "${2:-}" = --any-output ] || assert_output ""
  fi
}

@test "standard output gone: killed by SIGPIPE as cat is; with SIGPIPE ignored 'write error: Broken pipe', status 1" {
  local sig
  # recv: the peer sends 8 MiB, the reader takes one byte and leaves.
  for sig in ignored default; do
    local trap=""
    [ $sig = ignored ] && trap="trap '' PIPE;"
    local port
    port=$(free_port)
    # the sender tries again while recv is not listening yet
    ( until timeout 10 "$SN" send "127.0.0.1:$port" "$FIX/med" 2> err || ! grep -q refused err; do
        sleep 0.1
      done ) &
    echo $! >> "$T/pids"
    run timeout 20 bash -c "$trap \"\$0\" recv 127.0.0.1:$port | head -c1 > /dev/null; exit \${PIPESTATUS[0]}" "$SN"
    broken_pipe $sig
  done

  # send -r: the peer answers with 8 MiB; and an echoing peer that waits for its answers to be
  # read must not hold us for ever once nobody reads them.
  for sig in ignored default; do
    local trap=""
    [ $sig = ignored ] && trap="trap '' PIPE;"
    local port
    port=$(free_port)
    bg socat -u "FILE:$FIX/med" "TCP-LISTEN:$port,reuseaddr"
    wait_tcp "$port"
    run timeout 20 bash -c "$trap \"\$0\" send -r 127.0.0.1:$port < /dev/null | head -c1 > /dev/null; exit \${PIPESTATUS[0]}" "$SN"
    broken_pipe $sig
    port=$(free_port)
    bg socat "TCP-LISTEN:$port,reuseaddr" EXEC:cat
    wait_tcp "$port"
    run timeout 20 bash -c "$trap \"\$0\" send -r 127.0.0.1:$port < \"\$1\" | head -c1 > /dev/null; exit \${PIPESTATUS[0]}" "$SN" "$FIX/big"
    broken_pipe $sig --any-output
  done
}

@test "clear errors: refused, address in use, unresolvable name, bad addresses, timeouts" {
  local p
  p=$(free_port)
  run timeout 10 "$SN" send "127.0.0.1:$p" "$FIX/text"
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$p: Connection refused"

  recv_bg log 127.0.0.1:0
  PORT=$(listen_port log)
  run timeout 10 "$SN" recv "127.0.0.1:$PORT"
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$PORT: Address already in use"
  run timeout 10 "$SN" serve "127.0.0.1:$PORT" "$FIX/text"
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$PORT: Address already in use"

  run timeout 20 "$SN" send no-such-host.invalid:80 "$FIX/text"
  assert_failure 1
  assert_output --regexp "^splice-net: cannot resolve 'no-such-host.invalid:80': "

  run "$SN" send ::1:80
  assert_failure 1
  assert_line "splice-net: IPv6 addresses need brackets: '[::1]:80'"
  run "$SN" recv host
  assert_line "splice-net: missing port in 'host' (write HOST:PORT)"
  run "$SN" recv 127.0.0.1:70000
  assert_line --partial "port out of range"
  run "$SN" send 127.0.0.1:1 /no/such/file
  assert_failure 1
  assert_output "splice-net: /no/such/file: No such file or directory"
  run timeout 10 "$SN" recv --timeout 0.3 127.0.0.1:0
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:0: no connection within 0.3 s"
  run timeout 10 "$SN" serve --http --header x 127.0.0.1:0 "$FIX/text" "$FIX/mid"
  assert_failure 1
  assert_line "splice-net: --header and --header-file with --http need a single FILE"
  run timeout 10 "$SN" serve 127.0.0.1:0 "$FIX/text" "$FIX/mid"
  assert_failure 1
  assert_line "splice-net: several FILEs need --http (plain mode serves one)"
  run timeout 10 "$SN" serve 127.0.0.1:0 "$T"
  assert_failure 1
  assert_output --partial "not a regular file"
  run "$SN" frobnicate
  assert_failure 1
  run "$SN"
  assert_failure 1
  assert_line "splice-net: missing command: send, recv, serve, fanout or relay"
}

@test "unix: listening never removes what is not a dead socket: a file, a directory, a FIFO, a symlink" {
  local cmd
  echo keep > f
  # every listener: recv, serve, fanout and relay share the check
  for cmd in "recv X" "serve X $FIX/text" "fanout X" "relay X 127.0.0.1:1"; do
    local args=(${cmd/X/unix:$T/f})
    run timeout 10 "$SN" "${args[@]}" < /dev/null
    assert_failure 1
    assert_output "splice-net: unix:$T/f: exists and is not a socket"
    assert_equal "$(cat f)" keep
  done
  mkdir d
  mkfifo p
  ln -s f l
  ln -s nowhere dangling
  for x in d p l dangling; do
    run timeout 10 "$SN" recv "unix:$T/$x"
    assert_failure 1
    assert_output "splice-net: unix:$T/$x: exists and is not a socket"
  done
  [ -d d ] && [ -p p ] && [ -L l ] && [ -L dangling ]
  assert_equal "$(cat l)" keep

  # A socket whose listener is gone is replaced.
  python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)' "$T/dead"
  [ -S dead ]
  recv_bg log "unix:$T/dead" -o got
  wait_for log 'listening on'
  timeout 10 "$SN" send "unix:$T/dead" "$FIX/text"
  exit_of "$RECV_PID"
  assert_success
  cmp got "$FIX/text"
  [ ! -e dead ]  # and removed when it ends
}

@test "unix: a live listener with a full queue is 'Address already in use' at once, not a hang" {
  bg python3 "$HELP/relay_clients.py" stuck "unix:$T/live" > stuck.out
  wait_for stuck.out '^listening '
  local cmd
  for cmd in recv serve fanout; do
    local args=("$cmd" "unix:$T/live")
    [ "$cmd" = serve ] && args+=("$FIX/text")
    run timeout 10 "$SN" "${args[@]}" < /dev/null
    assert_failure 1
    assert_output "splice-net: unix:$T/live: Address already in use"
  done
  [ -S live ]
}

@test "serve refuses a FIFO at once, as it refuses /dev/zero, instead of waiting for a writer" {
  mkfifo fifo
  run timeout 10 "$SN" serve 127.0.0.1:0 /dev/zero
  assert_failure 1
  assert_output "splice-net: /dev/zero: not a regular file (serve needs a file it can send from any offset)"
  run timeout 10 "$SN" serve 127.0.0.1:0 fifo
  assert_failure 1
  assert_output "splice-net: fifo: not a regular file (serve needs a file it can send from any offset)"
}

@test "--help and --version, for the command and each subcommand" {
  run "$SN" --help
  assert_success
  assert_line --index 0 "Usage: splice-net send [OPTION]... ADDRESS [FILE]..."
  run "$SN" serve --help
  assert_success
  assert_line --index 0 "Usage: splice-net serve [OPTION]... ADDRESS FILE"
  assert_output --partial "--max-clients"
  run "$SN" recv --help
  assert_line --index 0 "Usage: splice-net recv [OPTION]... ADDRESS"
  run "$SN" --version
  assert_line --index 0 --regexp '^splice-net \(conduit\) [0-9]+\.[0-9]+\.[0-9]+$'
  # each subcommand's, wherever they stand before "--", and nothing after them is read
  local sub
  for sub in send recv serve fanout relay; do
    run "$SN" "$sub" --version --foo
    assert_success
    assert_output "$("$SN" --version)"
    run "$SN" "$sub" a --hel --foo
    assert_success
    assert_line --index 0 --regexp "^Usage: splice-net $sub "
  done
  # a value that reads "--help" is a value; "--help=x" is an error, as with getopt
  run "$SN" send -t --help a
  assert_failure 1
  assert_line --index 0 "splice-net: invalid timeout: '--help'"
  run "$SN" relay --help=x a b
  assert_failure 1
  assert_line --index 0 "splice-net: option '--help' doesn't allow an argument"
}

@test "option values: the first bad one on the command line is reported; a repeated one's last wins" {
  run "$SN" fanout --slow=x --min-clients=y :0
  assert_failure 1
  assert_line --index 0 "splice-net: invalid slow-client policy: 'x' (drop or block)"
  run "$SN" fanout --min-clients=y --slow=x :0
  assert_line --index 0 "splice-net: invalid client count: 'y'"
  run "$SN" relay --stop=x -t 0 a b
  assert_line --index 0 "splice-net: invalid stop mode: 'x' (finish or drop)"
  run "$SN" relay -t 0 --stop=x a b
  assert_line --index 0 "splice-net: invalid timeout: '0'"
  run "$SN" serve --max-clients 0 --pipe-size 1 a f
  assert_line --index 0 "splice-net: invalid client count: '0'"
  # checked where it stands, before a later unknown option or --help
  run "$SN" relay --stop=bogus --stop=drop --foo
  assert_failure 1
  assert_line --index 0 "splice-net: invalid stop mode: 'bogus' (finish or drop)"
  run "$SN" send -t x --help
  assert_failure 1
  assert_line --index 0 "splice-net: invalid timeout: 'x'"
  # the last --max-clients and --min-clients decide
  run "$SN" fanout --max-clients 9 --max-clients 2 --min-clients 1 --min-clients 3 :0
  assert_failure 1
  assert_line --index 0 "splice-net: --min-clients 3 is more than --max-clients 2"
}

@test "serve: header then file to nc and socat, plain mode" {
  serve_bg log --header "HEAD
" 127.0.0.1:0 "$FIX/mid"
  timeout 10 nc -N 127.0.0.1 "$PORT" < /dev/null > got.nc
  timeout 10 socat -u "TCP:127.0.0.1:$PORT" CREATE:got.socat
  { printf 'HEAD\n'; cat "$FIX/mid"; } > want
  same_file got.nc want
  same_file got.socat want
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_success
  [ "$(grep -c 'sent 1048581 bytes in .* s: done' log)" -eq 2 ]
  grep -q 'SIGTERM: stopping' log
}

@test "serve --header-file over a Unix socket" {
  printf 'from a file\n' > hdr
  serve_bg log --header-file hdr "unix:$T/srv.sock" "$FIX/small"
  timeout 10 socat -u "UNIX-CONNECT:$T/srv.sock" CREATE:got
  cat hdr "$FIX/small" | cmp - got
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  assert_not_exist "$T/srv.sock"
}

@test "serve --http with curl: GET, HEAD, ranges (206, 416), keep-alive with two URLs" {
  cp "$FIX/big" big
  serve_bg log --http --content-type text/plain 127.0.0.1:0 big
  local url="http://127.0.0.1:$PORT"
  run timeout 30 curl -sS -o got -w '%{http_code} %{size_download}' "$url/big"
  assert_output "200 67108864"
  [ "$(sha256sum < got)" = "$(sha256sum < "$FIX/big")" ]

  run timeout 10 curl -sS -I "$url/big"
  assert_line --regexp '^HTTP/1.1 200 OK'
  assert_line --regexp '^Content-Length: 67108864'
  assert_line --regexp '^Content-Type: text/plain'
  assert_line --regexp '^Accept-Ranges: bytes'
  assert_line --regexp '^Server: splice-net'  # the library's FileServerSettings::server_name

  run timeout 10 curl -sS -r 1000-1999 -o part -w '%{http_code}' "$url/big"
  assert_output 206
  cmp part <(tail -c +1001 "$FIX/big" | head -c 1000)
  run timeout 10 curl -sS -r -4096 -o tail4k -w '%{http_code}' "$url/big"
  assert_output 206
  cmp tail4k <(tail -c 4096 "$FIX/big")
  run timeout 10 curl -sS -D - -o /dev/null -r 200000000- "$url/big"
  assert_line --regexp '^HTTP/1.1 416 Range Not Satisfiable'
  assert_line --regexp '^Content-Range: bytes \*/67108864'

  truncate -s 8M big  # the file is looked at per request: now smaller
  run timeout 20 curl -sS -v -o a -o b "$url/big" "$url/big"
  assert_output --partial "Re-using existing connection"
  cmp a <(head -c 8M "$FIX/big")
  cmp b <(head -c 8M "$FIX/big")
  # HTTP/1.0 closes unless asked; other methods are refused.
  run timeout 10 curl -sS -0 -I "$url/big"
  assert_line --regexp '^Connection: close'
  run timeout 10 curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/"
  assert_output 405
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  # One access-log line per request (splice-net-http.bats has the rest), no connection summary.
  grep -Eq '^127\.0\.0\.1 - - \[.*\] "GET /big HTTP/1\.1" 200 8388608$' log
  run grep -c 'requests (last' log
  assert_output 0
}

@test "serve: 250 concurrent clients each get every byte; slow ones finish, stalled ones hold no one up" {
  serve_bg log -q 127.0.0.1:0 "$FIX/small" --header "H:"
  run timeout 120 python3 "$HELP/net_clients.py" "127.0.0.1:$PORT" "$FIX/small" --header "H:" \
      --clients 250 --slow 10 --stall 5
  assert_success
  assert_output "ok=260 failed=0 stalled_open=5"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http under load with --max-clients and stalled clients" {
  serve_bg log -q --http --max-clients 50 127.0.0.1:0 "$FIX/mid"
  run timeout 120 python3 "$HELP/net_clients.py" "127.0.0.1:$PORT" "$FIX/mid" --http \
      --clients 200 --stall 3
  assert_success
  assert_output "ok=200 failed=0 stalled_open=3"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve: EMFILE on accept backs off without spinning and serves everyone later" {
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked by the other cases.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  local log="$T/log"
  (ulimit -n 24; exec timeout 60 strace -f -c -o "$T/strace.txt" -e trace=accept4 \
      "$SN" serve 127.0.0.1:0 "$FIX/small") 2> "$log" 3>&- &
  echo $! >> "$T/pids"
  local srv=$!
  PORT=$(listen_port "$log")
  run timeout 60 python3 "$HELP/net_clients.py" "127.0.0.1:$PORT" "$FIX/small" --clients 40 --hold 0.5
  assert_success
  assert_output "ok=40 failed=0 stalled_open=0"
  grep -q 'accept: Too many open files' "$log"
  pkill -TERM -P "$(pgrep -P "$srv" strace)" splice-net || kill -TERM "$(pgrep -f "serve 127.0.0.1:0 $FIX/small" | tail -n 1)"
  wait "$srv" || true
  # A spinning accept loop would make hundreds of thousands of calls in the half second.
  local calls
  calls=$(awk '$NF == "accept4" { print $4 }' "$T/strace.txt")
  [ -n "$calls" ] && [ "$calls" -lt 2000 ]
}

@test "serve: a client that makes no progress is closed after --timeout" {
  serve_bg log --timeout 0.5 127.0.0.1:0 "$FIX/big"
  timeout 10 python3 - "$PORT" <<'PY' &
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
time.sleep(5)
PY
  echo $! >> "$T/pids"
  wait_for log 'idle for 0.5 s'
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve: SIGTERM finishes transfers in flight, refuses new ones; --stop=drop drops them" {
  # A client that has read a little and waits: the server still holds most of the file for it.
  cat > client.py <<'PY'
import hashlib, os, socket, sys, time
port, mark, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = socket.socket()
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
c.connect(("127.0.0.1", port))
c.sendall(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
# A bytearray grows in place: `bytes += ` copied everything received so far on every recv
# (quadratic: 64 MiB in 64 KiB pieces took over a minute on a busy machine).
data = bytearray(c.recv(65536))
open(mark, "w").close()
while not os.path.exists(go):
    time.sleep(0.02)
try:
    while True:
        b = c.recv(1 << 20)
        if not b: break
        data += b
except ConnectionResetError:
    print("reset after", len(data))
    sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), len(body), hashlib.sha256(body).hexdigest())
PY
  local want
  want="HTTP/1.1 200 OK 67108864 $(sha256sum < "$FIX/big" | cut -d' ' -f1)"

  serve_bg log --http 127.0.0.1:0 "$FIX/big"
  timeout 60 python3 client.py "$PORT" reading go > got.txt 3>&- &
  echo $! >> "$T/pids"
  local client=$!
  for i in $(seq 200); do [ -e reading ] && break; sleep 0.05; done
  kill -TERM "$SERVE_PID"
  wait_for log 'SIGTERM: stopping; finishing 1 connections'
  run timeout 5 curl -sS "http://127.0.0.1:$PORT/"
  assert_failure  # no longer accepting
  touch go
  wait "$client"
  exit_of "$SERVE_PID"
  assert_success
  [ "$(cat got.txt)" = "$want" ]

  rm -f reading go
  serve_bg log2 --http --stop drop 127.0.0.1:0 "$FIX/big"
  timeout 60 python3 client.py "$PORT" reading go > got2.txt 3>&- &
  echo $! >> "$T/pids"
  client=$!
  for i in $(seq 200); do [ -e reading ] && break; sleep 0.05; done
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_success
  touch go
  wait "$client"
  grep -Eq '^reset after [0-9]+$' got2.txt  # cut short, and the client can tell
  grep -q 'dropped: server stopping' log2
}

# cut_bg OUT ARGS...: starts helpers/cut_client.py ARGS (see there) with its verdict, "eof N" or
# "reset N", into OUT; sets CUT_PID.
cut_bg() {
  local out=$1
  shift
  bg python3 "$HELP/cut_client.py" "$@" > "$out"
  CUT_PID=$LAST
}

@test "serve: a transfer cut short ends in a reset, never a clean end of file; a whole one ends cleanly" {
  local mode
  # --stop drop, plain and HTTP: the client has read a little, then the server stops.
  for mode in plain --http; do
    rm -f reading go
    serve_bg log-$mode ${mode#plain} --stop drop 127.0.0.1:0 "$FIX/big"
    cut_bg cut.out "127.0.0.1:$PORT" ${mode#plain} --path /big --mark reading --go go
    wait_exists reading
    kill -TERM "$SERVE_PID"
    exit_of "$SERVE_PID"
    assert_success
    grep -q 'dropped: server stopping' log-$mode
    touch go
    wait "$CUT_PID"
    run cat cut.out
    assert_output --regexp '^reset [0-9]+$'
  done

  # --timeout: a client that stops reading is closed when idle, with a reset.
  rm -f reading go
  serve_bg log2 --timeout 0.5 127.0.0.1:0 "$FIX/big"
  cut_bg cut2.out "127.0.0.1:$PORT" --mark reading --go go
  wait_for log2 'idle for 0.5 s'
  touch go
  wait "$CUT_PID"
  run cat cut2.out
  assert_output --regexp '^reset [0-9]+$'

  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"

  # A transfer that completes ends with a clean end of file, plain and HTTP.
  serve_bg log3 127.0.0.1:0 "$FIX/med"
  run timeout 30 python3 "$HELP/cut_client.py" "127.0.0.1:$PORT"
  assert_output "eof 8388608"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  serve_bg log4 --http 127.0.0.1:0 "$FIX/mid"
  run timeout 30 python3 "$HELP/cut_client.py" "127.0.0.1:$PORT" --http --path /mid
  assert_output --regexp '^eof 10[0-9]{5}$'
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve: SIGHUP stops it as SIGTERM does: the transfer in flight finishes, or is reset with --stop drop" {
  serve_bg log 127.0.0.1:0 "$FIX/big"
  cut_bg cut.out "127.0.0.1:$PORT" --mark reading --go go
  wait_exists reading
  kill -HUP "$SERVE_PID"
  wait_for log 'SIGHUP: stopping; finishing 1 connections'
  run timeout 5 nc -z 127.0.0.1 "$PORT"
  assert_failure  # no longer accepting
  touch go
  wait "$CUT_PID"
  exit_of "$SERVE_PID"
  assert_success
  run cat cut.out
  assert_output "eof 67108864"

  rm -f reading go
  serve_bg log2 --stop drop 127.0.0.1:0 "$FIX/big"
  cut_bg cut2.out "127.0.0.1:$PORT" --mark reading --go go
  wait_exists reading
  kill -HUP "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_success
  grep -q 'SIGHUP: stopping; dropping 1 connections' log2
  touch go
  wait "$CUT_PID"
  run cat cut2.out
  assert_output --regexp '^reset [0-9]+$'
}

@test "serve: a client reset mid-transfer is logged and the others go on" {
  serve_bg log 127.0.0.1:0 "$FIX/med"
  timeout 30 python3 - "$PORT" <<'PY'
import socket, struct, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
got = 0
while got < 1 << 20:
    got += len(c.recv(65536))
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
  wait_for log 'connection (reset|closed) by peer'
  timeout 30 socat -u "TCP:127.0.0.1:$PORT" CREATE:got
  same_file got "$FIX/med"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve: a file that shrinks while served is reported, and the status says so" {
  cp "$FIX/big" shrinking
  serve_bg log --http 127.0.0.1:0 shrinking
  timeout 60 python3 - "$PORT" "$T" > cut.out <<'PY' &
import os, socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
c.sendall(b"GET /shrinking HTTP/1.1\r\nHost: t\r\n\r\n")
c.recv(65536)
open(os.path.join(sys.argv[2], "reading"), "w").close()
while not os.path.exists(os.path.join(sys.argv[2], "truncated")):
    time.sleep(0.02)
try:
    while c.recv(1 << 20):
        pass
    print("eof")
except ConnectionResetError:
    print("reset")
PY
  echo $! >> "$T/pids"
  local client=$!
  for i in $(seq 200); do [ -e reading ] && break; sleep 0.05; done
  truncate -s 1M shrinking
  touch truncated
  wait "$client"
  assert_equal "$(cat cut.out)" reset  # the response was cut short: a reset says so
  wait_for log 'shrank while being sent'
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_failure 1
  grep -q "splice-net: shrinking: changed size while being served" log
}

@test "serve: a file that grows while served: the response keeps its length, the log says so" {
  cp "$FIX/big" growing
  serve_bg log 127.0.0.1:0 growing
  timeout 60 python3 - "$PORT" "$T" > got.len <<'PY' &
import os, socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
n = len(c.recv(65536))
open(os.path.join(sys.argv[2], "reading"), "w").close()
while not os.path.exists(os.path.join(sys.argv[2], "grown")):
    time.sleep(0.02)
while True:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
print(n)
PY
  echo $! >> "$T/pids"
  local client=$!
  for i in $(seq 200); do [ -e reading ] && break; sleep 0.05; done
  head -c 1048576 "$FIX/mid" >> growing
  touch grown
  wait "$client"
  [ "$(cat got.len)" = "67108864" ]
  wait_for log 'changed size while being sent \(67108864 -> 68157440 bytes\)'
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_failure 1
}

@test "ENOSYS on splice and sendfile: same bytes through read/write" {
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked by the other cases.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  command -v strace > /dev/null || skip "strace not installed"
  recv_bg log 127.0.0.1:0 -o got --stats
  PORT=$(listen_port log)
  run timeout 30 strace -f -o /dev/null -e inject=splice,sendfile:error=ENOSYS \
      "$SN" send --stats "127.0.0.1:$PORT" "$FIX/mid"
  assert_success
  assert_output --regexp 'read_write +1048576 bytes'
  wait "$RECV_PID"
  same_file got "$FIX/mid"

  # recv itself under injection, fed by a pipe
  local p
  p=$(free_port)
  (timeout 30 strace -f -o /dev/null -e inject=splice,sendfile:error=ENOSYS \
      "$SN" recv --stats "127.0.0.1:$p" 2> recv.err | cat > got2) 3>&- &
  echo $! >> "$T/pids"
  local r=$!
  wait_tcp "$p"
  cat "$FIX/mid" | timeout 10 "$SN" send "127.0.0.1:$p"
  wait "$r"
  same_file got2 "$FIX/mid"
  grep -Eq 'read_write +1048576 bytes' recv.err

  # serve under injection, with curl and with the plain header mode
  (exec timeout 60 strace -f -o /dev/null -e inject=splice,sendfile:error=ENOSYS \
      "$SN" serve --http --stats 127.0.0.1:0 "$FIX/mid") 2> slog 3>&- &
  echo $! >> "$T/pids"
  local s=$!
  PORT=$(listen_port slog)
  timeout 10 curl -sS -o got3 "http://127.0.0.1:$PORT/mid" "http://127.0.0.1:$PORT/mid"
  same_file got3 "$FIX/mid"
  pkill -TERM -f "serve --http --stats 127.0.0.1:0 $FIX/mid" || true
  wait "$s" || true
  grep -Eq 'fallbacks to a slower path: 1' slog
}

@test "--no-splice moves the same bytes by read/write" {
  recv_bg log 127.0.0.1:0 -o got --no-splice --stats
  PORT=$(listen_port log)
  run timeout 10 "$SN" send --no-splice --stats "127.0.0.1:$PORT" "$FIX/mid"
  assert_success
  assert_output --regexp 'read_write +1048576 bytes'
  wait "$RECV_PID"
  same_file got "$FIX/mid"
  grep -Eq 'read_write +1048576 bytes' log

  serve_bg slog --no-splice --header x 127.0.0.1:0 "$FIX/mid"
  timeout 10 socat -u "TCP:127.0.0.1:$PORT" CREATE:got2
  { printf x; cat "$FIX/mid"; } | cmp - got2
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "recv and serve report a signalfd they cannot have, and stop" {
  # Without its signalfd recv would wait for a client with no way to see SIGTERM: it says so
  # and exits 1 (it used to go on silently); the servers did already. (LeakSanitizer cannot run
  # under ptrace: leaks are checked by the other tests.)
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  run timeout 20 strace -f -o /dev/null -e inject=signalfd4:error=EMFILE "$SN" recv 127.0.0.1:0
  assert_failure 1
  assert_output "splice-net: signalfd: Too many open files"
  run timeout 20 strace -f -o /dev/null -e inject=signalfd4:error=EMFILE "$SN" serve 127.0.0.1:0 "$FIX/text"
  assert_failure 1
  assert_line "splice-net: signalfd: Too many open files"
}

@test "--progress draws a meter on stderr only" {
  recv_bg log 127.0.0.1:0 -o got
  PORT=$(listen_port log)
  run timeout 10 "$SN" send --progress "127.0.0.1:$PORT" "$FIX/mid"
  assert_success
  assert_output --partial "splice-net: "
  assert_output --partial "100%"
  wait "$RECV_PID"
  same_file got "$FIX/mid"
}

@test "man page is lint clean" {
  load 'helpers/docs'
  assert_man_lint_clean splice-net
}

@test "completions load in bash, zsh and fish" {
  load 'helpers/docs'
  run complete_bash splice-net "splice-net se"
  assert_output $'send\nserve'
  assert_completions_offer splice-net "splice-net serve --ht" --http
  assert_completions_load splice-net
}

@test "recv: a failed wait for a client is an error, not an accept that blocks for ever" {
  command -v strace > /dev/null || skip "strace is not installed"
  # The wait for a connection (poll) fails: said, status 1, at once. Ignored, the next step was
  # a blocking accept() that nothing would ever end, SIGTERM included (recv blocks it while it
  # waits): the inner timeout's SIGKILL, 137.
  run env ASAN_OPTIONS=detect_leaks=0 timeout 60 strace -f -o /dev/null -e inject=poll:error=EIO \
    timeout -s KILL 20 "$SN" recv 127.0.0.1:0
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:0: poll: Input/output error"
}
