#!/usr/bin/env bats
# splice-net relay between real peers on loopback and Unix sockets: bytes both ways (splice,
# --no-splice, a forced read/write fallback), IPv6 to IPv4 and back, 100 concurrent connections
# with half-close, the half-close the other way, resets passed on, a refused target,
# --max-clients, -t, SIGTERM, messages and --stats. Peers: socat, splice-net send, and
# tests/cli/helpers/relay_clients.py.
load 'helpers/net'

setup_file() {
  random_fixtures med:$((8 * 1048576)) mid:1048576
}

setup() {
  net_setup
  PEERS="$CONDUIT_SRC/tests/cli/helpers/relay_clients.py"
}

teardown() {
  net_teardown
  # Sanitizer builds: a report in any relay log fails the case (UBSan does not stop the run).
  if grep -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T"/log* 2>/dev/null; then
    return 1
  fi
}

# relay_bg LOG ARGS...: starts `splice-net relay ARGS` (listening on 127.0.0.1:0) and sets
# RELAY_PID and PORT from "listening on 127.0.0.1:PORT".
relay_bg() {
  server_bg relay "$@" || return
  RELAY_PID=$SERVER_PID
}

# backend MODE OUT [ADDRESS]: starts the helper's server (default 127.0.0.1:0; [::1]:0 for
# IPv6) and sets BACKEND to the address to relay to.
backend() {
  local where=${3:-127.0.0.1:0}
  bg python3 "$PEERS" server "$1" "$where" > "$2"
  wait_for "$2" '^listening ' || return 1
  if [[ $where == unix:* ]]; then BACKEND=$where; else BACKEND="${where%:*}:$(sed -n 's/^listening //p' "$2")"; fi
}

# need_ipv6: skips the case on a machine where [::1] cannot be bound.
need_ipv6() {
  python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
    skip "no IPv6 loopback ([::1] cannot be bound) on this machine"
}

# stop_relay: SIGTERM, then the exit status in $status.
stop_relay() {
  kill -TERM "$RELAY_PID"
  status=0
  wait "$RELAY_PID" || status=$?
}

@test "bytes both ways through a socat echo server are identical: splice, --stats, --progress" {
  local p
  p=$(free_port)
  bg socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
  wait_tcp "$p"
  relay_bg log --stats --progress 127.0.0.1:0 "127.0.0.1:$p"
  cat "$FIX/med" | timeout 30 "$SN" send --recv "127.0.0.1:$PORT" > got
  [ "$(sha256sum < got)" = "$(sha256sum < "$FIX/med")" ]
  stop_relay
  assert_equal "$status" 0
  grep -Eq "client 127\.0\.0\.1:[0-9]+: 8388608 bytes to 127\.0\.0\.1:$p, 8388608 bytes back in [0-9.]+ s: done" log
  grep -Eq 'splice_broker +16777216 bytes' log
  run grep -E 'read_write' log
  assert_failure
  grep -q 'MiB' log  # the progress meter
}

@test "--no-splice: same bytes by read/write only, and the stats say so" {
  local p
  p=$(free_port)
  bg socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
  wait_tcp "$p"
  relay_bg log --no-splice --stats 127.0.0.1:0 "127.0.0.1:$p"
  cat "$FIX/med" | timeout 30 "$SN" send --recv "127.0.0.1:$PORT" > got
  cmp got "$FIX/med"
  stop_relay
  grep -Eq 'read_write +16777216 bytes' log
  run grep -E 'splice_broker|syscalls: splice' log
  assert_failure
}

