# Shared by xtee.bats and xtee-faults.bats: bats-support, bats-assert and bats-file loaded, and
# xtee_setup for their setup().

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

# xtee_setup: XTEE (the binary), T (the test's temporary folder) and the C locale, in which GNU
# tee's messages are compared.
xtee_setup() {
  XTEE="$CONDUIT_BIN/xtee"
  T="$BATS_TEST_TMPDIR"
  export LC_ALL=C
}
