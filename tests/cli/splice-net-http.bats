#!/usr/bin/env bats
# splice-net serve --http, the connection side: the strict request parser (a Python
# raw-socket and http.client conformance script), error pages, Expect: 100-continue with curl,
# the request-head deadline against slowloris clients, the access log, and thousands of
# concurrent keep-alive clients with RLIMIT_NOFILE raised.
load 'helpers/net'

setup_file() {
  random_fixtures small.bin:1024 mid.bin:1048576
}

# server_pid: the splice-net process under the last serve_bg (timeout runs it as a child).
server_pid() {
  pgrep -P "$SERVE_PID" splice-net
}

# fd_count PID: how many descriptors PID holds.
fd_count() {
  ls "/proc/$1/fd" | wc -l
}

@test "serve --http: RFC 9112 conformance, raw sockets and http.client (400, 414, 431, 501, 505, pages)" {
  serve_bg log --http 127.0.0.1:0 "$FIX/small.bin"
  run timeout 300 python3 "$HELP/http_conformance.py" "127.0.0.1:$PORT" "$FIX/small.bin"
  assert_success
  assert_output --regexp '^[0-9]+ passed, 0 failed$'
  # Every request is in the access log, the rejected ones with their status.
  grep -Eq '"GET \* HTTP/1\.1" 400 [0-9]+$' log
  grep -Eq '" 501 [0-9]+$' log
  grep -Eq '" 414 [0-9]+$' log
  # A control character in a request line is escaped, never written raw to the log.
  grep -q '"GET /f\\x01 HTTP/1.1" 400' log
  run grep -c $'\x01' log
  assert_output 0
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http: error responses carry nginx's short HTML page; HEAD gets the length, no page" {
  serve_bg log --http 127.0.0.1:0 "$FIX/small.bin"
  run timeout 10 curl -sS -D head -o page -X POST "http://127.0.0.1:$PORT/small.bin"
  assert_success
  grep -q '^HTTP/1.1 405 Method Not Allowed' head
  grep -q '^Content-Type: text/html' head
  grep -q "^Content-Length: $(stat -c %s page)"$'\r$' head
  grep -q '<center><h1>405 Method Not Allowed</h1></center>' page
  grep -q '<hr><center>splice-net</center>' page
  run timeout 10 curl -sS -I -H 'Transfer-Encoding: gzip' "http://127.0.0.1:$PORT/small.bin"
  assert_line --regexp $'^HTTP/1.1 501 Not Implemented\r$'
  assert_line --regexp $'^Content-Length: [1-9][0-9]*\r$'
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http: curl's Expect: 100-continue gets 100 Continue, then the file" {
  serve_bg log --http 127.0.0.1:0 "$FIX/small.bin"
  head -c 3000 /dev/urandom > body
  # A GET with a body curl holds back until the 100 (or its 1 s wait) arrives.
  run timeout 20 curl -sS -v -X GET -H 'Expect: 100-continue' --expect100-timeout 15 \
      --data-binary @body -o got "http://127.0.0.1:$PORT/small.bin"
  assert_success
  assert_line --regexp '^< HTTP/1.1 100 Continue'
  assert_line --regexp '^< HTTP/1.1 200 OK'
  cmp got "$FIX/small.bin"
  # The body was thrown away, not answered as a request: one line in the log.
  run grep -c '" 200 1024$' log
  assert_output 1
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http: slowloris clients are cut at --head-timeout while a normal client is served" {
  # 20 slots, all taken by clients that send a byte of a never-ending head every 0.5 s (each
  # byte would reset the idle timer): the head deadline frees the slots, the normal client is
  # served from the listen queue.
  serve_bg log --http --head-timeout 2 --max-clients 20 127.0.0.1:0 "$FIX/small.bin"
  timeout 60 python3 "$HELP/slowloris.py" "127.0.0.1:$PORT" --clients 20 --interval 0.5 \
      --duration 40 --ready ready > slow.out 3>&- &
  echo $! >> "$T/pids"
  local slow=$!
  wait_exists ready
  run timeout 30 curl -sS -o got -w '%{http_code}' "http://127.0.0.1:$PORT/small.bin"
  assert_output 200
  cmp got "$FIX/small.bin"
  wait "$slow"
  # Cut at the deadline (2 s) plus the sweep's and a busy machine's delays, not at the idle
  # timeout (60 s) nor after the script's 40 s.
  run cat slow.out
  assert_output --regexp '^cut=20 of 20, 408=20, last cut after ([0-9]|1[0-9])\.[0-9] s$'
  grep -q 'request head not complete within 2 s' log
  run grep -c '" 408 [0-9]*$' log
  assert_output 20
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http: a client that connects and sends nothing is closed at the head deadline" {
  serve_bg log --http --head-timeout 0.5 127.0.0.1:0 "$FIX/small.bin"
  run timeout 20 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
t = time.monotonic()
print(repr(s.recv(100)), "%.0f" % (time.monotonic() - t))' "$PORT"
  # Closed without a response (nothing to answer), well before the 60 s idle timeout.
  assert_output --regexp "^b'' [0-9]$"
  wait_for log 'request head not complete within 0.5 s'
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --http: access log, one line per request: three ranges on one keep-alive connection" {
  serve_bg log --http 127.0.0.1:0 "$FIX/mid.bin"
  local url="http://127.0.0.1:$PORT/mid.bin"
  run timeout 20 curl -sS -v -r 0-99 -o a "$url" --next -r 1000-1999 -o b "$url" --next -r -10 -o c "$url"
  assert_success
  assert_output --partial "Re-using existing connection"
  cmp a <(head -c 100 "$FIX/mid.bin")
  cmp c <(tail -c 10 "$FIX/mid.bin")
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  # Common Log Format: peer - - [date] "request line" status bytes.
  local clf='^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\] "GET /mid\.bin HTTP/1\.1" 206'
  run grep -E "$clf" log
  assert_equal "${#lines[@]}" 3
  assert_line --index 0 --regexp "$clf 100\$"
  assert_line --index 1 --regexp "$clf 1000\$"
  assert_line --index 2 --regexp "$clf 10\$"
  # The connection's own summary is not repeated for an ordinary HTTP connection.
  run grep -c 'requests (last' log
  assert_output 0

  # --access-log FILE: the lines go there (appended), -q keeps stderr quiet; without a file,
  # -q means no request lines at all.
  echo "earlier line" > access.log
  serve_bg log2 -q --http --access-log access.log 127.0.0.1:0 "$FIX/mid.bin"
  timeout 20 curl -sS -o /dev/null "$url" -o /dev/null "http://127.0.0.1:$PORT/mid.bin"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  run cat access.log
  assert_line --index 0 "earlier line"
  assert_line --index 1 --regexp '"GET /mid\.bin HTTP/1\.1" 200 1048576$'
  assert_equal "${#lines[@]}" 2
  run grep -c 'HTTP/1.1"' log2
  assert_output 0
}

