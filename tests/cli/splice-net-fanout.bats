#!/usr/bin/env bats
# splice-net fanout on loopback: the same bytes to every client (nc, socat, python), from a pipe,
# a file and through read/write; 50 clients with slow and stalled ones under --slow=block and
# --slow=drop; joining mid-stream (a suffix); leaving mid-stream; --max-clients; EMFILE on
# accept; errors; signals; fallbacks forced with strace fault injection.
load 'helpers/net'

setup_file() {
  random_fixtures src:$((4 * 1048576))
  seq -f %09g 1 500000 > "$FIX/lines"                  # 5 MB of numbered 10-byte records
  # 8 MB: more than a stalled client's socket buffers can hide (the kernel grows the sender's
  # up to tcp_wmem's 4 MiB), so it really falls a whole pipe behind
  seq -f %09g 1 800000 > "$FIX/lines8"
}

setup() {
  net_setup
  CLIENTS="$CONDUIT_SRC/tests/cli/helpers/fanout_clients.py"
}

# feed CMD...: runs CMD with its stdout into the FIFO "in" (created here), in the background.
feed() {
  rm -f in
  mkfifo in
  bg sh -c 'exec "$@" > in' feed "$@"
}

# three_clients: nc, socat and a python client read the stream into a, b and py.out.
three_clients() {
  bg nc -d 127.0.0.1 "$PORT" > a
  local n=$LAST
  bg socat -u "TCP:127.0.0.1:$PORT" CREATE:b
  local s=$LAST
  bg python3 "$CLIENTS" "127.0.0.1:$PORT" "$1" --fast 1 > py.out
  local p=$LAST
  wait "$n"
  wait "$s"
  wait "$p" || { cat py.out >&2; return 1; }
}

@test "three clients (nc, socat, python) get exactly the stream: from a pipe, a file, and --no-splice" {
  local size=$((4 * 1048576)) total=$((3 * 4 * 1048576))
  # a pipe: tee into each client's pipe, splice to the sockets
  feed cat "$FIX/src"
  fanout_bg log in --min-clients 3 --slow block --stats
  three_clients "$FIX/src"
  cmp a "$FIX/src"
  cmp b "$FIX/src"
  exit_of "$FAN_PID"
  assert_success
  grep -Eq "tee +$total bytes" log
  grep -Eq "splice +$total bytes" log
  ! grep -q read_write log
  [ "$(grep -c ': done$' log)" -eq 3 ]
  grep -q "fanout: $size bytes from standard input; 3 clients, 0 dropped" log

  # a regular file: spliced into a broker pipe first
  rm -f a b
  fanout_bg log2 "$FIX/src" --min-clients 3 --slow block --stats
  three_clients "$FIX/src"
  cmp a "$FIX/src"
  cmp b "$FIX/src"
  exit_of "$FAN_PID"
  assert_success
  grep -Eq "tee +$total bytes" log2
  grep -Eq "splice +$total bytes" log2

  # --no-splice, from a pipe: read/write only, identical bytes
  rm -f a b
  feed cat "$FIX/src"
  fanout_bg log3 in --min-clients 3 --slow block --no-splice --stats
  three_clients "$FIX/src"
  cmp a "$FIX/src"
  cmp b "$FIX/src"
  exit_of "$FAN_PID"
  assert_success
  grep -Eq "read_write +$total bytes" log3
  ! grep -Eq ' (tee|splice) +[0-9]+ bytes' log3
  grep -q 'syscalls: read [0-9]*, write' log3
}

@test "Unix socket address; a client that half-closes (nc -N) still gets the whole stream" {
  feed cat "$FIX/src"
  timeout --foreground 60 "$SN" fanout --min-clients 2 --slow block "unix:$T/s" < in 2> log 3>&- &
  FAN_PID=$!
  echo $! >> "$T/pids"
  wait_for log "listening on unix:$T/s"
  # EPOLLRDHUP is only the end of what the client sends: it keeps reading
  bg nc -N -U "$T/s" < /dev/null > a
  local n=$LAST
  bg socat -u "UNIX-CONNECT:$T/s" CREATE:b
  wait "$n"
  wait "$LAST"
  exit_of "$FAN_PID"
  assert_success
  cmp a "$FIX/src"
  cmp b "$FIX/src"
  [ "$(grep -c ': done$' log)" -eq 2 ]
  [ ! -e "$T/s" ]
}

