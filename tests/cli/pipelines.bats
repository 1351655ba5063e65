#!/usr/bin/env bats
# The pipelines of issue 7, end to end, on loopback: every command together, with splice and
# with --no-splice everywhere (same bytes), and --stats saying which path the bytes took.
#   1. serve a file with a header: splice-cat --header | splice-net send, and splice-net serve
#   2. media server: generator | xtee recording | splice-net fanout, several clients, and late
#      viewers of the recording in progress served by splice-net serve --follow
#   3. encrypt and ship: tar | xtee | hw-encrypt | splice-net send -> recv | hw-encrypt -d | tar x,
#      and a byte damaged in transit (or in a saved stream) is detected
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'
load 'helpers/net'
load 'helpers/bytes'

setup_file() {
  export FIX="$BATS_FILE_TMPDIR"
  head -c $((3 * 1048576 + 12345)) /dev/urandom > "$FIX/media"
  mkdir -p "$FIX/tree/sub/deeper" "$FIX/tree/empty"
  head -c $((5 * 1048576)) /dev/urandom > "$FIX/tree/sub/blob.bin"
  seq 1 200000 > "$FIX/tree/numbers.txt"
  : > "$FIX/tree/sub/deeper/zero-length"
  printf 'x' > "$FIX/tree/one-byte"
  ln -s ../numbers.txt "$FIX/tree/sub/link"
  "$CONDUIT_BIN/hw-encrypt" keygen -o "$FIX/key"
}

setup() {
  SC="$CONDUIT_BIN/splice-cat"
  XT="$CONDUIT_BIN/xtee"
  SN="$CONDUIT_BIN/splice-net"
  HE="$CONDUIT_BIN/hw-encrypt"
  HELP="$CONDUIT_SRC/tests/cli/helpers"
  T="$BATS_TEST_TMPDIR"
  cd "$T"
}

teardown() {
  net_teardown
}

# assert_paths STATS_FILE PROG MODE: PROG's --stats lines in STATS_FILE moved bytes, and with
# MODE "--no-splice" only by read/write; otherwise by at least one zero-copy path.
assert_paths() {
  local lines
  lines=$(grep "^$2: " "$1" | grep -E ' bytes$' | grep -Ev '^[^:]*: [0-9]+ bytes ') || {
    echo "no --stats path lines from $2 in $1:" >&2
    cat "$1" >&2
    return 1
  }
  if [ "$3" = --no-splice ]; then
    if echo "$lines" | grep -Ev 'read_write'; then
      echo "$2 moved bytes by a zero-copy path under --no-splice" >&2
      return 1
    fi
  else
    echo "$lines" | grep -Eq 'splice|sendfile|tee|vmsplice|copy_file_range' || {
      echo "$2 moved no byte by a zero-copy path:" >&2
      echo "$lines" >&2
      return 1
    }
  fi
}

# pipeline1 MODE: splice-cat --header FILE | splice-net send into splice-net recv; the bytes
# received must be what GNU cat gives for the header and the file.
pipeline1() {
  local mode=$1
  bg "$SN" recv -v $mode --stats -o got1 127.0.0.1:0 2> recv.log
  local recv=$LAST port
  port=$(listen_port recv.log)
  printf 'MEDIA v1 %s\n' "$(stat -c %s "$FIX/media")" > hdr
  "$SC" $mode --stats --header "$(cat hdr)
" "$FIX/media" 2> cat.log | timeout 30 "$SN" send $mode --stats "127.0.0.1:$port" 2> send.log
  exit_of "$recv"
  [ "$status" -eq 0 ]
  cat hdr "$FIX/media" | cmp - got1
  assert_paths cat.log splice-cat "$mode"
  assert_paths send.log splice-net "$mode"
  assert_paths recv.log splice-net "$mode"
}

@test "pipeline 1: splice-cat --header | splice-net send -> recv: header then file, by splice" {
  pipeline1 ""
  # The file's pages go to the pipe by splice; only the header is written.
  grep -Eq "^splice-cat:   splice +$(stat -c %s "$FIX/media") bytes" cat.log
}

@test "pipeline 1 with --no-splice everywhere: the same bytes, all by read/write" {
  pipeline1 --no-splice
}

# serve_to_clients MODE: splice-net serve --header-file to nc and socat; each gets exactly what
# splice-cat --header prints.
serve_to_clients() {
  printf 'MEDIA v1\n' > hdr
  "$SC" hdr "$FIX/media" > want
  bg "$SN" serve $1 --stats --header-file hdr 127.0.0.1:0 "$FIX/media" 2> serve.log
  local server=$LAST port
  port=$(listen_port serve.log)
  timeout 20 nc -d 127.0.0.1 "$port" > got.nc
  timeout 20 socat -u "TCP:127.0.0.1:$port" CREATE:got.socat
  cmp want got.nc
  cmp want got.socat
  kill -TERM "$server"
  exit_of "$server"
  [ "$status" -eq 0 ]
  assert_paths serve.log splice-net "$1"
}

