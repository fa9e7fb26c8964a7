#!/usr/bin/env bash
# Runs the real-service suites: brings up the S3 API server and the Druid cluster (scripts/services/up.sh),
# runs test/services and test/druid against them with a fresh PostgreSQL database per test app, and always
# brings the services down again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services/up.sh
if [ "${KEEP_SERVICES:-}" != "1" ]; then
  trap 'bash scripts/services/down.sh >/dev/null 2>&1 || true' EXIT
fi
node --test --test-concurrency=1 "test/services/**/*.test.ts" "test/druid/**/*.test.ts"
