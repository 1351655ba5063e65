# Byte-level damage for the tamper tests.

# flip FILE OFFSET: xor the byte at OFFSET with 0x01. Always a change: writing a constant byte
# instead would leave the file as it was one time in 256.
flip() {
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