@test "50 clients, 5 of them slow, --slow=block: every client gets every byte (splice and read/write)" {
  local mode
  for mode in "" --no-splice; do
    feed cat "$FIX/lines"
    fanout_bg log in --min-clients 50 --slow block --pipe-size 256K $mode
    run timeout 60 python3 "$CLIENTS" "127.0.0.1:$PORT" "$FIX/lines" --fast 45 --slow 5
    assert_success
    assert_output 'fast=45 slow_full=5 slow_short=0 stall_short=0 quit=0 failed=0'
    exit_of "$FAN_PID"
    assert_success
    [ "$(grep -c ': done$' log)" -eq 50 ]
    grep -q '50 clients, 0 dropped as slow' log
  done
}

@test "50 clients, --slow=drop: stalled clients are dropped and logged, the others get the whole stream" {
  # A live stream at 1 MiB/s: the fast clients keep up; each stalled client (4 KiB receive
  # buffer, never reads) fills its socket and its pipe and is dropped, with a prefix delivered.
  # One Python process serves all 50 clients, and on a busy machine (CI runs two tests at
  # once) it gets a fraction of a CPU: the pace (40 MiB/s in all for the fast ones) and the
  # 1 MiB pipes (a second of lag before a client counts as slow) leave it room.
  feed pv -q -L 1m "$FIX/lines8"
  fanout_bg log in --min-clients 50 --pipe-size 1M
  run timeout 60 python3 "$CLIENTS" "127.0.0.1:$PORT" "$FIX/lines8" --fast 40 --slow 5 --stall 5 \
      --slow-expect prefix
  assert_success
  assert_output --regexp '^fast=40 slow_full=[0-9]+ slow_short=[0-9]+ stall_short=5 quit=0 failed=0$'
  local short=${output#*slow_short=}
  short=${short%% *}
  exit_of "$FAN_PID"
  assert_success
  # one "dropped" line per client that was cut short, each saying how far behind it was
  [ "$(grep -Ec ': dropped: [0-9]+ bytes behind$' log)" -eq $((5 + short)) ]
  grep -q "50 clients, $((5 + short)) dropped as slow" log
  [ "$(grep -c ': done$' log)" -eq $((45 - short)) ]
}

@test "a client that joins mid-stream gets a contiguous suffix of it" {
  feed pv -q -L 2m "$FIX/lines"
  fanout_bg log in --min-clients 1
  bg nc -d 127.0.0.1 "$PORT" > first
  local f=$LAST
  wait_size first 500000
  bg nc -d 127.0.0.1 "$PORT" > late
  local l=$LAST
  wait "$f"
  wait "$l"
  exit_of "$FAN_PID"
  assert_success
  cmp first "$FIX/lines"
  local got
  got=$(stat -c %s late)
  [ "$got" -gt 0 ]
  [ "$got" -lt "$(stat -c %s "$FIX/lines")" ]
  tail -c "$got" "$FIX/lines" | cmp - late
}

@test "clients that disconnect mid-stream do not disturb the others" {
  feed pv -q -L 4m "$FIX/lines"
  fanout_bg log in --min-clients 6 --slow block
  run timeout 60 python3 "$CLIENTS" "127.0.0.1:$PORT" "$FIX/lines" --fast 3 --quit 3
  assert_success
  assert_output 'fast=3 slow_full=0 slow_short=0 stall_short=0 quit=3 failed=0'
  exit_of "$FAN_PID"
  assert_success
  [ "$(grep -Ec ': connection (reset|closed) by peer$' log)" -eq 3 ]
  [ "$(grep -c ': done$' log)" -eq 3 ]
}

@test "--slow=block -t: a client that takes nothing for SECONDS is dropped, the others finish" {
  feed cat "$FIX/lines8"
  # -q: the clients that finish are not logged, the one dropped (it lost data) still is.
  fanout_bg log in -q --min-clients 3 --slow block -t 1 --pipe-size 256K
  run timeout 60 python3 "$CLIENTS" "127.0.0.1:$PORT" "$FIX/lines8" --fast 2 --stall 1
  assert_success
  assert_output 'fast=2 slow_full=0 slow_short=0 stall_short=1 quit=0 failed=0'
  exit_of "$FAN_PID"
  assert_success
  grep -Eq ': dropped: took nothing for 1 s \([0-9]+ bytes behind\)$' log
  ! grep -q ': done$' log
  grep -q '3 clients, 1 dropped as slow' log
}

@test "--max-clients 2: a third client waits in the listen queue until one leaves, then is served" {
  # The stream in three parts, each written when the test says so.
  seq -f 'a%09g' 1 20000 > p1
  seq -f 'b%09g' 1 20000 > p2
  seq -f 'c%09g' 1 20000 > p3
  cat p1 p2 p3 > all
  local part
  part=$(stat -c %s p1)
  rm -f in
  mkfifo in
  bg sh -c 'exec > in; cat p1
    until [ -e go2 ]; do sleep 0.05; done; cat p2
    until [ -e go3 ]; do sleep 0.05; done; exec cat p3'
  fanout_bg log in --min-clients 2 --max-clients 2 --slow block
  # a leaves later, closing with SO_LINGER 0: a reset, which the server sees at once (a plain
  # close would only be noticed on the next send)
  bg socat -u "TCP:127.0.0.1:$PORT,linger=0" CREATE:a
  local a=$LAST
  bg nc -d 127.0.0.1 "$PORT" > b
  local b=$LAST
  wait_size a $((part - 1))
  wait_size b $((part - 1))
  bg nc -d 127.0.0.1 "$PORT" > c
  local c=$LAST
  wait_queued "$PORT" 1
  # The stream moves on for a and b; the third is still in the queue and has nothing.
  touch go2
  wait_size a $((2 * part - 1))
  wait_size b $((2 * part - 1))
  assert_equal "$(queued "$PORT")" 1
  assert_equal "$(stat -c %s c)" 0
  kill -TERM "$a"
  wait "$a" || true
  wait_queued "$PORT" 0   # taken now that there is room
  touch go3
  wait "$b"
  wait "$c"
  exit_of "$FAN_PID"
  assert_success
  head -c $((2 * part)) all | cmp - a
  cmp b all
  # The third joined after the first two parts: a suffix of the stream that holds the last one.
  local got
  got=$(stat -c %s c)
  [ "$got" -ge "$part" ]
  tail -c "$got" all | cmp - c
  grep -q '3 clients, 0 dropped as slow' log
  [ "$(grep -Ec ': connection (reset|closed) by peer$' log)" -eq 1 ]
  [ "$(grep -c ': done$' log)" -eq 2 ]
}

@test "EMFILE on accept: fanout pauses without spinning, stays up, and the clients get the stream" {
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked by the other cases.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  command -v strace > /dev/null || skip "strace not installed"
  # The first three accept4 calls fail with EMFILE (not run: the clients stay in the queue).
  feed cat "$FIX/src"
  timeout --foreground 60 strace -f -o "$T/trace" -e trace=accept4,epoll_wait,epoll_pwait \
      -e inject=accept4:error=EMFILE:when=1..3 \
      "$SN" fanout --min-clients 2 --slow block 127.0.0.1:0 < in 2> log 3>&- &
  FAN_PID=$!
  echo $! >> "$T/pids"
  PORT=$(listen_port log)
  run timeout 60 python3 "$CLIENTS" "127.0.0.1:$PORT" "$FIX/src" --fast 2
  assert_success
  assert_output 'fast=2 slow_full=0 slow_short=0 stall_short=0 quit=0 failed=0'
  exit_of "$FAN_PID"
  assert_success
  # One line for the episode, not one per failed call.
  [ "$(grep -c 'accept: Too many open files (0 clients open); pausing new connections' log)" -eq 1 ]
  grep -q 'fanout: 4194304 bytes from standard input; 2 clients, 0 dropped' log
  # From the first EMFILE to the first accepted client: each failure is followed by a pause, an
  # epoll_wait with a timeout that ends with nothing ready (the listener is not watched), and
  # there are only a few waits. Retrying at once would find the listener ready (no pause); a
  # loop that spun on epoll_wait while paused would make hundreds of calls.
  run awk '/accept4\(.*EMFILE/ { f++; pending = 1; next }
           f && /accept4\(.*= [0-9]+$/ { ok = 1; exit }
           f && /epoll_p?wait\(/ { w++ }
           f && pending && /epoll_p?wait\([0-9]+, \[\], [0-9]+, [1-9][0-9]*[,)].*= 0$/ { pending = 0; paused++ }
           END { print (ok ? "accepted" : "never"), f + 0, paused + 0, w + 0 }' "$T/trace"
  assert_output --regexp '^accepted 3 3 [0-9]+$'
  local waits=${output##* }
  [ "$waits" -lt 50 ]
}

@test "with no client the live stream is read and discarded; -q keeps stderr quiet" {
  run bash -c "seq 1 300000 | timeout 10 '$SN' fanout --stats 127.0.0.1:0"
  assert_success
  assert_output --partial "fanout: $(seq 1 300000 | wc -c) bytes from standard input; 0 clients"
  run bash -c "seq 1 300000 | timeout 10 '$SN' fanout --no-splice -q 127.0.0.1:0"
  assert_success
  assert_output --regexp '^splice-net: listening on 127.0.0.1:[0-9]+$'
}

@test "errors: address in use, bad address, input read error, option conflicts" {
  local p
  fanout_bg log /dev/null --min-clients 1
  p=$PORT
  run timeout 10 "$SN" fanout "127.0.0.1:$p" < /dev/null
  assert_failure 1
  assert_output "splice-net: 127.0.0.1:$p: Address already in use"

  run timeout 10 "$SN" fanout nonsense:port < /dev/null
  assert_failure 1
  assert_output --partial 'splice-net: '

  run timeout 10 "$SN" fanout 127.0.0.1:0 < /
  assert_failure 1
  assert_output --partial 'splice-net: standard input: Is a directory'

  run timeout 10 "$SN" fanout --min-clients 3 --max-clients 2 127.0.0.1:0 < /dev/null
  assert_failure 1
  assert_line 'splice-net: --min-clients 3 is more than --max-clients 2'

  run timeout 10 "$SN" fanout --slow sometimes 127.0.0.1:0 < /dev/null
  assert_failure 1
  assert_output --partial "invalid slow-client policy: 'sometimes'"
}

# ends_stream_on SIGNAL: `yes` fanned out to one nc client, SIGNAL once it holds 100000 bytes:
# fanout exits 0, and the client gets a clean close after a prefix of yes's output (whole
# "y\n" pairs from the start); the log says so.
ends_stream_on() {
  feed yes
  fanout_bg log in --min-clients 1 --slow block
  bg nc -d 127.0.0.1 "$PORT" > got
  local n=$LAST
  wait_size got 100000
  kill -"$1" "$FAN_PID"
  exit_of "$FAN_PID"
  assert_success
  wait "$n"
  grep -q "$1: end of stream; finishing 1 clients" log
  grep -q ': done$' log
  [ "$(stat -c %s got)" -gt 100000 ]
  [ -z "$(tr -d 'y\n' < got)" ]
  [ "$(head -c 2 got)" = "$(printf 'y\n')" ]
}

@test "SIGTERM ends the stream: clients get what they hold and a clean close; a second signal drops" {
  ends_stream_on SIGTERM

  # a client that never reads cannot finish: the second signal drops it
  feed yes
  fanout_bg log2 in --min-clients 1 --slow block --pipe-size 64K
  bg python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1]))); print("connected", flush=True); time.sleep(30)' \
      "$PORT" > held
  wait_for held connected
  kill -TERM "$FAN_PID"
  wait_for log2 'SIGTERM: end of stream; finishing 1 clients'
  kill -TERM "$FAN_PID"
  exit_of "$FAN_PID"
  assert_success
  grep -q 'SIGTERM: dropping 1 clients' log2
  grep -q ': dropped: stopping$' log2
}

