#!/usr/bin/env bash
# Stops what scripts/services/up.sh started: SIGTERM, wait, then SIGKILL after a timeout. Idempotent.
# Keeps data (segments, metadata, bucket contents); scripts/services/reset.sh deletes it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT="${TRIBUTARY_SERVICES_STOP_TIMEOUT:-30}"

# Every process of a service's session: the service, and for the middleManager its forked peons.
session_pids() { ps -e -o pid= -o sid= | awk -v s="$1" '$2 == s { print $1 }'; }

stop_service() {
  local name="$1" pid
  pid="$(service_pid "$name")"
  if [[ -z "$pid" ]]; then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  say "stopping $name (pid $pid)"
  # up.sh starts each service with setsid, so its pid is its session id.
  local pids
  pids="$(session_pids "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    say "  $name did not stop within ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Leftovers of the same session (peons of the middleManager).
  local p left=""
  for p in $pids $(session_pids "$pid"); do
    [[ "$p" == "$pid" ]] && continue
    kill -0 "$p" 2>/dev/null && left+=" $p"
  done
  if [[ -n "$left" ]]; then
    say "  stopping leftover processes of $name:$left"
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    sleep 3
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  fi
  local i
  for i in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  rm -f "$(pid_file "$name")"
}

# Peons whose middleManager died first carry the run folder in their command line.
stop_orphan_peons() {
  local p pids=""
  for p in $(pgrep -f -- "-Dtributary.service=peon -Dtributary.run=$RUN_DIR" || true); do
    [[ "$p" != "$$" ]] && pids+=" $p"
  done
  [[ -z "$pids" ]] && return 0
  say "stopping orphan peons:$pids"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  sleep 3
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

[[ -d "$PID_DIR" ]] || {
  say "nothing to stop"
  exit 0
}
for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
  stop_service "${SERVICES[$i]}"
done
stop_orphan_peons
rm -f "$ENV_FILE"
say "stopped"
