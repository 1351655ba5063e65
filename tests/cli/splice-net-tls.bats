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
  serve_bg "$log" --tls $(server_cert server) "$@"
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

@test "serve --tls in user space reads the file about once: one record's worth per write" {
  command -v strace > /dev/null || skip "strace not installed"
  no_ktls
  # SSL_write with partial writes returns after one 16 KiB record: reading 128 KiB for each
  # write read the file about eight times over.
  bg env ASAN_OPTIONS=detect_leaks=0 strace -f -o strace.out -e trace=pread64 \
      "$SN" serve --tls $(server_cert server) 127.0.0.1:0 "$C/data" 2> log
  SERVE_PID=$LAST
  PORT=$(listen_port log)
  timeout 30 socat -u "OPENSSL:localhost:$PORT,cafile=$C/ca.pem" CREATE:got
  cmp "$C/data" got
  local read_total
  read_total=$(awk -F'= ' '/pread64\(/ && $NF+0 > 0 { sum += $NF } END { print sum + 0 }' strace.out)
  # Once, and again only the record a full socket made us retry (about 8x before).
  [ "$read_total" -ge "$(stat -c %s "$C/data")" ]
  [ "$read_total" -le $((2 * $(stat -c %s "$C/data"))) ]
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

@test "serve --http --tls and fanout --http --tls: an HTTP/1.0 client (curl --http1.0: ALPN http/1.0) is served" {
  command -v curl > /dev/null || skip "curl not installed"
  # serve answers HTTP/1.0 (the close ends the body), so its ALPN must not refuse the client
  # that names it: curl --http1.0 offers only http/1.0, as nginx accepts it
  serve_tls log --http 127.0.0.1:0 "$C/data"
  run timeout 30 curl -sS --http1.0 --cacert "$C/ca.pem" -o got -w '%{http_code}' "https://localhost:$PORT/data"
  assert_success
  assert_output 200
  cmp "$C/data" got
  run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" -alpn http/1.0 < /dev/null
  assert_output --partial "ALPN protocol: http/1.0"
  # a client offering both gets http/1.1
  run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" -alpn http/1.0,http/1.1 < /dev/null
  assert_output --partial "ALPN protocol: http/1.1"
  wait_for log '"GET /data HTTP/1.0" 200 4194304'
  ! grep -q 'no application protocol' log
  # fanout --http: the same context
  head -c 100000 "$C/data" > part
  fanout_tls flog part --http --min-clients 1 --slow block
  run timeout 30 curl -sS --http1.0 --cacert "$C/ca.pem" -o fgot -w '%{http_code}' "https://localhost:$PORT/live"
  assert_success
  assert_output 200
  cmp part fgot
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

# relay_tls LOG ARGS...: `splice-net relay ARGS` (ARGS end with LISTEN TARGET) in the
# background; sets RELAY_PID and PORT.
relay_tls() {
  server_bg relay "$@" || return
  RELAY_PID=$SERVER_PID
}

# tls_target LOG MODE ARGS...: tests/cli/helpers/tls_server.py with the localhost certificate
# (or $TARGET_CERT's); sets TARGET_PID and TPORT.
tls_target() {
  local log=$1 mode=$2 cert=${TARGET_CERT:-server}
  shift 2
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/tls_server.py" "$C/$cert.pem" "$C/$cert.key" "$mode" "$@" > "$log"
  TARGET_PID=$LAST
  wait_for "$log" '^listening' || return 1
  TPORT=$(sed -n 's/^listening //p' "$log")
}

@test "relay --tls: s_client -> relay -> nc listener, every byte both ways; --stats names the path" {
  no_ktls
  local p
  p=$(free_port)
  bg sh -c "nc -l 127.0.0.1 $p < '$C/data' > up"
  local target=$LAST
  wait_tcp "$p"
  relay_tls log --tls $(server_cert server) --stats 127.0.0.1:0 "127.0.0.1:$p"
  grep -q "listening on 127.0.0.1:$PORT (TLS)" log
  # s_client stops reading when its input ends: that input ends once every byte came down.
  : > down
  { cat "$C/data"; while [ "$(stat -c %s down)" -lt 4194304 ]; do sleep 0.1; done; } |
    timeout 30 openssl s_client -quiet -no_ign_eof -nocommands -connect "127.0.0.1:$PORT" \
      -CAfile "$C/ca.pem" -verify_return_error > down 2> s_client.log
  exit_of "$target"
  [ "$status" -eq 0 ]
  cmp "$C/data" up
  cmp "$C/data" down
  wait_for log "4194304 bytes to 127.0.0.1:$p, 4194304 bytes back in .*: done"
  kill -TERM "$RELAY_PID"
  exit_of "$RELAY_PID"
  [ "$status" -eq 0 ]
  grep -q 'tls: tls-user' log
}

@test "relay --tls-target: nc -> relay -> a TLS server, both ways with a half-close each way; its certificate is checked" {
  tls_target target.log answer --send "$C/data" --got up
  relay_tls log --tls-target --ca "$C/ca.pem" 127.0.0.1:0 "localhost:$TPORT"
  grep -q "listening on 127.0.0.1:$PORT (TLS to TARGET)" log
  timeout 30 nc -N 127.0.0.1 "$PORT" < "$C/data" > down
  exit_of "$TARGET_PID"
  [ "$status" -eq 0 ]
  grep -qx 'eof 4194304' target.log
  cmp "$C/data" up
  cmp "$C/data" down

  # a target whose certificate does not chain to --ca: the client gets a reset, the reason is logged
  tls_target target2.log answer --send "$C/data"
  relay_tls log2 --tls-target --ca "$C/otherca.pem" 127.0.0.1:0 "localhost:$TPORT"
  run timeout 30 python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --first 0
  assert_output "reset 0"
  wait_for log2 "client 127.0.0.1:[0-9]*: localhost:$TPORT: TLS handshake: certificate verify failed: unable to get local issuer certificate"
  # the name is checked too (and logged under -q: TARGET failed)
  TARGET_CERT=wrongname tls_target target3.log answer --send "$C/data"
  relay_tls log3 -q --tls-target --ca "$C/ca.pem" 127.0.0.1:0 "localhost:$TPORT"
  run timeout 30 python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --first 0
  assert_output "reset 0"
  wait_for log3 "localhost:$TPORT: TLS handshake: certificate verify failed: hostname mismatch"
}

@test "relay --tls --tls-target: socat OPENSSL: -> relay -> a TLS server, both ways with a half-close each way" {
  tls_target target.log answer --send "$C/data" --got up
  relay_tls log --tls $(server_cert server) --tls-target --ca "$C/ca.pem" 127.0.0.1:0 "localhost:$TPORT"
  grep -q "listening on 127.0.0.1:$PORT (TLS, TLS to TARGET)" log
  # (s_client stops reading once its input ends; socat -t waits for the answer)
  timeout 30 socat -t 30 - "OPENSSL:localhost:$PORT,cafile=$C/ca.pem" < "$C/data" > down
  exit_of "$TARGET_PID"
  [ "$status" -eq 0 ]
  cmp "$C/data" up
  cmp "$C/data" down
  wait_for log "4194304 bytes to localhost:$TPORT, 4194304 bytes back in .*: done"
}

@test "relay with TLS: a side that closes without close_notify is a reset on the other side, not an end" {
  # the target's TLS ends without close_notify: the plain client gets a reset
  tls_target target.log cut --send "$C/data"
  relay_tls log --tls-target --ca "$C/ca.pem" 127.0.0.1:0 "localhost:$TPORT"
  run timeout 30 python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --first 0
  assert_output --regexp '^reset [0-9]+$'
  wait_for log "bytes back in .*: target: connection closed without close_notify \(possible truncation\)"

  # the client's TLS ends without close_notify (s_client killed): the plain target gets a reset
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/relay_clients.py" server count 127.0.0.1:0 > target2.log
  wait_for target2.log '^listening'
  local tp
  tp=$(sed -n 's/^listening //p' target2.log)
  relay_tls log2 --tls $(server_cert server) 127.0.0.1:0 "127.0.0.1:$tp"
  { printf 'part'; sleep 1; } | timeout 3 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
    -CAfile "$C/ca.pem" > /dev/null 2>&1 || true
  wait_for target2.log '^reset 4$'
  wait_for log2 "4 bytes to 127.0.0.1:$tp, 0 bytes back in .*: client: connection closed without close_notify \(possible truncation\)"
}

@test "relay --tls: a plaintext client and a silent one are logged and closed; the others are relayed" {
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/relay_clients.py" server answer 127.0.0.1:0 > target.log
  wait_for target.log '^listening'
  local tp
  tp=$(sed -n 's/^listening //p' target.log)
  relay_tls log -t 1 --tls $(server_cert server) 127.0.0.1:0 "127.0.0.1:$tp"
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 nc -N 127.0.0.1 "$PORT" > /dev/null || true
  wait_for log "client 127.0.0.1:[0-9]*: client: TLS handshake: .*\(the peer does not speak TLS\?\)"
  bg sh -c "sleep 20 | nc 127.0.0.1 $PORT > /dev/null"
  printf 'abc' | timeout 30 socat -t 30 - "OPENSSL:localhost:$PORT,cafile=$C/ca.pem" > got
  [ "$(cat got)" = cba ]
  wait_for log "client 127.0.0.1:[0-9]*: client: TLS handshake not finished after 1 s"
  # neither reached TARGET
  [ "$(grep -c '^conn' target.log)" -eq 1 ]
}

@test "relay TLS options: checked before any I/O, in --help" {
  run "$SN" relay --cert x 127.0.0.1:0 127.0.0.1:1
  assert_failure 1
  assert_line --index 0 "splice-net: --cert, --key and --verify-client need --tls"
  run "$SN" relay --tls 127.0.0.1:0 127.0.0.1:1
  assert_line --index 0 "splice-net: --tls needs --cert FILE and --key FILE"
  run "$SN" relay --ca x --tls $(server_cert server) 127.0.0.1:0 127.0.0.1:1
  assert_line --index 0 "splice-net: --ca, --client-cert, --client-key and --insecure need --tls-target"
  run "$SN" relay --tls-ktls require 127.0.0.1:0 127.0.0.1:1
  assert_line --index 0 "splice-net: --tls-ktls needs --tls or --tls-target"
  run "$SN" relay --tls-target --insecure --ca x 127.0.0.1:0 127.0.0.1:1
  assert_line --index 0 "splice-net: cannot use --insecure with --ca"
  run "$SN" relay --tls-target --ca "$T/none.pem" 127.0.0.1:0 127.0.0.1:1
  assert_failure 1
  assert_output "splice-net: $T/none.pem: No such file or directory"
  run "$SN" relay --help
  assert_output --partial "--tls-target"
  assert_output --partial "--verify-client CA"
  assert_output --partial "--insecure"
}

@test "--tls-ktls=require on relay refuses a connection without kTLS both ways, and says why" {
  no_ktls
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/relay_clients.py" server count 127.0.0.1:0 > target.log
  wait_for target.log '^listening'
  local tp
  tp=$(sed -n 's/^listening //p' target.log)
  relay_tls log --tls --tls-ktls=require $(server_cert server) 127.0.0.1:0 "127.0.0.1:$tp"
  printf 'abc' | timeout 30 openssl s_client -quiet -no_ign_eof -nocommands -connect "127.0.0.1:$PORT" \
    -CAfile "$C/ca.pem" > /dev/null 2>&1 || true
  wait_for log "client: kernel TLS is not available both ways \(TLSv1.3, TLS_"
}

@test "KeyUpdate mid-stream (s_client 'k', and 'K' asking for ours): recv --tls and relay --tls take every byte" {
  # s_client takes a line as a command only at the start of a read: each line comes after a pause.
  recv_tls log 127.0.0.1:0 $(server_cert server) -o got
  { sleep 1; echo first; sleep 1; echo k; sleep 1; echo second; sleep 1; echo K; sleep 1; echo third; } |
    timeout 30 openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
      > /dev/null 2> s_client.log
  exit_of "$RECV_PID"
  [ "$status" -eq 0 ]
  [ "$(cat got)" = "$(printf 'first\nsecond\nthird\n')" ]
  [ "$(grep -c KEYUPDATE s_client.log)" -eq 2 ]

  local p
  p=$(free_port)
  bg sh -c "nc -l 127.0.0.1 $p > up < /dev/null"
  local target=$LAST
  wait_tcp "$p"
  relay_tls log2 --tls $(server_cert server) 127.0.0.1:0 "127.0.0.1:$p"
  { sleep 1; echo first; sleep 1; echo k; sleep 1; echo second; sleep 1; echo K; sleep 1; echo third; } |
    timeout 30 openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" \
      > /dev/null 2> s_client2.log
  exit_of "$target"
  [ "$(cat up)" = "$(printf 'first\nsecond\nthird\n')" ]
  [ "$(grep -c KEYUPDATE s_client2.log)" -eq 2 ]
  wait_for log2 ": done$"
}

# fanout_tls LOG INPUT ARGS...: `splice-net fanout --tls` with the localhost certificate, INPUT as
# its standard input; sets FAN_PID and PORT.
fanout_tls() {
  local log=$1 input=$2
  shift 2
  # (not through bg: an asynchronous command's standard input would be /dev/null)
  timeout --foreground 60 "$SN" fanout --tls $(server_cert server) "$@" 127.0.0.1:0 < "$input" 2> "$log" 3>&- &
  FAN_PID=$!
  echo $! >> "$T/pids"
  PORT=$(listen_port "$log")
}

@test "fanout --tls: the stream to s_client and socat OPENSSL:, whole; --stats names tls-user" {
  no_ktls
  fanout_tls log "$C/data" --min-clients 2 --slow block --stats
  grep -q "listening on 127.0.0.1:$PORT (TLS)" log
  bg sh -c "timeout 30 openssl s_client -quiet -connect 127.0.0.1:$PORT -CAfile '$C/ca.pem' \
    -verify_return_error < /dev/null > got1 2> /dev/null"
  local s=$LAST
  timeout 30 socat -u "OPENSSL:localhost:$PORT,cafile=$C/ca.pem" CREATE:got2
  wait "$s"
  cmp "$C/data" got1
  cmp "$C/data" got2
  exit_of "$FAN_PID"
  [ "$status" -eq 0 ]
  [ "$(grep -c ': done$' log)" -eq 2 ]
  grep -q 'tls: tls-user' log
  grep -q "fanout: 4194304 bytes from standard input; 2 clients, 0 dropped" log
}

@test "fanout --http --tls: curl https:// (ALPN http/1.1) gets the head, then the stream" {
  command -v curl > /dev/null || skip "curl not installed"
  fanout_tls log "$C/data" --http --content-type video/mp2t --min-clients 2 --slow block
  grep -q "listening on 127.0.0.1:$PORT (HTTP, TLS)" log
  bg timeout 30 curl -sS --cacert "$C/ca.pem" -o got1 "https://localhost:$PORT/live.ts"
  local c=$LAST
  run timeout 30 curl -sS --cacert "$C/ca.pem" -o got2 -D head -w '%{http_code} %{http_version}' \
    "https://localhost:$PORT/live.ts"
  assert_success
  assert_output "200 1.1"
  wait "$c"
  cmp "$C/data" got1
  cmp "$C/data" got2
  grep -qi '^content-type: video/mp2t' head
  exit_of "$FAN_PID"
  [ "$status" -eq 0 ]
  [ "$(grep -c 'GET /live.ts 200, sent .*: done$' log)" -eq 2 ]
}

@test "fanout --tls: a plaintext client and a silent one are dropped; the TLS client keeps receiving" {
  # the second half of the stream waits until both bad clients have been dealt with
  mkfifo in
  bg sh -c "exec > in; head -c 2097152 '$C/data'
    while ! grep -q 'TLS handshake not finished' log 2> /dev/null; do sleep 0.1; done
    tail -c +2097153 '$C/data'"
  fanout_tls log in --min-clients 1 --slow block -t 2
  bg sh -c "timeout 60 openssl s_client -quiet -connect 127.0.0.1:$PORT -CAfile '$C/ca.pem' \
    -verify_return_error < /dev/null > got 2> /dev/null"
  local s=$LAST
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 nc -N 127.0.0.1 "$PORT" > plain.out || true
  bg sh -c "sleep 20 | nc 127.0.0.1 $PORT > /dev/null"
  wait_for log 'the peer does not speak TLS'
  wait_for log 'sent 0 bytes in .*: TLS handshake not finished after 2 s$'
  wait "$s"
  cmp "$C/data" got
  [ ! -s plain.out ]
  exit_of "$FAN_PID"
  [ "$status" -eq 0 ]
  grep -q "fanout: 4194304 bytes from standard input; 3 clients, 0 dropped" log
}

@test "fanout --tls: in --help, the man page and every shell's completions; needs --cert and --key" {
  run "$SN" fanout --help
  assert_output --partial "--verify-client CA"
  assert_output --partial "--tls-ktls MODE"
  assert_output --partial "splice-net fanout --http --tls --cert c.pem --key k.pem :8443"
  run "$SN" fanout --tls :0
  assert_failure 1
  assert_line --index 0 "splice-net: --tls needs --cert FILE and --key FILE"
  grep -q '^\.Pq send, recv, serve, fanout, relay$' "$CONDUIT_SRC/man/splice-net.1"
  load 'helpers/docs'
  assert_man_lint_clean splice-net
  assert_completions_offer splice-net "splice-net fanout --tls-k" --tls-ktls
  assert_completions_offer splice-net "splice-net fanout --ce" --cert
}
