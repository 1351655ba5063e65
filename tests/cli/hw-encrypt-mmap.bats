#!/usr/bin/env bats
# hw-encrypt reads a regular file through read-only mappings, not read(2); whatever happens to
# the file meanwhile, the output is what read(2) would have given. A file that shrinks is an
# earlier end of input (never a death by SIGBUS, status 135); mmap refused means read(2).

load 'helpers/hw_encrypt'

setup() {
  umask 077
  hw_setup 8388608  # 8 MiB: many 64 KiB (-t 1) and 256 KiB (-t 2) blocks, several windows
}

need_strace() { command -v strace > /dev/null || skip "strace is not installed"; }

# input_reads CMD...: runs CMD under strace and prints "CALLS BYTES": the read(2)/readv(2) calls
# made on the file `p`, and the bytes they and pread(2) returned (-P: only the calls on that
# file are seen; the mapped path preads one byte per block to check that the file still holds it).
input_reads() {
  env "$NOLEAKS" strace -f -qq -P "$(realpath p)" -e trace=read,readv,pread64 -o trace "$@" 2> strace.err ||
    { cat strace.err >&2; return 1; }
  awk '/= [0-9]+$/ {if (!/pread/) n++; b += $NF} END {printf "%d %d\n", n, b}' trace
}

# cut_while_running SIZE CMD...: runs CMD (its input the file `f`, its output a pipe), lets it
# write 128 KiB (it is running and has mapped its input), stops reading so that it blocks with
# its windows mapped, cuts `f` to SIZE bytes, then drains. CMD's output goes to `out`, its
# stderr to `err`, its exit status to `status`.
cut_while_running() {
  local size=$1
  shift
  { local rc=0; "$@" 2> err || rc=$?; echo "$rc" > status; } |
    { dd of=out bs=65536 count=2 iflag=fullblock status=none; sleep 0.5
      truncate -s "$size" f; cat >> out; }
}

@test "a file input is mapped: read(2) takes only what is left after the last whole block" {
  need_strace
  # 8 MiB + 1000 bytes: 8 MiB mapped, then 1000 bytes and the end read.
  head -c 1000 /dev/urandom >> p
  run input_reads "$B" -k key -t 1 p out
  assert_success
  read -r calls bytes <<< "$output"
  [ "$calls" -le 2 ] && [ "$bytes" -le 66000 ] || fail "payload read by read(2): $calls calls, $bytes bytes"
  "$B" -d -k key out | cmp - p
  run input_reads "$B" -k key -t 2 p out
  read -r calls bytes <<< "$output"
  [ "$calls" -le 2 ] && [ "$bytes" -le 263000 ] || fail "-t 2: $calls calls, $bytes bytes"
  "$B" -d -k key out | cmp - p
  # Decrypting: only the header and the end.
  "$B" -k key p c
  cp c p
  run input_reads "$B" -d -k key -t 1 p back
  read -r calls bytes <<< "$output"
  [ "$calls" -le 4 ] && [ "$bytes" -le 66000 ] || fail "decrypting: $calls calls, $bytes bytes"
}

@test "mmap refused (ENOMEM): read(2) instead, the same output" {
  need_strace
  for t in 1 2; do
    env "$NOLEAKS" strace -f -qq -o trace -P "$(realpath p)" -e trace=mmap,read,readv -e inject=mmap:error=ENOMEM \
      "$B" -k key -t "$t" p out 2> /dev/null
    grep -q 'mmap(.*INJECTED' trace || fail "no mmap of the input was refused"
    # 8 MiB in 64 KiB (-t 1) or 256 KiB (-t 2) blocks
    [ "$(grep -c '^[0-9]* *readv\?(' trace)" -ge 32 ] || fail "the input was not read by read(2)"
    "$B" -d -k key out | cmp - p
    env "$NOLEAKS" strace -f -qq -o trace -P "$(realpath c)" -e trace=mmap -e inject=mmap:error=ENOMEM \
      "$B" -d -k key -t "$t" c back 2> /dev/null
    grep -q 'mmap(.*INJECTED' trace || fail "no mmap of the sealed input was refused"
    cmp back p
  done
}