@test "SIGHUP ends the stream as SIGTERM does: clients get what they hold, a clean close, and the summary" {
  ends_stream_on SIGHUP
  grep -Eq '^splice-net: fanout: [0-9]+ bytes from standard input; 1 clients, 0 dropped as slow$' log
}

# wait_held PORT: until the server's send queue to the one client on PORT stops growing (the
# client does not read; the queue is full), at most 20 s. Unchanged for a whole second, not for
# two samples: a server slowed down (sanitizers, a loaded machine) can leave the queue still for
# 0.1 s while its socket has room, and then sends the whole stream before the end (CI, ASan).
wait_held() {
  local i last=-1 q same=0
  for i in $(seq 200); do
    q=$(ss -Htn state established "sport = :$1" | awk '{ print $2 }' | head -n 1)
    if [ -n "$q" ] && [ "$q" -gt 0 ] && [ "$q" = "$last" ]; then
      same=$((same + 1))
      [ "$same" -ge 10 ] && return 0
    else
      same=0
    fi
    last=${q:--1}
    sleep 0.1
  done
  echo "timed out waiting for the send queue on port $1 to fill" >&2
  return 1
}

# dropped_sees_reset LOG REGEX FANOUT-OPTIONS...: `yes` fanned out to one cut_client.py that
# reads a little, then stops until told: once LOG says REGEX (the client dropped), the client
# reads on to a reset; SIGTERM then ends fanout with 0.
dropped_sees_reset() {
  local log=$1 dropped=$2 c
  shift 2
  rm -f go
  feed yes
  fanout_bg "$log" in --min-clients 1 "$@"
  bg python3 "$CONDUIT_SRC/tests/cli/helpers/cut_client.py" "127.0.0.1:$PORT" --go go > "$log.cut"
  c=$LAST
  wait_for "$log" "$dropped"
  touch go
  wait "$c"
  run cat "$log.cut"
  assert_output --regexp '^reset [0-9]+$'
  kill -TERM "$FAN_PID"
  exit_of "$FAN_PID"
  assert_success
}

