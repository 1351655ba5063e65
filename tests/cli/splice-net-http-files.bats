#!/usr/bin/env bats
# splice-net serve --http: what a request target reaches. A directory is served beneath its
# root only (openat2 RESOLVE_BENEATH, and the O_NOFOLLOW walk where openat2 is missing, forced
# by strace), %-decoding once, dot-files hidden, symlinks out of the root refused, directory
# listings with --index only, several files by their names, and the one-file form by its name.
load 'helpers/net'

setup() {
  net_setup
  mkdir -p site/sub site/.git outside
  printf 'index\n' > site/index.html
  printf 'b\n' > site/sub/b.txt
  printf 'secret\n' > site/.env
  printf 'git\n' > site/.git/config
  printf 'outside\n' > outside/secret
  printf 'odd\n' > 'site/a b&<x>.txt'
  ln -s sub/b.txt site/inside-link
  ln -s "$T/outside/secret" site/abs-out
  ln -s ../outside/secret site/rel-out
  ln -s ../outside site/dir-out
  ln -s /proc/self/root/etc/passwd site/magic
}

# code PATH: the status curl gets for PATH, sent as is (no dot-segment removal by curl).
code() {
  timeout 10 curl -sS --path-as-is -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"
}

# raw REQUEST-LINE: the status line of a request written byte for byte (curl cannot send `*`).
raw() {
  python3 - "$PORT" "$1" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(sys.argv[2].encode() + b"\r\nHost: t\r\nConnection: close\r\n\r\n")
print(c.makefile("rb").readline().decode().strip())
PY
}

@test "serve --http DIR: files beneath the root; nothing else, whatever the encoding" {
  serve_bg log --http 127.0.0.1:0 site
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/sub/b.txt"
  assert_output b
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/a%20b%26%3Cx%3E.txt"
  assert_output odd
  [ "$(code /index.html)" = 200 ]
  [ "$(code //sub/./b.txt)" = 200 ]
  [ "$(code /sub/../index.html)" = 200 ]  # inside the root, ".." is a path like any other
  [ "$(code /nonexistent)" = 404 ]
  [ "$(code /sub/b.txt/)" = 404 ]
  [ "$(code /index.html?x=1)" = 200 ]
  # out of the root: 400 for what no path beneath it can mean
  [ "$(code /../outside/secret)" = 400 ]
  [ "$(code /%2e%2e/outside/secret)" = 400 ]
  [ "$(code /sub/%2E%2E/%2e%2e/outside/secret)" = 400 ]
  [ "$(code /sub%2fb.txt)" = 400 ]
  [ "$(code /index.html%00.txt)" = 400 ]
  [ "$(code /%zz)" = 400 ]
  [ "$(code /%252e%252e/outside/secret)" = 404 ]  # decoded once: a name "%2e%2e", not a parent
  # dot-files and dot-directories
  [ "$(code /.env)" = 404 ]
  [ "$(code /.git/config)" = 404 ]
  [ "$(code /%2egit/config)" = 404 ]
  # symlinks: inside the root followed, out of it refused
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/inside-link"
  assert_output b
  [ "$(code /abs-out)" = 403 ]
  [ "$(code /rel-out)" = 403 ]
  [ "$(code /dir-out/secret)" = 403 ]
  [ "$(code /magic)" = 403 ]
  # request targets that are not paths
  run raw "GET * HTTP/1.1"
  assert_output "HTTP/1.1 400 Bad Request"
  run raw "GET example.com:80 HTTP/1.1"
  assert_output "HTTP/1.1 400 Bad Request"
  run raw "GET http://example.com/sub/b.txt HTTP/1.1"  # absolute-form: its path counts
  assert_output "HTTP/1.1 200 OK"

}

@test "serve --http DIR without openat2 (ENOSYS): the O_NOFOLLOW walk is just as strict" {
  command -v strace > /dev/null || skip "strace not installed"
  bg env ASAN_OPTIONS=detect_leaks=0 strace -f -o strace.out -e trace=openat2 -e inject=openat2:error=ENOSYS \
      "$SN" serve --http 127.0.0.1:0 site 2> log
  SERVE_PID=$LAST
  PORT=$(listen_port log)
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/sub/b.txt"
  assert_output b
  [ "$(code /nonexistent)" = 404 ]
  [ "$(code /abs-out)" = 403 ]
  [ "$(code /rel-out)" = 403 ]
  [ "$(code /dir-out/secret)" = 403 ]
  [ "$(code /magic)" = 403 ]
  [ "$(code /.env)" = 404 ]
  [ "$(code /%2e%2e/outside/secret)" = 400 ]
  # stricter: no symlink at all, not even one that stays inside
  [ "$(code /inside-link)" = 403 ]
  [ "$(code /index.html)" = 200 ]
  # openat2 was asked once, refused, and not asked again
  [ "$(grep -c 'openat2(' strace.out)" -eq 1 ]
  grep -q 'ENOSYS.*(INJECTED)' strace.out
}

