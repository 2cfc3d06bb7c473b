#!/usr/bin/env bash
# The production "cluster test target": Temporal server on PostgreSQL (persistence and visibility)
# plus an S3-compatible object store (versitygw), all on 127.0.0.1, all under .data/cluster/.
#
#   scripts/cluster.sh [up]     build or reuse the binaries, start what is not running (idempotent)
#   scripts/cluster.sh build    only build or reuse the binaries
#   scripts/cluster.sh status   print the state of each part
#   scripts/cluster.sh stop     stop everything (SIGTERM); data stay for the next start
#   scripts/cluster.sh wipe     stop, then delete .data/cluster (the next start is from scratch)
#   scripts/cluster.sh test [jest args]   up, then jest on every test file that uses the dev server
#   scripts/cluster.sh list-tests         those test files
#   scripts/cluster.sh backup DIR         dump the three databases, copy the object store
#   scripts/cluster.sh restore DIR        replace the cluster's data with a backup and start it
#
# The binaries are built with this machine's Go into a cache outside the clone, keyed by version,
# Go version and arch. See docs/cluster.md.
set -euo pipefail

# Pins. test/cluster-script.test.ts checks docker-compose.yml runs the same Temporal server.
TEMPORAL_VERSION=v1.32.1
VERSITYGW_VERSION=v1.8.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${LANTIAN_CLUSTER_DIR:-$root/.data/cluster}"
cache="${LANTIAN_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lantian}"
pg_port="${LANTIAN_CLUSTER_PG_PORT:-55432}"
# The frontend's gRPC port; the other services take the next three, the frontend's HTTP API +10.
temporal_port="${LANTIAN_CLUSTER_TEMPORAL_PORT:-57233}"
# Membership (ringpop) ports of the four services, from this one on. Below 32768: Temporal keeps
# them in a smallint column, and refuses to start with a larger one.
membership_port="${LANTIAN_CLUSTER_MEMBERSHIP_PORT:-26933}"
s3_port="${LANTIAN_CLUSTER_S3_PORT:-57000}"
retention_days="${LANTIAN_CLUSTER_RETENTION_DAYS:-3650}"
temporal_cli="${LANTIAN_TEMPORAL_BIN:-$root/.tools/bin/temporal}"
namespace=default
host=127.0.0.1

log() { printf 'cluster: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Binaries

if command -v go >/dev/null; then
  go_version="$(GOTOOLCHAIN=local go env GOVERSION)" go_arch="$(GOTOOLCHAIN=local go env GOARCH)"
else
  go_version=nogo go_arch="$(uname -m)"
fi
temporal_dir="$cache/temporal-$TEMPORAL_VERSION-$go_version-$go_arch"
versitygw_dir="$cache/versitygw-$VERSITYGW_VERSION-$go_version-$go_arch"
temporal_server="$temporal_dir/bin/temporal-server"
temporal_sql_tool="$temporal_dir/bin/temporal-sql-tool"
versitygw="$versitygw_dir/bin/versitygw"
schema_dir="$temporal_dir/gopath/pkg/mod/go.temporal.io/server@$TEMPORAL_VERSION/schema/postgresql/v12"

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
# Stopped: gone, or a zombie. A part started by `test` is a child of the jest it exec'd, which
# does not reap it, so it stays in the process table after it has stopped serving.
stopped() { ! alive "$1" || [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]]; }

