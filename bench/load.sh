#!/usr/bin/env bash
# The load benchmark of issue #5: builds a release svault, starts it in dev mode on a temporary
# directory, fills it with 10 environments x 1,000 secrets, and runs wrk (2 threads,
# 64 connections, SECONDS each, default 10) against six cases. Prints requests/s, p50 and p99 of
# each, and each one's ratio to GET /sys/health measured in the same run (the limit of our own
# stack: same server, same threads), with the audit log on, beside the disk's fdatasync latency
# and the server's resident memory, and the server's own CPU time per request.
#
#   bench/load.sh [SECONDS]
#   BENCH_KEYS_PER_ENV=10000 bench/load.sh    # 100,000 secrets (filling takes minutes)
#   BENCH_SERVER_ARGS="--threads 32" bench/load.sh   # flags for svault server
#   BENCH_CASES="health reveal" bench/load.sh        # a subset of the cases
#   BENCH_CONNECTIONS=1 bench/load.sh                 # one request at a time (latency)
#   BENCH_PERF=reveal bench/load.sh    # also perf-records the server during one case, into
#                                      # build-release/perf-reveal.data (then perf report -i)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
envs="${BENCH_ENVS:-10}"
keys="${BENCH_KEYS_PER_ENV:-1000}"
connections="${BENCH_CONNECTIONS:-64}"
cases="${BENCH_CASES:-health reveal resolve render put mixed}"
wrk_threads=$((connections < 2 ? 1 : 2))  # wrk needs a connection per thread

./scripts/setup-deps.sh >/dev/null
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSVAULT_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target svault -j"$(nproc)" >/dev/null

tmp="$(mktemp -d /tmp/svault-bench-XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
./build-release/src/svault server --dev --data "$tmp/data" --listen "127.0.0.1:$port" \
  --log-level warn ${BENCH_SERVER_ARGS:-} >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/api/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.1
done
export SVAULT_TOKEN="$(cat "$tmp/data/root.token")"
export BENCH_LUA_DIR="$PWD/bench/load" BENCH_ENVS="$envs" BENCH_KEYS_PER_ENV="$keys"
export BENCH_BPMN="$PWD/bench/data/servicenow-dense.bpmn"

/usr/bin/python3 bench/load/populate.py "$port" "$envs" "$keys" "$BENCH_BPMN"
read -r fsync_p50 fsync_p99 < <(/usr/bin/python3 bench/load/fsync.py "$tmp/data")

url="http://127.0.0.1:$port"
server_cpu_ticks() {  # user + system time of the server so far
  awk '{print $14 + $15}' "/proc/$server_pid/stat"
}
for name in $cases; do
  if [ "$name" = health ]; then
    target=("$url/api/v1/sys/health")
  else
    target=(-s "bench/load/$name.lua" "$url")
  fi
  perf_pid=""
  if [ "${BENCH_PERF:-}" = "$name" ]; then
    perf record -q -g -p "$server_pid" -o "build-release/perf-$name.data" -- sleep "$seconds" \
      2>/dev/null &
    perf_pid=$!
  fi
  cpu_before="$(server_cpu_ticks)"
  wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --latency "${target[@]}" >"$tmp/$name.txt"
  echo "$(($(server_cpu_ticks) - cpu_before)) $(getconf CLK_TCK)" >"$tmp/$name.cpu"
  [ -n "$perf_pid" ] && wait "$perf_pid"
done

echo
echo "svault $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores," \
  "wrk -t$wrk_threads -c$connections -d${seconds}s on the same machine, audit on"
echo "$envs environments x $keys secrets; fdatasync on the data disk: p50 ${fsync_p50} ms, p99 ${fsync_p99} ms"
status="/proc/$server_pid/status"
echo "server resident memory at the end: $(awk '/VmRSS/ {print $2, $3}' "$status")," \
  "peak $(awk '/VmHWM/ {print $2, $3}' "$status")"
echo
/usr/bin/python3 bench/load/report.py "$tmp"
