#!/usr/bin/env bash
# Stops the services and deletes all their state (bucket contents, Druid segments and metadata, logs).
# Keeps the downloads (dist/). See docs/SERVICES.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$SERVICES_DIR/down.sh"
case "$RUN_DIR" in
  */run) rm -rf "$RUN_DIR" ;;
  *) die "refusing to delete unexpected folder $RUN_DIR" ;;
esac
say "state deleted ($RUN_DIR)"