@test "a client cut off before the end of the stream sees a reset (--slow=drop, -t, a second signal); the whole stream ends cleanly" {
  local cut="$CONDUIT_SRC/tests/cli/helpers/cut_client.py"
  # --slow=drop: the client reads a little, then stops and falls behind.
  dropped_sees_reset log 'dropped: [0-9]+ bytes behind$' --pipe-size 64K
  # --slow=block -t: dropped when it takes nothing for 0.5 s.
  dropped_sees_reset log2 'dropped: took nothing for 0.5 s' --slow block -t 0.5 --pipe-size 64K

  # The second signal drops a client that has not taken the end of the stream yet.
  rm -f go
  feed yes
  fanout_bg log3 in --min-clients 1 --slow block --pipe-size 64K
  bg python3 "$cut" "127.0.0.1:$PORT" --mark reading --go go > cut3.out
  local c=$LAST
  wait_exists reading
  # Until its socket is full and its pipe holds the rest: at the end of the stream it then
  # still has bytes to take (a client with the whole stream in flight gets a clean end).
  wait_held "$PORT"
  kill -TERM "$FAN_PID"
  wait_for log3 'SIGTERM: end of stream; finishing 1 clients'
  kill -TERM "$FAN_PID"
  exit_of "$FAN_PID"
  assert_success
  grep -q ': dropped: stopping$' log3
  touch go
  wait "$c"
  run cat cut3.out
  assert_output --regexp '^reset [0-9]+$'

  # A client that takes the whole stream gets a clean end of file.
  feed cat "$FIX/src"
  fanout_bg log4 in --min-clients 1
  run timeout 30 python3 "$cut" "127.0.0.1:$PORT"
  assert_output "eof 4194304"
  exit_of "$FAN_PID"
  assert_success
}