@test "serve --http DIR: directories are 403 unless --index lists them; a missing slash is a 301" {
  serve_bg log --http 127.0.0.1:0 site
  [ "$(code /)" = 403 ]
  [ "$(code /sub/)" = 403 ]
  run timeout 10 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PORT/sub"
  assert_output "301 http://127.0.0.1:$PORT/sub/"
  # the query goes along, as nginx and python3 -m http.server keep it (a byte past ASCII
  # %-encoded: a header holds ASCII)
  run timeout 10 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PORT/sub?sort=name&x=%20"
  assert_output "301 http://127.0.0.1:$PORT/sub/?sort=name&x=%20"
  printf 'GET /sub?q=caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > req
  run sh -c 'timeout 10 nc 127.0.0.1 "$1" < req | tr -d "\r" | grep "^Location:"' sh "$PORT"
  assert_output "Location: /sub/?q=caf%C3%A9"
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"

  serve_bg log2 --http --index 127.0.0.1:0 site
  run timeout 10 curl -sS -D headers "http://127.0.0.1:$PORT/"
  assert_success
  grep -qi '^Content-Type: text/html; charset=utf-8' headers
  assert_output --partial '<a href="a%20b&%3Cx%3E.txt">a b&amp;&lt;x&gt;.txt</a>'
  assert_output --partial '<a href="sub/">sub/</a>'
  assert_output --partial '<a href="index.html">index.html</a>'
  refute_output --partial '.env'
  refute_output --partial '.git'
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/sub/"
  assert_output --partial '<a href="../">../</a>'
  assert_output --partial '<a href="b.txt">b.txt</a>'
  # wget follows the listing's links: every file beneath the root, nothing else
  run timeout 30 wget -q -r -np -nH -P mirror "http://127.0.0.1:$PORT/"
  cmp mirror/sub/b.txt site/sub/b.txt
  cmp "mirror/a b&<x>.txt" "site/a b&<x>.txt"
  [ ! -e mirror/.env ]
}

@test "serve --http FILE...: each file by its name; / is 403 (--index: a list); others 404" {
  printf 'one\n' > one.txt
  printf 'two\n' > two.bin
  serve_bg log --http 127.0.0.1:0 one.txt "$T/two.bin"
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/one.txt" "http://127.0.0.1:$PORT/two.bin"
  assert_output $'one\ntwo'
  [ "$(code /)" = 403 ]
  [ "$(code /three)" = 404 ]
  [ "$(code /one.txt/)" = 404 ]
  [ "$(code /sub/one.txt)" = 404 ]
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"

  # one FILE: by its name, as nginx serves a file of its root
  serve_bg log2 --http --index 127.0.0.1:0 one.txt
  [ "$(code /one.txt)" = 200 ]
  [ "$(code /anything)" = 404 ]
  run timeout 10 curl -sS "http://127.0.0.1:$PORT/"
  assert_output --partial '<a href="one.txt">one.txt</a>'

  run timeout 10 "$SN" serve --http 127.0.0.1:0 one.txt sub/one.txt
  assert_failure 1
  run timeout 10 "$SN" serve --http 127.0.0.1:0 one.txt "$T/one.txt"
  assert_failure 1
  assert_output "splice-net: $T/one.txt: another FILE is named 'one.txt' too (files are served by name)"
  run timeout 10 "$SN" serve --http 127.0.0.1:0 site one.txt
  assert_failure 1
  assert_output --partial "site: not a regular file"
  run timeout 10 "$SN" serve 127.0.0.1:0 site
  assert_failure 1
  assert_output --partial "not a regular file"
  run timeout 10 "$SN" serve --http --header x 127.0.0.1:0 site
  assert_failure 1
  assert_output "splice-net: site: --header and --header-file need a file, not a directory"
}

@test "serve without --http still sends its one file to every client, whatever it asks" {
  printf 'plain\n' > p.txt
  serve_bg log 127.0.0.1:0 p.txt
  run timeout 10 curl -sS --http0.9 "http://127.0.0.1:$PORT/anything"
  assert_output --partial plain
}

@test "--help, the man page and the completions know the directory form and its options" {
  load 'helpers/docs'
  run "$SN" serve --help
  assert_line "  or:  splice-net serve --http [OPTION]... ADDRESS FILE...|DIR"
  assert_output --partial "--index"
  assert_output --partial "--content-disposition"
  run man -l "$CONDUIT_SRC/man/splice-net.1"
  assert_output --partial "RESOLVE_BENEATH"
  assert_output --partial "multipart/byteranges"
  assert_output --partial "If-Unmodified-Since"
  assert_completions_offer splice-net "splice-net serve --ind" --index
  assert_completions_offer splice-net "splice-net serve --content-d" --content-disposition
  run complete_bash splice-net "splice-net serve --content-disposition "
  assert_output $'attachment\ninline'
  assert_completions_load splice-net
}

@test "serve --http DIR: a file that changes while served is named by its path beneath the root" {
  head -c $((32 * 1048576)) /dev/zero > site/sub/grow.bin
  serve_bg log --http 127.0.0.1:0 site
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --http \
      --path /sub/grow.bin --mark reading --go go > cut.out
  local client=$LAST
  wait_exists reading
  head -c 1048576 /dev/zero >> site/sub/grow.bin
  touch go
  wait "$client"
  wait_for log 'sub/grow.bin changed size while being sent \(33554432 -> 34603008 bytes\)'
  # the line at the end does not say the directory changed size
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_failure 1
  grep -qx 'splice-net: site: a file beneath it changed size while being served (logged above)' log
  ! grep -q 'site: changed size' log
}

@test "serve --http FILE...: a file that changes while served is not pinned on the last FILE" {
  head -c $((32 * 1048576)) /dev/zero > site/grow.bin
  serve_bg log --http 127.0.0.1:0 site/grow.bin site/index.html
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --http \
      --path /grow.bin --mark reading --go go > cut.out
  local client=$LAST
  wait_exists reading
  head -c 1048576 /dev/zero >> site/grow.bin
  touch go
  wait "$client"
  wait_for log 'grow.bin changed size while being sent \(33554432 -> 34603008 bytes\)'
  kill -TERM "$SERVE_PID"
  exit_of "$SERVE_PID"
  assert_failure 1
  grep -qx 'splice-net: a FILE changed size while being served (logged above)' log
  ! grep -q 'index.html.*changed size' log
}
