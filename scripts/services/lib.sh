# shellcheck shell=bash
# Shared settings and helpers for up.sh / down.sh / status.sh. Sourced, not run.

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_DIR/../.." && pwd)"
ENV_FILE="$REPO_ROOT/.services.env"

# Everything the services download or write lives outside the git work tree.
SVC_HOME="${TRIBUTARY_SERVICES_HOME:-$HOME/.cache/tributary-services}"
DIST_DIR="$SVC_HOME/dist"  # downloaded, reusable: S3Proxy jar, Druid lib/ and extensions/
RUN_DIR="$SVC_HOME/run"    # state: generated conf, data, logs, pid files (reset.sh deletes it)
CONF_DIR="$RUN_DIR/conf"
VAR_DIR="$RUN_DIR/var"
LOG_DIR="$RUN_DIR/log"
PID_DIR="$RUN_DIR/pid"
# Maven's local repository (the cache of every jar); override to measure a cold start without touching ~/.m2.
M2_REPO="${TRIBUTARY_SERVICES_M2:-$HOME/.m2/repository}"

S3PROXY_VERSION=4.1.0
# 33.0.0: the newest Druid whose core (druid-services, druid-sql, ...) the reachable Maven Central serves
# completely; see docs/SERVICES.md. druid-s3-extensions is not served for 33.0.0: 29.0.0 is the nearest served
# one and works on 33. The multi-stage-query (SQL ingestion) extension is served only as 27.0.0, which does not
# load on 33 (NoClassDefFoundError), so SQL-based ingestion is not available in this cluster.
# TRIBUTARY_DRUID_* override them for experiments (e.g. 27.0.0 + MSQ 27.0.0, see docs/SERVICES.md).
DRUID_VERSION="${TRIBUTARY_DRUID_VERSION:-33.0.0}"
DRUID_S3_EXT_VERSION="${TRIBUTARY_DRUID_S3_EXT_VERSION:-29.0.0}"
DRUID_MSQ_EXT_VERSION="${TRIBUTARY_DRUID_MSQ_EXT_VERSION:-}" # empty: no SQL-based ingestion

S3_HOST=127.0.0.1
S3_PORT="${TRIBUTARY_S3_PORT:-9000}"
S3_BUCKET="${TRIBUTARY_S3_BUCKET:-tributary}"
S3_REGION=us-east-1
S3_ACCESS_KEY_ID=tributary-access-key
S3_SECRET_ACCESS_KEY=tributary-secret-key-2f7c9a1e
ZK_PORT=2181
DERBY_PORT=1527
COORDINATOR_PORT=8081
BROKER_PORT=8082
HISTORICAL_PORT=8083
MIDDLEMANAGER_PORT=8091
ROUTER_PORT=8888

# Start order; down.sh stops in reverse.
SERVICES=(s3proxy zookeeper coordinator broker historical middleManager router)

say() { printf '[services %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
  say "ERROR: $*" >&2
  exit 1
}

pid_file() { echo "$PID_DIR/$1.pid"; }

# Prints the pid of a running service, or nothing. A pid only counts if that process still carries the
# service's marker (-Dtributary.service=NAME and this run folder), so a recycled pid is never mistaken for it.
service_pid() {
  local f pid
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-Dtributary.service=$1 -Dtributary.run=$RUN_DIR"; then
    echo "$pid"
  fi
}

service_port() {
  case "$1" in
    s3proxy) echo "$S3_PORT" ;;
    zookeeper) echo "$ZK_PORT" ;;
    coordinator) echo "$COORDINATOR_PORT" ;;
    broker) echo "$BROKER_PORT" ;;
    historical) echo "$HISTORICAL_PORT" ;;
    middleManager) echo "$MIDDLEMANAGER_PORT" ;;
    router) echo "$ROUTER_PORT" ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
