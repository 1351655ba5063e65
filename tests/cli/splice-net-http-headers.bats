#!/usr/bin/env bats
# splice-net serve --http: the headers real clients rely on. Date on every response,
# Last-Modified and a strong ETag (inode, size, mtime) on files, Content-Type by extension from
# /etc/mime.types (--content-type overrides it, and is refused with control characters; one
# that cannot be read is said, and the built-in types serve),
# Content-Disposition only with --content-disposition; wget -N keeps a copy up to date by them.
load 'helpers/net'

setup() {
  net_setup
  mkdir site
  head -c 5000 /dev/urandom > site/clip.mp4
  printf '<p>hi</p>\n' > site/page.html
  printf 'x\n' > site/noext
  touch -d '2020-01-02 03:04:05 UTC' site/clip.mp4
}

# hdr NAME: NAME's value in the headers file `h` (without the CR).
hdr() { grep -i "^$1:" h | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

@test "serve --http: Date always, Last-Modified and ETag from the file, Content-Type by extension" {
  serve_bg log --http 127.0.0.1:0 site
  timeout 10 curl -sS -D h -o got "http://127.0.0.1:$PORT/clip.mp4"
  cmp got site/clip.mp4
  [ "$(hdr Content-Type)" = video/mp4 ]
  [ "$(hdr Last-Modified)" = "Thu, 02 Jan 2020 03:04:05 GMT" ]
  local ino mtime
  ino=$(stat -c %i site/clip.mp4)
  mtime=$(stat -c %Y site/clip.mp4)
  [ "$(hdr ETag)" = "$(printf '"%x-%x-%x"' "$ino" 5000 "$mtime")" ]
  # Date: now, in IMF-fixdate
  local date
  date=$(hdr Date)
  [[ "$date" =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]]
  [ $(( $(date -d "$date" +%s) - $(date +%s) )) -le 2 ]
  [ $(( $(date +%s) - $(date -d "$date" +%s) )) -le 60 ]
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/page.html"
  [ "$(hdr Content-Type)" = text/html ]
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/noext"
  [ "$(hdr Content-Type)" = application/octet-stream ]
  [ -z "$(hdr Content-Disposition)" ]
  # errors carry a Date too
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/nothing"
  grep -q '^HTTP/1.1 404' h
  [ -n "$(hdr Date)" ]
  # the ETag changes when the file does
  local before
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/clip.mp4"
  before=$(hdr ETag)
  touch -d '2021-01-01 UTC' site/clip.mp4
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/clip.mp4"
  [ "$(hdr ETag)" != "$before" ]
}

@test "serve --http: types come from /etc/mime.types (Debian's media-types)" {
  [ -r /etc/mime.types ] || skip "/etc/mime.types missing (package media-types)"
  # an extension the built-in table does not know
  printf 'x' > site/doc.odt
  serve_bg log --http 127.0.0.1:0 site
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/doc.odt"
  [ "$(hdr Content-Type)" = "$(awk '$0 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == "odt") print $1 }' /etc/mime.types)" ]
}

@test "serve --http: .ts is video/mp2t (an MPEG transport stream), as nginx has it, not /etc/mime.types' Qt Linguist" {
  # Debian's media-types gives ts to text/vnd.trolltech.linguist: a media server's .ts recordings
  # and HLS segments would go to players and browsers as text
  head -c 1880 /dev/zero > site/seg.ts
  printf 'x' > site/A.TS
  serve_bg log --http 127.0.0.1:0 site
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/seg.ts"
  [ "$(hdr Content-Type)" = video/mp2t ]
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/A.TS"
  [ "$(hdr Content-Type)" = video/mp2t ]
  # the rest of /etc/mime.types still counts, and --content-type still wins
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/clip.mp4"
  [ "$(hdr Content-Type)" = video/mp4 ]
  serve_bg log2 --http --content-type application/x-test 127.0.0.1:0 site
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/seg.ts"
  [ "$(hdr Content-Type)" = application/x-test ]
}

@test "serve --http: a /etc/mime.types it cannot read is said, and the built-in types serve" {
  [ -e /etc/mime.types ] || skip "/etc/mime.types missing (package media-types)"
  # Over 4 MiB is not a mime.types file. Bound over the real one in a mount namespace of its own
  # (root only; the real file is never touched).
  head -c 5000000 /dev/zero > big.types
  unshare -m true 2> /dev/null || skip "no mount namespace here (needs root)"
  bg unshare -m sh -c 'mount --bind "$1" /etc/mime.types && exec "$2" serve --http 127.0.0.1:0 site' \
    sh "$T/big.types" "$SN" 2> log
  SERVE_PID=$LAST
  PORT=$(listen_port log)
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/clip.mp4"
  [ "$(hdr Content-Type)" = video/mp4 ]
  # said once, before the first client (the server said it on the way up)
  [ "$(grep -c mime.types log)" -eq 1 ]
  grep -qx 'splice-net: /etc/mime.types: File too large' log
}

@test "serve --content-type overrides, and is refused with control characters; --content-disposition" {
  serve_bg log --http --content-type 'text/plain; charset=utf-8' --content-disposition attachment \
      127.0.0.1:0 site/clip.mp4
  timeout 10 curl -sS -D h -o /dev/null "http://127.0.0.1:$PORT/clip.mp4"
  [ "$(hdr Content-Type)" = "text/plain; charset=utf-8" ]
  [ "$(hdr Content-Disposition)" = 'attachment; filename="clip.mp4"' ]
  # curl -J takes the name from it
  mkdir dl
  (cd dl && timeout 10 curl -sS -O -J "http://127.0.0.1:$PORT/clip.mp4")
  cmp dl/clip.mp4 site/clip.mp4

  run "$SN" serve --http --content-type $'text/plain\r\nSet-Cookie: x=1' 127.0.0.1:0 site
  assert_failure 1
  assert_output --partial "invalid content type"
  run "$SN" serve --http --content-type $'a\x01b' 127.0.0.1:0 site
  assert_failure 1
  run "$SN" serve --http --content-disposition evil 127.0.0.1:0 site
  assert_failure 1
  assert_output --partial "invalid content disposition: 'evil' (attachment or inline)"
  run "$SN" serve --index 127.0.0.1:0 site/clip.mp4
  assert_failure 1
  assert_line "splice-net: --index and --content-disposition need --http"
}

@test "wget -N: fetches once, then not again until the file changes" {
  serve_bg log --http 127.0.0.1:0 site
  mkdir copy
  cd copy
  run timeout 20 wget -N -S "http://127.0.0.1:$PORT/clip.mp4"
  assert_success
  cmp clip.mp4 ../site/clip.mp4
  [ "$(stat -c %Y clip.mp4)" = "$(stat -c %Y ../site/clip.mp4)" ]  # from Last-Modified
  run timeout 20 wget -N -S "http://127.0.0.1:$PORT/clip.mp4"
  assert_success
  assert_output --partial "304 Not Modified"
  assert_output --partial "not modified on server"
  head -c 6000 /dev/urandom > ../site/clip.mp4
  run timeout 20 wget -N "http://127.0.0.1:$PORT/clip.mp4"
  assert_success
  cmp clip.mp4 ../site/clip.mp4
}