# Starts `go install` of the given packages in the background (output to <dir>/build.log) unless
# the binaries exist or a build of the same key already runs; prints the pid to wait for, if any.
# Renames each installed binary: pairs of "<go name>:<our name>".
start_build() {
  local dir="$1" names="$2"
  shift 2
  local missing=0 pair
  for pair in $names; do [[ -x "$dir/bin/${pair#*:}" ]] || missing=1; done
  ((missing)) || return 0
  mkdir -p "$dir"
  local pid
  pid="$(cat "$dir/build.pid" 2>/dev/null || true)"
  if alive "$pid" && grep -q "cluster.sh" "/proc/$pid/cmdline" 2>/dev/null; then
    log "a build already runs in $dir (pid $pid): waiting for it"
    echo "$pid"
    return 0
  fi
  log "building $* into $dir (log: $dir/build.log)"
  (
    export GOPATH="$dir/gopath" GOMODCACHE="$dir/gopath/pkg/mod" GOCACHE="$dir/gocache" GOBIN="$dir/bin/.go"
    export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
    start=$SECONDS
    go install -trimpath -ldflags='-s -w' "$@"
    for pair in $names; do mv -f "$GOBIN/${pair%%:*}" "$dir/bin/${pair#*:}"; done
    echo "built in $((SECONDS - start)) s"
  ) >"$dir/build.log" 2>&1 </dev/null &
  echo "$!" >"$dir/build.pid"
  echo "$!"
}

