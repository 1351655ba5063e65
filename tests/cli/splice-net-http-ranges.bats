#!/usr/bin/env bats
# splice-net serve --http: byte ranges with real clients. Several ranges -> 206
# multipart/byteranges (parsed by python's email package), coalesced, capped; 416 as nginx
# answers; ranges past 4 GiB of a sparse file; resume with curl -C - and wget -c; an ffmpeg
# seek into an MP4 whose moov atom is at the end; the one-file form's --header as the first
# bytes of the body, in lengths and ranges.
load 'helpers/net'

setup_file() {
  random_fixtures f.bin:1048576
}

# parts FILE: each part of the multipart/byteranges response in FILE (head + body, as curl -i
# saved it) as "Content-Range SHA256", one a line, after checking Content-Length and the
# closing delimiter.
parts() {
  python3 - "$1" <<'PY'
import email, hashlib, sys
raw = open(sys.argv[1], "rb").read()
head, _, body = raw.partition(b"\r\n\r\n")
fields = head.split(b"\r\n")[1:]
msg = email.message_from_bytes(b"\r\n".join(fields) + b"\r\n\r\n" + body)
assert msg.get_content_type() == "multipart/byteranges", msg.get_content_type()
assert int(msg["Content-Length"]) == len(body), (msg["Content-Length"], len(body))
assert body.endswith(b"\r\n--" + msg.get_boundary().encode() + b"--\r\n")
for part in msg.get_payload():
    print(part["Content-Range"], hashlib.sha256(part.get_payload(decode=True)).hexdigest())
PY
}

# want FIRST LAST SIZE FILE: what parts() prints for that range of FILE.
want() {
  echo "bytes $1-$2/$3 $(tail -c +$(( $1 + 1 )) "$4" | head -c $(( $2 - $1 + 1 )) | sha256sum | cut -d' ' -f1)"
}

@test "several ranges: 206 multipart/byteranges, parts in order, overlapping ones coalesced" {
  serve_bg log --http 127.0.0.1:0 "$FIX/f.bin"
  local url="http://127.0.0.1:$PORT/f.bin" size=1048576
  timeout 10 curl -sS -i -o resp -r 0-99,200-299,1048000- "$url"
  head -n 1 resp | grep -q '^HTTP/1.1 206'
  grep -aqi '^Content-Type: multipart/byteranges; boundary=' resp
  run parts resp
  assert_output "$(want 0 99 $size "$FIX/f.bin"; want 200 299 $size "$FIX/f.bin"; want 1048000 1048575 $size "$FIX/f.bin")"
  # overlapping and adjacent ranges become one; order otherwise kept
  timeout 10 curl -sS -i -o resp -r 500-599,0-9,5-19,20-29 "$url"
  run parts resp
  assert_output "$(want 500 599 $size "$FIX/f.bin"; want 0 29 $size "$FIX/f.bin")"
  # ranges that coalesce into one: a plain 206
  run timeout 10 curl -sS -o part -w '%{http_code} %{content_type}' -r 0-9,10-19 "$url"
  assert_output "206 application/octet-stream"
  cmp part <(head -c 20 "$FIX/f.bin")
  # HEAD: the same head, no body
  run timeout 10 curl -sS -I -r 0-1,5-6 "$url"
  assert_line --regexp '^HTTP/1.1 206'
  # more than 16 ranges: the whole file, 200
  local many
  many=$(for i in $(seq 0 16); do printf '%d-%d,' $(( i * 100 )) $(( i * 100 + 1 )); done)
  run timeout 10 curl -sS -o got -w '%{http_code}' -r "${many%,}" "$url"
  assert_output 200
  cmp got "$FIX/f.bin"
}

@test "416 as nginx: 5-2, a 20-digit value, past the end; another unit, an empty file: 200" {
  : > empty
  serve_bg log --http 127.0.0.1:0 "$FIX/f.bin" empty
  local url="http://127.0.0.1:$PORT/f.bin" r
  for r in 5-2 99999999999999999999- 0-99999999999999999999 1048576- x-y; do
    run timeout 10 curl -sS -D - -o /dev/null -H "Range: bytes=$r" "$url"
    assert_line --regexp '^HTTP/1.1 416 Range Not Satisfiable'
    assert_line --regexp '^Content-Range: bytes \*/1048576'
  done
  run timeout 10 curl -sS -o /dev/null -w '%{http_code}' -H "Range: items=0-9" "$url"
  assert_output 200
  run timeout 10 curl -sS -o /dev/null -w '%{http_code} %{size_download}' -r 0- "http://127.0.0.1:$PORT/empty"
  assert_output "200 0"
}

