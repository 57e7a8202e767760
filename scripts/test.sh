#!/usr/bin/env bash
# The whole test suite: build (types generated from the AWS models), lint, then
# every test file, on SQLite and — when PostgreSQL is installed — on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:all --silent
npm run lint --silent
if [ -z "${BERTH_TEST_POSTGRES_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  BERTH_TEST_POSTGRES_URL=$(scripts/start-postgres.sh)
  export BERTH_TEST_POSTGRES_URL
fi
[ -n "${BERTH_TEST_POSTGRES_URL:-}" ] || echo "test: PostgreSQL is not installed; PostgreSQL cases are skipped (apt-get install postgresql to run them)"
# The SDK clients in tests would each print a notice about Node 20's support window.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node scripts/run-tests.mjs "$@"
