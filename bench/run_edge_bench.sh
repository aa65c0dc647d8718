#!/usr/bin/env bash
# make bench-edge: cache-hit throughput of strata-edge vs Debian's varnish and nginx
# (proxy_cache), configured as equivalent caches in front of the same origin, in one run.
# Every server gets the same number of worker threads/processes; wrk drives 1 KB and 100 KB
# objects that are cached after a warm-up request. Prints req/s, p99 and ratios against
# strata-edge. Never asserts timings. Everything runs on loopback and is stopped on exit.
set -euo pipefail
BUILD=${1:-build/release}
EDGE_BIN="$BUILD/src/edge/strata-edge"
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}        # interleaved rounds; the median round is reported
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}      # server worker threads/processes
WRK_THREADS=${WRK_THREADS:-2}
PY=/usr/bin/python3

[ -x "$EDGE_BIN" ] || { echo "missing $EDGE_BIN (run make build)"; exit 1; }
for tool in wrk varnishd nginx; do
  command -v $tool >/dev/null || [ -x /usr/sbin/$tool ] || { echo "missing $tool (scripts/install-deps.sh)"; exit 1; }
done

TMP=$(mktemp -d /tmp/strata-edge-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
  if [ -f "$TMP/nginx.pid" ]; then kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true; fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open"; return 1
}

ORIGIN_PORT=$(free_port); EDGE_PORT=$(free_port); EDGE_ADMIN=$(free_port)
VARNISH_PORT=$(free_port); NGINX_PORT=$(free_port)

$PY "$(dirname "$0")/edge_origin.py" "$ORIGIN_PORT" & PIDS+=($!)
wait_port "$ORIGIN_PORT"

# strata-edge
"$EDGE_BIN" --origin "http://127.0.0.1:$ORIGIN_PORT" --listen "127.0.0.1:$EDGE_PORT" \
  --admin "127.0.0.1:$EDGE_ADMIN" --memory 256mb --threads "$THREADS" >"$TMP/edge.log" 2>&1 & PIDS+=($!)

# varnish: malloc storage of the same size, default VCL semantics (honours Cache-Control).
cat >"$TMP/default.vcl" <<VCL
vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "$ORIGIN_PORT"; }
VCL
chmod 644 "$TMP/default.vcl"
mkdir -p "$TMP/varnish"
varnishd -F -n "$TMP/varnish" -a "127.0.0.1:$VARNISH_PORT" -f "$TMP/default.vcl" -s malloc,256m \
  -T none -p "thread_pools=$THREADS" >"$TMP/varnish.log" 2>&1 & PIDS+=($!)

# nginx: proxy_cache with an in-memory (tmpfs) cache path, keep-alive upstream, no access log.
CACHE_DIR=/dev/shm/strata-edge-bench-nginx.$$
mkdir -p "$CACHE_DIR" && chmod 777 "$CACHE_DIR"
cat >"$TMP/nginx.conf" <<NGX
worker_processes $THREADS;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx-body;
  proxy_temp_path $TMP/nginx-proxy;
  fastcgi_temp_path $TMP/nginx-fastcgi;
  uwsgi_temp_path $TMP/nginx-uwsgi;
  scgi_temp_path $TMP/nginx-scgi;
  proxy_cache_path $CACHE_DIR levels=1:2 keys_zone=edge:32m max_size=256m inactive=1h use_temp_path=off;
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 32; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_cache edge;
      proxy_cache_lock on;
      add_header X-Cache-Status \$upstream_cache_status;
    }
  }
}
NGX
nginx -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" >"$TMP/nginx.log" 2>&1 & PIDS+=($!)

wait_port "$EDGE_PORT"; wait_port "$VARNISH_PORT"; wait_port "$NGINX_PORT"

declare -A PORTS=([strata-edge]=$EDGE_PORT [varnish]=$VARNISH_PORT [nginx]=$NGINX_PORT)
SERVERS=(strata-edge varnish nginx)
SIZES=(1k 100k)

# Warm up and check that every server answers the second request from its cache.
for s in "${SERVERS[@]}"; do
  for size in "${SIZES[@]}"; do
    curl -s -o /dev/null "http://127.0.0.1:${PORTS[$s]}/$size"
    curl -s -o /dev/null "http://127.0.0.1:${PORTS[$s]}/$size"
    hdr=$(curl -s -D - -o /dev/null "http://127.0.0.1:${PORTS[$s]}/$size" | tr -d '\r')
    if ! echo "$hdr" | grep -qiE '^(x-cache: HIT|x-cache-status: HIT|age: [0-9]+)'; then
      echo "warning: $s does not seem to serve /$size from cache:"; echo "$hdr"
    fi
  done
done

to_us() {  # wrk latency ("812.00us", "1.23ms", "2.00s") -> microseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v + 0 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000000 }
    else print v }'
}

# Rounds interleave the servers (A B C A B C ...) so background load hits all of them alike;
# per server and size the median req/s and the median p99 over the rounds are reported.
declare -A RPS P99
for size in "${SIZES[@]}"; do
  declare -A SAMPLES=()
  for round in $(seq 1 "$ROUNDS"); do
    for s in "${SERVERS[@]}"; do
      out=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:${PORTS[$s]}/$size" 2>&1)
      rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
      p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
      errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
      [ -n "$errs" ] && echo "note ($s /$size): $errs"
      SAMPLES[$s]+="${rps:-0} $(to_us "${p99:-0}")"$'\n'
    done
  done
  for s in "${SERVERS[@]}"; do
    RPS[$s,$size]=$(printf "%s" "${SAMPLES[$s]}" | awk '{print $1}' | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
    P99[$s,$size]=$(printf "%s" "${SAMPLES[$s]}" | awk '{print $2}' | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
    echo "  /$size $s rounds (req/s p99us): $(printf "%s" "${SAMPLES[$s]}" | tr '\n' ';')"
  done
  unset SAMPLES
done

echo
echo "strata-edge vs varnish $(varnishd -V 2>&1 | head -1 | sed 's/.*varnish-\([0-9.]*\).*/\1/') and nginx $(nginx -v 2>&1 | sed 's/.*\///'): cache hits, wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s x $ROUNDS rounds (medians), $THREADS server threads, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
printf "%-7s %-12s %12s %10s %14s %14s\n" size server "req/s" "p99(us)" "edge/this rps" "this/edge p99"
for size in "${SIZES[@]}"; do
  for s in "${SERVERS[@]}"; do
    e_rps=${RPS[strata-edge,$size]}; e_p99=${P99[strata-edge,$size]}
    r_rps=$(awk -v a="$e_rps" -v b="${RPS[$s,$size]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    r_p99=$(awk -v a="${P99[$s,$size]}" -v b="$e_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf "%-7s %-12s %12.0f %10.0f %14s %14s\n" "$size" "$s" "${RPS[$s,$size]}" "${P99[$s,$size]}" "$r_rps" "$r_p99"
  done
done
echo "(ratios > 1 mean strata-edge is ahead: more req/s, lower p99)"
rm -rf "$CACHE_DIR"
