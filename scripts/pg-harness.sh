#!/usr/bin/env bash
# Throwaway PostgreSQL primary + streaming replica for tests and local development.
#
#   scripts/pg-harness.sh start            create (or revive) both servers; idempotent
#   scripts/pg-harness.sh stop             stop both servers and remove the state dir; idempotent
#   scripts/pg-harness.sh status           exit 0 when both servers are up, 3 otherwise
#   scripts/pg-harness.sh env              `export K=V` lines for eval "$(scripts/pg-harness.sh env)"; exit 3 if not running
#   scripts/pg-harness.sh replica-stop     stop only the replica (simulate a replica outage)
#   scripts/pg-harness.sh replica-start    start the replica again and wait until it streams
#   scripts/pg-harness.sh primary-restart  pg_ctl restart -m fast the primary, then wait for the replica to stream again
#
# Environment:
#   PG_HARNESS_DIR            state dir (default ${TMPDIR:-/tmp}/org-pg-harness-<hash of the repo path>)
#   PG_HARNESS_BIN            PostgreSQL bin dir (default: /usr/lib/postgresql/15/bin, else the newest installed)
#   PG_HARNESS_PRIMARY_PORT   primary port (default: a free loopback port picked by the kernel)
#   PG_HARNESS_REPLICA_PORT   replica port (default: likewise)
#
# Servers listen on 127.0.0.1 and a unix socket in the state dir, with trust auth for those only, except
# for one role that must give a password (scram-sha-256): $PASSWORD_ROLE, for tests of a missing or wrong
# password. Nothing is durable (fsync=off).
# When run as root every server binary runs as the `postgres` user (initdb refuses root).
set -euo pipefail

readonly PREFERRED_MAJOR=15
readonly SLOT_NAME=org_harness_replica
readonly REPLICA_APP_NAME=org_harness_replica
readonly MARKER=.org-pg-harness
readonly WAIT_SECONDS=${PG_HARNESS_WAIT_SECONDS:-30}
readonly PASSWORD_ROLE=org_harness_password
readonly PASSWORD_ROLE_SECRET=org-harness-secret

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
REPO_HASH=$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-10)
STATE_DIR=${PG_HARNESS_DIR:-${TMPDIR:-/tmp}/org-pg-harness-$REPO_HASH}
STATE_DIR=${STATE_DIR%/}
PRIMARY_DIR=$STATE_DIR/primary
REPLICA_DIR=$STATE_DIR/replica
SOCKET_DIR=$STATE_DIR/sock
LOG_DIR=$STATE_DIR/log
ENV_FILE=$STATE_DIR/harness.env
LOCK_FILE=$STATE_DIR.lock

PG_BIN=''
PRIMARY_PORT=''
REPLICA_PORT=''

