#!/usr/bin/env bats
# hw-encrypt: round trips, every kind of damage refused with its own message, raw mode against
# openssl enc, keys, terminals, and the man page and completions.

load 'helpers/bytes'
load 'helpers/hw_encrypt'

setup() {
  B="$CONDUIT_BIN/hw-encrypt"
  cd "$BATS_TEST_TMPDIR"
  # Secret files the tests make are private, as they should be; the warning about ones that
  # are not has its own test.
  umask 077
  "$B" keygen -o key
}

# mk FILE SIZE: SIZE random bytes
mk() { head -c "$2" /dev/urandom > "$1"; }

# size FILE
size() { stat -c %s "$1"; }

# split_chunks STREAM N: its header in h and its first N sealed chunks in k0 ... k(N-1).
split_chunks() {
  local i
  head -c "$HEADER" "$1" > h
  for (( i = 0; i < $2; i++ )); do
    dd if="$1" of="k$i" bs=65536 status=none iflag=skip_bytes,count_bytes \
       skip=$(( HEADER + i * SEALED )) count="$SEALED"
  done
}

# no_leftovers DIR: no OUT temporary files remain
no_leftovers() { ! ls -a "${1:-.}" | grep -q '\.hw-encrypt-'; }

@test "--help, --version and usage errors" {
  run "$B" --help
  assert_success
  assert_output --partial 'Usage: hw-encrypt [-e|-d]'
  run "$B" --version
  assert_success
  assert_line --index 0 --regexp '^hw-encrypt \(conduit\) [0-9]+\.[0-9]+'
  run "$B" --bogus
  assert_failure 1
  assert_output --partial "unrecognized option '--bogus'"
  run "$B" -k key --passphrase-file key in
  assert_failure 1
  run "$B" --iv 00 in
  assert_failure 1
  assert_output --partial 'need --raw'
  run "$B" --threads 0 -k key
  assert_failure 1
}

@test "option values: the first bad one on the command line is reported; a repeated one's last wins" {
  run "$B" --backend x --threads 0 -k key
  assert_failure 1
  assert_line --index 0 "hw-encrypt: --backend: x not in {auto,openssl,kernel}"
  run "$B" --threads 0 --backend x -k key
  assert_failure 1
  assert_line --index 0 "hw-encrypt: --threads: Value 0 not in range 1 to 1024"
  # checked where it stands, before a later unknown option or --help
  run "$B" --cipher x --foo
  assert_line --index 0 "hw-encrypt: --cipher: x not in {aes-128-ctr,aes-256-ctr,aes-128-cbc,aes-256-cbc}"
  run "$B" --scrypt-work 5 --help
  assert_failure 1
  assert_line --index 0 "hw-encrypt: --scrypt-work: Value 5 not in range 15 to 20"
  # the last --cipher decides (CTR: --nopad refused)
  run "$B" --raw --key-hex-file k --iv 00 --nopad --cipher aes-128-cbc --cipher aes-256-ctr
  assert_failure 1
  assert_line --index 0 "hw-encrypt: --nopad applies to CBC ciphers only"
  printf 'abc' > in
  run "$B" -k key -t 4 -t 1 in out
  assert_success
  run "$B" -d -k key --threads 1 --threads 2 out
  assert_success
  assert_output abc
}

@test "round trips at chunk-boundary sizes, 1 and 2 threads, crossed" {
  for n in 0 1 65535 65536 65537 196608 10485761; do
    mk "p$n" "$n"
    for te in 1 2; do
      "$B" -k key -t "$te" "p$n" "c$n.$te"
      chunks=$(( n == 0 ? 1 : (n + 65535) / 65536 ))
      [ "$(size "c$n.$te")" -eq $(( HEADER + n + 16 * chunks )) ]
      for td in 1 2; do
        "$B" -d -k key -t "$td" "c$n.$te" "o$n" || fail "decrypt size $n enc $te dec $td"
        cmp "p$n" "o$n" || fail "size $n enc $te dec $td differs"
      done
    done
    # Through pipes as well: stdin to stdout both ways.
    cat "p$n" | "$B" -k key -t 2 | "$B" -d -k key -t 1 | cmp - "p$n"
  done
  no_leftovers
}

