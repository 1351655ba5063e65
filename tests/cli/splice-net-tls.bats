#!/usr/bin/env bats
# splice-net send/recv --tls: with itself and with real peers (openssl s_client/s_server, socat
# OPENSSL:, ncat --ssl), mutual TLS, and bad input (wrong CA, expired certificate, wrong name,
# plaintext to a TLS port, a handshake that never finishes, truncation). Certificates are made
# at test time (helpers/tls_certs.bash). This host's kernel has no kTLS: the user-space path
# runs here; the kernel path runs in the VM tests (tests/vm).
load 'helpers/net'
load 'helpers/tls_certs'

setup_file() {
  random_fixtures data:$((4 * 1048576))
  make_certs "$FIX"
}

setup() {
  net_setup
  C="$FIX"
}

# recv_tls LOG ARGS...: `splice-net recv -v --tls` with the localhost certificate (or the
# --cert/--key in ARGS), in the background; sets PORT and RECV_PID.
recv_tls() {
  local log=$1
  shift
  bg "$SN" recv -v --tls "$@" 2> "$log"
  RECV_PID=$LAST
  PORT=$(listen_port "$log")
}

server_cert() { echo --cert "$C/$1.pem" --key "$C/$1.key"; }

no_ktls() {
  if grep -qw '^tls' /proc/modules 2>/dev/null || [ -d /sys/module/tls ]; then
    skip "this kernel has kTLS: the user-space path is not the one that runs"
  fi
}

@test "send --tls into recv --tls: the same bytes, verified by name and by address; --stats names the path" {
  no_ktls
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got --stats=json
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" --stats "localhost:$PORT" "$C/data"
  assert_success
  assert_output --partial "tls: tls-user (TLSv1.3, "
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  cmp "$C/data" got
  grep -q '"tls":{"path":"tls-user","version":"TLSv1.3"' log
  grep -q 'TLS: TLSv1.3, .*user-space TLS' log

  # by address (the certificate names 127.0.0.1), standard input a pipe
  recv_tls log2 127.0.0.1:0 $(server_cert server)
  cat "$C/data" | timeout 30 "$SN" send --tls --ca "$C/ca.pem" "127.0.0.1:$PORT"
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
}

@test "an empty stream over TLS: an empty file, status 0" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -o empty
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" /dev/null
  assert_success
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  [ -f empty ] && [ ! -s empty ]
}

@test "recv --tls | sha256sum: piped standard output gets every byte" {
  local p
  p=$(free_port)
  bg sh -c "\"$SN\" recv --tls --cert '$C/server.pem' --key '$C/server.key' 127.0.0.1:$p | sha256sum > sum"
  local pid=$LAST
  wait_tcp "$p"
  timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" "$C/data"
  wait "$pid"
  [ "$(cat sum)" = "$(sha256sum < "$C/data")" ]
}

@test "openssl s_client into recv --tls, send --tls into openssl s_server" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got
  timeout 30 openssl s_client -quiet -no_ign_eof -nocommands -connect "127.0.0.1:$PORT" \
    -CAfile "$C/ca.pem" -verify_return_error < "$C/data" > /dev/null 2> s_client.log
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  cmp "$C/data" got

  # s_server ends when its standard input does: a sleep holds it open.
  local p
  p=$(free_port)
  bg sh -c "sleep 60 | openssl s_server -quiet -naccept 1 -accept 127.0.0.1:$p -cert '$C/server.pem' \
    -key '$C/server.key' > got2 2> s_server.log"
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" "$C/data"
  assert_success
  wait_size got2 $((4 * 1048576 - 1))
  cmp "$C/data" got2
}

@test "socat OPENSSL: both ways" {
  local p
  p=$(free_port)
  bg socat -u "OPENSSL-LISTEN:$p,bind=127.0.0.1,reuseaddr,cert=$C/server.pem,key=$C/server.key,verify=0" CREATE:got
  local server=$LAST
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" "$C/data"
  assert_success
  exit_of "$server"
  [ "$status" -eq 0 ]
  cmp "$C/data" got

  recv_tls log 127.0.0.1:0 $(server_cert server) -o got2
  run timeout 30 socat -u "FILE:$C/data" "OPENSSL:localhost:$PORT,cafile=$C/ca.pem"
  assert_success
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  cmp "$C/data" got2
}