@test "ranges past 4 GiB of a sparse 6 GiB file" {
  truncate -s 6G big
  printf 'tail-marker' | dd of=big bs=1 seek=$(( 5 * 1024 * 1024 * 1024 )) conv=notrunc status=none
  serve_bg log --http 127.0.0.1:0 big
  local url="http://127.0.0.1:$PORT/big"
  run timeout 10 curl -sS -r 5368709120-5368709130 "$url"
  assert_output tail-marker
  run timeout 10 curl -sS -I "$url"
  assert_line --regexp '^Content-Length: 6442450944'
  timeout 10 curl -sS -i -o resp -r 0-3,5368709120-5368709130 "$url"
  run parts resp
  assert_line --index 1 --regexp '^bytes 5368709120-5368709130/6442450944 '
}

@test "resume: curl -C - and wget -c get the rest of a partial download" {
  serve_bg log --http 127.0.0.1:0 "$FIX/f.bin"
  local url="http://127.0.0.1:$PORT/f.bin"
  head -c 300000 "$FIX/f.bin" > c.bin
  run timeout 10 curl -sS -C - -o c.bin -w '%{http_code}' "$url"
  assert_output 206
  cmp c.bin "$FIX/f.bin"
  head -c 700001 "$FIX/f.bin" > f.bin
  run timeout 20 wget -c -S "$url"
  assert_success
  assert_output --partial "206 Partial Content"
  cmp f.bin "$FIX/f.bin"
  grep -q '"GET /f.bin HTTP/1.1" 206 ' log  # the access log's line
}

@test "serve --http --header: the header is the start of the body, in lengths and ranges" {
  printf 'HEADER:' > hdr
  serve_bg log --http --header-file hdr 127.0.0.1:0 "$FIX/f.bin"
  local url="http://127.0.0.1:$PORT/f.bin"
  timeout 10 curl -sS -o got "$url"
  cat hdr "$FIX/f.bin" | cmp - got
  run timeout 10 curl -sS -I "$url"
  assert_line --regexp '^Content-Length: 1048583'
  # a range across the header's end
  cat hdr "$FIX/f.bin" > whole
  timeout 10 curl -sS -o part -r 3-12 "$url"
  cmp part <(head -c 13 whole | tail -c 10)
  timeout 10 curl -sS -o part -r -5 "$url"
  cmp part <(tail -c 5 whole)
  timeout 10 curl -sS -i -o resp -r 0-6,100-199 "$url"
  run parts resp
  assert_output "$(want 0 6 1048583 whole; want 100 199 1048583 whole)"
  # a resume from inside the header
  head -c 4 whole > resumed
  timeout 10 curl -sS -C - -o resumed "$url"
  cmp resumed whole
}

@test "ffmpeg seeks in an MP4 whose moov atom is at the end" {
  command -v ffmpeg > /dev/null && command -v ffprobe > /dev/null || skip "ffmpeg not installed"
  timeout 120 ffmpeg -v error -f lavfi -i testsrc=duration=20:size=160x120:rate=10 \
      -c:v mpeg4 -g 10 -f mp4 clip.mp4
  # no +faststart: the moov atom follows the media data
  python3 - clip.mp4 <<'PY'
import struct, sys
data, at, order = open(sys.argv[1], "rb").read(), 0, []
while at < len(data):
    size, kind = struct.unpack(">I4s", data[at:at + 8])
    order.append(kind.decode())
    at += size
assert order.index("moov") > order.index("mdat"), order
PY
  serve_bg log --http 127.0.0.1:0 clip.mp4
  local url="http://127.0.0.1:$PORT/clip.mp4"
  run timeout 60 ffprobe -v error -show_entries format=duration -of csv=p=0 "$url"
  assert_success
  [[ "$output" =~ ^20\. ]]
  # a seek to 15 s: a frame comes out, and the server saw range requests
  run timeout 60 ffmpeg -v error -ss 15 -i "$url" -frames:v 1 -f null -
  assert_success
  run timeout 60 ffmpeg -v error -ss 15 -i "$url" -frames:v 1 -f image2 -y frame.png
  assert_success
  [ -s frame.png ]
  grep -q '"GET /clip.mp4 HTTP/1.1" 206 ' log  # the access log's line
}
