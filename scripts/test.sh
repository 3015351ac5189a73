#!/usr/bin/env bash
# `npm test`: the whole suite, on a fresh machine too. Before the type-check and jest, it makes the peers that some
# suites need when it can (as root with apt-get, as on CI and on this project's machines): docker-compose and nginx
# for the deployment checks, Debian's PostgreSQL for the share-registry suites (TEST_DATABASE_URL), Debian's glewlwyd
# for the real non-Keycloak OpenID provider suite. Where it cannot (not root, no apt-get), it says so: the deployment
# and glewlwyd checks then fail and name what is missing, and the PostgreSQL suites are skipped outside CI (under
# CI=true they fail). Extra arguments go to jest: npm test -- test/vectors
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if ! command -v docker-compose >/dev/null 2>&1 || ! command -v nginx >/dev/null 2>&1; then
    echo "test.sh: installing docker-compose and nginx-light (Debian) for the deployment checks" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose nginx-light >/dev/null
  fi
  if ! command -v glewlwyd >/dev/null 2>&1; then
    echo "test.sh: installing glewlwyd (Debian) for the real non-Keycloak OpenID provider suite" >&2
    echo "glewlwyd glewlwyd/config_type select No configuration" | debconf-set-selections
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends glewlwyd dbconfig-no-thanks >/dev/null
  fi
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    TEST_DATABASE_URL="$(bash scripts/test-postgres.sh)"
    export TEST_DATABASE_URL
  fi
else
  echo "test.sh: not root or no apt-get: docker-compose, nginx, glewlwyd and PostgreSQL are used only if already there" >&2
fi

npx tsc --noEmit -p tsconfig.json
npm run --silent lint
npx jest "$@"