@test "ncat --ssl both ways; ncat ends without close_notify, and recv says so" {
  command -v ncat > /dev/null || skip "ncat not installed"
  local p
  p=$(free_port)
  bg sh -c "ncat --ssl -l --recv-only --ssl-cert '$C/server.pem' --ssl-key '$C/server.key' 127.0.0.1 $p > got"
  local server=$LAST
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" "$C/data"
  assert_success
  exit_of "$server"
  cmp "$C/data" got

  # ncat 7.93 half-closes TCP before its close_notify (which then fails): every byte arrives,
  # and recv reports that the end was not TLS's, as it must for any truncation.
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got2
  timeout 30 ncat --ssl --ssl-verify --ssl-trustfile "$C/ca.pem" --send-only localhost "$PORT" < "$C/data"
  exit_of "$RECV_PID"
  cmp "$C/data" got2
  if [ "$status" -ne 0 ]; then
    grep -q "connection closed without close_notify (possible truncation) after 4194304 bytes received" log
  fi
}

@test "mutual TLS: --verify-client takes a client certificate from its CA and refuses none" {
  recv_tls log 127.0.0.1:0 $(server_cert server) --verify-client "$C/ca.pem" -o got
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" --client-cert "$C/client.pem" \
    --client-key "$C/client.key" "localhost:$PORT" "$C/data"
  assert_success
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  cmp "$C/data" got

  recv_tls log2 127.0.0.1:0 $(server_cert server) --verify-client "$C/ca.pem" -o got2
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -Eq "^splice-net: 127.0.0.1:[0-9]+: TLS handshake: peer did not return a certificate" log2

  # the same with a foreign client (s_client) and a certificate from another CA
  recv_tls log3 127.0.0.1:0 $(server_cert server) --verify-client "$C/otherca.pem" -o got3
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" --client-cert "$C/client.pem" \
    --client-key "$C/client.key" "localhost:$PORT" "$C/data"
  assert_failure
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -Eq "TLS handshake: certificate verify failed: self-signed certificate in certificate chain" log3
}

@test "bad certificates: wrong CA, expired, wrong name, system CAs: clear message, status 1" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -k -o got
  run timeout 30 "$SN" send --tls --ca "$C/otherca.pem" "localhost:$PORT" "$C/data"
  assert_failure 1
  assert_output "splice-net: localhost:$PORT: TLS handshake: certificate verify failed: unable to get local issuer certificate"
  run timeout 30 "$SN" send --tls "localhost:$PORT" "$C/data"
  assert_failure 1
  assert_output "splice-net: localhost:$PORT: TLS handshake: certificate verify failed: unable to get local issuer certificate"
  wait_for log 'refused by peer \(tlsv1 alert unknown ca\)'
  # the server went on (--keep): a good client still gets through
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  assert_success

  recv_tls log2 127.0.0.1:0 $(server_cert expired) -k
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  assert_failure 1
  assert_output "splice-net: localhost:$PORT: TLS handshake: certificate verify failed: certificate has expired"
  # --insecure takes it anyway
  run timeout 30 "$SN" send --tls --insecure "localhost:$PORT" /dev/null
  assert_success

  recv_tls log3 127.0.0.1:0 $(server_cert wrongname) -k
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  assert_failure 1
  assert_output "splice-net: localhost:$PORT: TLS handshake: certificate verify failed: hostname mismatch"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "127.0.0.1:$PORT" "$C/data"
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$PORT: TLS handshake: certificate verify failed: IP address mismatch"
}

@test "a plaintext client on a TLS port, and send --tls to a plaintext server" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 nc -N 127.0.0.1 "$PORT" > /dev/null || true
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -Eq "^splice-net: 127.0.0.1:[0-9]+: TLS handshake: .* \(the peer does not speak TLS\?\)$" log
  [ ! -s got ]

  local p
  p=$(free_port)
  bg sh -c "printf 'SSH-2.0-OpenSSH_9.2\r\n' | nc -l 127.0.0.1 $p > /dev/null"
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" "$C/data"
  assert_failure 1
  assert_output --regexp "^splice-net: localhost:$p: TLS handshake: .*\(the peer does not speak TLS\?\)$"
}

@test "a handshake that never finishes times out (-t), on both sides" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -t 1 -o got
  # a client that connects and says nothing
  bg sh -c "sleep 20 | nc 127.0.0.1 $PORT"
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -Eq "^splice-net: 127.0.0.1:[0-9]+: TLS handshake not finished after 1 s$" log

  local p
  p=$(free_port)
  bg sh -c "sleep 20 | nc -l 127.0.0.1 $p > /dev/null"
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls -t 1.5 --ca "$C/ca.pem" "localhost:$p" "$C/data"
  assert_failure 1
  assert_output "splice-net: localhost:$p: TLS handshake not finished after 1.5 s"
}