@test "the same input never encrypts to the same stream" {
  mk p 1000
  "$B" -k key p c1
  "$B" -k key p c2
  ! cmp -s c1 c2
}

@test "a descriptor number that is not one is named in a short message" {
  local v
  for v in x -1 3x 99999999999; do
    run "$B" --key-fd "$v" /dev/null
    assert_failure 1
    assert_line --index 0 "hw-encrypt: --key-fd: invalid file descriptor '$v'"
    run "$B" -d --passphrase-fd "$v" /dev/null
    assert_failure 1
    assert_line --index 0 "hw-encrypt: --passphrase-fd: invalid file descriptor '$v'"
  done
}

@test "keys and passphrases from descriptors and files" {
  mk p 5000
  "$B" --key-fd 3 p c 3< key
  "$B" -d -k key c | cmp - p
  od -An -tx1 key | tr -d ' \n' > key.hex
  echo >> key.hex
  "$B" -d -k key.hex c | cmp - p
  printf 'correct horse\n' > pw
  "$B" --scrypt-work 15 --passphrase-file pw p cp
  [ "$(size cp)" -eq $(( 79 + 5000 + 16 )) ]
  printf 'correct horse\n' | "$B" -d --passphrase-fd 0 cp out
  cmp out p
  run "$B" -d -k key cp
  assert_failure 2
  assert_output --partial 'encrypted with a passphrase, not a key'
  run "$B" -d cp /dev/null < /dev/null
  assert_failure 1
}

@test "scrypt: default 2^18, minimum 2^15; a header asking for other r or p is refused before any work" {
  mk p 100
  printf 'a long enough passphrase\n' > pw
  run "$B" --passphrase-file pw p c
  assert_success
  assert_output ''
  [ "$(od -An -tu1 -j 44 -N 3 c | tr -s ' ')" = " 18 8 1" ]
  "$B" -d --passphrase-file pw c | cmp - p
  run "$B" --scrypt-work 14 --passphrase-file pw p c2
  assert_failure 1
  assert_line --index 0 "hw-encrypt: --scrypt-work: Value 14 not in range 15 to 20"
  "$B" --scrypt-work 15 --passphrase-file pw p c
  for field in '45 16' '45 4' '46 2' '46 4' '44 21'; do
    set -- $field
    cp c t
    printf "$(printf '\\%03o' "$2")" | dd of=t bs=1 seek="$1" conv=notrunc status=none
    run timeout 20 "$B" -d --passphrase-file pw t
    assert_failure 2
    assert_output "hw-encrypt: t: scrypt parameters out of range in header (hw-encrypt writes and reads r=8, p=1, N=2^10..2^20)"
  done
}

@test "a passphrase shorter than 12 characters is warned about when encrypting (-q: not)" {
  mk p 100
  printf 'short\n' > pw
  run "$B" --scrypt-work 15 --passphrase-file pw p c
  assert_success
  assert_output "hw-encrypt: warning: the passphrase has fewer than 12 characters: it can be guessed; prefer a long one, or a key (hw-encrypt keygen)"
  run "$B" -q --scrypt-work 15 --passphrase-file pw p c
  assert_success
  assert_output ''
  run "$B" -d --passphrase-file pw c out
  assert_success
  assert_output ''
  # Characters, not bytes: eleven two-byte characters are still short, twelve are not.
  printf '\xc3\xa9%.0s' $(seq 11) > pw
  run "$B" --scrypt-work 15 --passphrase-file pw p c
  assert_output --partial 'fewer than 12 characters'
  printf '\xc3\xa9%.0s' $(seq 12) > pw
  run "$B" --scrypt-work 15 --passphrase-file pw p c
  assert_output ''
}