@test "serve --http: --access-log that cannot be opened is an error before listening" {
  run timeout 10 "$SN" serve --http --access-log /nonexistent/dir/log 127.0.0.1:0 "$FIX/small.bin"
  assert_failure 1
  assert_output "splice-net: /nonexistent/dir/log: No such file or directory"
  run timeout 10 "$SN" serve --access-log x 127.0.0.1:0 "$FIX/small.bin"
  assert_failure 1
  assert_line --index 0 "splice-net: cannot use --access-log without --http"
  run timeout 10 "$SN" serve --head-timeout 5 127.0.0.1:0 "$FIX/small.bin"
  assert_failure 1
  assert_line --index 0 "splice-net: cannot use --head-timeout without --http"
  run timeout 10 "$SN" serve --http --head-timeout 0 127.0.0.1:0 "$FIX/small.bin"
  assert_failure 1
  assert_line --index 0 "splice-net: invalid timeout: '0'"
}

@test "serve --http: RLIMIT_NOFILE raised to the hard limit; 2000 concurrent keep-alive clients all served, descriptors flat after" {
  local hard
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] || [ "$hard" -ge 4200 ] || skip "hard RLIMIT_NOFILE $hard is below 4200"
  # Started with the usual soft limit of 1024: 2000 clients at once need twice that.
  (ulimit -Sn 1024; exec timeout --foreground 300 "$SN" serve -q --http --max-clients 10000 \
      127.0.0.1:0 "$FIX/small.bin") 2> log 3>&- &
  echo $! >> "$T/pids"
  SERVE_PID=$!
  PORT=$(listen_port log)
  local pid before after i
  pid=$(server_pid)
  run grep '^Max open files' "/proc/$pid/limits"
  assert_output --regexp "^Max open files +$hard +$hard +files"
  before=$(fd_count "$pid")
  run timeout 300 python3 "$HELP/http_keepalive_clients.py" "127.0.0.1:$PORT" "$FIX/small.bin" \
      --clients 2000 --requests 3 --timeout 240
  assert_success
  assert_output "ok=2000 failed=0"
  for i in $(seq 200); do
    after=$(fd_count "$pid")
    [ "$after" -eq "$before" ] && break
    sleep 0.05
  done
  assert_equal "$after" "$before"
  run grep -c 'Too many open files' log
  assert_output 0
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
}

@test "serve --help, man page and completions name --head-timeout and --access-log" {
  load 'helpers/docs'
  run "$SN" serve --help
  assert_output --partial "--head-timeout SECONDS"
  assert_output --partial "--access-log FILE"
  grep -q 'head-timeout' "$CONDUIT_SRC/man/splice-net.1"
  grep -q 'access-log' "$CONDUIT_SRC/man/splice-net.1"
  assert_completions_offer splice-net "splice-net serve --" --head-timeout --access-log
}
