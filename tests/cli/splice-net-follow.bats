#!/usr/bin/env bats
# splice-net serve --follow: a recording in progress served to plain (nc, socat) and HTTP (curl,
# ffmpeg) clients, live, until its writer has closed it and it has stayed unchanged for --idle,
# or it is deleted, replaced or renamed (the log line says which). Writers wait for the clients
# (files that show they have joined) rather than for time; every process is under timeout.
load 'helpers/net'

setup() {
  net_setup
  TS_WRITER="$CONDUIT_SRC/tests/cli/helpers/ts_writer.py"
}

# follow_bg LOG ARGS...: starts `splice-net serve --follow ARGS`; sets PORT and SERVE_PID.
follow_bg() {
  local log=$1
  shift
  serve_bg "$log" --follow "$@"
}

# hold_open FILE: a writer (a background shell) keeps FILE open for appending until `release
# FILE`: the server sees a writer. (Not an fd of this shell: every process started later would
# inherit it and count as a writer too.)
hold_open() {
  bg sh -c 'exec 9>> "$1"; touch "$1.held"; while [ ! -e "$1.release" ]; do sleep 0.05; done' sh "$1"
  wait_exists "$1.held"
}
release() {
  touch "$1.release"
}

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

@test "serve --follow: an MPEG-TS recording appended in odd pieces reaches a plain and an HTTP client whole" {
  bg python3 "$TS_WRITER" rec.ts 4000 go
  W=$LAST
  wait_size rec.ts 0
  follow_bg plain.log --idle 1 127.0.0.1:0 rec.ts
  PLAIN=$PORT
  follow_bg http.log --http --idle 1 --content-type video/mp2t 127.0.0.1:0 rec.ts
  HTTP=$PORT
  bg nc -d 127.0.0.1 "$PLAIN" > plain.ts
  NC=$LAST
  bg curl -sSN -D http.head -o http.ts "http://127.0.0.1:$HTTP/rec.ts"
  CURL=$LAST
  bg socat -u "TCP:127.0.0.1:$PLAIN" CREATE:socat.ts
  SOCAT=$LAST
  wait_size plain.ts 0
  wait_size http.ts 0
  wait_size socat.ts 0
  touch go  # the clients have the recording so far: now the rest, live
  wait "$W"
  wait "$NC"
  wait "$CURL"
  wait "$SOCAT"
  [ "$(stat -c %s rec.ts)" -gt 1000000 ]
  cmp rec.ts plain.ts
  cmp rec.ts http.ts
  cmp rec.ts socat.ts
  grep -qi '^Transfer-Encoding: chunked' http.head
  grep -qi '^Content-Type: video/mp2t' http.head
  ! grep -qi '^Content-Length' http.head
  wait_for plain.log 'rec.ts: following ended: closed by its writers, no growth for 1 s'
  wait_for http.log 'rec.ts: following ended: closed by its writers, no growth for 1 s'
  # The access log counts the file's bytes (chunk framing aside): all of the recording.
  wait_for http.log "\"GET /rec.ts HTTP/1.1\" 200 $(stat -c %s rec.ts)\$"
  # Every 188th byte is a sync byte: the stream is a transport stream, cut nowhere.
  run python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d) % 188, all(d[i] == 0x47 for i in range(0, len(d), 188)))' http.ts
  assert_output "0 True"
  # After following: the finished recording is an ordinary file, with its length.
  run timeout 30 curl -sS -D - -o /dev/null "http://127.0.0.1:$HTTP/rec.ts"
  assert_output --partial "Content-Length: $(stat -c %s rec.ts)"
}

