#!/usr/bin/env bash
# kill.sh NAME: kills one service that up.sh started with SIGKILL (a crash, not a shutdown) and waits until it is
# gone. `up.sh` starts it again (it starts only what is not running). Used by the restart drills in
# test/services/serviceRestarts.test.ts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="${1:-}"
[[ " ${SERVICES[*]} " == *" $name "* ]] || die "usage: kill.sh NAME, NAME one of: ${SERVICES[*]}"
pid="$(service_pid "$name")"
[[ -n "$pid" ]] || die "$name is not running"
say "killing $name (pid $pid)"
kill -KILL "$pid"
for _ in $(seq 1 40); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.25
done
! kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) is still alive"
for _ in $(seq 1 40); do
  port_open "$(service_port "$name")" || break
  sleep 0.25
done
rm -f "$(pid_file "$name")"
say "$name killed"
