#!/usr/bin/env bash
# `scripts/cluster` as the README runs it, on a throwaway database and free ports: two nodes
# behind HAProxy; the balancer answers from both nodes; a guest message goes in through it;
# after one node is killed with -9 the other goes on serving; SIGTERM (what Ctrl-C does in a
# terminal) stops everything the script started. Runs the debug binary scripts/test built
# (`SWITCHBOARD_BIN` overrides it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/services.sh

ensure_services
export SWITCHBOARD_BIN="${SWITCHBOARD_BIN:-$PWD/target/debug/switchboard}"
[ -x "$SWITCHBOARD_BIN" ] || cargo build --quiet --bin switchboard
source scripts/lib/cluster.sh
# Ports free now, below Linux's ephemeral range (32768 up): there the tests' own client sockets
# hold ports, and one of them once took a port of the range drawn here.
for _ in $(seq 1 20); do
  base=$(python3 -c 'import random; print(random.randrange(20000, 32000, 10))')
  cluster_ports_free "$base" 2 && break
done
db="sb_cluster_smoke_$$"
dir=$(mktemp -d)
admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
url="http://127.0.0.1:$base"
cluster_pid=""
finish() {
  if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap finish EXIT
fail() {
  echo "cluster smoke: $*" >&2
  sed 's/^/  | /' "$dir/cluster.out" >&2 || true
  exit 1
}

SWITCHBOARD_CLUSTER_PORT=$base SWITCHBOARD_CLUSTER_DIR=$dir SWITCHBOARD_REDIS_PREFIX="smoke$$" \
  scripts/cluster 2 --no-build --database "$db" >"$dir/cluster.out" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 240); do
  grep -q "Switchboard is running" "$dir/cluster.out" && break
  kill -0 "$cluster_pid" 2>/dev/null || fail "scripts/cluster ended before serving"
  sleep 0.5
done
grep -q "Switchboard is running" "$dir/cluster.out" || fail "not serving within 120 s"
key=$(sed -n 's/^ingest api key: //p' "$dir/cluster.out" | head -n 1)
[ -n "$key" ] || fail "no demo ingest key printed"

served=$(for _ in 1 2 3 4; do
  curl -s -D - -o /dev/null "$url/api/v1/readyz" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]erved-[Bb]y: //p'
done | sort -u | tr '\n' ' ')
[ "$served" = "node-1 node-2 " ] || fail "the balancer answered from '$served', not from both nodes"

ingest() {
  curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/ingest/messages" \
    -H "authorization: Bearer $key" -H 'content-type: application/json' -d "{
      \"channel\": \"airbnb\", \"thread_external_id\": \"smoke-$1\", \"message_external_id\": \"smoke-$1\",
      \"body\": \"Is the loft free?\", \"sent_at\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",
      \"guest\": {\"external_id\": \"smoke-guest-$1\", \"name\": \"Smoke $1\"}}"
}
for n in 1 2; do
  [ "$(ingest "$n")" = 202 ] || fail "guest message $n through the balancer was not accepted"
done

kill -9 "$(cat "$dir/node-1.pid")"
sleep 3 # the balancer takes a node out after two failed checks a second apart
for n in 3 4; do
  [ "$(ingest "$n")" = 202 ] || fail "guest message $n was not accepted with node-1 dead"
done
grep -q "node-1 exited" "$dir/cluster.out" || fail "scripts/cluster did not report node-1's end"

node2=$(cat "$dir/node-2.pid")
haproxy=$(cat "$dir/haproxy.pid")
kill -TERM "$cluster_pid"
wait "$cluster_pid" 2>/dev/null || true
cluster_pid=""
for pid in "$node2" "$haproxy"; do
  ! kill -0 "$pid" 2>/dev/null || fail "process $pid outlived SIGTERM"
done
echo "cluster smoke: both nodes answered, 4 guest messages accepted (2 after node-1 was killed), all stopped"