@test "pipeline 1: splice-net serve --header-file gives nc and socat what splice-cat --header gives" {
  serve_to_clients ""
  grep -Eq "^splice-net:   sendfile +$((2 * $(stat -c %s "$FIX/media"))) bytes" serve.log
}

@test "pipeline 1: serve with --no-splice: the same bytes by read/write" {
  serve_to_clients --no-splice
}

# pipeline2 MODE: generator | xtee recording.bin | splice-net fanout with two clients, one
# saving to a file (nc), one checksumming (splice-net send -r, which sends nothing and copies
# what arrives to stdout). The recording and both clients must equal the source.
pipeline2() {
  local mode=$1
  (
    set -o pipefail
    python3 -c '
import sys
out = sys.stdout.buffer
for i in range(150000):  # numbered records: any loss, duplicate or reordering shows
    out.write(b"record %08d %s\n" % (i, b"x" * (i % 61)))
' | timeout 60 "$XT" $mode --stats recording.bin 2> tee.log |
      timeout 60 "$SN" fanout $mode --stats --min-clients 2 127.0.0.1:0 2> fanout.log
  ) 3>&- &
  local source=$!
  echo "$source" >> "$T/pids"
  local port
  port=$(listen_port fanout.log)
  timeout 60 nc -d 127.0.0.1 "$port" > saved.bin &
  local saver=$!
  timeout 60 "$SN" send $mode -r "127.0.0.1:$port" /dev/null | sha256sum > client.sum
  wait "$saver"
  exit_of "$source"
  [ "$status" -eq 0 ]
  python3 -c '
import sys
out = sys.stdout.buffer
for i in range(150000):
    out.write(b"record %08d %s\n" % (i, b"x" * (i % 61)))
' > want.bin
  cmp want.bin recording.bin
  cmp want.bin saved.bin
  [ "$(cat client.sum)" = "$(sha256sum < want.bin)" ]
  assert_paths tee.log xtee "$mode"
  assert_paths fanout.log splice-net "$mode"
  grep -q '2 clients, 0 dropped' fanout.log
}

@test "pipeline 2: generator | xtee recording | splice-net fanout: recording and 2 clients identical" {
  pipeline2 ""
  # Each client's copy is duplicated by tee(2) and spliced to its socket.
  local n
  n=$(stat -c %s want.bin)
  grep -Eq "^splice-net:   tee +$((2 * n)) bytes" fanout.log
  grep -Eq "^splice-net:   splice +$((2 * n)) bytes" fanout.log
}

@test "pipeline 2 with --no-splice everywhere: the same bytes, all by read/write" {
  pipeline2 --no-splice
}

@test "pipeline 2: capture | xtee recording | fanout, and late viewers of the recording by serve --follow get all of it" {
  # The capture: an MPEG-TS stream that pauses, a quarter in, until the late viewers have joined.
  (
    set -o pipefail
    timeout 60 python3 "$HELP/ts_writer.py" /dev/stdout 3000 go |
      timeout 60 "$XT" recording.ts |
      timeout 60 "$SN" fanout --min-clients 1 127.0.0.1:0 2> fanout.log
  ) 3>&- &
  local source=$!
  echo "$source" >> "$T/pids"
  local port
  port=$(listen_port fanout.log)
  bg nc -d 127.0.0.1 "$port" > live.ts
  local live=$LAST
  wait_size recording.ts 100000
  bg "$SN" serve --follow --idle 1 127.0.0.1:0 recording.ts 2> plain.log
  local plain
  plain=$(listen_port plain.log)
  bg "$SN" serve --follow --http --idle 1 --content-type video/mp2t 127.0.0.1:0 recording.ts 2> http.log
  local http
  http=$(listen_port http.log)
  bg nc -d 127.0.0.1 "$plain" > late-plain.ts
  local viewer1=$LAST
  bg curl -sSN -o late-http.ts "http://127.0.0.1:$http/recording.ts"
  local viewer2=$LAST
  wait_size late-plain.ts 100000
  wait_size late-http.ts 100000
  touch go
  exit_of "$source"
  [ "$status" -eq 0 ]
  wait "$live"
  wait "$viewer1"
  wait "$viewer2"
  python3 "$HELP/ts_writer.py" want.ts 3000
  cmp want.ts recording.ts
  cmp want.ts live.ts
  cmp want.ts late-plain.ts
  cmp want.ts late-http.ts
  wait_for plain.log 'following ended: closed by its writers, no growth for 1 s'
  wait_for http.log 'following ended: closed by its writers, no growth for 1 s'
}