@test "TCP to a Unix socket target, and a Unix listener" {
  bg socat "UNIX-LISTEN:$T/echo.sock,fork" EXEC:cat
  wait_unix "$T/echo.sock"
  relay_bg log 127.0.0.1:0 "unix:$T/echo.sock"
  timeout 30 socat -t 30 - "TCP:127.0.0.1:$PORT" < "$FIX/med" > got
  cmp got "$FIX/med"
  stop_relay
  grep -Eq "bytes to unix:$T/echo.sock, 8388608 bytes back" log

  bg "$SN" relay "unix:$T/relay.sock" "unix:$T/echo.sock" 2> log2
  RELAY_PID=$LAST
  wait_unix "$T/relay.sock"
  timeout 30 socat -t 30 - "UNIX-CONNECT:$T/relay.sock" < "$FIX/mid" > got2
  cmp got2 "$FIX/mid"
  stop_relay
  assert_not_exist "$T/relay.sock"
}

@test "IPv6: listening on [::1] to an IPv4 target, and on 127.0.0.1 to an [::1] target" {
  need_ipv6
  # [::1] listener -> IPv4 backend: each client's bytes up, half-close, reversed bytes back
  backend answer srv.out
  relay_bg log '[::1]:0' "$BACKEND"
  grep -Eq '^splice-net: listening on \[::1\]:[0-9]+$' log
  run timeout 30 python3 "$PEERS" clients "[::1]:$PORT" --clients 10
  assert_success
  assert_output "ok=10 failed=0"
  [ "$(grep -c '^conn ' srv.out)" -eq 10 ]
  # and one large stream both ways, through an IPv4 echo server
  local p
  p=$(free_port)
  bg socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
  wait_tcp "$p"
  relay_bg log2 '[::1]:0' "127.0.0.1:$p"
  cat "$FIX/mid" | timeout 30 "$SN" send --recv "[::1]:$PORT" > got
  cmp got "$FIX/mid"
  stop_relay
  assert_equal "$status" 0
  grep -Eq "^splice-net: client \[::1\]:[0-9]+: 1048576 bytes to 127\.0\.0\.1:$p, 1048576 bytes back in [0-9.]+ s: done$" log2

  # 127.0.0.1 listener -> [::1] backend
  backend answer srv6.out '[::1]:0'
  [[ $BACKEND == \[::1\]:[0-9]* ]]
  relay_bg log3 127.0.0.1:0 "$BACKEND"
  run timeout 30 python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 10
  assert_success
  assert_output "ok=10 failed=0"
  [ "$(grep -c '^conn ' srv6.out)" -eq 10 ]
  stop_relay
  assert_equal "$status" 0
  [ "$(grep -Ec "^splice-net: client 127\.0\.0\.1:[0-9]+: [0-9]+ bytes to \[::1\]:[0-9]+, [0-9]+ bytes back in [0-9.]+ s: done$" log3)" -eq 10 ]
}

@test "100 concurrent connections, each with its own bytes and a half-close, all answered" {
  backend answer srv.out
  relay_bg log -q --stats 127.0.0.1:0 "$BACKEND"
  run timeout 100 python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 100
  assert_success
  assert_output "ok=100 failed=0"
  [ "$(grep -c '^conn ' srv.out)" -eq 100 ]
  # and over a Unix target
  backend answer srv2.out "unix:$T/answer.sock"
  relay_bg log2 -q 127.0.0.1:0 "$BACKEND"
  run timeout 100 python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 100
  assert_success
  assert_output "ok=100 failed=0"
  stop_relay
  run grep -c 'client ' log2  # -q: no line per connection
  assert_output 0
}

@test "half-close the other way: the server finishes first while the client still sends" {
  backend banner srv.out
  relay_bg log 127.0.0.1:0 "$BACKEND"
  run timeout 30 bash -c "cat '$FIX/med' | '$SN' send --recv 127.0.0.1:$PORT"
  assert_success
  assert_output "banner"
  wait_for srv.out '^got '
  grep -qx 'got 8388608' srv.out
  wait_for log ': done$'
  grep -Eq '8388608 bytes to .*, 7 bytes back in .*: done' log
}

