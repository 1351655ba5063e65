#!/usr/bin/env bats
# splice-net fanout --http on loopback, with real HTTP clients: curl, Python's http.client,
# ffprobe (when installed) reading an MPEG-TS live stream; HEAD, other methods, malformed
# requests; --content-type checks; a plain fanout still sends no head.
load 'helpers/net'

setup_file() {
  random_fixtures src:$((3 * 1048576))
}

# py_get PORT METHOD: Python's http.client asks for /live.ts; prints the status, the headers
# that matter and the body's size and sha256.
py_get() {
  timeout 30 python3 - "$1" "$2" <<'PY'
import hashlib, http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
c.request(sys.argv[2], "/live.ts")
r = c.getresponse()
body = r.read()
print("status", r.status, r.reason)
for h in ("Content-Type", "Content-Length", "Connection", "Allow"):
    print(h, r.getheader(h))
print("date", "yes" if r.getheader("Date", "").endswith(" GMT") else "no")
print("body", len(body), hashlib.sha256(body).hexdigest())
PY
}

@test "--http: curl and Python's http.client get a 200 head (no length, Connection: close) and the whole stream" {
  fanout_bg log "$FIX/src" --http --content-type video/mp2t --min-clients 2
  bg curl -sS -D curl.head -o curl.body "http://127.0.0.1:$PORT/live.ts"
  local c=$LAST
  bg bash -c "$(declare -f py_get); py_get $PORT GET" > py.out
  local p=$LAST
  wait "$c"
  wait "$p"
  exit_of "$FAN_PID"
  assert_success
  cmp curl.body "$FIX/src"
  run tr -d '\r' < curl.head
  assert_line --index 0 'HTTP/1.1 200 OK'
  assert_line 'Content-Type: video/mp2t'
  assert_line 'Connection: close'
  assert_line --regexp '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$'
  refute_line --partial 'Content-Length'
  run cat py.out
  assert_line 'status 200 OK'
  assert_line 'Content-Type video/mp2t'
  assert_line 'Content-Length None'
  assert_line 'Connection close'
  assert_line 'date yes'
  assert_line "body $(stat -c %s "$FIX/src") $(sha256sum < "$FIX/src" | cut -d' ' -f1)"
  # the log names the request; the bytes counted include the head
  run cat log
  assert_line --regexp '^splice-net: listening on 127\.0\.0\.1:[0-9]+ \(HTTP\)$'
  [ "$(grep -Ec ': GET /live\.ts 200, sent [0-9]+ bytes in [0-9.]+ s: done$' log)" -eq 2 ]
  assert_line "splice-net: fanout: $(stat -c %s "$FIX/src") bytes from standard input; 2 clients, 0 dropped as slow"
}

@test "--http: HEAD gets the head only and does not count toward --min-clients; a GET then gets the stream" {
  fanout_bg log "$FIX/src" --http --min-clients 1
  run timeout 20 curl -sS -I "http://127.0.0.1:$PORT/live.ts"
  assert_success
  assert_line --index 0 $'HTTP/1.1 200 OK\r'
  assert_line $'Content-Type: application/octet-stream\r'
  run bash -c "$(declare -f py_get); py_get $PORT HEAD"
  assert_line 'status 200 OK'
  assert_line 'body 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
  # nothing was read yet: the GET still gets the stream from its first byte
  timeout 20 curl -sS -o got "http://127.0.0.1:$PORT/x"
  exit_of "$FAN_PID"
  assert_success
  cmp got "$FIX/src"
  [ "$(grep -c ': HEAD /live\.ts 200, ' log)" -eq 2 ]
}

@test "--http: other methods get 405 with Allow, malformed requests 400, other versions 505; the stream goes on" {
  fanout_bg log "$FIX/src" --http --min-clients 1
  run timeout 20 curl -sS -o /dev/null -D - -X POST --data x "http://127.0.0.1:$PORT/live.ts"
  assert_line --index 0 $'HTTP/1.1 405 Method Not Allowed\r'
  assert_line $'Allow: GET, HEAD\r'
  run bash -c "$(declare -f py_get); py_get $PORT PUT"
  assert_line 'status 405 Method Not Allowed'
  assert_line 'Allow GET, HEAD'
  run timeout 20 bash -c "printf 'hello there\r\n\r\n' | nc -q 5 127.0.0.1 $PORT"
  assert_output --partial 'HTTP/1.1 400 Bad Request'
  run timeout 20 bash -c "printf 'GET / HTTP/2.0\r\n\r\n' | nc -q 5 127.0.0.1 $PORT"
  assert_output --partial 'HTTP/1.1 505 '
  timeout 20 curl -sS -o got "http://127.0.0.1:$PORT/live.ts"
  exit_of "$FAN_PID"
  assert_success
  cmp got "$FIX/src"
  grep -q ': POST /live\.ts 405, ' log
  grep -q ': malformed request 400, ' log
}

@test "--http: ffprobe reads an MPEG-TS live stream over HTTP" {
  command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null || skip "ffmpeg/ffprobe not installed"
  timeout 60 ffmpeg -v error -f lavfi -i testsrc=duration=2:size=160x120:rate=10 -c:v mpeg2video \
      -f mpegts live.ts
  fanout_bg log live.ts --http --content-type video/mp2t --min-clients 1
  # (ffmpeg's http reader remarks that a body without a length "ends prematurely": -v fatal)
  run timeout 30 ffprobe -v fatal -show_entries format=format_name:stream=codec_name -of csv=p=0 \
      "http://127.0.0.1:$PORT/live.ts"
  assert_success
  assert_line --regexp '^mpeg2video,?$'
  assert_line 'mpegts'
  exit_of "$FAN_PID"
  assert_success
}

@test "a plain fanout sends no head: curl gets the raw stream (HTTP/0.9); --content-type with a newline is refused" {
  fanout_bg log "$FIX/src" --min-clients 1
  timeout 20 curl -sS --http0.9 -o got "http://127.0.0.1:$PORT/live.ts"
  exit_of "$FAN_PID"
  assert_success
  cmp got "$FIX/src"

  run timeout 10 "$SN" fanout --http --content-type $'text/plain\r\nX-Evil: 1' 127.0.0.1:0 < /dev/null
  assert_failure 1
  assert_output --partial 'invalid content type: '
  assert_output --partial '(control characters would break the response head)'
  run "$SN" fanout --help
  assert_line --partial '--http '
  assert_line --partial '--content-type TYPE'
}
