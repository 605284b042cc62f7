# Shared by loadtest/scenario and loadtest/tests/smoke.sh (sourced, not executed): a server of
# ours on a database of its own, dropped again on exit.

# serve_fresh_database BIN NAME SLUG EMAIL PASSWORD LOG
# Creates the database NAME_<pid> (the admin URL is $TEST_DATABASE_URL, else the local
# postgres), creates account SLUG with that manager, starts `BIN serve` on a free port with its
# output in LOG (deliveries to loopback allowed, for the harness's bridge), and waits until it answers. Sets `server_pid` and `base_url`; exports
# DATABASE_URL and SWITCHBOARD_BIND. Call `stop_fresh_database` on exit.
serve_fresh_database() {
  local bin="$1" name="$2" slug="$3" email="$4" password="$5" log="$6" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export SWITCHBOARD_BIND="127.0.0.1:$port"
  create_fresh_database "$bin" "$name" "$slug" "$email" "$password"
  # The harness is also the channel bridge: its webhook receiver listens on loopback.
  SWITCHBOARD_DELIVERY_ALLOW_PRIVATE=true RUST_LOG=warn "$bin" serve >"$log" 2>&1 &
  server_pid=$!
  base_url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$base_url/api/v1/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not answer on $base_url; see $log" >&2
  return 1
}

# create_fresh_database BIN NAME SLUG EMAIL PASSWORD
# Creates and migrates the database NAME_<pid> (the admin URL is $TEST_DATABASE_URL, else the
# local postgres) with account SLUG and that manager; exports DATABASE_URL. Dropped by
# `stop_fresh_database`.
create_fresh_database() {
  local bin="$1" name="$2" slug="$3" email="$4" password="$5"
  fresh_admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  fresh_db="${name}_$$"
  psql "$fresh_admin" -qc "CREATE DATABASE \"$fresh_db\"" >/dev/null
  export DATABASE_URL="${fresh_admin%/*}/$fresh_db"
  "$bin" account create --slug "$slug" --name "$slug" --manager-email "$email" \
    --manager-password "$password" >/dev/null
}

# serve_fresh_cluster BIN N NAME SLUG EMAIL PASSWORD DIR
# Like serve_fresh_database, but N nodes behind HAProxy (scripts/lib/cluster.sh, the machinery
# of scripts/cluster) on free loopback ports: node K's output in DIR/node-K.log, its pid in
# DIR/node-K.pid, HAProxy's in DIR/haproxy.log. Needs REDIS_URL. Sets `base_url` (the
# balancer), `cluster_nodes` (node-1=URL,...) and `cluster_node_pids`. Call
# `stop_fresh_database` on exit (it stops the cluster too).
serve_fresh_cluster() {
  local bin="$1" n="$2" name="$3" slug="$4" email="$5" password="$6" dir="$7" base
  source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/cluster.sh"
  create_fresh_database "$bin" "$name" "$slug" "$email" "$password"
  base=$(cluster_free_base "$n")
  # The harness is also the channel bridge: its webhook receiver listens on loopback.
  SWITCHBOARD_DELIVERY_ALLOW_PRIVATE=true RUST_LOG="${RUST_LOG:-warn}" \
    cluster_start "$bin" "$n" "$base" "$dir"
  base_url="$cluster_url"
}

# Stops the server (or the cluster) and drops its database (safe to call when nothing was
# started).
stop_fresh_database() {
  if declare -F cluster_stop >/dev/null; then cluster_stop; fi
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${fresh_db:-}" ]; then
    psql "$fresh_admin" -qc "DROP DATABASE IF EXISTS \"$fresh_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