@test "backpressure: a slow server makes the relay stall and resume, every byte arrives" {
  backend slow srv.out
  relay_bg log --stats 127.0.0.1:0 "$BACKEND"
  run timeout 60 bash -c "cat '$FIX/med' | '$SN' send --recv 127.0.0.1:$PORT"
  assert_success
  assert_output "$(sha256sum < "$FIX/med" | cut -d' ' -f1)"
  stop_relay
  grep -Eq 'splice_broker +8388673 bytes' log  # 8 MiB up, 65 bytes back
}

@test "a reset by the server is logged and passed on to the client" {
  backend reset srv.out
  relay_bg log 127.0.0.1:0 "$BACKEND"
  run timeout 30 python3 "$PEERS" send "127.0.0.1:$PORT" $((64 * 1048576))
  assert_output "reset"
  wait_for log ': reset by target$'
}

@test "a reset by the client is logged and passed on to the server" {
  backend count srv.out
  relay_bg log 127.0.0.1:0 "$BACKEND"
  timeout 30 python3 "$PEERS" abort "127.0.0.1:$PORT"
  wait_for log ': reset by client$'
  wait_for srv.out '^(reset|eof) '
  grep -Eq '^reset [0-9]+$' srv.out
}

@test "target refused: a clear line, the client is closed, and the relay goes on" {
  local p
  p=$(free_port)
  relay_bg log 127.0.0.1:0 "127.0.0.1:$p"
  run timeout 10 python3 "$PEERS" idle "127.0.0.1:$PORT"
  assert_output "closed"
  wait_for log 'client'
  grep -Eq "^splice-net: client 127\.0\.0\.1:[0-9]+: 127\.0\.0\.1:$p: Connection refused$" log
  backend answer srv.out "127.0.0.1:$p"
  run timeout 30 python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 3
  assert_output "ok=3 failed=0"
  stop_relay
  assert_equal "$status" 0
}

@test "--max-clients: extra clients wait in the listen queue and are served later" {
  backend answer srv.out
  relay_bg log --max-clients 2 127.0.0.1:0 "$BACKEND"
  bg python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 2 --wait-file "$T/go" > held.out
  local held=$LAST
  wait_for srv.out '^conn 2$'
  bg python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 1 > third.out
  local third=$LAST
  sleep 0.5
  # Still queued: the relay has not taken it, the backend has not seen it.
  run grep -c '^conn ' srv.out
  assert_output 2
  assert_equal "$(cat third.out)" ""
  touch go
  wait "$held"
  wait "$third"
  assert_equal "$(cat held.out)" "ok=2 failed=0"
  assert_equal "$(cat third.out)" "ok=1 failed=0"
  grep -qx 'conn 3' srv.out
}

@test "-t closes a connection idle both ways" {
  backend count srv.out
  relay_bg log -t 0.5 127.0.0.1:0 "$BACKEND"
  run timeout 10 python3 "$PEERS" idle "127.0.0.1:$PORT"
  assert_output "closed"
  grep -Eq '0 bytes to .*, 0 bytes back in [0-9.]+ s: idle for 0.5 s$' log
  wait_for srv.out '^eof 0$'  # the backend was closed cleanly too
}

# finishes_on SIGNAL: a relay with one connection held open gets SIGNAL: it finishes that
# connection, refuses new ones and exits 0.
finishes_on() {
  backend answer srv.out
  relay_bg log 127.0.0.1:0 "$BACKEND"
  bg python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 1 --wait-file "$T/go" > held.out
  local held=$LAST
  wait_for srv.out '^conn 1$'
  kill -"$1" "$RELAY_PID"
  wait_for log "$1: stopping; finishing 1 connections"
  run timeout 5 python3 "$PEERS" idle "127.0.0.1:$PORT"
  assert_failure  # no longer listening: refused
  touch go
  wait "$held"
  assert_equal "$(cat held.out)" "ok=1 failed=0"
  status=0
  wait "$RELAY_PID" || status=$?
  assert_equal "$status" 0
}

