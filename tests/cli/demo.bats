#!/usr/bin/env bats
# The README's first command, `make demo`, ends in scripts/demo: it must run (under bash, as the
# Makefile calls it), check every output against the input, and show the stats of each stage.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

@test "make demo calls the demo with bash (it uses pipefail and process substitution)" {
  run grep -E '^\s+@bash scripts/demo ' "$CONDUIT_SRC/Makefile"
  assert_success
}

@test "the demo moves the data through every command, checks it and shows the stats" {
  cd "$BATS_TEST_TMPDIR"
  DEMO_MIB=8 run timeout 120 bash "$CONDUIT_SRC/scripts/demo" "$CONDUIT_BIN"
  assert_success
  assert_output --partial 'received tree identical to the original'
  assert_output --partial "xtee's copy of the tar stream identical too"
  assert_output --partial 'Done: every output matched the input.'
  # Each stage's --stats: splice-cat, xtee, hw-encrypt, send, relay, recv and fanout.
  assert_output --regexp 'splice-cat:   splice +8388608 bytes'
  assert_output --regexp 'xtee:   tee +[0-9]+ bytes'
  assert_output --regexp 'hw-encrypt: [0-9]+ bytes'
  assert_output --regexp 'splice-net:   splice_broker +[0-9]+ bytes'
  assert_output --regexp 'splice-net:   tee +16777216 bytes'
}