@test "wrong key and wrong passphrase fail with their message and leave no OUT" {
  mk p 70000
  "$B" -k key p c
  "$B" keygen -o other
  run "$B" -d -k other c out
  assert_failure 2
  assert_output 'hw-encrypt: c: wrong key (or the header was modified)'
  assert_file_not_exist out
  printf 'right\n' > pw
  printf 'wrong\n' > pw2
  "$B" --scrypt-work 15 --passphrase-file pw p cp
  run "$B" -d --passphrase-file pw2 cp out
  assert_failure 2
  assert_output 'hw-encrypt: cp: wrong passphrase (or the header was modified)'
  assert_file_not_exist out
  no_leftovers
}

@test "every flipped byte of a small stream is refused, nothing written" {
  mk p 20
  "$B" -k key p c
  total=$(size c)
  [ "$total" -eq $(( HEADER + 20 + 16 )) ]
  for ((i = 0; i < total; i++)); do
    cp c t
    flip t "$i"
    run "$B" -d -k key t out
    [ "$status" -eq 2 ] || fail "byte $i: status $status: $output"
    [ -n "$output" ] || fail "byte $i: no message"
    [ ! -e out ] || fail "byte $i: OUT left behind"
  done
  no_leftovers
  # The message says what kind of damage: magic, version, header MAC, chunk.
  cp c t; flip t 0
  run "$B" -d -k key t; assert_output --partial 'not an hw-encrypt stream'
  cp c t; flip t 8
  run "$B" -d -k key t; assert_output --partial 'unknown format version 0'
  cp c t; flip t 30
  run "$B" -d -k key t; assert_output --partial 'wrong key (or the header was modified)'
  cp c t; flip t 100
  run "$B" -d -k key t; assert_output --partial 'chunk 0 (at offset 76) failed authentication: it was modified'
}

@test "truncation at and around every chunk boundary" {
  mk p $(( 3 * 65536 + 100 ))
  "$B" -k key p c
  for k in 1 2 3; do
    cut=$(( HEADER + k * SEALED ))
    for d in -17 -1 0 1 17; do
      head -c $(( cut + d )) c > t
      run "$B" -d -k key t out
      [ "$status" -eq 2 ] || fail "cut $k$d: status $status"
      [ ! -e out ] || fail "cut $k$d: OUT left"
      if [ "$d" -eq 0 ]; then
        assert_output --partial "truncated stream: it ends after chunk $(( k - 1 ))"
      fi
    done
  done
  head -c "$HEADER" c > t
  run "$B" -d -k key t
  assert_failure 2
  assert_output --partial 'truncated stream: no chunks after the header'
  head -c 30 c > t
  run "$B" -d -k key t
  assert_output --partial 'truncated stream: it ends inside the header'
  # To stdout, only the verified chunks come out, and the status says the stream is incomplete.
  head -c $(( HEADER + 2 * SEALED )) c > t
  run bash -c "'$B' -d -k key t > out2"
  assert_failure 2
  [ "$(size out2)" -eq $(( 2 * 65536 )) ]
  cmp out2 <(head -c $(( 2 * 65536 )) p)
  no_leftovers
}

@test "swapped, duplicated and dropped chunks; data appended" {
  mk p $(( 3 * 65536 + 5 ))
  "$B" -k key p c
  split_chunks c 4
  cat h k1 k0 k2 k3 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output --partial 'chunks reordered, duplicated or dropped: chunk 1 found in the place of chunk 0'
  assert_file_not_exist out
  cat h k0 k1 k1 k2 k3 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output --partial 'reordered, duplicated or dropped'
  cat h k0 k2 k3 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output --partial 'reordered, duplicated or dropped'
  cat c > t; printf 'garbage' >> t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output --partial 'data after the last chunk'
  assert_file_not_exist out
  mk q 65536
  "$B" -k key q c2
  cat c2 c2 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output --partial 'data after the last chunk'
  no_leftovers
}

