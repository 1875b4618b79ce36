# PostgreSQL for the tests (store contract suite, replica crash test). Sourced by .ci/run:
#   stage postgres source .ci/pg.sh
# If a server already answers on 127.0.0.1:5432 (or DATABASE_URL is set), nothing is done and the
# tests use it. Otherwise Debian's `postgresql` is installed if missing and a private, throw-away
# cluster is started in a temp dir on a spare port (trust auth on loopback only); its URL is
# exported as DATABASE_URL and written to /tmp/dutybell-ci-pg/url, which the tests also read
# (tests/it/pg.rs), so `cargo test` run by hand after this script finds it too.
# Idempotent: a cluster started by an earlier run is reused while it answers.
#
# Checking the private-cluster branch on a machine that has a server on 5432 (nothing else is
# touched: another state dir, so the tests' /tmp/dutybell-ci-pg/url is left alone):
#   DUTYBELL_PG_PROBE_PORT=1 DUTYBELL_PG_STATE=/tmp/pg-check bash -c 'source .ci/pg.sh && psql "$DATABASE_URL" -c "select 1"'

dutybell_pg_answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

dutybell_pg_setup() {
  local state=${DUTYBELL_PG_STATE:-/tmp/dutybell-ci-pg}
  local probe=${DUTYBELL_PG_PROBE_PORT:-5432}
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "postgres: using DATABASE_URL"
    return 0
  fi
  if dutybell_pg_answers 127.0.0.1 "$probe"; then
    echo "postgres: a server answers on 127.0.0.1:$probe"
    return 0
  fi
  if [ -f "$state/url" ] && [ -f "$state/port" ] && dutybell_pg_answers 127.0.0.1 "$(cat "$state/port")"; then
    DATABASE_URL=$(cat "$state/url")
    export DATABASE_URL
    echo "postgres: reusing the private cluster at $DATABASE_URL"
    return 0
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ -z "$bindir" ]; then
    echo "postgres: installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  local port=55432
  while dutybell_pg_answers 127.0.0.1 "$port"; do port=$((port + 1)); done
  rm -rf "$state" && mkdir -p "$state/data"
  # initdb refuses to run as root: the cluster belongs to the package's `postgres` user then.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$state"
    as=(runuser -u postgres --)
  fi
  if ! "${as[@]}" "$bindir/initdb" -D "$state/data" -U postgres --auth=trust -E UTF8 \
    >"$state/initdb.log" 2>&1; then
    echo "postgres: initdb failed:" && tail -n 5 "$state/initdb.log"
    return 1
  fi
  if ! "${as[@]}" "$bindir/pg_ctl" -D "$state/data" -l "$state/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $state -c fsync=off" start >/dev/null; then
    echo "postgres: the private cluster did not start:" && tail -n 5 "$state/server.log"
    return 1
  fi
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  export DATABASE_URL
  echo "$port" >"$state/port"
  echo "$DATABASE_URL" >"$state/url"
  chmod 644 "$state/url" "$state/port"
  echo "postgres: private cluster at $DATABASE_URL (stop: $bindir/pg_ctl -D $state/data stop)"
}

dutybell_pg_setup
