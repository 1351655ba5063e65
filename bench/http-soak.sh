#!/bin/bash
# splice-net serve --http over 100,000 connections: is it flat? A client (tests/cli/helpers/
# http_soak.py, 8 at a time) opens and closes connections in a mix of what real clients do
# (keep-alive requests with HEAD and ranges, closes by either side, pipelined requests, resets in
# the middle of a 64 MiB response, silent connections, half heads) against `serve -q --http` on a
# folder, and samples the server's VmRSS and open descriptors as it goes. The server runs on CPU
# 0, the client on CPU 1. Fails (exit 1) on a wrong response or descriptors that do not come back.
# Usage: bench/http-soak.sh BIN_DIR [CONNECTIONS]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: http-soak.sh BIN_DIR [CONNECTIONS]}" && pwd)
CONNECTIONS=${2:-100000}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net || exit 0
big=$(bench_file 64)
site="$BENCH_DIR/site"
mkdir -p "$site"
head -c 1024 "$big" > "$site/small.bin"
ln "$big" "$site/big.bin" 2> /dev/null || cp "$big" "$site/big.bin"
port=$(free_port)
taskset -c 0 "$BIN/splice-net" serve -q --http "127.0.0.1:$port" "$site" 2> "$BENCH_DIR/log" &
daemons+=($!)
wait_port "$port"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## serve --http over $CONNECTIONS connections (bench/http-soak.sh)"
echo
echo "$(nproc) CPUs, $(uname -r); load average at the start: $load. Server VmRSS and descriptors"
echo "before the first connection, during the run, and once every connection has ended."
echo
status=0
taskset -c 1 python3 "$(dirname "$0")/../tests/cli/helpers/http_soak.py" "127.0.0.1:$port" \
    --pid "${daemons[0]}" --small /small.bin="$site/small.bin" --big /big.bin \
    --connections "$CONNECTIONS" --samples 10 || status=$?
exit "$status"