@test "truncation: a close without close_notify is an error, not end of file" {
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got
  # s_client killed mid-stream: its TCP connection ends with no close_notify
  { printf 'part'; sleep 1; } | timeout 3 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
    -CAfile "$C/ca.pem" > /dev/null 2>&1 || true
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -Eq "^splice-net: 127.0.0.1:[0-9]+: connection closed without close_notify \(possible truncation\) after 4 bytes received$" log
  [ "$(cat got)" = part ]

  # and the other way: a server that closes without close_notify before the end
  local p
  p=$(free_port)
  bg timeout 3 openssl s_server -quiet -naccept 1 -accept "127.0.0.1:$p" -cert "$C/server.pem" \
    -key "$C/server.key"
  wait_tcp "$p"
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$p" /dev/zero
  assert_failure 1
  assert_output --regexp "^splice-net: localhost:$p: (TLS write: )?(connection reset by peer|connection closed by peer|Broken pipe) after [0-9]+ bytes sent$"
}

@test "--tls-ktls=require fails where the kernel has no TLS; =off and auto take user space" {
  no_ktls
  recv_tls log 127.0.0.1:0 $(server_cert server) -k -o got
  run timeout 30 "$SN" send --tls --tls-ktls=require --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  assert_failure 1
  assert_output --regexp "^splice-net: localhost:$PORT: kernel TLS is not available for sending \(TLSv1.3, TLS_[A-Z0-9_]+; "
  run timeout 30 "$SN" send --tls --tls-ktls=off --stats --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  assert_success
  assert_output --partial "tls: tls-user"

  recv_tls log2 127.0.0.1:0 $(server_cert server) --tls-ktls require -o got2
  run timeout 30 "$SN" send --tls --ca "$C/ca.pem" "localhost:$PORT" "$C/data"
  exit_of "$RECV_PID"
  [ "$status" -eq 1 ]
  grep -q "kernel TLS is not available for receiving" log2
}

@test "TLS option errors come before any I/O" {
  run "$SN" send --cert x a:1
  assert_failure 1
  assert_line --index 0 "splice-net: unrecognized option '--cert'"
  run "$SN" send --ca x a:1
  assert_failure 1
  assert_line --index 0 "splice-net: TLS options need --tls"
  run "$SN" recv --tls :0
  assert_failure 1
  assert_line --index 0 "splice-net: --tls needs --cert FILE and --key FILE"
  run "$SN" send --tls --client-cert x a:1
  assert_line --index 0 "splice-net: --client-cert and --client-key go together"
  run "$SN" send --tls --recv a:1
  assert_line --index 0 "splice-net: cannot use --recv with --tls"
  run "$SN" send --tls --tls-ktls=maybe a:1
  assert_line --index 0 "splice-net: invalid kTLS mode: 'maybe' (auto, off or require)"
  run "$SN" recv --tls --cert "$T/none.pem" --key "$C/server.key" 127.0.0.1:0
  assert_failure 1
  assert_output "splice-net: $T/none.pem: No such file or directory"
  run "$SN" recv --tls --cert "$C/server.pem" --key "$C/client.key" 127.0.0.1:0
  assert_failure 1
  assert_output "splice-net: $C/client.key: the key does not match the certificate $C/server.pem"
  run "$SN" recv --tls --cert "$C/ca.srl" --key "$C/server.key" 127.0.0.1:0
  assert_failure 1
  assert_output --regexp "^splice-net: $C/ca.srl: not a PEM certificate: "
}

@test "--help lists the TLS options" {
  run "$SN" send --help
  assert_output --partial "--ca FILE"
  assert_output --partial "--insecure"
  assert_output --partial "--tls-ktls MODE"
  assert_output --partial "tar cf - dir | splice-net send --tls host:9000"
  run "$SN" recv --help
  assert_output --partial "--verify-client CA"
  assert_output --partial "--cert FILE"
}

# serve_tls LOG ARGS...: `splice-net serve --tls` with the localhost certificate; sets PORT.
serve_tls() {
  local log=$1
  shift
  bg "$SN" serve --tls $(server_cert server) "$@" 2> "$log"
  SERVE_PID=$LAST
  PORT=$(listen_port "$log")
}

