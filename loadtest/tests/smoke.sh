#!/usr/bin/env bash
# A small load-test scenario for scripts/test: a real server on a fresh database, 50 agents,
# 20 guest messages per second for 5 seconds, some agents dropping and resuming, and all of them
# at once 2 s in; the harness is the channel bridge for the agents' replies. Fails if any ticket
# was lost or delivered twice, an agent did not come back, or a reply did not reach the bridge
# signed (never on latency: machines here are shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/../.."
source loadtest/lib.sh
out=$(mktemp -d)
trap 'stop_fresh_database; rm -rf "$out"' EXIT

cargo build --quiet --bin switchboard && cargo build --quiet -p loadtest
unset REDIS_URL
serve_fresh_database target/debug/switchboard sb_loadtest_smoke smoke lead@smoke.test smoke-password \
  "$out/server.log"

target/debug/loadtest --url "$base_url" --account smoke --manager-email lead@smoke.test \
  --manager-password smoke-password --agents 50 --rate 20 --duration 5 --reconnect-share 0.2 \
  --storm-at 2 --think-min-ms 100 --think-max-ms 600 --out "$out/result.json" >/dev/null

python3 - "$out/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("loadtest smoke:", json.dumps(r))
problems = []
if r.get("storm", {}).get("agents_back") != 50: problems.append(f"after the storm at 2 s: {r.get('storm')}")
if r["agents_connected"] != 50: problems.append(f"{r['agents_connected']} of 50 agents connected")
if r["tickets_created"] == 0: problems.append("no tickets were created")
if r["lost"] != 0: problems.append(f"{r['lost']} tickets lost")
if r["duplicated"] != 0: problems.append(f"{r['duplicated']} tickets delivered twice")
if r["tickets_delivered"] != r["tickets_created"]: problems.append(f"{r['tickets_created'] - r['tickets_delivered']} tickets never pushed")
if r["replies_sent"] == 0: problems.append("no replies were sent")
if r["replies_delivered"] != r["replies_sent"]: problems.append(f"{r['replies_delivered']} of {r['replies_sent']} replies reached the bridge ({r['replies_failed']} failed)")
if problems:
    sys.exit("loadtest smoke failed: " + "; ".join(problems))
PY
