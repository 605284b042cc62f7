# Several Switchboard nodes behind HAProxy on this machine, for scripts/cluster and the
# load-test scenarios `cluster` and `cluster-one` (sourced, not executed; source
# scripts/lib/services.sh first). Node K listens on 127.0.0.1:BASE+K with
# SWITCHBOARD_NODE_ID=node-K; HAProxy listens on 127.0.0.1:BASE and hands each request and
# each WebSocket to the next node in turn (scripts/cluster.d/haproxy.cfg.in).

cluster_template="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/cluster.d/haproxy.cfg.in"

ensure_haproxy() {
  if ! command -v haproxy >/dev/null 2>&1; then
    say "Installing HAProxy"
    apt_install haproxy
  fi
  command -v haproxy >/dev/null 2>&1 || { echo "haproxy is not installed" >&2; exit 1; }
}

# cluster_ports_free BASE N: succeeds when 127.0.0.1:BASE..BASE+N can all be bound.
cluster_ports_free() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
base, n = int(sys.argv[1]), int(sys.argv[2])
for port in range(base, base + n + 1):
    s = socket.socket()
    # As the servers do: a port whose old connections linger in TIME_WAIT is free.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen()
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

# cluster_free_base N: prints a port BASE such that BASE..BASE+N are free (a throwaway cluster
# that must not collide with scripts/run or scripts/cluster on 8080).
cluster_free_base() {
  local n="$1" base
  for _ in $(seq 1 50); do
    base=$(( (RANDOM % 2000) * 10 + 20000 ))
    if cluster_ports_free "$base" "$n"; then echo "$base"; return 0; fi
  done
  echo "no $((n + 1)) free consecutive ports found" >&2
  return 1
}

