#!/usr/bin/env bash
# Debian's PostgreSQL for the share-registry suites (test/shares*.e2e-spec.ts): installed, started, and a role that
# may create the suites' throw-away databases. Idempotent; needs root. Prints the TEST_DATABASE_URL to export.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | grep -q "^${version} main " || pg_createcluster "${version}" main >&2
pg_lsclusters -h | grep -q "^${version} main .* online" || pg_ctlcluster "${version}" main start >&2
port=$(pg_lsclusters -h | awk -v v="${version}" '$1 == v && $2 == "main" { print $3 }')
su postgres -c "psql -q -p ${port} -v ON_ERROR_STOP=1" >&2 <<'SQL'
SELECT 'CREATE ROLE orthanc_auth_test LOGIN CREATEDB PASSWORD ''orthanc-auth-test'''
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orthanc_auth_test') \gexec
SELECT 'CREATE DATABASE orthanc_auth_test OWNER orthanc_auth_test'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'orthanc_auth_test') \gexec
SQL
echo "postgres://orthanc_auth_test:orthanc-auth-test@127.0.0.1:${port}/orthanc_auth_test"
