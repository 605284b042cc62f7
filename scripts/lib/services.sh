# Shared set-up for scripts/run and scripts/test (sourced, not executed): make sure
# PostgreSQL and Redis are installed and running, the Rust toolchain is there, and the
# connection variables are exported. Safe to run again: it only acts on what is missing.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y "$@" || { as_root apt-get update && as_root apt-get install -y "$@"; }
}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "Rust is not installed. Install it from https://rustup.rs (curl https://sh.rustup.rs -sSf | sh), then run this again." >&2
    exit 1
  fi
  # The server's allocator (jemalloc) is built from its C sources.
  if ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
    say "Installing a C toolchain (build-essential)"
    apt_install build-essential
  fi
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
    say "Installing PostgreSQL"
    apt_install postgresql
  fi
  if ! pg_ready; then
    say "Starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
  # A fresh Debian install asks for a password over TCP: give the postgres role one.
  if [ -z "${PGPASSWORD:-}" ] && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    say "Setting a local password for the postgres role"
    as_root runuser -u postgres -- psql -q -c "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null
    export PGPASSWORD=postgres
  fi
}

redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    say "Installing Redis"
    apt_install redis-server
  fi
  if ! redis_ready; then
    say "Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  for _ in $(seq 1 30); do redis_ready && break; sleep 0.5; done
  redis_ready || { echo "Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
}

# Where URLs reach the local PostgreSQL, for role and password AUTH: its Unix socket (Debian's
# /var/run/postgresql, percent-encoded as a URL host) when it lets us in, else 127.0.0.1:5432.
# The socket costs the database's processes less than loopback TCP: no TCP stack on either
# side of each of its thousands of round trips a second (README, design decision "The local
# database over its Unix socket"). A stock Debian install lets only the postgres OS user in
# over the socket (peer): then it is TCP, with the password ensure_postgres set.
pg_url_host() {
  local socket="%2Fvar%2Frun%2Fpostgresql"
  if psql "postgres://$1@${socket}/postgres" -tAc 'select 1' >/dev/null 2>&1; then
    echo "$socket"
  else
    echo "127.0.0.1:5432"
  fi
}

# Starts what is missing and exports DATABASE_URL, REDIS_URL, TEST_DATABASE_URL, TEST_REDIS_URL
# (values already set by the caller are kept).
ensure_services() {
  ensure_rust
  ensure_postgres
  ensure_redis
  local auth="postgres" host
  [ -n "${PGPASSWORD:-}" ] && auth="postgres:${PGPASSWORD}"
  host=$(pg_url_host "$auth")
  export DATABASE_URL="${DATABASE_URL:-postgres://${auth}@${host}/switchboard}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
  export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://${auth}@${host}/postgres}"
  export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
  local db="${DATABASE_URL##*/}"
  if ! psql "${TEST_DATABASE_URL}" -tAc "SELECT 1 FROM pg_database WHERE datname = '${db}'" | grep -q 1; then
    say "Creating database ${db}"
    psql "${TEST_DATABASE_URL}" -qc "CREATE DATABASE \"${db}\"" >/dev/null
  fi
}