@test "damage is named: appended data, a last chunk out of place, dropped chunks, a cut or a change" {
  mk p $(( 3 * 65536 + 5 ))   # the last chunk holds 5 bytes
  "$B" -k key p c
  split_chunks c 4
  last=$(( HEADER + 3 * SEALED ))
  # Appended after the short last chunk: a few bytes, more than 4 KiB, more than a chunk.
  for extra in 7 5000 70000; do
    cat c > t; head -c "$extra" /dev/urandom >> t
    run "$B" -d -k key t out
    assert_failure 2
    if [ "$extra" -lt 65536 ]; then
      assert_output "hw-encrypt: t: data after the last chunk: $extra bytes follow chunk 3 (at offset $last), the last one"
    else
      assert_output --partial "hw-encrypt: t: data after the last chunk: 65531+ bytes follow chunk 3 (at offset $last)"
    fi
    assert_file_not_exist out
  done
  # The last chunk moved to the front, or into the middle.
  cat h k3 k0 k1 k2 > t
  run "$B" -d -k key t
  assert_failure 2
  assert_line "hw-encrypt: t: chunks reordered: the last chunk (chunk 3) is not at the end: it is in the place of chunk 0 (at offset 76)"
  cat h k0 k3 k1 k2 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output "hw-encrypt: t: chunks reordered: the last chunk (chunk 3) is not at the end: it is in the place of chunk 1 (at offset $(( HEADER + SEALED )))"
  # Chunks missing before the last one.
  cat h k0 k3 > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output "hw-encrypt: t: chunks dropped: chunks 1 to 2 are missing: the last chunk (chunk 3) is in the place of chunk 1 (at offset $(( HEADER + SEALED )))"
  # Cut inside a chunk, and a changed byte in a full chunk.
  head -c $(( HEADER + SEALED + 1000 )) c > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_output "hw-encrypt: t: chunk 1 (at offset $(( HEADER + SEALED ))) failed authentication: it was modified, or the stream was cut inside it"
  cp c t; flip t 1000
  run "$B" -d -k key t out
  assert_failure 2
  assert_output "hw-encrypt: t: chunk 0 (at offset 76) failed authentication: it was modified or replaced"
  no_leftovers
}

@test "a failed decryption keeps an existing OUT untouched" {
  mk p 1000
  "$B" -k key p c
  echo precious > out
  head -c 200 c > t
  run "$B" -d -k key t out
  assert_failure 2
  assert_equal "$(cat out)" precious
  "$B" -d -k key c out
  cmp out p
}

@test "raw mode is byte-identical to openssl enc both ways" {
  for cipher in aes-128-ctr aes-256-ctr aes-128-cbc aes-256-cbc; do
    case $cipher in aes-128-*) klen=16 ;; *) klen=32 ;; esac
    head -c "$klen" /dev/urandom | od -An -tx1 | tr -d ' \n' > k.hex
    iv=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    K=$(cat k.hex)
    for n in 0 1 15 16 17 4096 100001; do
      mk p "$n"
      "$B" --raw --cipher "$cipher" --key-hex-file k.hex --iv "$iv" p mine
      openssl enc -"$cipher" -K "$K" -iv "$iv" -in p -out theirs
      cmp mine theirs || fail "$cipher size $n: encryption differs"
      "$B" -d --raw --cipher "$cipher" --key-hex-file k.hex --iv "$iv" theirs back
      cmp back p || fail "$cipher size $n: decrypting openssl's output differs"
      openssl enc -d -"$cipher" -K "$K" -iv "$iv" -in mine -out back2
      cmp back2 p || fail "$cipher size $n: openssl cannot decrypt ours"
      if [ "${cipher#*-*-}" = cbc ] && [ $(( n % 16 )) -eq 0 ]; then
        "$B" --raw --nopad --cipher "$cipher" --key-hex-file k.hex --iv "$iv" p mine
        openssl enc -nopad -"$cipher" -K "$K" -iv "$iv" -in p -out theirs
        cmp mine theirs || fail "$cipher -nopad size $n differs"
        "$B" -d --raw --nopad --cipher "$cipher" --key-hex-file k.hex --iv "$iv" theirs back
        cmp back p
      fi
    done
  done
  mk p 17
  printf '%064d\n' 0 > k32.hex
  run "$B" --raw --nopad --cipher aes-256-cbc --key-hex-file k32.hex --iv "$(printf '%032d' 0)" p out
  assert_failure 1
  assert_output --partial 'not a multiple of the 16-byte block size'
  assert_file_not_exist out
  run "$B" --raw --key-hex-file k32.hex --iv 0011 p out
  assert_failure 1
  assert_output --partial 'must be 32 hex digits'
  run "$B" --raw --cipher aes-128-ctr --key-hex-file k32.hex --iv "$(printf '%032d' 0)" p out
  assert_failure 1
  assert_output --partial 'must hold 32 hex digits'
}

