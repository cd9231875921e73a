#!/usr/bin/env bash
# Starts (or stops) the PostgreSQL and MariaDB servers the integration tests use: loopback only,
# throw-away data directories under one temporary folder, each server as its own system user.
#
#   scripts/test-services.sh start DIR   start both servers (fresh data; anything an earlier start
#                                        left in DIR is stopped and removed); writes DIR/services.env
#   scripts/test-services.sh stop DIR    stop both servers and remove DIR
#
# services.env holds the BASELINR_TEST_* variables the tests read (hosts, ports, users).
set -euo pipefail

cmd=${1:?usage: test-services.sh start|stop DIR}
dir=${2:?usage: test-services.sh start|stop DIR}

# The first free port at or above the preferred one (another checkout's servers may be running).
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

PG_PORT=${BASELINR_TEST_PG_PORT:-55439}
MY_PORT=${BASELINR_TEST_MYSQL_PORT:-53319}
PG_USER=baselinr
PG_PASSWORD=baselinr-test-pw
PG_DB=baselinr_test
MY_USER=baselinr
MY_PASSWORD=baselinr-test-pw
MY_DB=baselinr_test

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $d ]] || { echo "test-services: PostgreSQL server binaries not found" >&2; exit 1; }
  echo "$d"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "test-services: $what did not answer within ${secs}s" >&2
  return 1
}

start_postgres() {
  local bin pgdata=$dir/pg
  bin=$(pg_bin)
  mkdir -p "$pgdata"
  chown postgres:postgres "$pgdata"
  printf '%s\n' "$PG_PASSWORD" >"$dir/pg.pw"
  chown postgres "$dir/pg.pw"
  runuser -u postgres -- "$bin/initdb" -D "$pgdata/data" -U postgres --pwfile="$dir/pg.pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/pg-initdb.log" 2>&1 || {
    cat "$dir/pg-initdb.log" >&2
    return 1
  }
  runuser -u postgres -- "$bin/pg_ctl" -D "$pgdata/data" -l "$pgdata/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $pgdata -c fsync=off -c max_connections=200" \
    start >/dev/null || {
    cat "$pgdata/pg.log" >&2
    return 1
  }
  wait_for 60 PostgreSQL runuser -u postgres -- psql -h "$pgdata" -p "$PG_PORT" -U postgres -c 'select 1'
  runuser -u postgres -- psql -q -h "$pgdata" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
CREATE DATABASE $PG_DB OWNER $PG_USER;
CREATE ROLE baselinr_limited LOGIN PASSWORD '$PG_PASSWORD';
SQL
}

start_mariadb() {
  local mydata=$dir/mysql
  # Its own temporary directory: implicit temporary tables (GROUP BY, DISTINCT) are files there,
  # and another program cleaning the shared /tmp must not delete them under a running query.
  mkdir -p "$mydata/tmp"
  chown -R mysql:mysql "$mydata"
  mariadb-install-db --no-defaults --user=mysql --datadir="$mydata/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/mysql-install.log" 2>&1 || {
    cat "$dir/mysql-install.log" >&2
    return 1
  }
  (
    setsid mariadbd --no-defaults --user=mysql --datadir="$mydata/data" --port="$MY_PORT" \
      --bind-address=127.0.0.1 --socket="$mydata/mysql.sock" --pid-file="$mydata/mysql.pid" \
      --tmpdir="$mydata/tmp" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --log-error="$mydata/mysql.log" </dev/null >/dev/null 2>&1 &
  )
  wait_for 60 MariaDB mariadb --no-defaults --socket="$mydata/mysql.sock" -uroot -e 'select 1'
  mariadb --no-defaults --socket="$mydata/mysql.sock" -uroot <<SQL
CREATE USER '$MY_USER'@'%' IDENTIFIED BY '$MY_PASSWORD';
CREATE USER '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
CREATE DATABASE $MY_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'localhost' WITH GRANT OPTION;
CREATE USER 'baselinr_limited'@'%' IDENTIFIED BY '$MY_PASSWORD';
CREATE USER 'baselinr_limited'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
FLUSH PRIVILEGES;
SQL
}

stop_all() {
  local bin
  if [[ -d $dir/pg/data ]]; then
    bin=$(pg_bin)
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [[ -f $dir/mysql/mysql.pid ]]; then
    local pid
    pid=$(cat "$dir/mysql/mysql.pid" 2>/dev/null || true)
    if [[ -n $pid ]]; then
      kill "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

case $cmd in
  start)
    # The data is throw-away: servers and data left in DIR by an earlier start are stopped and
    # removed first, so that starting again into the same DIR works.
    if [[ -e $dir/pg || -e $dir/mysql ]]; then
      echo "test-services: $dir holds servers from an earlier start; stopping and removing them" >&2
      stop_all
    fi
    PG_PORT=$(free_port "$PG_PORT")
    MY_PORT=$(free_port "$MY_PORT")
    mkdir -p "$dir"
    chmod 755 "$dir"
    start_postgres
    start_mariadb
    cat >"$dir/services.env" <<ENV
BASELINR_TEST_PG_HOST=127.0.0.1
BASELINR_TEST_PG_PORT=$PG_PORT
BASELINR_TEST_PG_USER=$PG_USER
BASELINR_TEST_PG_PASSWORD=$PG_PASSWORD
BASELINR_TEST_PG_DATABASE=$PG_DB
BASELINR_TEST_MYSQL_HOST=127.0.0.1
BASELINR_TEST_MYSQL_PORT=$MY_PORT
BASELINR_TEST_MYSQL_USER=$MY_USER
BASELINR_TEST_MYSQL_PASSWORD=$MY_PASSWORD
BASELINR_TEST_MYSQL_DATABASE=$MY_DB
ENV
    echo "test-services: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT" >&2
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: test-services.sh start|stop DIR" >&2
    exit 2
    ;;
esac
