# Stand-in postgres entrypoint: initialise /var/lib/postgresql/data once (as the official image does), then run.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | head -1)
data=/var/lib/postgresql/data
mkdir -p "$data" /run/postgresql
chown -R postgres:postgres "$data" /run/postgresql
chmod 700 "$data"
if [ ! -s "$data/PG_VERSION" ]; then
  pw=$(cat "${POSTGRES_PASSWORD_FILE:?}")
  printf '%s' "$pw" >/tmp/pw && chown postgres /tmp/pw
  su postgres -c "$bin/initdb -D $data -U ${POSTGRES_USER:?} --pwfile=/tmp/pw -A scram-sha-256" >/dev/null
  rm -f /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$data/pg_hba.conf"
  su postgres -c "$bin/pg_ctl -D $data -o '-c listen_addresses=' -w start" >/dev/null
  PGPASSWORD=$pw su postgres -c "PGPASSWORD='$pw' $bin/psql -U $POSTGRES_USER -d postgres -c 'CREATE DATABASE \"${POSTGRES_DB:-$POSTGRES_USER}\"'" >/dev/null
  su postgres -c "$bin/pg_ctl -D $data -m fast -w stop" >/dev/null
fi
exec su postgres -c "exec $bin/postgres -D $data -c listen_addresses='*'"