@test "raw mode warns (unless -q); --iv random is drawn and reported, openssl decrypts with it" {
  mk p 5000
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > k.hex
  run "$B" --raw --key-hex-file k.hex --iv "$(printf '%032d' 0)" p c
  assert_success
  assert_output --partial 'hw-encrypt: warning: --raw output is not authenticated'
  assert_output --partial 'never use the same key and IV twice'
  run "$B" --raw -q --key-hex-file k.hex --iv "$(printf '%032d' 0)" p c
  assert_success
  assert_output ''
  # Decryption does not warn.
  run "$B" -d --raw --key-hex-file k.hex --iv "$(printf '%032d' 0)" c back
  assert_success
  assert_output ''
  # A random IV on standard error ...
  run "$B" --raw -q --cipher aes-256-cbc --key-hex-file k.hex --iv random p c1
  assert_success
  assert_output --regexp '^hw-encrypt: IV: [0-9a-f]{32}$'
  iv1=${output##*: }
  openssl enc -d -aes-256-cbc -K "$(cat k.hex)" -iv "$iv1" -in c1 | cmp - p
  # ... or in a file; never the same twice.
  run "$B" --raw -q --key-hex-file k.hex --iv random --iv-out iv2 p c2
  assert_success
  assert_output ''
  grep -Eq '^[0-9a-f]{32}$' iv2
  [ "$(cat iv2)" != "$iv1" ]
  openssl enc -d -aes-256-ctr -K "$(cat k.hex)" -iv "$(cat iv2)" -in c2 | cmp - p
  "$B" -d --raw --key-hex-file k.hex --iv "$(cat iv2)" c2 | cmp - p
  run "$B" -d --raw --key-hex-file k.hex --iv random c2
  assert_failure 1
  assert_line --index 0 'hw-encrypt: --iv random is for encryption: decrypting needs the IV the encryption used'
  run "$B" --raw --key-hex-file k.hex --iv "$iv1" --iv-out x p c3
  assert_failure 1
  assert_line --index 0 'hw-encrypt: --iv-out needs --iv random'
}

@test "key files: a warning when others can read them, 32 printable bytes refused, keygen's warnings" {
  mk p 100
  cp key k2
  chmod 644 k2
  run "$B" -k k2 p c
  assert_success
  assert_output "hw-encrypt: warning: key file k2 can be read or written by its group and others (mode 0644): make it private with chmod 600"
  chmod 620 k2
  run "$B" -d -k k2 c out
  assert_output "hw-encrypt: warning: key file k2 can be read or written by its group (mode 0620): make it private with chmod 600"
  run "$B" -q -d -k k2 c out
  assert_success
  assert_output ''
  printf 'my secret passphrase\n' > pw
  chmod 604 pw
  run "$B" --scrypt-work 15 --passphrase-file pw p c
  assert_output --partial "passphrase file pw can be read or written by others (mode 0604)"
  od -An -tx1 key | tr -d ' \n' > khex
  chmod 640 khex
  run "$B" --raw -q --key-hex-file khex --iv random --iv-out iv p c
  assert_success
  run "$B" --raw --key-hex-file khex --iv random --iv-out iv p c
  assert_output --partial "key file khex can be read or written by its group (mode 0640)"
  # 32 printable bytes: a passphrase or typed text, never used as a key.
  printf 'correct horse battery staple 123' > typed
  [ "$(stat -c %s typed)" -eq 32 ]
  run "$B" -k typed p c3
  assert_failure 1
  assert_output "hw-encrypt: key file typed holds 32 printable characters: that is a passphrase or typed text, not a key (make a key with 'hw-encrypt keygen -o FILE', or give a passphrase with --passphrase-file)"
  assert_file_not_exist c3
  run "$B" --key-fd 3 p c3 3< typed
  assert_failure 1
  assert_output --partial 'key descriptor 3 holds 32 printable characters'
  # keygen to a file others can read, or to a terminal.
  run bash -c "umask 022; '$B' keygen > k3"
  assert_success
  assert_output --partial 'hw-encrypt: warning: standard output is a file that others can read or write'
  run bash -c "umask 077; '$B' keygen > k4"
  assert_output ''
  run bash -c "umask 022; '$B' -q keygen > k5"
  assert_output ''
  if command -v script > /dev/null; then
    run script -qec "'$B' keygen --hex" /dev/null
    assert_success
    assert_output --partial 'warning: the key is shown on the terminal'
  fi
}

@test "keygen: 32 bytes, mode 0600, never overwrites" {
  run "$B" keygen -o k2
  assert_success
  [ "$(size k2)" -eq 32 ]
  [ "$(stat -c %a k2)" = 600 ]
  run "$B" keygen -o k2
  assert_failure 1
  assert_output --partial 'File exists'
  "$B" keygen --hex > k3
  [ "$(size k3)" -eq 65 ]
  grep -Eq '^[0-9a-f]{64}$' k3
  ! cmp -s key k2
}

@test "ciphertext and binary keys are never written to a terminal" {
  command -v script > /dev/null || skip "script(1) from util-linux is not installed"
  mk p 10
  run script -qec "'$B' -k key p" /dev/null
  assert_failure
  assert_output --partial 'refusing to write ciphertext to a terminal'
  run script -qec "'$B' keygen" /dev/null
  assert_failure
  assert_output --partial 'refusing to write a binary key to a terminal'
}

@test "passphrase prompt on the terminal, asked twice when encrypting" {
  command -v script > /dev/null || skip "script(1) from util-linux is not installed"
  mk p 3000
  # script feeds its stdin to the terminal: the passphrase twice, then decrypt with it.
  run script -qec "'$B' --scrypt-work 15 p c" /dev/null <<< $'tty pass\ntty pass\n'
  assert_success
  assert_output --partial 'Passphrase'
  printf 'tty pass\n' > pw
  "$B" -d --passphrase-file pw c | cmp - p
  run script -qec "'$B' --scrypt-work 15 p c2" /dev/null <<< $'one\ntwo\n'
  assert_failure
  assert_output --partial 'passphrases do not match'
  assert_file_not_exist c2
}

@test "backends: kernel reports why it cannot run; --list-backends" {
  run "$B" --list-backends
  assert_success
  assert_output --partial 'openssl: available'
  assert_output --partial 'aes-256-gcm'
  mk p 10
  run "$B" --backend kernel -k key p out
  if [ "$status" -eq 0 ]; then skip "this machine has a working AF_ALG backend"; fi
  assert_failure 1
  assert_output --partial 'kernel crypto API (AF_ALG) is not available'
  assert_file_not_exist out
  "$B" --backend openssl -k key p c
  "$B" -d --backend auto -k key c | cmp - p
}

@test "I/O errors: missing input, full disk, closed pipe" {
  run "$B" -k key nosuch out
  assert_failure 1
  assert_output --partial 'nosuch: No such file or directory'
  assert_file_not_exist out
  mk p 200000
  run bash -c "'$B' -k key p > /dev/full"
  assert_failure 1
  assert_output --partial 'No space left on device'
  # A reader that goes away is not an error worth a message.
  run bash -c "'$B' -k key p | head -c 10 > /dev/null; echo \${PIPESTATUS[0]}"
  refute_output --partial 'hw-encrypt:'
}

# broken_stdout CMD...: runs CMD with SIGPIPE ignored and standard output a pipe whose reader
# is already gone (deterministic even for a few bytes of output).
broken_stdout() {
  python3 -c 'import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

@test "standard output gone with SIGPIPE ignored: 'write error: Broken pipe', status 1 (every mode)" {
  mk p 4000000
  "$B" -k key p c
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > k.hex
  local iv=000102030405060708090a0b0c0d0e0f
  local mode
  for mode in "-k key p" "-d -k key c" "--raw -q --cipher aes-256-ctr --key-hex-file k.hex --iv $iv p"; do
    run bash -c "trap '' PIPE; \"\$0\" $mode | head -c1 > /dev/null; exit \${PIPESTATUS[0]}" "$B"
    assert_failure 1
    assert_output "hw-encrypt: write error: Broken pipe"
    # SIGPIPE at its default action: killed by it, silently, as cat is
    run bash -c "\"\$0\" $mode | head -c1 > /dev/null; exit \${PIPESTATUS[0]}" "$B"
    assert_failure 141
    assert_output ""
  done
  run broken_stdout "$B" keygen --hex
  assert_failure 1
  assert_output "hw-encrypt: write error: Broken pipe"
  run broken_stdout "$B" -k key p
  assert_failure 1
  assert_output "hw-encrypt: write error: Broken pipe"
}

@test "the man page is clean under mandoc -T lint" {
  load 'helpers/docs'
  assert_man_lint_clean hw-encrypt
}

@test "completions load in bash, zsh and fish" {
  load 'helpers/docs'
  assert_completions_offer hw-encrypt "hw-encrypt --back" --backend
  assert_completions_offer hw-encrypt "hw-encrypt --list-b" --list-backends
  assert_completions_offer hw-encrypt "hw-encrypt --who" --whole
  assert_completions_load hw-encrypt
}

@test "shared options: --stats, --stats=json, --progress, --pipe-size" {
  mk p 300000
  run "$B" -k key --stats p c
  assert_success
  assert_output --partial 'hw-encrypt:   syscalls: read'
  run "$B" -d -k key --stats=json --pipe-size 256K c out
  assert_success
  assert_output --regexp '^\{"program":"hw-encrypt","bytes":300000,'
  cmp out p
  run "$B" -k key --progress p c2
  assert_success
  assert_output --partial '100%'
  run "$B" -k key --stats=xml p c3
  assert_failure 1
}

# pipe_size_seen CMD...: the capacity of the pipe CMD writes its standard output to, as its
# reader sees it once CMD has started (as in splice-cat-gnu.bats).
pipe_size_seen() {
  "$@" | python3 -c 'import fcntl, sys, time; time.sleep(0.5); print(fcntl.fcntl(0, 1032)); sys.stdin.buffer.read()'
}

@test "standard input and output pipes are the pipeline's: grown to half the input at most, 256 KiB by default" {
  head -c 4194304 /dev/zero > z4m
  head -c 102400 /dev/zero > z100k
  run pipe_size_seen "$B" -k key z4m
  assert_output 262144          # the cap for a shared pipe (it was 1 MiB)
  run pipe_size_seen "$B" -k key --pipe-size=1M z4m
  assert_output 1048576         # asked for
  run pipe_size_seen "$B" -k key z100k
  assert_output 65536           # small input: left as the kernel made it
  run pipe_size_seen bash -c "cat z4m | '$B' -k key"
  assert_output 262144          # unknown size: the cap
}

@test "O_NONBLOCK input whose poll() fails: a read error, not a spin until the input ends" {
  command -v strace > /dev/null || skip "strace is not installed"
  # stdin: a FIFO that stays empty and never ends (its shell holds a writer), made O_NONBLOCK,
  # and every poll() fails (EIO). A wait whose failure is ignored spins on read() until
  # `timeout` kills it (124). (A pipe from `sleep 3` ended before start-up finished under load.)
  local nb='import os,fcntl,sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execv(sys.argv[1], sys.argv[1:])'
  local mode
  for mode in -e -d; do
    rm -f empty && mkfifo empty
    run bash -c "exec 3<> empty; ASAN_OPTIONS=detect_leaks=0 timeout 20 strace -f -o /dev/null \
      -e inject=poll:error=EIO python3 -c '$nb' '$B' $mode -k key < empty > out"
    assert_failure 1
    assert_output "hw-encrypt: standard input: Input/output error"
  done
}
