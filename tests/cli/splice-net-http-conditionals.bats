#!/usr/bin/env bats
# splice-net serve --http: conditional requests (RFC 9110 13) in their precedence order, with
# curl (-z, --etag-compare, If-Range on a resume) and python's http.client for the field
# combinations curl cannot make.
load 'helpers/net'

setup() {
  net_setup
  head -c 100000 /dev/urandom > f.bin
  touch -d '2020-01-02 03:04:05 UTC' f.bin
  LM="Thu, 02 Jan 2020 03:04:05 GMT"
}

# get FIELD: VALUE ...: "STATUS BODY-LENGTH" of a GET /f.bin with those header fields.
get() {
  timeout 10 python3 "$HELP/http_get.py" "127.0.0.1:$PORT" /f.bin "$@"
}

etag() {
  printf '"%x-%x-%x"' "$(stat -c %i f.bin)" "$(stat -c %s f.bin)" "$(stat -c %Y f.bin)"
}

@test "If-None-Match and If-Modified-Since: 304 with no body; else 200" {
  serve_bg log --http 127.0.0.1:0 f.bin
  local e
  e=$(etag)
  run get "If-None-Match: $e"
  assert_output "304 0"
  run get "If-None-Match: \"other\", W/$e"  # weak comparison
  assert_output "304 0"
  run get "If-None-Match: *"
  assert_output "304 0"
  run get "If-None-Match: \"other\""
  assert_output "200 100000"
  run get "If-Modified-Since: $LM"
  assert_output "304 0"
  run get "If-Modified-Since: Thu, 02 Jan 2020 03:04:04 GMT"
  assert_output "200 100000"
  run get "If-Modified-Since: not a date"
  assert_output "200 100000"
  # If-None-Match takes precedence: If-Modified-Since is not looked at
  run get "If-None-Match: \"other\"" "If-Modified-Since: $LM"
  assert_output "200 100000"
  # HEAD: 304 as well
  run get --method HEAD "If-None-Match: $e"
  assert_output "304 0"
  # curl -z: If-Modified-Since from a date or a file's mtime
  run timeout 10 curl -sS -o got -w '%{http_code}' -z "$LM" "http://127.0.0.1:$PORT/f.bin"
  assert_output 304
  touch -d '2019-01-01 UTC' older
  run timeout 10 curl -sS -o got -w '%{http_code}' -z older "http://127.0.0.1:$PORT/f.bin"
  assert_output 200
  cmp got f.bin
  # curl --etag-save / --etag-compare
  timeout 10 curl -sS -o /dev/null --etag-save etag.txt "http://127.0.0.1:$PORT/f.bin"
  run timeout 10 curl -sS -o /dev/null -w '%{http_code}' --etag-compare etag.txt "http://127.0.0.1:$PORT/f.bin"
  assert_output 304
}

@test "If-Match and If-Unmodified-Since: 412 on a mismatch, checked before If-None-Match" {
  serve_bg log --http 127.0.0.1:0 f.bin
  local e
  e=$(etag)
  run get "If-Match: \"other\""
  assert_output --regexp '^412 '
  run get "If-Match: W/$e"  # strong comparison: a weak tag never matches
  assert_output --regexp '^412 '
  run get "If-Match: $e"
  assert_output "200 100000"
  run get "If-Match: *"
  assert_output "200 100000"
  run get "If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT"
  assert_output --regexp '^412 '
  run get "If-Unmodified-Since: $LM"
  assert_output "200 100000"
  # If-Match present: If-Unmodified-Since is not looked at
  run get "If-Match: $e" "If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT"
  assert_output "200 100000"
  # 412 comes first, then 304
  run get "If-Match: \"other\"" "If-None-Match: $e"
  assert_output --regexp '^412 '
  run get "If-Match: $e" "If-None-Match: $e"
  assert_output "304 0"
  # the connection stays usable after each
  run get "If-Match: \"other\"" --twice
  assert_output --regexp '^412 [0-9]+ 412 [0-9]+$'
}

@test "If-Range: the current validator gets the range; a stale one the whole file (200)" {
  serve_bg log --http 127.0.0.1:0 f.bin
  local e
  e=$(etag)
  run get "Range: bytes=0-99" "If-Range: $e"
  assert_output "206 100"
  run get "Range: bytes=0-99" "If-Range: $LM"
  assert_output "206 100"
  run get "Range: bytes=0-99" "If-Range: \"stale\""
  assert_output "200 100000"
  run get "Range: bytes=0-99" "If-Range: W/$e"
  assert_output "200 100000"
  run get "Range: bytes=0-99" "If-Range: Thu, 02 Jan 2020 03:04:06 GMT"
  assert_output "200 100000"

  # a resume after the file changed: the old ETag is stale, the answer the whole new file,
  # never the old part spliced onto the new tail (curl -C - refuses a 200; http.client takes it)
  head -c 100000 /dev/urandom > f.bin
  run get "Range: bytes=50000-" "If-Range: $e" --body-to got
  assert_output "200 100000"
  cmp got f.bin
  run get "Range: bytes=50000-" "If-Range: $(etag)" --body-to got
  assert_output "206 50000"
  cmp got <(tail -c 50000 f.bin)
}
