#!/usr/bin/env bash
# Local PostgreSQL + Redis for the Atlas test suite.
#
# Installs the servers with apt when they are missing, runs private instances
# on 127.0.0.1 (never the system services), and keeps all their state in one
# folder so that tests can stop/restart them to simulate outages.
# Run `bash scripts/services.sh help` for the details.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash scripts/services.sh COMMAND

Commands (all idempotent; "start" commands wait until the server answers):
  start               install if missing, then start PostgreSQL and Redis
                      (and install Chromium and ChromeDriver for the browser
                      tests if missing: nothing to start there)
  install-browser     install Chromium and ChromeDriver only
  stop                stop both servers (data is kept)
  status              show whether each server is running
  env                 print `export ...` lines for the test environment
                      (use: eval "$(bash scripts/services.sh env)")
  start-postgres      start PostgreSQL only (initialises the cluster once)
  stop-postgres       stop PostgreSQL (fast shutdown, clients are disconnected)
  restart-postgres    stop + start PostgreSQL; data and port are kept
  start-redis         start Redis only
  stop-redis          stop Redis
  restart-redis       stop + start Redis; port is kept (Redis has no persistence,
                      so its data is gone after a restart)
  clean               stop both servers and delete their data and state
  help                show this text

State (data dirs, pid files, logs, chosen ports) lives in one folder:
  $ATLAS_SERVICES_DIR, default <repo>/.services

Settings (environment):
  ATLAS_SERVICES_DIR          state folder (see above)
  ATLAS_SERVICES_PG_PORT      preferred PostgreSQL port (default 54329)
  ATLAS_SERVICES_REDIS_PORT   preferred Redis port (default 63799)
  ATLAS_SERVICES_TIMEOUT      seconds to wait for start/stop (default 60)
If a preferred port is taken, the next free one is used. The chosen port is
remembered, so restarts keep it.

Exported by `env`:
  ATLAS_TEST_POSTGRES     Npgsql connection string (database atlas_test)
  ATLAS_TEST_REDIS        StackExchange.Redis configuration (127.0.0.1:PORT)
  ATLAS_TEST_PG_BIN       PostgreSQL bin dir (initdb, pg_ctl, psql, ...)
  ATLAS_TEST_PG_DATA      PostgreSQL data dir
  ATLAS_TEST_PG_PORT      PostgreSQL port
  ATLAS_TEST_PG_SOCKET_DIR  PostgreSQL unix socket dir
  ATLAS_TEST_REDIS_PORT   Redis port
  ATLAS_TEST_REDIS_SERVER redis-server path
  ATLAS_TEST_CHROMIUM     the headless browser (Debian's chromium)
  ATLAS_TEST_CHROMEDRIVER its WebDriver server (Debian's chromium-driver)
  ATLAS_SERVICES_DIR      state folder
  ATLAS_SERVICES_SCRIPT   path of this script (tests call it to restart servers)

Authentication: user "postgres", password "postgres". TCP connections on
127.0.0.1 use scram-sha-256 (the password is required); the unix socket
uses trust. Postgres runs with fsync/synchronous_commit/full_page_writes off:
fast, but not crash-safe -- test data only.
EOF
}

SCRIPT_PATH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)
STATE_DIR=${ATLAS_SERVICES_DIR:-$REPO_ROOT/.services}
TIMEOUT=${ATLAS_SERVICES_TIMEOUT:-60}
PG_PREFERRED_PORT=${ATLAS_SERVICES_PG_PORT:-54329}
REDIS_PREFERRED_PORT=${ATLAS_SERVICES_REDIS_PORT:-63799}
PG_DATABASE=atlas_test
PG_USER=postgres
PG_PASSWORD=postgres