@test "tee or splice refused (EINVAL) on the first call: same bytes through read/write" {
  # LeakSanitizer cannot run under ptrace (sanitizer builds): leaks are checked by the other cases.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  command -v strace > /dev/null || skip "strace not installed"
  local inject input total=$((2 * 4 * 1048576))
  for inject in tee:pipe splice:pipe splice:file; do
    rm -f a b log
    if [ "${inject#*:}" = pipe ]; then
      feed cat "$FIX/src"
      input=in
    else
      input=$FIX/src
    fi
    timeout --foreground 60 strace -f -o /dev/null -e "inject=${inject%%:*}:error=EINVAL" \
        "$SN" fanout --min-clients 2 --slow block --stats 127.0.0.1:0 < "$input" 2> log 3>&- &
    FAN_PID=$!
    echo $! >> "$T/pids"
    PORT=$(listen_port log)
    bg nc -d 127.0.0.1 "$PORT" > a
    local n=$LAST
    bg socat -u "TCP:127.0.0.1:$PORT" CREATE:b
    wait "$n"
    wait "$LAST"
    exit_of "$FAN_PID"
    assert_success
    cmp a "$FIX/src"
    cmp b "$FIX/src"
    grep -Eq "read_write +$total bytes" log
    grep -q 'fallbacks to a slower path: 1' log
  done
}