@test "encrypting a file that shrinks meanwhile: an earlier end, as with read(2), never SIGBUS" {
  # Sizes: inside a page and a block; in the last page of a 64 KiB and of a 256 KiB block (that
  # page reads as zeros without a fault); at a block boundary (the block before is the last).
  for t in 1 2; do
    for size in 4195304 4456348 4194304; do
      cp p f
      cut_while_running "$size" "$B" -k key -t "$t" f
      [ "$(cat status)" -eq 0 ] || fail "-t $t, cut to $size: status $(cat status): $(cat err)"
      [ ! -s err ] || fail "-t $t, cut to $size: $(cat err)"
      "$B" -d -k key out back || fail "-t $t, cut to $size: not a valid stream"
      head -c "$size" p | cmp - back || fail "-t $t, cut to $size: not the file's first $size bytes"
    done
  done
}

@test "encrypting a file cut below what was already written: a valid stream of a prefix" {
  # read(2) ends with what it had read ahead; the mapping with what it had written and the byte
  # after it, which it read when it sealed the block before as a middle one: an empty last
  # chunk after full ones would not be a valid stream.
  for t in 1 2; do
    for size in 0 100000; do
      cp p f
      cut_while_running "$size" "$B" -k key -t "$t" f
      [ "$(cat status)" -eq 0 ] || fail "-t $t, cut to $size: status $(cat status): $(cat err)"
      [ ! -s err ] || fail "-t $t, cut to $size: $(cat err)"
      "$B" -d -k key out back || fail "-t $t, cut to $size: not a valid stream"
      n=$(stat -c %s back)
      [ "$n" -ge 131072 ] || fail "-t $t, cut to $size: only $n bytes"
      head -c "$n" p | cmp - back || fail "-t $t, cut to $size: not a prefix of the file"
    done
  done
}

@test "decrypting a file that shrinks meanwhile: what read(2) gives (the cut is reported)" {
  need_strace
  # Sizes: inside a chunk; in the last page of a block (100 bytes before its end); at a block
  # boundary (64 chunks after the header), where read(2) sees a stream cut after a middle chunk.
  for t in 1 2; do
    for size in 4000000 $((HEADER + 64 * SEALED - 100)) $((HEADER + 64 * SEALED)); do
      cp c f
      cut_while_running "$size" "$B" -d -k key -t "$t" f
      # The reference: the same cut file read by read(2) (every mmap of it refused).
      mkdir -p ref && head -c "$size" c > ref/f
      (cd ref && rc=0 && { env "$NOLEAKS" strace -f -qq -o /dev/null -P "$(realpath f)" -e inject=mmap:error=ENOMEM \
         "$B" -d -k ../key -t "$t" f > out 2> err || rc=$?; } && echo "$rc" > status)
      [ "$(cat status)" -eq "$(cat ref/status)" ] || fail "-t $t, cut to $size: status $(cat status), read(2) gives $(cat ref/status)"
      [ "$(cat status)" -ne 135 ]
      diff err ref/err || fail "-t $t, cut to $size: stderr differs from read(2)'s"
      cmp out ref/out || fail "-t $t, cut to $size: output differs from read(2)'s"
    done
  done
}

@test "a file that grows while it is read: as with read(2), the bytes that are there at the end" {
  # The mapping covers the size at the start; what was appended by then is read by read(2).
  cp p f
  { local rc=0; "$B" -k key -t 1 f 2> err || rc=$?; echo "$rc" > status; } |
    { dd of=out bs=65536 count=2 iflag=fullblock status=none; sleep 0.5
      head -c 100000 /dev/urandom >> f; cat >> out; }
  [ "$(cat status)" -eq 0 ] && [ ! -s err ]
  "$B" -d -k key out | cmp - f
}