log() { echo "[services] $*" >&2; }
die() { echo "[services] ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- state ----

STATE_FILE= # set by init_state_dir
PG_BIN='' PG_ROOT='' PG_PORT='' PG_SOCKET_DIR='' REDIS_SERVER='' REDIS_CLI='' REDIS_PORT=''

init_state_dir() {
  mkdir -p "$STATE_DIR"
  STATE_DIR=$(cd "$STATE_DIR" && pwd)
  STATE_FILE=$STATE_DIR/state.env
}

load_state() {
  if [ -f "$STATE_FILE" ]; then
    # shellcheck source=/dev/null
    source "$STATE_FILE"
  fi
}

save_state() {
  local tmp=$STATE_FILE.tmp var
  : >"$tmp"
  for var in PG_BIN PG_ROOT PG_PORT PG_SOCKET_DIR REDIS_SERVER REDIS_CLI REDIS_PORT; do
    printf '%s=%q\n' "$var" "${!var}" >>"$tmp"
  done
  mv -f "$tmp" "$STATE_FILE"
}

# Serialise concurrent invocations on the same state folder.
# The servers must not inherit the lock's descriptor: start them with 9>&-.
take_lock() {
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/.lock"
    flock -w "$TIMEOUT" 9 || die "another services.sh holds $STATE_DIR/.lock for more than ${TIMEOUT}s"
  fi
}

# Short, stable id of the state folder (for paths outside of it).
state_id() { printf '%s' "$STATE_DIR" | md5sum | cut -c1-10; }

# ------------------------------------------------------------ utilities ----

port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

pick_port() {
  local port=$1 last=$(($1 + 200))
  while [ "$port" -le "$last" ]; do
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  die "no free TCP port in $1..$last"
}

# wait_for DESCRIPTION LOGFILE COMMAND... : retry COMMAND until it succeeds.
wait_for() {
  local what=$1 logfile=$2
  shift 2
  local deadline=$((SECONDS + TIMEOUT))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -f "$logfile" ] && { log "last lines of $logfile:"; tail -n 30 "$logfile" >&2; }
      die "$what not ready after ${TIMEOUT}s"
    fi
    sleep 0.2
  done
}

# Run a command as the PostgreSQL owner: initdb/pg_ctl refuse to run as root.
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# ------------------------------------------------------------ install ----

find_pg_bin() {
  local dir
  # Debian/Ubuntu layout: /usr/lib/postgresql/<major>/bin, take the highest.
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/psql" ]; then
      echo "$dir"
      return 0
    fi
  done
  # Other layouts: binaries on PATH.
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

find_redis() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }

INSTALL_HINT="install PostgreSQL (>= 15) and Redis (>= 7), e.g. as root on Debian/Ubuntu:
    apt-get update && apt-get install -y postgresql redis-server"

apt_install() {
  local sudo=() log_file=$STATE_DIR/apt.log rc=0 created_policy=0
  command -v apt-get >/dev/null 2>&1 || die "missing: $*; apt-get not found, please $INSTALL_HINT"
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "missing: $*; not root and sudo not found, please $INSTALL_HINT"
    sudo=(sudo)
  fi
  log "installing $* with apt (log: $log_file) ..."
  # Only the binaries are wanted: keep the packages from starting their own
  # system-wide services (unless an admin already set a policy).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null &&
      "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d && created_policy=1
  fi
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install "$@"
  } >"$log_file" 2>&1 </dev/null || rc=$?
  if [ "$created_policy" = 1 ]; then
    "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  fi
  if [ "$rc" -ne 0 ]; then
    tail -n 30 "$log_file" >&2
    die "apt-get install $* failed (exit $rc); please $INSTALL_HINT"
  fi
  log "installed $*"
}

ensure_postgres_installed() {
  if [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ]; then
    :
  elif PG_BIN=$(find_pg_bin); then
    :
  else
    apt_install postgresql
    PG_BIN=$(find_pg_bin) || die "PostgreSQL still not found after installing; please $INSTALL_HINT"
  fi
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as; please $INSTALL_HINT"
    command -v runuser >/dev/null 2>&1 || die "running as root but 'runuser' (util-linux) is missing"
  fi
}

ensure_redis_installed() {
  if ! find_redis; then
    apt_install redis-server
    find_redis || die "redis-server/redis-cli still not found after installing; please $INSTALL_HINT"
  fi
  REDIS_SERVER=$(command -v redis-server)
  REDIS_CLI=$(command -v redis-cli)
}

# The console's browser tests drive Debian's Chromium through its ChromeDriver
# (both version 156 on Debian 12); nothing is downloaded at test time.
find_chromium() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }

ensure_browser_installed() {
  if ! find_chromium; then
    apt_install chromium chromium-driver
    find_chromium || die "chromium/chromedriver still not found after installing; please install them, e.g. as root on Debian/Ubuntu:
    apt-get update && apt-get install -y chromium chromium-driver"
  fi
}

# ------------------------------------------------------------ postgres ----

pg_data() { echo "$PG_ROOT/data"; }
pg_log() { echo "$PG_ROOT/postgres.log"; }

