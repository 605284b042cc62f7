#!/usr/bin/env bash
# The machine's physical limits, measured where Switchboard runs (called by
# `loadtest/scenario limits`; expects the release binaries built and the services running):
#   1. a bare WebSocket push of the same frames to 5,000 clients (target/release/bare-broadcast):
#      latency at 300 frames/s, then the most frames per second;
#   2. PostgreSQL's own rate for the rows of a new conversation, on a migrated database: one
#      guest message per transaction as the first server wrote them (loadtest/limits/ingest.sql)
#      and 50 per transaction with set-based statements as the ingest writer and the
#      dispatcher batch them (loadtest/limits/ingest_batch.sql), after a warm-up and ANALYZE.
# Then prints the figures of the last `target` scenario run as a share of each.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"
shift
admin="$TEST_DATABASE_URL"
db="sb_limits_$$"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "==> Bare WebSocket push: 5,000 clients, 300 frames/s for 20 s, then flat out for 20 s"
target/release/bare-broadcast --clients 5000 --rate 300 --duration 20 --out "$out/bare.json" >/dev/null

echo "==> PostgreSQL insert rate: pgbench, one guest message's rows per transaction"
psql "$admin" -qc "CREATE DATABASE \"$db\"" >/dev/null
url="${admin%/*}/$db"
DATABASE_URL="$url" target/release/switchboard migrate >/dev/null
DATABASE_URL="$url" target/release/switchboard account create --slug limits --name Limits \
  --manager-email lead@limits.test --manager-password limits-password >/dev/null
psql "$url" -qc "INSERT INTO users (account_id, email, name, role, password_hash)
  SELECT 1, 'agent' || g || '@limits.test', 'Agent ' || g, 'agent', 'x' FROM generate_series(1, 50) g" >/dev/null
# A warm-up, then fresh statistics: plans for empty tables would scan instead of looking up.
pgbench -n -M prepared -c 2 -j 2 -T 5 -f loadtest/limits/ingest_batch.sql "$url" >/dev/null
psql "$url" -qc "ANALYZE" >/dev/null
pgbench -n -M prepared -c 8 -j 2 -T 20 -f loadtest/limits/ingest.sql "$url" | tee "$out/pgbench.txt"
echo "==> PostgreSQL insert rate: pgbench, 50 new conversations per transaction, set-based"
pgbench -n -M prepared -c 8 -j 2 -T 20 -f loadtest/limits/ingest_batch.sql "$url" | tee "$out/pgbench_batch.txt"

python3 - "$out" "$(dirname "$out")/target/result.json" <<'PY'
import json, os, re, sys
out, ours_path = sys.argv[1], sys.argv[2]
bare = json.load(open(f"{out}/bare.json"))
def tps(name):
    return float(re.search(r"tps = ([0-9.]+)", open(f"{out}/{name}").read()).group(1))
single = tps("pgbench.txt")
batched = 50 * tps("pgbench_batch.txt")
limits = {"bare_broadcast": bare, "pgbench_messages_per_s": single,
          "pgbench_batched_conversations_per_s": batched}
print(f"bare WebSocket push: p99 {bare['latency_ms_at_rate']['p99']} ms at {bare['rate']}/s, "
      f"at most {bare['max_frames_per_s']} frames/s; PostgreSQL: {single:.0f} guest messages/s "
      f"one per transaction, {batched:.0f} new conversations/s 50 per transaction")
if os.path.exists(ours_path):
    ours = json.load(open(ours_path))
    limits["ours"] = {
        "throughput_share_of_pgbench": ours["throughput_per_s"] / single,
        "throughput_share_of_batched_pgbench": ours["throughput_per_s"] / batched,
        "throughput_share_of_bare_push": ours["throughput_per_s"] / bare["max_frames_per_s"],
        "p99_vs_bare_p99": ours["latency_ms"]["p99"] / max(bare["latency_ms_at_rate"]["p99"], 0.001),
    }
    print(f"last target run: {ours['throughput_per_s']:.1f} messages/s = "
          f"{100 * limits['ours']['throughput_share_of_pgbench']:.1f} % of PostgreSQL's one-per-transaction rate, "
          f"{100 * limits['ours']['throughput_share_of_batched_pgbench']:.1f} % of its batched rate, "
          f"{100 * limits['ours']['throughput_share_of_bare_push']:.1f} % of the bare push's; "
          f"p99 {ours['latency_ms']['p99']} ms = {limits['ours']['p99_vs_bare_p99']:.1f} x the bare push's")
else:
    print("(run `loadtest/scenario target` first to compare our figures with these)")
json.dump(limits, open(f"{out}/limits.json", "w"), indent=2)
PY