@test "serve --follow --http: ffmpeg reads a recording in progress to its end, and a range of bytes that exist has a length" {
  command -v ffmpeg > /dev/null || skip "ffmpeg not installed"
  bg ffmpeg -nostdin -loglevel error -re -f lavfi -i testsrc=size=160x120:rate=25 -t 3 \
    -c:v mpeg2video -f mpegts rec.ts
  F=$LAST
  wait_size rec.ts 0
  follow_bg log --http --idle 1 --content-type video/mp2t 127.0.0.1:0 rec.ts
  run timeout 30 curl -sS -D - -o /dev/null -r 0-187 "http://127.0.0.1:$PORT/rec.ts"
  assert_output --partial 'HTTP/1.1 206 Partial Content'
  assert_output --partial 'Content-Length: 188'
  # Files are served by name: another name is not the recording.
  run timeout 30 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other.ts"
  assert_output 404
  # ffmpeg asks for "bytes=0-": it is followed, and ffmpeg gets every packet to the end.
  run timeout 60 ffmpeg -nostdin -loglevel error -i "http://127.0.0.1:$PORT/rec.ts" -c copy -f mpegts got.ts
  assert_success
  wait "$F"
  packets() {
    timeout 30 ffprobe -v error -count_packets -select_streams v \
      -show_entries stream=nb_read_packets -of default=noprint_wrappers=1:nokey=1 "$1" | head -n 1
  }
  [ "$(packets got.ts)" -ge 50 ]
  [ "$(packets got.ts)" = "$(packets rec.ts)" ]
  wait_for log "\"GET /rec.ts HTTP/1.1\" 200 $(stat -c %s rec.ts)\$"
}

@test "serve --follow: a client waiting for the file to grow costs no CPU, and an append reaches it at once" {
  printf 'start\n' > rec
  hold_open rec  # following goes on
  follow_bg log 127.0.0.1:0 rec
  bg nc -d 127.0.0.1 "$PORT" > out
  wait_size out 0
  pid=$(pgrep -P "$SERVE_PID" splice-net)
  before=$(cpu_ticks "$pid")
  sleep 3
  after=$(cpu_ticks "$pid")
  [ $((after - before)) -le 10 ] || fail "the server used $((after - before)) ticks in 3 s of waiting"
  printf 'more\n' >> rec
  wait_size out 6
  printf 'start\nmore\n' | cmp - out
}

@test "serve --follow --http: preconditions hold while following: 412 and 304 as without --follow, not the stream" {
  printf 'start\n' > rec
  touch -d '2020-01-02 03:04:05 UTC' rec
  hold_open rec  # following goes on
  follow_bg log --http 127.0.0.1:0 rec
  get() { timeout 20 python3 "$HELP/http_get.py" "127.0.0.1:$PORT" /rec "$@"; }
  local e
  e=$(printf '"%x-%x-%x"' "$(stat -c %i rec)" "$(stat -c %s rec)" "$(stat -c %Y rec)")
  # RFC 9110 13.1: no current representation matches: 412; one matches If-None-Match: 304
  run get 'If-Match: "x"'
  assert_output --regexp '^412 [0-9]+$'
  run get 'If-Unmodified-Since: Thu, 02 Jan 2020 03:04:04 GMT'
  assert_output --regexp '^412 [0-9]+$'
  run get "If-None-Match: $e"
  assert_output "304 0"
  run get 'If-None-Match: *'
  assert_output "304 0"
  run get 'If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT'
  assert_output "304 0"
  # preconditions that hold: the stream (HEAD: its head, chunked, without a length)
  run get --method HEAD "If-Match: $e" 'If-None-Match: "x"' --headers-to h
  assert_output "200 0"
  grep -qi '^Transfer-Encoding: chunked' h
  # a stale If-Range makes the Range the whole file: the stream too; a current one the range
  run get --method HEAD 'Range: bytes=2-' 'If-Range: "stale"' --headers-to h
  assert_output "200 0"
  grep -qi '^Transfer-Encoding: chunked' h
  run get 'Range: bytes=2-' "If-Range: $e"
  assert_output "206 4"
  # the file grows: its old ETag is no longer the current one
  printf 'more\n' >> rec
  run get "If-Match: $e"
  assert_output --regexp '^412 [0-9]+$'
  release rec
}

@test "serve --follow: deleting the file ends following: 'deleted'; the clients get what it held" {
  printf 'recorded so far\n' > rec
  cp rec expected
  hold_open rec
  follow_bg plain.log 127.0.0.1:0 rec
  bg nc -d 127.0.0.1 "$PORT" > plain.out
  NC=$LAST
  follow_bg http.log --http 127.0.0.1:0 rec
  bg curl -sSN -o http.out "http://127.0.0.1:$PORT/rec"
  CURL=$LAST
  wait_size plain.out 0
  wait_size http.out 0
  rm rec
  wait "$NC"
  wait "$CURL"
  cmp expected plain.out
  cmp expected http.out
  wait_for plain.log '^splice-net: rec: following ended: deleted$'
  wait_for http.log '^splice-net: rec: following ended: deleted$'
}