# cluster_pool_size N WANTED: prints a per-node SWITCHBOARD_DB_POOL no larger than WANTED such
# that N nodes stay within PostgreSQL's max_connections (keeping 20 for everything else).
cluster_pool_size() {
  local n="$1" wanted="$2" max fit
  max=$(psql "${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -tAc 'SHOW max_connections' 2>/dev/null || echo 100)
  fit=$(( (max - 20) / n ))
  [ "$fit" -lt 2 ] && fit=2
  [ "$wanted" -lt "$fit" ] && fit="$wanted"
  echo "$fit"
}

# cluster_render_config BASE N DIR: writes DIR/haproxy.cfg from the template.
cluster_render_config() {
  local base="$1" n="$2" dir="$3" k servers="" maxconn
  # HAProxy runs with the hard open-file limit; each proxied connection takes two.
  maxconn=$(ulimit -Hn)
  if [ "$maxconn" = unlimited ] || [ "$maxconn" -gt 80400 ]; then maxconn=40000; else maxconn=$(( (maxconn - 200) / 2 )); fi
  for k in $(seq 1 "$n"); do
    servers+="    server node-$k 127.0.0.1:$((base + k)) check"$'\n'
  done
  {
    echo "# Rendered by scripts/cluster from scripts/cluster.d/haproxy.cfg.in: $n nodes."
    awk -v bind="127.0.0.1:$base" -v maxconn="$maxconn" -v servers="${servers%$'\n'}" '
      /^[[:space:]]*#/ { print; next }
      /^@SERVERS@$/ { print servers; next }
      { gsub(/@BIND@/, bind); gsub(/@MAXCONN@/, maxconn); print }
    ' "$cluster_template"
  } >"$dir/haproxy.cfg"
  haproxy -c -q -f "$dir/haproxy.cfg" || { echo "HAProxy refused $dir/haproxy.cfg" >&2; return 1; }
}

# cluster_start BIN N BASE DIR
# Starts N `BIN serve` nodes (node K on 127.0.0.1:BASE+K, SWITCHBOARD_NODE_ID=node-K, output in
# DIR/node-K.log, pid in DIR/node-K.pid) and HAProxy on 127.0.0.1:BASE (DIR/haproxy.cfg,
# DIR/haproxy.log, DIR/haproxy.pid), then waits until every node and the balancer answer.
# Needs DATABASE_URL (migrated) and REDIS_URL exported; every other SWITCHBOARD_* and RUST_LOG
# the caller exported reaches the nodes. Sets `cluster_url` (the balancer),
# `cluster_nodes` (node-1=http://127.0.0.1:BASE+1,...), `cluster_node_pids` (an array) and
# `cluster_haproxy_pid`. Call `cluster_stop` on exit.
cluster_start() {
  local bin="$1" n="$2" base="$3" dir="$4" k url
  [ -n "${DATABASE_URL:-}" ] || { echo "cluster_start needs DATABASE_URL" >&2; return 1; }
  [ -n "${REDIS_URL:-}" ] || { echo "several nodes need REDIS_URL (presence and frames between nodes)" >&2; return 1; }
  ensure_haproxy
  mkdir -p "$dir"
  cluster_dir="$dir"
  if ! cluster_ports_free "$base" "$n"; then
    echo "ports 127.0.0.1:$base..$((base + n)) are not all free (another scripts/run or scripts/cluster?); set SWITCHBOARD_CLUSTER_PORT" >&2
    return 1
  fi
  cluster_render_config "$base" "$n" "$dir"
  cluster_node_pids=()
  cluster_nodes=""
  for k in $(seq 1 "$n"); do
    SWITCHBOARD_BIND="127.0.0.1:$((base + k))" SWITCHBOARD_NODE_ID="node-$k" \
      "$bin" serve >"$dir/node-$k.log" 2>&1 &
    cluster_node_pids+=("$!")
    echo "$!" >"$dir/node-$k.pid"
    cluster_nodes+="${cluster_nodes:+,}node-$k=http://127.0.0.1:$((base + k))"
  done
  (ulimit -n "$(ulimit -Hn)" && exec haproxy -db -f "$dir/haproxy.cfg") >"$dir/haproxy.log" 2>&1 &
  cluster_haproxy_pid=$!
  echo "$cluster_haproxy_pid" >"$dir/haproxy.pid"
  cluster_url="http://127.0.0.1:$base"
  for k in $(seq 1 "$n"); do
    url="http://127.0.0.1:$((base + k))/api/v1/healthz"
    for _ in $(seq 1 300); do curl -sf "$url" >/dev/null && break; sleep 0.1; done
    curl -sf "$url" >/dev/null || { echo "node-$k did not answer on $url; see $dir/node-$k.log" >&2; return 1; }
  done
  for _ in $(seq 1 100); do curl -sf "$cluster_url/api/v1/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "HAProxy did not answer on $cluster_url; see $dir/haproxy.log" >&2
  return 1
}

# cluster_alive PID: succeeds while PID runs (a child that exited but was not waited for yet
# is a zombie, and counts as gone).
cluster_alive() {
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# cluster_ensure_database NAME: points DATABASE_URL at database NAME on the server it names
# (after ensure_services), creating NAME when it is missing.
cluster_ensure_database() {
  local name="$1"
  export DATABASE_URL="${DATABASE_URL%/*}/$name"
  if ! psql "${TEST_DATABASE_URL}" -tAc "SELECT 1 FROM pg_database WHERE datname = '${name}'" | grep -q 1; then
    say "Creating database ${name}"
    psql "${TEST_DATABASE_URL}" -qc "CREATE DATABASE \"${name}\"" >/dev/null
  fi
}

# cluster_stop: stops HAProxy and every node that cluster_start started in this shell (by
# their pids: SIGTERM, then SIGKILL after 10 s), and nothing else, and removes their pid
# files. Safe to call twice or when nothing was started.
cluster_stop() {
  local pid pids=()
  [ -n "${cluster_haproxy_pid:-}" ] && pids+=("$cluster_haproxy_pid")
  pids+=("${cluster_node_pids[@]}")
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do
      if cluster_alive "$pid"; then alive=1; fi
    done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ ${#pids[@]} -gt 0 ] && [ -n "${cluster_dir:-}" ] && rm -f "$cluster_dir"/node-*.pid "$cluster_dir/haproxy.pid"
  cluster_haproxy_pid=""
  cluster_node_pids=()
}