build() {
  local pids=() p t0=$SECONDS
  [[ "$go_version" != nogo ]] || die "Go is needed to build Temporal and versitygw (none on PATH)"
  p="$(start_build "$temporal_dir" "server:temporal-server sql:temporal-sql-tool" \
    "go.temporal.io/server/cmd/server@$TEMPORAL_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_VERSION")"
  [[ -n "$p" ]] && pids+=("$p")
  p="$(start_build "$versitygw_dir" "versitygw:versitygw" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION")"
  [[ -n "$p" ]] && pids+=("$p")
  ((${#pids[@]})) || return 0
  log "building: 10 to 15 minutes on 2 cores with an empty cache; a line every 30 s"
  local running i
  for ((i = 1; ; i++)); do
    running=0
    for p in "${pids[@]}"; do alive "$p" && running=1; done
    ((running)) || break
    sleep 2
    ((i % 15)) || log "still building ($((SECONDS - t0)) s)"
  done
  for pair in "$temporal_server:$temporal_dir" "$temporal_sql_tool:$temporal_dir" "$versitygw:$versitygw_dir"; do
    if [[ ! -x "${pair%%:*}" ]]; then
      tail -n 30 "${pair#*:}/build.log" >&2 || true
      die "the build of ${pair%%:*} failed; see ${pair#*:}/build.log"
    fi
  done
  log "built in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------------------------------------
# Processes and ports

# PostgreSQL's data folder: $data/pg, or (when the postgres user cannot reach $data, as under
# /root) a folder in the postgres user's home, named in $data/pg-dir.
pg_data="$(cat "$data/pg-dir" 2>/dev/null || echo "$data/pg")"
temporal_pid_file="$data/temporal.pid"
versitygw_pid_file="$data/versitygw.pid"
env_file="$data/env"

# The pid in a pid file, if that process still runs the program named (a pid is reused after its
# process ends).
running_pid() {
  local file="$1" program="$2" pid
  pid="$(head -n 1 "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$program" &&
    echo "$pid"
}
temporal_pid() { running_pid "$temporal_pid_file" temporal-server; }
versitygw_pid() { running_pid "$versitygw_pid_file" versitygw; }
postgres_pid() { running_pid "$pg_data/postmaster.pid" postgres; }

port_taken() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }
require_free() {
  local port="$1" what="$2" var="$3"
  ! port_taken "$port" || die "port $port ($what) is already in use on $host: stop what uses it, or choose another with $var=<port>"
}

temporal_ports() {
  local i
  for i in 0 1 2 3; do echo "$((temporal_port + i)) $((membership_port + i))"; done
  echo "$((temporal_port + 10))"
}

# SIGTERM, then wait up to $3 seconds; SIGKILL (and say so) only if it is still there.
terminate() {
  local pid="$1" what="$2" wait="${3:-30}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < wait * 10; i++)); do
    stopped "$pid" && return 0
    sleep 0.1
  done
  log "$what (pid $pid) did not stop within $wait s of SIGTERM: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

find_pg_bin() {
  local c
  if c="$(command -v pg_ctl)"; then
    c="$(dirname "$(readlink -f "$c")")"
    [[ -x "$c/initdb" && -x "$c/psql" ]] && echo "$c" && return 0
  fi
  c="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$c" && -x "$c/pg_ctl" && -x "$c/initdb" ]] && echo "$c"
}

# Runs a PostgreSQL program as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

sql() { "$pg_bin/psql" -h "$host" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAtX -c "$1"; }

start_postgres() {
  pg_bin="$(find_pg_bin || true)"
  if [[ -z "$pg_bin" ]]; then
    ((EUID == 0)) || die "PostgreSQL is not installed: apt-get install postgresql (as root), then run this again"
    log "installing PostgreSQL (Debian's package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin="$(find_pg_bin || true)"
    [[ -n "$pg_bin" ]] || die "apt-get installed postgresql, but no pg_ctl/initdb under /usr/lib/postgresql/*/bin"
  fi
  local owner=postgres
  ((EUID == 0)) || owner="$(id -un)"
  if [[ ! -f "$pg_data/PG_VERSION" ]]; then
    if ((EUID == 0)) && ! runuser -u postgres -- test -x "$data"; then
      pg_data="$(getent passwd postgres | cut -d: -f6)/lantian-cluster-$(sha1sum <<<"$data" | cut -c1-12)"
      echo "$pg_data" >"$data/pg-dir"
      log "the postgres user cannot reach $data: PostgreSQL's data in $pg_data"
    fi
    log "initdb $pg_data"
    mkdir -p "$pg_data"
    chown "$owner:" "$pg_data"
    chmod 700 "$pg_data"
    as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$data/initdb.log"
    # Loopback only, no password: a test target, never a production database.
    printf '%s\n' '# scripts/cluster.sh: TCP from 127.0.0.1 only, trusted (a test target).' \
      'host all all 127.0.0.1/32 trust' >"$pg_data/pg_hba.conf"
    # Each Temporal service keeps a pool of connections: the default 100 is too few.
    printf '%s\n' '# scripts/cluster.sh' "listen_addresses = '$host'" "unix_socket_directories = ''" \
      'max_connections = 200' >>"$pg_data/postgresql.conf"
  fi
  if [[ -n "$(postgres_pid)" ]]; then
    log "PostgreSQL already runs (pid $(postgres_pid))"
  else
    require_free "$pg_port" PostgreSQL LANTIAN_CLUSTER_PG_PORT
    # The log inside the data folder: the postgres user writes it.
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/postgres.log" -o "-p $pg_port" -w -t 60 start >/dev/null ||
      die "PostgreSQL did not start; see $pg_data/postgres.log"
  fi
  head -n 1 "$pg_data/postmaster.pid" >"$data/postgres.pid"

  local role db owner_role
  for role in temporal lantian; do
    [[ -n "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]] ||
      sql "CREATE ROLE $role LOGIN PASSWORD '$role'"
  done
  for db in temporal:temporal temporal_visibility:temporal lantian:lantian; do
    owner_role="${db#*:}" db="${db%%:*}"
    [[ -n "$(sql "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]] || sql "CREATE DATABASE $db OWNER $owner_role"
  done
  # Idempotent: versioning tables if missing, then every versioned step not yet applied.
  local kind
  for kind in temporal:temporal visibility:temporal_visibility; do
    db="${kind#*:}"
    if ! sql_tool "$db" setup-schema -v 0.0 || ! sql_tool "$db" update-schema -d "$schema_dir/${kind%%:*}/versioned"; then
      die "loading the $db schema failed; see $data/schema.log"
    fi
  done
}

sql_tool() {
  SQL_PLUGIN=postgres12 SQL_HOST="$host" SQL_PORT="$pg_port" SQL_USER=temporal SQL_PASSWORD=temporal SQL_DATABASE="$1" \
    "$temporal_sql_tool" "${@:2}" >>"$data/schema.log" 2>&1
}

# ---------------------------------------------------------------------------------------------
# Temporal

write_temporal_config() {
  local p="$temporal_port" m="$membership_port"
  ((m + 3 < 32768)) || die "LANTIAN_CLUSTER_MEMBERSHIP_PORT must be below 32765 (Temporal stores it as a smallint)"
  mkdir -p "$data/temporal"
  cat >"$data/temporal/dynamic-config.yaml" <<EOF
# Written by scripts/cluster.sh. New search attributes usable at once (as the dev server does);
# no version check (it calls out to the internet).
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.enableServerVersionCheck:
  - value: false
EOF
  cat >"$data/temporal/config.yaml" <<EOF
# Written by scripts/cluster.sh from the module's config/development-postgres12.yaml, without
# archival, pprof and metrics. numHistoryShards cannot change after the first start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "$host:$pg_port"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "$host:$pg_port"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "$host"
services:
  frontend:
    rpc: { grpcPort: $p, membershipPort: $m, httpPort: $((p + 10)), bindOnLocalHost: true }
  history:
    rpc: { grpcPort: $((p + 1)), membershipPort: $((m + 1)), bindOnLocalHost: true }
  matching:
    rpc: { grpcPort: $((p + 2)), membershipPort: $((m + 2)), bindOnLocalHost: true }
  worker:
    rpc: { grpcPort: $((p + 3)), membershipPort: $((m + 3)), bindOnLocalHost: true }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "$host:$p"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$data/temporal/dynamic-config.yaml"
  pollInterval: 10s
EOF
}

temporal_healthy() {
  "$temporal_cli" operator cluster health --address "$host:$temporal_port" 2>/dev/null | grep -q SERVING
}

start_temporal() {
  [[ -x "$temporal_cli" ]] || die "no Temporal CLI at $temporal_cli: run npm install (it installs .tools/bin/temporal)"
  local pid
  pid="$(temporal_pid || true)"
  if [[ -n "$pid" ]]; then
    log "Temporal already runs (pid $pid)"
  else
    local port
    for port in $(temporal_ports); do
      require_free "$port" Temporal "LANTIAN_CLUSTER_TEMPORAL_PORT or LANTIAN_CLUSTER_MEMBERSHIP_PORT"
    done
    write_temporal_config
    TEMPORAL_VERSION_CHECK_DISABLED=1 setsid "$temporal_server" --config-file "$data/temporal/config.yaml" \
      --allow-no-auth start >>"$data/temporal.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$temporal_pid_file"
  fi
  local i
  for ((i = 0; i < 120; i++)); do
    temporal_healthy && return 0
    alive "$pid" || {
      tail -n 20 "$data/temporal.log" >&2
      die "Temporal exited while starting; see $data/temporal.log"
    }
    sleep 0.5
  done
  die "Temporal did not answer on $host:$temporal_port within 60 s; see $data/temporal.log"
}

# The namespace, then Lantian's search attributes and retention by Lantian's own command (the
# one docker-compose.yml's lantian-setup runs), so the list of attributes lives in one place.
setup_namespace() {
  local address="$host:$temporal_port" i out
  # Describe can fail while the server is still reconnecting to a restarted PostgreSQL; then the
  # namespace may already exist, which is what was wanted.
  if ! "$temporal_cli" operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1; then
    if ! out="$("$temporal_cli" operator namespace create --address "$address" -n "$namespace" \
      --retention "$((retention_days * 24))h" 2>&1)"; then
      grep -qi "already exists" <<<"$out" || {
        printf '%s\n' "$out" >&2
        die "could not create namespace $namespace"
      }
    fi
  fi
  [[ -x "$root/node_modules/.bin/tsx" ]] || die "no node_modules/.bin/tsx: run npm install first"
  # Right after it is created, a namespace is "not found" for about a second, and a server
  # reconnecting to a restarted PostgreSQL is briefly unavailable: ask again.
  for ((i = 0; ; i++)); do
    if out="$(cd "$root" && TEMPORAL_ADDRESS="$address" TEMPORAL_NAMESPACE="$namespace" \
      LANTIAN_RETENTION_DAYS="$retention_days" "$root/node_modules/.bin/tsx" cli/main.ts namespace setup 2>&1)"; then
      log "$out"
      return 0
    fi
    if ((i >= 30)) || ! grep -qiE "not found|unavailable|deadline exceeded|connection refused" <<<"$out"; then
      printf '%s\n' "$out" >&2
      die "namespace setup failed"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# versitygw (S3 over a local folder)

start_versitygw() {
  local creds="$data/s3-credentials" pid i
  if [[ ! -f "$creds" ]]; then
    # Random per cluster; kept so that a restart keeps the same address.
    printf 'S3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\n' "$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n')" \
      "$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')" >"$creds"
    chmod 600 "$creds"
  fi
  # shellcheck source=/dev/null
  source "$creds"
  pid="$(versitygw_pid || true)"
  if [[ -n "$pid" ]]; then
    log "versitygw already runs (pid $pid)"
    return 0
  fi
  require_free "$s3_port" "S3 (versitygw)" LANTIAN_CLUSTER_S3_PORT
  mkdir -p "$data/s3"
  ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" setsid "$versitygw" \
    --port "$host:$s3_port" --quiet posix "$data/s3" >>"$data/versitygw.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$versitygw_pid_file"
  for ((i = 0; i < 100; i++)); do
    port_taken "$s3_port" && return 0
    alive "$pid" || die "versitygw exited while starting; see $data/versitygw.log"
    sleep 0.1
  done
  die "versitygw did not listen on $host:$s3_port within 10 s; see $data/versitygw.log"
}

# ---------------------------------------------------------------------------------------------
# Commands

write_env() {
  # shellcheck source=/dev/null
  source "$data/s3-credentials"
  cat >"$env_file.tmp" <<EOF
TEMPORAL_ADDRESS=$host:$temporal_port
TEMPORAL_NAMESPACE=$namespace
LANTIAN_EMBEDDED_TEMPORAL=false
LANTIAN_RETENTION_DAYS=$retention_days
LANTIAN_DATABASE_URL=postgres://lantian:lantian@$host:$pg_port/lantian
LANTIAN_OBJECT_STORE_URL=http://$S3_ACCESS_KEY:$S3_SECRET_KEY@$host:$s3_port/lantian-evidence
EOF
  mv "$env_file.tmp" "$env_file"
}

is_up() { [[ -n "$(postgres_pid)" && -n "$(temporal_pid)" && -n "$(versitygw_pid)" && -f "$env_file" ]] && temporal_healthy; }

up() {
  if is_up; then
    log "up already: Temporal $host:$temporal_port, PostgreSQL $host:$pg_port, S3 $host:$s3_port ($env_file)"
    return 0
  fi
  build
  local t0=$SECONDS
  mkdir -p "$data"
  start_postgres
  start_temporal
  setup_namespace
  start_versitygw
  write_env
  log "up in $((SECONDS - t0)) s: Temporal $host:$temporal_port, PostgreSQL $host:$pg_port, S3 $host:$s3_port"
  log "addresses in $env_file; logs in $data and $pg_data/postgres.log; stop with scripts/cluster.sh stop"
}

status() {
  local pid state=0
  pid="$(postgres_pid || true)"
  if [[ -n "$pid" ]]; then line postgresql "running (pid $pid) on $host:$pg_port"; else line postgresql stopped && state=1; fi
  pid="$(temporal_pid || true)"
  if [[ -n "$pid" ]] && temporal_healthy; then
    line temporal "running (pid $pid) on $host:$temporal_port, serving"
  elif [[ -n "$pid" ]]; then
    line temporal "running (pid $pid), not answering on $host:$temporal_port" && state=1
  else
    line temporal stopped && state=1
  fi
  pid="$(versitygw_pid || true)"
  if [[ -n "$pid" ]]; then line s3 "running (pid $pid) on $host:$s3_port"; else line s3 stopped && state=1; fi
  line binaries "$temporal_dir, $versitygw_dir"
  if ((state == 0)); then line env "$env_file"; else line state "not up: npm run cluster starts it"; fi
  return "$state"
}
line() { printf '%-11s %s\n' "$1" "$2"; }

stop() {
  local pid
  pid="$(temporal_pid || true)"
  [[ -n "$pid" ]] && log "stopping Temporal (pid $pid)" && terminate "$pid" Temporal 30
  pid="$(versitygw_pid || true)"
  [[ -n "$pid" ]] && log "stopping versitygw (pid $pid)" && terminate "$pid" versitygw 15
  pid="$(postgres_pid || true)"
  # SIGTERM is PostgreSQL's "smart" shutdown; Temporal, its only client, is gone by now.
  [[ -n "$pid" ]] && log "stopping PostgreSQL (pid $pid)" && terminate "$pid" PostgreSQL 60
  rm -f "$temporal_pid_file" "$versitygw_pid_file" "$data/postgres.pid" "$env_file"
  log "stopped"
}

# Backup: Temporal's two databases and Lantian's (pg_dump, custom format), then the object store's
# files with their extended attributes (versitygw's posix backend keeps each object's metadata
# there): the procedure docs/operations.md gives for compose. The databases are dumped first: an
# evidence file or letter is stored before any record names it, so every object a dump refers to
# is in the copy taken after it.
backup() {
  local dir="${1:-}" db
  [[ -n "$dir" ]] || die "usage: scripts/cluster.sh backup DIR"
  is_up || die "the cluster is not up: start it (scripts/cluster.sh up) to back it up"
  pg_bin="$(find_pg_bin)"
  mkdir -p "$dir"
  for db in temporal temporal_visibility lantian; do
    "$pg_bin/pg_dump" -h "$host" -p "$pg_port" -U postgres --format=custom --file="$dir/$db.dump" "$db" ||
      die "pg_dump of $db failed"
  done
  tar --xattrs --xattrs-include='*' -C "$data/s3" -czf "$dir/objects.tgz" . || die "copying the object store failed"
  cp "$data/s3-credentials" "$dir/s3-credentials"
  log "backed up to $dir: $(cd "$dir" && du -ch -- *.dump objects.tgz | tail -n 1 | cut -f1) in all"
}

# Restore: the cluster stopped and its data deleted, the object store's files unpacked, PostgreSQL
# started with empty databases, each database restored from its dump, then Temporal and the store
# started as `up` does. Workers and web instances are started again after it.
restore() {
  local dir="${1:-}" f db owner t0=$SECONDS
  [[ -n "$dir" ]] || die "usage: scripts/cluster.sh restore DIR"
  for f in temporal.dump temporal_visibility.dump lantian.dump objects.tgz s3-credentials; do
    [[ -f "$dir/$f" ]] || die "$dir/$f is missing: restore takes a folder written by scripts/cluster.sh backup"
  done
  build
  stop
  rm -rf "$pg_data" "$data"
  pg_data="$data/pg"
  mkdir -p "$data/s3"
  install -m 600 "$dir/s3-credentials" "$data/s3-credentials"
  tar --xattrs --xattrs-include='*' -C "$data/s3" -xzf "$dir/objects.tgz" || die "unpacking the object store failed"
  start_postgres
  for db in temporal:temporal temporal_visibility:temporal lantian:lantian; do
    owner="${db#*:}" db="${db%%:*}"
    sql "DROP DATABASE $db"
    sql "CREATE DATABASE $db OWNER $owner"
    "$pg_bin/pg_restore" -h "$host" -p "$pg_port" -U postgres --no-owner --role="$owner" --exit-on-error \
      -d "$db" "$dir/$db.dump" || die "restoring $db from $dir/$db.dump failed"
  done
  start_temporal
  setup_namespace
  start_versitygw
  write_env
  log "restored from $dir in $((SECONDS - t0)) s: Temporal $host:$temporal_port, PostgreSQL $host:$pg_port, S3 $host:$s3_port"
}

# The test files that use the dev server or the production stores: those that call devServerEnv
# or productionUrls, and those that import a test/support module that does (test/support/web.ts).
dev_server_test_files() {
  local call='[ (=](devServerEnv|productionUrls)\(' pattern helper
  pattern="$call"
  while read -r helper; do
    pattern+="|support/$(basename "$helper" .ts)['\"]"
  done < <(grep -lE "$call" "$root"/test/support/*.ts | grep -v '/temporal\.ts$')
  grep -lE "$pattern" "$root"/test/*.test.ts | sed "s|^$root/||"
}

# Test namespaces (test/support/temporal.ts names them lantian-test-<unix seconds>-…) older than
# LANTIAN_CLUSTER_TEST_NAMESPACE_AGE seconds (an hour): deleted, with their workflows. Younger
# ones may belong to a run still going.
delete_old_test_namespaces() {
  local address="$host:$temporal_port" ns
  for ns in $("$temporal_cli" operator namespace list --address "$address" -o json |
    AGE="${LANTIAN_CLUSTER_TEST_NAMESPACE_AGE:-3600}" node -e '
      const list = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const cutoff = Date.now() / 1000 - Number(process.env.AGE);
      for (const n of list) {
        const m = /^lantian-test-(\d+)-/.exec(n.namespaceInfo?.name ?? "");
        if (m && Number(m[1]) < cutoff && n.namespaceInfo.state !== "NAMESPACE_STATE_DELETED") console.log(n.namespaceInfo.name);
      }'); do
    "$temporal_cli" operator namespace delete --address "$address" -n "$ns" --yes >/dev/null && log "deleted old test namespace $ns"
  done
}

run_tests() {
  up
  delete_old_test_namespaces || log "could not delete old test namespaces (going on)"
  local files
  mapfile -t files < <(dev_server_test_files)
  ((${#files[@]})) || die "no test file uses devServerEnv"
  log "on the cluster (LANTIAN_TEST_TEMPORAL_ADDRESS=$host:$temporal_port): ${files[*]}"
  cd "$root"
  LANTIAN_TEST_TEMPORAL_ADDRESS="$host:$temporal_port" exec "$root/node_modules/.bin/jest" --runInBand "$@" \
    --runTestsByPath "${files[@]}"
}

case "${1:-up}" in
up) up ;;
build) build ;;
status) status ;;
stop) stop ;;
wipe)
  stop
  rm -rf "$pg_data" "$data"
  log "deleted $data"
  ;;
test)
  shift
  run_tests "$@"
  ;;
list-tests) dev_server_test_files ;;
backup) backup "${2:-}" ;;
restore) restore "${2:-}" ;;
kill)
  # For fault tests: SIGKILL one part, as a crash would; `up` starts it again.
  case "${2:-}" in
  temporal) pid="$(temporal_pid || true)" ;;
  postgresql) pid="$(postgres_pid || true)" ;;
  s3) pid="$(versitygw_pid || true)" ;;
  *) die "usage: scripts/cluster.sh kill temporal|postgresql|s3" ;;
  esac
  [[ -n "$pid" ]] || die "$2 is not running"
  # PostgreSQL's crash is SIGQUIT (immediate shutdown): a SIGKILLed postmaster leaves its backends.
  if [[ "$2" == postgresql ]]; then kill -QUIT "$pid"; else kill -KILL "$pid"; fi
  while ! stopped "$pid"; do sleep 0.05; done
  log "killed $2 (pid $pid)"
  ;;
*) die "usage: scripts/cluster.sh [up|build|status|stop|wipe|test [jest args]|list-tests|backup DIR|restore DIR|kill temporal|postgresql|s3]" ;;
esac