@test "SIGTERM finishes open connections and refuses new ones; --stop drop drops them" {
  finishes_on SIGTERM

  rm -f go
  relay_bg log2 --stop drop 127.0.0.1:0 "$BACKEND"
  bg python3 "$PEERS" clients "127.0.0.1:$PORT" --clients 1 --wait-file "$T/go" > held2.out
  held=$LAST
  wait_for srv.out '^conn 2$'
  stop_relay
  assert_equal "$status" 0
  grep -q 'SIGTERM: stopping; dropping 1 connections' log2
  grep -q 'dropped: relay stopping' log2
  touch go
  wait "$held" || true
  assert_equal "$(cat held2.out)" "ok=0 failed=1"
}

@test "SIGHUP stops the relay as SIGTERM does: open connections finish, new ones are refused" {
  finishes_on SIGHUP
}

@test "listen address in use, bad or unresolvable addresses: clear messages, exit 1" {
  local p
  p=$(free_port)
  relay_bg log 127.0.0.1:0 "127.0.0.1:$p"
  run timeout 10 "$SN" relay "127.0.0.1:$PORT" "127.0.0.1:$p"
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$PORT: Address already in use"
  run timeout 20 "$SN" relay 127.0.0.1:0 no-such-host.invalid:80
  assert_failure 1
  assert_output --regexp "^splice-net: cannot resolve 'no-such-host.invalid:80': "
  run timeout 10 "$SN" relay 127.0.0.1:0 host
  assert_failure 1
  assert_output "splice-net: missing port in 'host' (write HOST:PORT)"
  run timeout 10 "$SN" relay 127.0.0.1:0
  assert_failure 1
}

@test "splice refused (EINVAL injected): the same bytes through read/write" {
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked by the other cases.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  command -v strace > /dev/null || skip "strace not installed"
  local p
  p=$(free_port)
  bg socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
  wait_tcp "$p"
  (exec timeout 60 strace -f -o /dev/null -e inject=splice:error=EINVAL \
      "$SN" relay --stats 127.0.0.1:0 "127.0.0.1:$p") 2> log 3>&- &
  echo $! >> "$T/pids"
  local r=$!
  wait_for log 'listening on'
  PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' log)
  cat "$FIX/med" | timeout 30 "$SN" send --recv "127.0.0.1:$PORT" > got
  cmp got "$FIX/med"
  pkill -TERM -P "$(pgrep -P "$r" strace)" splice-net
  wait "$r" || true
  grep -Eq 'read_write +16777216 bytes' log
  grep -q 'fallbacks to a slower path: 2' log  # one per direction
  run grep -E 'splice_broker' log
  assert_failure
}

@test "connecting to TARGET gives up after -t when shorter than 10 s (TCP and Unix, queue full)" {
  bg python3 "$PEERS" stuck 127.0.0.1:0 > stuck.out
  wait_for stuck.out '^listening '
  local p
  p=$(sed -n 's/^listening //p' stuck.out)
  relay_bg log -t 0.5 127.0.0.1:0 "127.0.0.1:$p"
  run timeout 10 python3 "$PEERS" idle "127.0.0.1:$PORT"
  assert_output "closed"
  wait_for log 'client'
  grep -Eq "^splice-net: client 127\.0\.0\.1:[0-9]+: 127\.0\.0\.1:$p: connection timed out after 0\.5 s$" log

  # A Unix listener with a full queue refuses with EAGAIN at once: retried until the timeout.
  bg python3 "$PEERS" stuck "unix:$T/stuck.sock" > stuck2.out
  wait_for stuck2.out '^listening '
  relay_bg log2 -q -t 0.5 127.0.0.1:0 "unix:$T/stuck.sock"
  run timeout 10 python3 "$PEERS" idle "127.0.0.1:$PORT"
  assert_output "closed"
  wait_for log2 'client'
  grep -Eq "^splice-net: client 127\.0\.0\.1:[0-9]+: unix:$T/stuck.sock: connection timed out after 0\.5 s$" log2
}
