#!/usr/bin/env bash
# A small load-test scenario for scripts/test: a real server on a fresh database, 50 agents,
# 20 guest messages per second for 5 seconds, some agents dropping and resuming. Fails if any
# ticket was lost or delivered twice (never on latency: machines here are shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/../.."
admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="sb_loadtest_smoke_$$"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

cargo build --quiet --bin switchboard && cargo build --quiet -p loadtest
psql "$admin" -qc "CREATE DATABASE \"$db\"" >/dev/null
export DATABASE_URL="${admin%/*}/$db"
export SWITCHBOARD_BIND="127.0.0.1:$port"
unset REDIS_URL
target/debug/switchboard account create --slug smoke --name Smoke --manager-email lead@smoke.test --manager-password smoke-password >/dev/null
RUST_LOG=warn target/debug/switchboard serve >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/api/v1/healthz" >/dev/null && break; sleep 0.1; done

target/debug/loadtest --url "http://127.0.0.1:$port" --account smoke --manager-email lead@smoke.test \
  --manager-password smoke-password --agents 50 --rate 20 --duration 5 --reconnect-share 0.2 \
  --think-min-ms 100 --think-max-ms 600 --out "$out/result.json" >/dev/null

python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("loadtest smoke:", json.dumps(r))
problems = []
if r["agents_connected"] != 50: problems.append(f"{r['agents_connected']} of 50 agents connected")
if r["tickets_created"] == 0: problems.append("no tickets were created")
if r["lost"] != 0: problems.append(f"{r['lost']} tickets lost")
if r["duplicated"] != 0: problems.append(f"{r['duplicated']} tickets delivered twice")
if r["tickets_delivered"] != r["tickets_created"]: problems.append(f"{r['tickets_created'] - r['tickets_delivered']} tickets never pushed")
if problems:
    sys.exit("loadtest smoke failed: " + "; ".join(problems))
PY