# pipeline3 MODE [relay]: tar | xtee sent.tar | hw-encrypt | splice-net send into
# splice-net recv | hw-encrypt -d | xtee got.tar | tar x (with "relay": through a splice-net
# relay in between). Checks the tree and both tar streams.
pipeline3() {
  local mode=$1 via=${2:-}
  mkdir -p out
  (
    set -o pipefail
    timeout 60 "$SN" recv -v $mode --stats 127.0.0.1:0 2> recv.log |
      timeout 60 "$HE" -d $mode --stats -k "$FIX/key" 2> dec.log |
      timeout 60 "$XT" $mode --stats got.tar 2> tee2.log |
      { tar xf - -C out && cat > /dev/null; }  # tar may stop before the archive's zero padding
  ) 3>&- &
  local receiver=$!
  echo "$receiver" >> "$T/pids"
  local port
  port=$(listen_port recv.log)
  if [ "$via" = relay ]; then
    bg "$SN" relay $mode --stats 127.0.0.1:0 "127.0.0.1:$port" 2> relay.log
    local relay=$LAST
    port=$(listen_port relay.log)
  fi
  (
    set -o pipefail
    tar cf - -C "$FIX" tree |
      timeout 60 "$XT" $mode --stats sent.tar 2> tee1.log |
      timeout 60 "$HE" $mode --stats -k "$FIX/key" 2> enc.log |
      timeout 60 "$SN" send $mode --stats "127.0.0.1:$port" 2> send.log
  )
  exit_of "$receiver"
  [ "$status" -eq 0 ]
  cmp sent.tar got.tar
  diff -r "$FIX/tree" out/tree
  [ "$(readlink out/tree/sub/link)" = ../numbers.txt ]
  assert_paths tee1.log xtee "$mode"
  assert_paths tee2.log xtee "$mode"
  assert_paths send.log splice-net "$mode"
  assert_paths recv.log splice-net "$mode"
  grep -q '^hw-encrypt: ' enc.log
  grep -q '^hw-encrypt: ' dec.log
  if [ "$via" = relay ]; then
    kill -TERM "$relay"
    exit_of "$relay"
    [ "$status" -eq 0 ]
    assert_paths relay.log splice-net "$mode"
  fi
}

@test "pipeline 3: tar | xtee | hw-encrypt | send -> recv | hw-encrypt -d | xtee | tar x: same tree" {
  pipeline3 ""
  # The network legs splice: pipe -> socket and socket -> pipe.
  grep -Eq '^splice-net:   splice(_broker)? +[1-9][0-9]* bytes' send.log
  grep -Eq '^splice-net:   splice(_broker)? +[1-9][0-9]* bytes' recv.log
}

@test "pipeline 3 with --no-splice everywhere: the same tree, all by read/write" {
  pipeline3 --no-splice
}

@test "pipeline 3 through splice-net relay, with splice and with --no-splice: the same tree" {
  pipeline3 "" relay
  grep -Eq '^splice-net:   splice(_broker)? +[1-9][0-9]* bytes' relay.log
  rm -rf out sent.tar got.tar
  pipeline3 --no-splice relay
}

@test "pipeline 3: one byte flipped in transit is detected; only verified data comes out" {
  # Ship the stream through a relay that flips one bit 200 KiB in (inside the fourth chunk).
  (
    timeout 60 "$SN" recv -v -o damaged.enc 127.0.0.1:0 2> recv.log
  ) 3>&- &
  local receiver=$!
  echo "$receiver" >> "$T/pids"
  local port
  port=$(listen_port recv.log)
  bg python3 "$HELP/flip_relay.py" "$port" 204800 > flip.out
  wait_for flip.out '^port '
  local relay_port
  relay_port=$(sed -n 's/^port //p' flip.out)
  tar cf - -C "$FIX" tree > sent.tar
  "$HE" -k "$FIX/key" sent.tar | timeout 60 "$SN" send "127.0.0.1:$relay_port"
  wait_for flip.out '^flipped$'
  exit_of "$receiver"
  [ "$status" -eq 0 ]
  [ "$(stat -c %s damaged.enc)" -gt 204800 ]

  # Decrypting the damaged stream fails, names the damage, and writes only the chunks before it.
  run bash -c "'$HE' -d -k '$FIX/key' < damaged.enc > plain.out"
  assert_failure
  assert_output --regexp 'chunk [0-9]+ \(at offset [0-9]+\) failed authentication'
  [ "$(stat -c %s plain.out)" -lt 204800 ]
  cmp -n "$(stat -c %s plain.out)" plain.out sent.tar

  # To a file OUT nothing is left behind at all.
  run "$HE" -d -k "$FIX/key" damaged.enc restored.tar
  assert_failure
  assert_not_exist restored.tar

  # The whole pipeline reports the failure (tar sees a truncated archive, hw-encrypt fails).
  mkdir out
  run bash -c "set -o pipefail; '$SC' damaged.enc | '$HE' -d -k '$FIX/key' | tar xf - -C out"
  assert_failure
}

@test "pipeline 3: a saved stream with one damaged byte, or truncated, is refused" {
  tar cf - -C "$FIX" tree | "$HE" -k "$FIX/key" > good.enc
  "$HE" -d -k "$FIX/key" good.enc > /dev/null
  local size
  size=$(stat -c %s good.enc)

  cp good.enc flipped.enc
  flip flipped.enc $((size / 2))
  run "$HE" -d -k "$FIX/key" flipped.enc /dev/null
  assert_failure

  head -c $((size - 100)) good.enc > cut.enc
  run "$HE" -d -k "$FIX/key" cut.enc /dev/null
  assert_failure
}