@test "serve --tls: the file to s_client and socat; bad clients logged, the others served" {
  serve_tls log --stats 127.0.0.1:0 "$C/data"
  grep -q "listening on 127.0.0.1:$PORT (TLS)" log
  timeout 30 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
    -verify_return_error < /dev/null > got1 2> /dev/null
  cmp "$C/data" got1
  # a plaintext client, a client that trusts another CA, a silent one cut off: each logged
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 nc -N 127.0.0.1 "$PORT" > /dev/null || true
  run timeout 30 "$SN" send --tls --ca "$C/otherca.pem" "localhost:$PORT" /dev/null
  assert_failure 1
  # and the server goes on
  timeout 30 socat -u "OPENSSL:localhost:$PORT,cafile=$C/ca.pem" CREATE:got2
  cmp "$C/data" got2
  wait_for log 'the peer does not speak TLS'
  wait_for log 'refused by peer \(tlsv1 alert unknown ca\)'
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  [ "$status" -eq 0 ]
  grep -q 'tls: tls-user' log
}

@test "serve --tls: a handshake that never finishes is closed after -t; others are served meanwhile" {
  serve_tls log -t 1 127.0.0.1:0 "$C/data"
  bg sh -c "sleep 20 | nc 127.0.0.1 $PORT > /dev/null"
  timeout 30 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" < /dev/null > got 2> /dev/null
  cmp "$C/data" got
  wait_for log 'sent 0 bytes in .*: idle for 1 s'
}

@test "serve --http --tls with curl https://: GET, ranges, keep-alive, ALPN http/1.1; curl refuses a wrong CA" {
  command -v curl > /dev/null || skip "curl not installed"
  serve_tls log --http 127.0.0.1:0 "$C/data"
  grep -q "listening on 127.0.0.1:$PORT (HTTP, TLS)" log
  run timeout 30 curl -sS --cacert "$C/ca.pem" -o got -w '%{http_code} %{http_version}' "https://localhost:$PORT/data"
  assert_success
  assert_output "200 1.1"
  cmp "$C/data" got
  # two requests on one connection, the second a range
  run timeout 30 curl -sS --cacert "$C/ca.pem" -o /dev/null -o part -r 10-19 \
    -w '%{http_code} %{num_connects}\n' "https://127.0.0.1:$PORT/data" "https://127.0.0.1:$PORT/data"
  assert_success
  assert_line --index 1 "206 0"
  [ "$(cat part)" = "$(head -c 20 "$C/data" | tail -c 10)" ]
  run timeout 30 curl -sS -o /dev/null "https://localhost:$PORT/data"
  assert_failure 60
  # ALPN: s_client offering only h2 is refused; http/1.1 is chosen
  run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" -alpn h2,http/1.1 < /dev/null
  assert_output --partial "ALPN protocol: http/1.1"
  run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" -alpn h2 < /dev/null
  assert_failure
  wait_for log '"GET /data HTTP/1.1" 200 4194304'
  wait_for log 'TLS handshake: no application protocol'
}

@test "serve --tls --verify-client: mutual TLS with curl" {
  command -v curl > /dev/null || skip "curl not installed"
  serve_tls log --http --verify-client "$C/ca.pem" 127.0.0.1:0 "$C/data"
  run timeout 30 curl -sS --cacert "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key" \
    -o got -w '%{http_code}' "https://localhost:$PORT/data"
  assert_success
  assert_output 200
  cmp "$C/data" got
  run timeout 30 curl -sS --cacert "$C/ca.pem" -o /dev/null "https://localhost:$PORT/data"
  assert_failure
  wait_for log 'peer did not return a certificate'
}

@test "serve --follow --tls: a growing file to curl https:// (chunked) and s_client, whole" {
  command -v curl > /dev/null || skip "curl not installed"
  head -c 100000 "$C/data" > rec
  # the writer holds rec open while it appends; following ends 1 s after it closes
  bg sh -c "for i in 1 2 3 4; do sleep 0.5; head -c 50001 /dev/urandom; done >> rec"
  serve_tls log --follow --idle 1 --http 127.0.0.1:0 rec
  run timeout 30 curl -sS --cacert "$C/ca.pem" -o got -w '%{http_code}' "https://localhost:$PORT/rec"
  assert_success
  assert_output 200
  cmp rec got
  [ "$(stat -c %s got)" -eq 300004 ]
  wait_for log 'rec: following ended: closed by its writers'
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  [ "$status" -eq 0 ]

  head -c 100000 "$C/data" > rec
  bg sh -c "for i in 1 2 3 4; do sleep 0.5; head -c 50001 /dev/urandom; done >> rec"
  serve_tls log2 --follow --idle 1 127.0.0.1:0 rec
  timeout 30 openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
    -verify_return_error < /dev/null > got2 2> /dev/null
  cmp rec got2
  [ "$(stat -c %s got2)" -eq 300004 ]
}