log() { printf 'pg-harness: %s\n' "$*" >&2; }
die() {
  printf 'pg-harness: error: %s\n' "$*" >&2
  exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a server-side binary (initdb, pg_ctl, pg_basebackup) as the user that owns the clusters.
# From inside the state dir, so that a cwd the postgres user cannot read (e.g. /root) does not matter.
# Fd 9 (the harness lock) is closed for the child: a server started by pg_ctl would otherwise inherit it
# and hold the lock for as long as it runs.
as_pg() {
  if is_root; then
    (cd "$STATE_DIR" && runuser -u postgres -- "$@" 9<&-)
  else
    (cd "$STATE_DIR" && "$@" 9<&-)
  fi
}

# ---------------------------------------------------------------------------------------------------------
# Locating (or installing) the PostgreSQL binaries

has_initdb() { [[ -n $1 && -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_bin() {
  if [[ -n ${PG_HARNESS_BIN:-} ]]; then
    has_initdb "$PG_HARNESS_BIN" || die "PG_HARNESS_BIN=$PG_HARNESS_BIN has no initdb/pg_ctl/postgres"
    printf '%s\n' "$PG_HARNESS_BIN"
    return 0
  fi
  if has_initdb "/usr/lib/postgresql/$PREFERRED_MAJOR/bin"; then
    printf '%s\n' "/usr/lib/postgresql/$PREFERRED_MAJOR/bin"
    return 0
  fi
  local d best=''
  # Newest installed major version (version-sorted).
  while IFS= read -r d; do
    if has_initdb "$d"; then best=$d; fi
  done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
  if [[ -n $best ]]; then
    printf '%s\n' "$best"
    return 0
  fi
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if has_initdb "$d"; then
      printf '%s\n' "$d"
      return 0
    fi
  fi
  return 1
}

install_postgres() {
  is_root || die "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, no pg_config --bindir). Install PostgreSQL $PREFERRED_MAJOR (Debian: apt-get install postgresql-$PREFERRED_MAJOR) or set PG_HARNESS_BIN."
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries not found and apt-get is not available; set PG_HARNESS_BIN"
  log "PostgreSQL binaries not found; installing Debian's package (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  local pkg=postgresql
  if apt-cache show "postgresql-$PREFERRED_MAJOR" >/dev/null 2>&1; then pkg=postgresql-$PREFERRED_MAJOR; fi
  apt-get install -y "$pkg" >&2
}

resolve_bin() {
  [[ -n $PG_BIN ]] && return 0
  if ! PG_BIN=$(find_bin); then
    install_postgres
    PG_BIN=$(find_bin) || die "PostgreSQL was installed but no initdb was found under /usr/lib/postgresql/*/bin"
  fi
  if is_root && ! id -u postgres >/dev/null 2>&1; then
    log "creating system user postgres (the servers cannot run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
}

# ---------------------------------------------------------------------------------------------------------
# State: ports, env file

# Two distinct free loopback ports, picked by the kernel (bind to port 0, read it back, close).
pick_free_ports() {
  local out=''
  if command -v node >/dev/null 2>&1; then
    out=$(node -e '
      const net = require("node:net");
      const servers = [];
      const done = () => { console.log(servers.map((s) => s.address().port).join(" ")); servers.forEach((s) => s.close()); };
      for (let i = 0; i < 2; i++) {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => { servers.push(s); if (servers.length === 2) done(); });
      }' 2>/dev/null || true)
  fi
  if [[ ! $out =~ ^[0-9]+\ [0-9]+$ ]] && command -v python3 >/dev/null 2>&1; then
    out=$(python3 -c '
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()' 2>/dev/null || true)
  fi
  [[ $out =~ ^[0-9]+\ [0-9]+$ ]] || die "could not pick free ports (needs node or python3); set PG_HARNESS_PRIMARY_PORT and PG_HARNESS_REPLICA_PORT"
  printf '%s\n' "$out"
}

choose_ports() {
  local picked a b
  picked=$(pick_free_ports)
  a=${picked% *}
  b=${picked#* }
  PRIMARY_PORT=${PG_HARNESS_PRIMARY_PORT:-$a}
  REPLICA_PORT=${PG_HARNESS_REPLICA_PORT:-$b}
  if [[ $REPLICA_PORT == "$PRIMARY_PORT" ]]; then
    # Only possible when one of them was given explicitly.
    if [[ -n ${PG_HARNESS_REPLICA_PORT:-} ]]; then PRIMARY_PORT=$a; else REPLICA_PORT=$a; fi
  fi
  [[ $PRIMARY_PORT =~ ^[0-9]+$ && $REPLICA_PORT =~ ^[0-9]+$ ]] || die "ports must be numbers (primary=$PRIMARY_PORT replica=$REPLICA_PORT)"
  [[ $PRIMARY_PORT != "$REPLICA_PORT" ]] || die "PG_HARNESS_PRIMARY_PORT and PG_HARNESS_REPLICA_PORT must differ"
}

# Reads one KEY=VALUE line from harness.env (no sourcing).
env_get() {
  local key=$1 line
  [[ -r $ENV_FILE ]] || return 1
  while IFS= read -r line; do
    if [[ $line == "$key="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$ENV_FILE"
  return 1
}

load_state() {
  [[ -f $STATE_DIR/$MARKER && -r $ENV_FILE ]] || return 1
  PRIMARY_PORT=$(env_get PG_HARNESS_PRIMARY_PORT) || return 1
  REPLICA_PORT=$(env_get PG_HARNESS_REPLICA_PORT) || return 1
  local bin
  bin=$(env_get PG_HARNESS_BIN) || return 1
  if [[ -z ${PG_HARNESS_BIN:-} ]] && has_initdb "$bin"; then PG_BIN=$bin; fi
  return 0
}

primary_url() { printf 'postgres://postgres@127.0.0.1:%s/postgres' "$PRIMARY_PORT"; }
password_url() { printf 'postgres://%s@127.0.0.1:%s/postgres' "$PASSWORD_ROLE" "$PRIMARY_PORT"; }
replica_url() { printf 'postgres://postgres@127.0.0.1:%s/postgres' "$REPLICA_PORT"; }

write_env_file() {
  local tmp=$ENV_FILE.tmp.$$
  {
    printf 'DATABASE_URL=%s\n' "$(primary_url)"
    printf 'DATABASE_REPLICA_URLS=%s\n' "$(replica_url)"
    printf 'PG_HARNESS_PRIMARY_PORT=%s\n' "$PRIMARY_PORT"
    printf 'PG_HARNESS_REPLICA_PORT=%s\n' "$REPLICA_PORT"
    printf 'PG_HARNESS_DIR=%s\n' "$STATE_DIR"
    printf 'PG_HARNESS_BIN=%s\n' "$PG_BIN"
    printf 'PG_HARNESS_SOCKET_DIR=%s\n' "$SOCKET_DIR"
    printf 'PG_HARNESS_PASSWORD_URL=%s\n' "$(password_url)"
    printf 'PG_HARNESS_PASSWORD=%s\n' "$PASSWORD_ROLE_SECRET"
  } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------------------
# Servers

# psql as a client, over TCP on loopback (trust auth); prints the unaligned result.
sql() {
  local port=$1 query=$2
  PGCONNECT_TIMEOUT=2 "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "$query" 2>/dev/null
}

server_running() { # data dir
  [[ -f $1/PG_VERSION ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1
}

server_start() { # data dir, log name
  local dir=$1 name=$2
  server_running "$dir" && return 0
  if ! as_pg "$PG_BIN/pg_ctl" start -w -t "$WAIT_SECONDS" -D "$dir" -l "$LOG_DIR/$name.log" >/dev/null; then
    log "$name failed to start; last lines of $LOG_DIR/$name.log:"
    tail -n 20 "$LOG_DIR/$name.log" >&2 || true
    return 1
  fi
}

server_stop() { # data dir; tolerates an already-stopped or missing server
  local dir=$1
  [[ -f $dir/PG_VERSION ]] || return 0
  server_running "$dir" || return 0
  as_pg "$PG_BIN/pg_ctl" stop -m fast -w -t "$WAIT_SECONDS" -D "$dir" >/dev/null 2>&1 ||
    as_pg "$PG_BIN/pg_ctl" stop -m immediate -w -t "$WAIT_SECONDS" -D "$dir" >/dev/null 2>&1 ||
    true
}

replica_streaming() {
  [[ $(sql "$REPLICA_PORT" 'SELECT pg_is_in_recovery()' || true) == t ]] || return 1
  [[ $(sql "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name = '$REPLICA_APP_NAME'" || true) -ge 1 ]]
}

wait_streaming() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until replica_streaming; do
    if ((SECONDS >= deadline)); then
      log "replica did not reach state 'streaming' within ${WAIT_SECONDS}s; last lines of $LOG_DIR/replica.log:"
      tail -n 20 "$LOG_DIR/replica.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------------------
# Creating and removing the state dir

ensure_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  if [[ ! -e $LOCK_FILE ]]; then
    : >"$LOCK_FILE"
    chmod 0666 "$LOCK_FILE" 2>/dev/null || true
  fi
  exec 9<"$LOCK_FILE"
  flock -w 120 9 || die "timed out waiting for $LOCK_FILE (another pg-harness command is running)"
}

# Stops whatever runs out of the state dir and removes it. Refuses a non-empty dir that is not ours.
teardown() {
  [[ -e $STATE_DIR ]] || return 0
  if [[ ! -f $STATE_DIR/$MARKER ]] && [[ -n $(ls -A "$STATE_DIR" 2>/dev/null) ]]; then
    die "$STATE_DIR exists but was not created by pg-harness (no $MARKER); refusing to remove it"
  fi
  if [[ -z $PG_BIN ]]; then
    load_state || true
    [[ -n $PG_BIN ]] || PG_BIN=$(find_bin) || true
  fi
  if [[ -n $PG_BIN ]]; then
    server_stop "$REPLICA_DIR"
    server_stop "$PRIMARY_DIR"
  fi
  rm -rf -- "$STATE_DIR"
}

init_state_dir() {
  mkdir -p "$STATE_DIR"
  : >"$STATE_DIR/$MARKER"
  mkdir -p "$SOCKET_DIR" "$LOG_DIR"
  chmod 0755 "$STATE_DIR" "$SOCKET_DIR" "$LOG_DIR"
  if is_root; then
    chown -R postgres:postgres "$STATE_DIR"
    runuser -u postgres -- test -w "$STATE_DIR" ||
      die "user postgres cannot write $STATE_DIR (a parent directory is not reachable by it?); set PG_HARNESS_DIR or TMPDIR to somewhere like /tmp"
  fi
}

# Appends lines (stdin) to a file in a data dir, as the dir's owner.
append_conf() { as_pg tee -a "$1" >/dev/null; }

# Trust for 127.0.0.1 and the state dir's socket, except $PASSWORD_ROLE, which must give its password.
readonly HBA_MARKER='# pg-harness: trust for 127.0.0.1 and the socket; a password for one role'
write_hba() { # data dir
  printf '%s\n' \
    "$HBA_MARKER" \
    "host all $PASSWORD_ROLE 127.0.0.1/32 scram-sha-256" \
    "local all $PASSWORD_ROLE scram-sha-256" \
    'local all all trust' \
    'host all all 127.0.0.1/32 trust' \
    'host replication all 127.0.0.1/32 trust' |
    as_pg tee "$1/pg_hba.conf" >/dev/null
}

# The password role and the pg_hba.conf it needs, also in a harness created before they existed.
ensure_password_role() {
  local dir changed=0
  for dir in "$PRIMARY_DIR" "$REPLICA_DIR"; do
    if [[ -f $dir/pg_hba.conf ]] && ! as_pg grep -qF "$HBA_MARKER" "$dir/pg_hba.conf"; then
      write_hba "$dir"
      if server_running "$dir"; then as_pg "$PG_BIN/pg_ctl" reload -D "$dir" >/dev/null; fi
      changed=1
    fi
  done
  # Created on the primary; the replica gets it through replication.
  sql "$PRIMARY_PORT" "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PASSWORD_ROLE') THEN
      SET password_encryption = 'scram-sha-256';
      CREATE ROLE $PASSWORD_ROLE LOGIN PASSWORD '$PASSWORD_ROLE_SECRET';
    END IF;
  END \$\$" >/dev/null || die "could not create the role $PASSWORD_ROLE"
  ((changed == 0)) || log "added the password role $PASSWORD_ROLE and local-socket trust to pg_hba.conf"
}

create_fresh() {
  choose_ports
  init_state_dir

  as_pg "$PG_BIN/initdb" -D "$PRIMARY_DIR" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
    >"$LOG_DIR/initdb.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/initdb.log" >&2
    die "initdb failed"
  }

  write_hba "$PRIMARY_DIR"

  append_conf "$PRIMARY_DIR/postgresql.conf" <<EOF

# --- pg-harness (throwaway: nothing here is durable) ---
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
wal_retrieve_retry_interval = 500ms
wal_receiver_status_interval = 1s
fsync = off
synchronous_commit = off
full_page_writes = off
cluster_name = 'org_harness_primary'
EOF

  server_start "$PRIMARY_DIR" primary || die "primary failed to start"

  # -R writes standby.signal and primary_conninfo; -C -S creates and uses a physical slot on the primary.
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$REPLICA_DIR" \
    -R -X stream -C -S "$SLOT_NAME" --checkpoint=fast --no-sync >"$LOG_DIR/basebackup.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/basebackup.log" >&2
    die "pg_basebackup failed"
  }

  append_conf "$REPLICA_DIR/postgresql.conf" <<EOF

# --- pg-harness replica ---
port = $REPLICA_PORT
cluster_name = '$REPLICA_APP_NAME'
EOF

  server_start "$REPLICA_DIR" replica || die "replica failed to start"
  wait_streaming || die "replica is not streaming"
  ensure_password_role
  write_env_file
}

# Brings up an existing, possibly half-stopped harness. Fails when it cannot be made healthy.
revive() {
  if [[ -n ${PG_HARNESS_PRIMARY_PORT:-} && $PG_HARNESS_PRIMARY_PORT != "$PRIMARY_PORT" ]] ||
    [[ -n ${PG_HARNESS_REPLICA_PORT:-} && $PG_HARNESS_REPLICA_PORT != "$REPLICA_PORT" ]]; then
    die "harness in $STATE_DIR uses ports $PRIMARY_PORT/$REPLICA_PORT, not the requested ${PG_HARNESS_PRIMARY_PORT:-any}/${PG_HARNESS_REPLICA_PORT:-any}; run 'stop' first"
  fi
  [[ -f $PRIMARY_DIR/PG_VERSION && -f $REPLICA_DIR/standby.signal ]] || return 1
  server_start "$PRIMARY_DIR" primary || return 1
  server_start "$REPLICA_DIR" replica || return 1
  wait_streaming || return 1
  ensure_password_role
  write_env_file
}

# ---------------------------------------------------------------------------------------------------------
# Commands

print_status() {
  local p=down r=down rec='not running' repl=none
  if [[ -n $PG_BIN ]] && server_running "$PRIMARY_DIR"; then p=up; fi
  if [[ -n $PG_BIN ]] && server_running "$REPLICA_DIR"; then r=up; fi
  if [[ $r == up ]]; then
    case $(sql "$REPLICA_PORT" 'SELECT pg_is_in_recovery()' || true) in
    t) rec='in recovery (standby)' ;;
    f) rec='NOT in recovery (promoted?)' ;;
    *) rec='not answering' ;;
    esac
  fi
  if [[ $p == up ]]; then
    repl=$(sql "$PRIMARY_PORT" "SELECT state FROM pg_stat_replication WHERE application_name = '$REPLICA_APP_NAME' LIMIT 1" || true)
    [[ -n $repl ]] || repl=none
  fi
  printf 'state dir:    %s\n' "$STATE_DIR"
  printf 'binaries:     %s\n' "$PG_BIN"
  printf 'primary:      %s (port %s)\n' "$p" "$PRIMARY_PORT"
  printf 'replica:      %s (port %s), %s\n' "$r" "$REPLICA_PORT" "$rec"
  printf 'replication:  %s\n' "$repl"
  printf 'DATABASE_URL=%s\n' "$(primary_url)"
  printf 'DATABASE_REPLICA_URLS=%s\n' "$(replica_url)"
  [[ $p == up && $r == up ]]
}

cmd_start() {
  ensure_lock
  resolve_bin
  if load_state; then
    if revive; then
      print_status
      return 0
    fi
    log "existing harness in $STATE_DIR could not be brought up; recreating it"
    teardown
  elif [[ -e $STATE_DIR ]]; then
    teardown # a half-created dir of ours (interrupted start); refuses anything else
  fi
  local t0=$SECONDS
  create_fresh
  log "primary on 127.0.0.1:$PRIMARY_PORT, streaming replica on 127.0.0.1:$REPLICA_PORT (created in $((SECONDS - t0))s); env: $ENV_FILE"
  print_status
}

cmd_stop() {
  ensure_lock
  if [[ ! -e $STATE_DIR ]]; then
    echo "pg-harness: not running ($STATE_DIR does not exist)"
    return 0
  fi
  teardown
  echo "pg-harness: stopped; removed $STATE_DIR"
}

cmd_status() {
  if ! load_state; then
    echo "pg-harness: not running (no $ENV_FILE)"
    return 3
  fi
  [[ -n $PG_BIN ]] || PG_BIN=$(find_bin) || true
  print_status || return 3
}

cmd_env() {
  load_state || {
    echo "pg-harness: not running (no $ENV_FILE); run: scripts/pg-harness.sh start" >&2
    return 3
  }
  [[ -n $PG_BIN ]] || PG_BIN=$(find_bin) || true
  if [[ -z $PG_BIN ]] || ! server_running "$PRIMARY_DIR"; then
    echo "pg-harness: primary is not running; run: scripts/pg-harness.sh start" >&2
    return 3
  fi
  local line
  while IFS= read -r line; do
    [[ $line == *=* ]] || continue
    printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
  done <"$ENV_FILE"
}

require_state() {
  load_state || {
    echo "pg-harness: not running (no $ENV_FILE); run: scripts/pg-harness.sh start" >&2
    exit 3
  }
  [[ -n $PG_BIN ]] || resolve_bin
}

cmd_replica_stop() {
  ensure_lock
  require_state
  server_stop "$REPLICA_DIR"
  echo "pg-harness: replica stopped (port $REPLICA_PORT)"
}

cmd_replica_start() {
  ensure_lock
  require_state
  server_running "$PRIMARY_DIR" || die "primary is not running; run: scripts/pg-harness.sh start"
  server_start "$REPLICA_DIR" replica || die "replica failed to start"
  wait_streaming || die "replica is not streaming"
  echo "pg-harness: replica streaming again (port $REPLICA_PORT)"
}

cmd_primary_restart() {
  ensure_lock
  require_state
  if ! as_pg "$PG_BIN/pg_ctl" restart -m fast -w -t "$WAIT_SECONDS" -D "$PRIMARY_DIR" -l "$LOG_DIR/primary.log" >/dev/null; then
    tail -n 20 "$LOG_DIR/primary.log" >&2 || true
    die "primary failed to restart"
  fi
  # The replica's walreceiver reconnects by itself (wal_retrieve_retry_interval = 500ms); wait for it.
  if server_running "$REPLICA_DIR"; then
    wait_streaming || die "primary restarted, but the replica is not streaming again"
    echo "pg-harness: primary restarted (port $PRIMARY_PORT); replica streaming again"
  else
    echo "pg-harness: primary restarted (port $PRIMARY_PORT); replica is not running"
  fi
}

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

main() {
  local cmd=${1:-}
  case $cmd in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  replica-stop) cmd_replica_stop ;;
  replica-start) cmd_replica_start ;;
  primary-restart) cmd_primary_restart ;;
  -h | --help | help)
    usage
    return 0
    ;;
  *)
    usage
    return 2
    ;;
  esac
}

main "$@"
