#!/bin/bash
# splice-net serve --tls against socat OPENSSL-LISTEN, ncat --ssl -l and nginx: one client fetches
# a file over TLS on loopback (the same client for every server: socat OPENSSL: into /dev/null,
# pinned to CPU 0; the server on CPU 1; nginx gets an HTTP/1.0 GET first and sends a 200 head
# before the file). Same certificate (P-256), same TLS 1.3 cipher (TLS_AES_256_GCM_SHA384, the
# default of all four through OpenSSL). nginx: one process (master_process off), sendfile on,
# access log off. On this machine's kernel there is no kTLS: this compares user-space TLS
# servers; the server's CPU time is measured by getrusage (its forked children included). Each
# server serves one connection per start.
# Usage: bench/tls.sh BIN_DIR [SIZE_MIB]   (prints a Markdown section)
set -euo pipefail
BIN=$(cd "${1:?usage: tls.sh BIN_DIR [SIZE_MIB]}" && pwd)
SIZE=${2:-1024}
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib.sh"
need_commands "$BIN" splice-net || exit 0
for tool in socat openssl ss bc; do
  command -v "$tool" > /dev/null || { echo "bench: $tool missing" >&2; exit 1; }
done
have_ncat=0
command -v ncat > /dev/null && have_ncat=1
nginx=$(command -v nginx || echo /usr/sbin/nginx)
have_nginx=0
[ -x "$nginx" ] && have_nginx=1
SN="$BIN/splice-net"
f=$(bench_file "$SIZE")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$BENCH_DIR/key.pem" \
  -out "$BENCH_DIR/cert.pem" 2> /dev/null
cert=$BENCH_DIR/cert.pem key=$BENCH_DIR/key.pem
ln -s "$f" "$BENCH_DIR/file"

# nginx_conf PORT: a one-process nginx serving $BENCH_DIR/file over TLS 1.3 on PORT.
nginx_conf() {
  cat > "$BENCH_DIR/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $BENCH_DIR/nginx.pid;
error_log $BENCH_DIR/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $BENCH_DIR/nginx-tmp;
  proxy_temp_path $BENCH_DIR/nginx-tmp;
  fastcgi_temp_path $BENCH_DIR/nginx-tmp;
  uwsgi_temp_path $BENCH_DIR/nginx-tmp;
  scgi_temp_path $BENCH_DIR/nginx-tmp;
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.3;
    root $BENCH_DIR;
    location / { }
  }
}
EOF
}

# cpu_of OUT CMD...: runs CMD and writes its CPU seconds (user + sys, children included) to OUT
# when it ends; a SIGTERM to this wrapper is passed on to CMD.
cpu_of() {
  exec python3 -c '
import os, resource, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
signal.signal(signal.SIGTERM, lambda s, f: os.kill(pid, signal.SIGTERM))
os.waitpid(pid, 0)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%f" % (r.ru_utime + r.ru_stime))
' "$@"
}

# one_run NAME: prints "seconds server_cpu_seconds" for one fetch of the file from server NAME.
one_run() {
  local port pid t0 t1 out=$BENCH_DIR/cpu
  port=$(free_port)
  rm -f "$out"
  case $1 in
    splice-net) cpu_of "$out" taskset -c 1 "$SN" serve -q --tls --cert "$cert" --key "$key" "127.0.0.1:$port" "$f" 2> /dev/null & ;;
    socat) cpu_of "$out" taskset -c 1 socat -u "FILE:$f" "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,cert=$cert,key=$key,verify=0" & ;;
    ncat) cpu_of "$out" taskset -c 1 ncat --ssl -l --send-only --ssl-cert "$cert" --ssl-key "$key" 127.0.0.1 "$port" < "$f" & ;;
    nginx) nginx_conf "$port"; cpu_of "$out" taskset -c 1 "$nginx" -e "$BENCH_DIR/nginx-error.log" -p "$BENCH_DIR" -c "$BENCH_DIR/nginx.conf" & ;;
  esac
  pid=$!
  wait_port "$port"
  t0=$(date +%s.%N)
  if [ "$1" = nginx ]; then
    printf 'GET /file HTTP/1.0\r\n\r\n' |
      taskset -c 0 socat -t 60 - "OPENSSL:127.0.0.1:$port,cafile=$cert" > /dev/null 2>&1 || true
  else
    taskset -c 0 socat -u "OPENSSL:127.0.0.1:$port,cafile=$cert" - > /dev/null 2>&1 || true
  fi
  t1=$(date +%s.%N)
  case $1 in splice-net | nginx) kill -TERM "$pid" ;; esac
  wait "$pid" 2> /dev/null || true
  echo "$(echo "$t1 - $t0" | bc -l) $(cat "$out")"
}

names=(splice-net socat)
[ "$have_ncat" -eq 1 ] && names+=(ncat)
[ "$have_nginx" -eq 1 ] && names+=(nginx)
for name in "${names[@]}"; do : > "$BENCH_DIR/tls.$name"; done
for r in $(seq "$BENCH_RUNS"); do
  for name in "${names[@]}"; do one_run "$name" >> "$BENCH_DIR/tls.$name"; done
done

echo "## splice-net serve --tls"
echo
echo "$SIZE MiB in the page cache fetched once over TLS 1.3 on loopback by \`socat OPENSSL:\`"
echo "(client on CPU 0, server on CPU 1); median of $BENCH_RUNS interleaved runs; $(nproc) CPUs,"
echo "$(uname -r) (no kTLS: user-space TLS in every server)."
echo
echo "| server | median s | GB/s | server CPU s | splice-net is |"
echo "|---|---|---|---|---|"
median_rows tls "$(( SIZE * 1048576 ))" splice-net "${names[@]}"