@test "serve --follow: a file renamed over its name ends following: 'replaced'; renamed away: 'renamed'" {
  printf 'old\n' > rec
  printf 'other\n' > rec2
  hold_open rec
  hold_open rec2
  follow_bg log1 127.0.0.1:0 rec
  bg nc -d 127.0.0.1 "$PORT" > out1
  C1=$LAST
  follow_bg log2 127.0.0.1:0 rec2
  bg nc -d 127.0.0.1 "$PORT" > out2
  C2=$LAST
  wait_size out1 0
  wait_size out2 0
  printf 'new\n' > new
  mv new rec
  mv rec2 rec2.done
  wait "$C1"
  wait "$C2"
  printf 'old\n' | cmp - out1
  printf 'other\n' | cmp - out2
  wait_for log1 '^splice-net: rec: following ended: replaced \(its name is another file.s now\)$'
  wait_for log2 '^splice-net: rec2: following ended: renamed \(its name is gone\)$'
}

@test "serve --follow --idle: a writer holding the file open keeps it followed; --idle after its close ends it" {
  printf 'a' > rec
  hold_open rec
  follow_bg log --idle 0.5 127.0.0.1:0 rec
  bg nc -d 127.0.0.1 "$PORT" > out
  NC=$LAST
  wait_size out 0
  sleep 2  # four times --idle without growth: the open writer keeps it followed
  kill -0 "$NC"
  ! grep -q 'following ended' log
  printf 'b' >> rec
  release rec
  wait "$NC"
  printf 'ab' | cmp - out
  wait_for log '^splice-net: rec: following ended: closed by its writers, no growth for 0.5 s$'
}

@test "serve: --idle needs --follow; a bad --idle is refused; --follow takes one file" {
  printf 'x' > f
  run timeout 10 "$SN" serve --idle 3 127.0.0.1:0 f
  assert_failure 1
  assert_line --index 0 "splice-net: cannot use --idle without --follow"
  run timeout 10 "$SN" serve --follow --idle=-1 127.0.0.1:0 f
  assert_failure 1
  assert_line --index 0 --partial "invalid idle time: '-1'"
  mkdir d
  run timeout 10 "$SN" serve --http --follow 127.0.0.1:0 d
  assert_failure 1
  assert_line --index 0 "splice-net: d: --follow needs a file, not a directory"
  run timeout 10 "$SN" serve --http --follow 127.0.0.1:0 f d
  assert_failure 1
  assert_line --index 0 "splice-net: --follow needs a single FILE"
  run timeout 10 "$SN" serve --http --follow --header x 127.0.0.1:0 f
  assert_failure 1
  assert_line --index 0 "splice-net: cannot use --header or --header-file with --follow --http"
}

@test "serve --follow and --idle: in --help, the man page and every shell's completions" {
  run "$SN" serve --help
  assert_success
  assert_line --regexp '^      --follow +FILE is still being written'
  assert_line --regexp '^      --idle SECONDS +with --follow'
  grep -q '^\.It Fl -follow$' "$CONDUIT_SRC/man/splice-net.1"
  grep -q '^\.It Fl -idle Ar seconds$' "$CONDUIT_SRC/man/splice-net.1"
  grep -q '^\.Op Fl -follow Op Fl -idle Ar seconds$' "$CONDUIT_SRC/man/splice-net.1"
  load 'helpers/docs'
  assert_man_lint_clean splice-net
  assert_completions_offer splice-net "splice-net serve --fo" --follow
  assert_completions_offer splice-net "splice-net serve --id" --idle
}

@test "serve --follow without inotify: a warning, then the file is polled and still followed" {
  command -v strace > /dev/null || skip "strace not installed"
  printf 'one\n' > rec
  hold_open rec
  # LeakSanitizer cannot run under ptrace (sanitizer builds).
  ASAN_OPTIONS=detect_leaks=0 bg strace -f -o /dev/null -e inject=inotify_init1:error=EMFILE \
    "$SN" serve --follow 127.0.0.1:0 rec 2> log
  PORT=$(listen_port log)
  wait_for log '^splice-net: rec: cannot be watched, checking it every 0.2 s instead: Too many open files$'
  bg nc -d 127.0.0.1 "$PORT" > out
  NC=$LAST
  wait_size out 0
  printf 'two\n' >> rec
  wait_size out 4
  rm rec
  wait "$NC"
  printf 'one\ntwo\n' | cmp - out
  wait_for log '^splice-net: rec: following ended: deleted$'
}