# Folder for the cluster, writable by the server's OS user. As root the server
# runs as "postgres", which may not be able to reach the repo (e.g. under
# /root); then the folder goes to /var/tmp and .services/postgres links to it.
setup_pg_root() {
  if [ -n "$PG_ROOT" ] && [ -d "$PG_ROOT" ]; then
    return 0
  fi
  local dir=$STATE_DIR/postgres
  if [ -L "$dir" ]; then
    rm -f "$dir"
  fi
  mkdir -p "$dir"
  if is_root; then
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if ! as_pg test -w "$dir" -a -x "$dir"; then
      local outside
      outside=/var/tmp/atlas-services-$(state_id)
      log "user postgres cannot reach $dir; keeping the cluster in $outside/postgres (linked)"
      rmdir "$dir"
      mkdir -p "$outside/postgres"
      chmod 755 "$outside"
      chown postgres:postgres "$outside/postgres"
      chmod 700 "$outside/postgres"
      ln -s "$outside/postgres" "$dir"
      dir=$outside/postgres
    fi
  fi
  PG_ROOT=$dir
}

setup_pg_socket_dir() {
  # Fixed /tmp: short (socket paths are limited to ~100 bytes), reachable by postgres.
  [ -n "$PG_SOCKET_DIR" ] || PG_SOCKET_DIR=/tmp/atlas-pg-$(state_id)
  mkdir -p "$PG_SOCKET_DIR"
  if is_root; then
    chown postgres:postgres "$PG_SOCKET_DIR"
  fi
  chmod 700 "$PG_SOCKET_DIR"
}

pg_init_cluster() {
  local data
  data=$(pg_data)
  [ -s "$data/PG_VERSION" ] && return 0
  log "initialising PostgreSQL cluster in $data"
  as_pg rm -rf "$data"
  local pwfile=$PG_ROOT/.pwfile
  # shellcheck disable=SC2016 # $1/$2 are expanded by the inner sh
  as_pg sh -c 'umask 077 && printf "%s\n" "$1" >"$2"' _ "$PG_PASSWORD" "$pwfile"
  if ! as_pg "$PG_BIN/initdb" -D "$data" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale \
    >"$STATE_DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"
    tail -n 30 "$STATE_DIR/initdb.log" >&2
    die "initdb failed (log: $STATE_DIR/initdb.log)"
  fi
  rm -f "$pwfile"
  # Our settings live in atlas.conf (rewritten at every start), so a plain
  # `pg_ctl -D $ATLAS_TEST_PG_DATA start` (as the postgres user) also works.
  printf "\ninclude_if_exists = 'atlas.conf'\n" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

pg_write_conf() {
  as_pg tee "$(pg_data)/atlas.conf" >/dev/null <<EOF
# Written by scripts/services.sh -- test-only settings (not crash-safe).
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

pg_running() {
  [ -n "$PG_ROOT" ] && [ -f "$(pg_data)/postmaster.pid" ] &&
    [ -n "$PG_BIN" ] && as_pg "$PG_BIN/pg_ctl" -D "$(pg_data)" status >/dev/null 2>&1
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

pg_psql() {
  "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" "$@"
}

pg_ensure_database() {
  local exists
  exists=$(pg_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") ||
    die "cannot query PostgreSQL through $PG_SOCKET_DIR"
  if [ "$exists" != 1 ]; then
    pg_psql -d postgres -c "CREATE DATABASE $PG_DATABASE" || die "cannot create database $PG_DATABASE"
    log "created database $PG_DATABASE"
  fi
}

start_postgres() {
  ensure_postgres_installed
  setup_pg_root
  setup_pg_socket_dir
  save_state
  pg_init_cluster
  if pg_running; then
    wait_for "PostgreSQL on 127.0.0.1:$PG_PORT" "$(pg_log)" pg_ready
    pg_ensure_database
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    return 0
  fi
  local fresh=0 attempt
  if [ -z "$PG_PORT" ]; then
    fresh=1
    PG_PORT=$(pick_port "$PG_PREFERRED_PORT")
    save_state
  elif port_in_use "$PG_PORT"; then
    die "PostgreSQL should listen on its recorded port $PG_PORT, but another process uses it (see: ss -ltnp 'sport = :$PG_PORT'); free it or run 'clean'"
  fi
  as_pg touch "$(pg_log)"
  for attempt in 1 2 3; do
    pg_write_conf
    if as_pg "$PG_BIN/pg_ctl" -D "$(pg_data)" -l "$(pg_log)" -w -t "$TIMEOUT" -s start >&2 9>&-; then
      break
    fi
    # A port picked as free may have been taken meanwhile (parallel runs).
    if [ "$fresh" = 1 ] && [ "$attempt" -lt 3 ] && tail -n 20 "$(pg_log)" | grep -q "Address already in use"; then
      log "port $PG_PORT was taken meanwhile, trying another one"
      PG_PORT=$(pick_port $((PG_PORT + 1)))
      save_state
      continue
    fi
    log "last lines of $(pg_log):"
    tail -n 30 "$(pg_log)" >&2
    die "PostgreSQL failed to start"
  done
  wait_for "PostgreSQL on 127.0.0.1:$PG_PORT" "$(pg_log)" pg_ready
  pg_ensure_database
  log "PostgreSQL started on 127.0.0.1:$PG_PORT (data: $(pg_data))"
}

stop_postgres() {
  if ! pg_running; then
    log "PostgreSQL is not running"
    return 0
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$(pg_data)" -m fast -w -t "$TIMEOUT" -s stop >&2; then
    log "fast shutdown did not finish in ${TIMEOUT}s, trying immediate shutdown"
    as_pg "$PG_BIN/pg_ctl" -D "$(pg_data)" -m immediate -w -t "$TIMEOUT" -s stop >&2 ||
      die "PostgreSQL did not stop (data: $(pg_data))"
  fi
  log "PostgreSQL stopped"
}

# --------------------------------------------------------------- redis ----

redis_dir() { echo "$STATE_DIR/redis"; }
redis_pidfile() { echo "$(redis_dir)/redis.pid"; }
redis_log() { echo "$(redis_dir)/redis.log"; }

# True if the process exists and is not a zombie (PID 1 may reap late).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [ "$state" != Z ]
}

# PID of our redis-server, if it is running.
redis_pid() {
  local pid comm
  [ -f "$(redis_pidfile)" ] || return 1
  pid=$(cat "$(redis_pidfile)" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || echo redis-server)
  [[ "$comm" == redis* ]] || return 1
  echo "$pid"
}

# Ready = our redis-server (by pid) answers on our port, not some other one.
redis_ready() {
  local pid info
  pid=$(redis_pid) || return 1
  info=$(timeout 5 "$REDIS_CLI" -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null) || return 1
  [ "$(tr -d '\r' <<<"$info" | sed -n 's/^process_id://p')" = "$pid" ]
}

# After launching: 0 when ready, 1 when it failed or timed out.
redis_wait_started() {
  local deadline=$((SECONDS + TIMEOUT))
  until redis_ready; do
    # With --daemonize the launcher exits 0 even if the server then aborts.
    if grep -qE "aborting|Fatal|FATAL" "$(redis_log)" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.1
  done
}

start_redis() {
  ensure_redis_installed
  save_state
  if redis_pid >/dev/null; then
    wait_for "Redis on 127.0.0.1:$REDIS_PORT" "$(redis_log)" redis_ready
    log "Redis already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  local fresh=0 attempt
  if [ -z "$REDIS_PORT" ]; then
    fresh=1
    REDIS_PORT=$(pick_port "$REDIS_PREFERRED_PORT")
    save_state
  elif port_in_use "$REDIS_PORT"; then
    die "Redis should listen on its recorded port $REDIS_PORT, but another process uses it (see: ss -ltnp 'sport = :$REDIS_PORT'); free it or run 'clean'"
  fi
  mkdir -p "$(redis_dir)"
  for attempt in 1 2 3; do
    rm -f "$(redis_pidfile)"
    : >"$(redis_log)"
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$(redis_pidfile)" --logfile "$(redis_log)" --dir "$(redis_dir)" >&2 9>&- ||
      die "redis-server failed to start"
    if redis_wait_started; then
      log "Redis started on 127.0.0.1:$REDIS_PORT"
      return 0
    fi
    # A port picked as free may have been taken meanwhile (parallel runs).
    if [ "$fresh" = 1 ] && [ "$attempt" -lt 3 ] && grep -q "Address already in use" "$(redis_log)"; then
      log "port $REDIS_PORT was taken meanwhile, trying another one"
      REDIS_PORT=$(pick_port $((REDIS_PORT + 1)))
      save_state
      continue
    fi
    log "last lines of $(redis_log):"
    tail -n 30 "$(redis_log)" >&2
    die "Redis on 127.0.0.1:$REDIS_PORT did not start within ${TIMEOUT}s"
  done
}

stop_redis() {
  local pid deadline
  if ! pid=$(redis_pid); then
    log "Redis is not running"
    rm -f "$(redis_pidfile)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + TIMEOUT))
  while alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "Redis (pid $pid) ignored SIGTERM for ${TIMEOUT}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  rm -f "$(redis_pidfile)"
  log "Redis stopped"
}

# ------------------------------------------------------------ commands ----

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

print_env() {
  if [ -z "$PG_PORT" ] && [ -z "$REDIS_PORT" ]; then
    die "no services state in $STATE_DIR; run 'bash scripts/services.sh start' first"
  fi
  if [ -n "$PG_PORT" ]; then
    local pg_conn="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DATABASE;Pooling=true;Maximum Pool Size=100"
    echo "export ATLAS_TEST_POSTGRES=$(q "$pg_conn")"
    echo "export ATLAS_TEST_PG_BIN=$(q "$PG_BIN")"
    echo "export ATLAS_TEST_PG_DATA=$(q "$PG_ROOT/data")"
    echo "export ATLAS_TEST_PG_PORT=$(q "$PG_PORT")"
    echo "export ATLAS_TEST_PG_SOCKET_DIR=$(q "$PG_SOCKET_DIR")"
  fi
  if [ -n "$REDIS_PORT" ]; then
    echo "export ATLAS_TEST_REDIS=$(q "127.0.0.1:$REDIS_PORT")"
    echo "export ATLAS_TEST_REDIS_PORT=$(q "$REDIS_PORT")"
    echo "export ATLAS_TEST_REDIS_SERVER=$(q "$REDIS_SERVER")"
  fi
  if find_chromium; then
    echo "export ATLAS_TEST_CHROMIUM=$(q "$(command -v chromium)")"
    echo "export ATLAS_TEST_CHROMEDRIVER=$(q "$(command -v chromedriver)")"
  fi
  echo "export ATLAS_SERVICES_DIR=$(q "$STATE_DIR")"
  echo "export ATLAS_SERVICES_SCRIPT=$(q "$SCRIPT_PATH")"
}

print_status() {
  if pg_running; then
    echo "postgres: running on 127.0.0.1:$PG_PORT (data: $(pg_data))"
  else
    echo "postgres: stopped"
  fi
  if redis_pid >/dev/null; then
    echo "redis: running on 127.0.0.1:$REDIS_PORT (pid $(redis_pid))"
  else
    echo "redis: stopped"
  fi
}

# Stop both servers, even if stopping the first one fails.
stop_both() {
  local rc1 rc2
  # (not "|| rc=1": that would disable set -e inside the subshells)
  set +e
  (set -e; stop_redis)
  rc1=$?
  (set -e; stop_postgres)
  rc2=$?
  set -e
  [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
}

clean() {
  stop_both # exits (set -e) if a server cannot be stopped: nothing is deleted then
  if [ -L "$STATE_DIR/postgres" ]; then
    local outside
    outside=$(readlink "$STATE_DIR/postgres")
    rm -rf "$outside"
    rmdir "$(dirname "$outside")" 2>/dev/null || true
  fi
  rm -rf "$STATE_DIR/postgres" "$STATE_DIR/redis" "$STATE_DIR/initdb.log" "$STATE_FILE"
  [ -n "$PG_SOCKET_DIR" ] && rm -rf "$PG_SOCKET_DIR"
  log "removed services state in $STATE_DIR"
}

main() {
  local cmd=${1:-help}
  case "$cmd" in
    help | -h | --help) usage; return 0 ;;
    start | stop | status | env | clean | install-browser | start-postgres | stop-postgres | restart-postgres | \
      start-redis | stop-redis | restart-redis) ;;
    *) usage >&2; echo >&2; die "unknown command: $cmd" ;;
  esac
  [ $# -le 1 ] || die "'$cmd' takes no arguments"

  init_state_dir
  take_lock
  load_state

  case "$cmd" in
    start) start_postgres; start_redis; ensure_browser_installed ;;
    install-browser) ensure_browser_installed ;;
    stop) stop_both ;;
    status) print_status ;;
    env) print_env ;;
    clean) clean ;;
    start-postgres) start_postgres ;;
    stop-postgres) stop_postgres ;;
    restart-postgres) stop_postgres; start_postgres ;;
    start-redis) start_redis ;;
    stop-redis) stop_redis ;;
    restart-redis) stop_redis; start_redis ;;
  esac
}

main "$@"
