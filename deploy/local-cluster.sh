#!/usr/bin/env bash
# A local familycare cluster on 127.0.0.1: MariaDB and Redis (started only if
# they are not answering), one database migrated with `familycare migrate up`,
# three API processes and nginx in front as the load balancer.
#
#   deploy/local-cluster.sh start    build, start what is missing, wait until ready
#   deploy/local-cluster.sh check    dev login through nginx, GET /api/v1/me a few
#                                    times and show which replica answered
#   deploy/local-cluster.sh status   what runs, and the balancer's /readyz
#   deploy/local-cluster.sh stop     stop exactly what `start` started
#
# Pid files and logs live under $RUN_DIR (default /tmp/familycare-cluster);
# `stop` only signals processes whose pid file `start` wrote, and only when
# the pid still belongs to the program it started. A MariaDB or Redis that
# was already running is used and left alone.
#
# Needs: go, mariadb-server, redis-server, curl; nginx (Debian package) is
# installed with apt-get when missing. Settings (environment):
#   RUN_DIR     /tmp/familycare-cluster
#   API_PORTS   "18081 18082 18083"
#   LB_PORT     18088
#   REDIS_PORT  6379
#   DB_NAME     familycare_cluster (user and password: the same, loopback only)
#   MYSQL_ADMIN "mysql --protocol=socket -uroot" (creates the user and database)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN_DIR=${RUN_DIR:-/tmp/familycare-cluster}
read -r -a API_PORTS <<<"${API_PORTS:-18081 18082 18083}"
LB_PORT=${LB_PORT:-18088}
REDIS_PORT=${REDIS_PORT:-6379}
DB_NAME=${DB_NAME:-familycare_cluster}
DB_USER=$DB_NAME
DB_PASS=$DB_NAME
MYSQL_ADMIN=${MYSQL_ADMIN:-mysql --protocol=socket -uroot}
PIDS=$RUN_DIR/pids
LOGS=$RUN_DIR/logs
BIN=$RUN_DIR/familycare
DSN="$DB_USER:$DB_PASS@tcp(127.0.0.1:3306)/$DB_NAME"
REDIS_PREFIX="familycare-cluster:"

log() { printf '== %s\n' "$*"; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

wait_for() { # seconds, description, command...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  printf 'local-cluster: %s did not come up within %ss\n' "$what" "$secs" >&2
  return 1
}

# alive NAME: the process of pid file NAME runs and is still the program
# we started (a pid can be reused after a crash).
alive() {
  local file=$PIDS/$1.pid want=$2 pid comm
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] || return 1
  comm=$(ps -p "$pid" -o comm= 2>/dev/null) || return 1
  [ "$comm" = "$want" ]
}

# every pid file we may write, with the program it must be
units() {
  echo "nginx nginx"
  for p in "${API_PORTS[@]}"; do echo "api-$p familycare"; done
  echo "redis redis-server"
  echo "mariadb mariadbd"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mysql_up() { mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 || mysqladmin -h127.0.0.1 -P3306 ping >/dev/null 2>&1; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_mariadb() {
  if mysql_up; then log "MariaDB answers: using it"; return; fi
  [ -x /usr/sbin/mariadbd ] || die "MariaDB is not running and /usr/sbin/mariadbd is missing (apt-get install mariadb-server)"
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --background --make-pidfile --pidfile "$PIDS/mariadb.pid" \
    --exec /usr/sbin/mariadbd -- --user=mysql
  wait_for 30 MariaDB mysql_up
}

start_redis() {
  if redis_up; then log "Redis answers on $REDIS_PORT: using it"; return; fi
  command -v redis-server >/dev/null || die "Redis is not running and redis-server is missing (apt-get install redis-server)"
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --pidfile "$PIDS/redis.pid" --logfile "$LOGS/redis.log"
  wait_for 10 Redis redis_up
}

ensure_nginx() {
  command -v nginx >/dev/null && return
  log "installing nginx (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  command -v nginx >/dev/null || die "nginx is not installed"
}

create_database() {
  log "database $DB_NAME (user $DB_USER@127.0.0.1)"
  $MYSQL_ADMIN <<SQL
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
SQL
}

# The binary runs with the cluster's settings only (env -i: nothing from the
# caller's environment leaks in): env -i "${CLUSTER_ENV[@]}" VAR=... "$BIN" ...
app_env_init() {
  CLUSTER_ENV=(PATH="$PATH" HOME="${HOME:-/root}"
    APP_ENV=dev DB_DRIVER=mysql DB_DSN="$DSN"
    REDIS_ADDR="127.0.0.1:$REDIS_PORT" REDIS_PREFIX="$REDIS_PREFIX"
    JWT_SECRET="$(cat "$RUN_DIR/jwt_secret")" LOG_LEVEL=info)
}

start_api() { # port seed
  local port=$1 seed=$2
  if port_busy "$port"; then die "127.0.0.1:$port is already in use"; fi
  # env and nohup exec, so $! is the API process itself.
  env -i "${CLUSTER_ENV[@]}" HTTP_ADDR="127.0.0.1:$port" SEED_DEMO_DATA="$seed" \
    nohup "$BIN" >"$LOGS/api-$port.log" 2>&1 </dev/null &
  echo $! >"$PIDS/api-$port.pid"
  if ! wait_for 30 "API on $port" curl -fsS "http://127.0.0.1:$port/readyz"; then
    tail -n 20 "$LOGS/api-$port.log" >&2
    exit 1
  fi
  log "API replica on 127.0.0.1:$port (pid $(cat "$PIDS/api-$port.pid"))"
}

write_nginx_conf() {
  local user="" servers=""
  if [ "$(id -u)" = 0 ]; then user="user nobody nogroup;"; fi
  for p in "${API_PORTS[@]}"; do
    servers+="        server 127.0.0.1:$p max_fails=2 fail_timeout=5s;"$'\n'
  done
  mkdir -p "$RUN_DIR/nginx/tmp"
  chmod 1777 "$RUN_DIR/nginx/tmp"
  cat >"$RUN_DIR/nginx/nginx.conf" <<NGINX
# Generated by deploy/local-cluster.sh
$user
worker_processes 1;
pid $PIDS/nginx.pid;
error_log $LOGS/nginx-error.log warn;

events { worker_connections 1024; }

http {
    log_format lb '\$remote_addr "\$request" \$status upstream=\$upstream_addr rid=\$req_id rt=\$request_time';
    access_log $LOGS/nginx-access.log lb;
    client_body_temp_path $RUN_DIR/nginx/tmp/body;
    proxy_temp_path       $RUN_DIR/nginx/tmp/proxy;
    fastcgi_temp_path     $RUN_DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path       $RUN_DIR/nginx/tmp/uwsgi;
    scgi_temp_path        $RUN_DIR/nginx/tmp/scgi;

    # Keep the client's X-Request-ID, else make one; the API echoes it.
    map \$http_x_request_id \$req_id {
        ""      \$request_id;
        default \$http_x_request_id;
    }

    upstream familycare {
$servers        keepalive 32;
    }

    server {
        listen 127.0.0.1:$LB_PORT;
        client_max_body_size 2m;

        location / {
            proxy_pass http://familycare;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Request-ID \$req_id;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            # A replica that refuses or says 502/503 (e.g. /readyz while its
            # database is away) is skipped; POSTs are never replayed.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
NGINX
}

start_nginx() {
  ensure_nginx
  if port_busy "$LB_PORT"; then die "127.0.0.1:$LB_PORT is already in use"; fi
  write_nginx_conf
  nginx -t -q -e "$LOGS/nginx-error.log" -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf"
  nginx -e "$LOGS/nginx-error.log" -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx/nginx.conf"
  wait_for 10 "nginx on $LB_PORT" curl -fsS "http://127.0.0.1:$LB_PORT/readyz"
  log "nginx on 127.0.0.1:$LB_PORT (pid $(cat "$PIDS/nginx.pid")) -> ${API_PORTS[*]}"
}

cmd_start() {
  mkdir -p "$PIDS" "$LOGS"
  while read -r name prog; do
    if alive "$name" "$prog"; then die "$name is already running (pid $(cat "$PIDS/$name.pid")); run: $0 stop"; fi
    rm -f "$PIDS/$name.pid"
  done < <(units)
  [ -s "$RUN_DIR/jwt_secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/jwt_secret"
  app_env_init

  log "building $BIN"
  (cd "$ROOT" && go build -o "$BIN" .)
  start_mariadb
  start_redis
  create_database
  log "familycare migrate up"
  env -i "${CLUSTER_ENV[@]}" "$BIN" migrate up
  # The first replica seeds the demo data (dev); the others start after it.
  local seed=true
  for p in "${API_PORTS[@]}"; do
    start_api "$p" "$seed"
    seed=false
  done
  start_nginx
  log "ready: http://127.0.0.1:$LB_PORT (logs in $LOGS); try: $0 check"
}

stop_unit() { # name program
  local name=$1 prog=$2 file=$PIDS/$1.pid pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if ! alive "$name" "$prog"; then
    echo "$name: not running (stale pid file)"
    rm -f "$file"
    return 0
  fi
  if [ "$prog" = nginx ]; then kill -QUIT "$pid"; else kill -TERM "$pid"; fi
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) did not stop in 30s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
  echo "$name (pid $pid) stopped"
}

cmd_stop() {
  [ -d "$PIDS" ] || { echo "nothing started under $RUN_DIR"; return 0; }
  # Balancer first, then the replicas (they drain), then the stores.
  while read -r name prog; do stop_unit "$name" "$prog"; done < <(units)
}

cmd_status() {
  while read -r name prog; do
    if alive "$name" "$prog"; then
      echo "$name: running (pid $(cat "$PIDS/$name.pid"))"
    elif [ -f "$PIDS/$name.pid" ]; then
      echo "$name: dead (stale pid file)"
    else
      echo "$name: not started by this script"
    fi
  done < <(units)
  if curl -fsS -o /dev/null "http://127.0.0.1:$LB_PORT/readyz" 2>/dev/null; then
    echo "balancer http://127.0.0.1:$LB_PORT/readyz: ready"
  else
    echo "balancer http://127.0.0.1:$LB_PORT/readyz: not answering"
  fi
}

cmd_check() {
  local lb="http://127.0.0.1:$LB_PORT" body token i
  body=$(curl -fsS -X POST "$lb/api/v1/auth/dev/login" -H 'Content-Type: application/json' \
    -d '{"openid":"cluster-demo-parent","role":"resident"}')
  token=$(printf '%s' "$body" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || die "dev login through nginx failed: $body"
  echo "dev login through nginx: ok"
  for i in 1 2 3 4 5 6; do
    curl -fsS -o /dev/null -D - "$lb/api/v1/me" -H "Authorization: Bearer $token" -H "X-Request-ID: cluster-check-$i" |
      tr -d '\r' | awk -v i="$i" 'tolower($1)=="x-upstream:"{$1=""; u=substr($0,2)} tolower($1)=="x-request-id:"{r=$2} /^HTTP/{s=$2} END{printf "GET /api/v1/me #%s: %s from %s (request id %s)\n", i, s, u, r}'
  done
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  check) cmd_check ;;
  *) echo "usage: $0 start|check|status|stop" >&2; exit 2 ;;
esac
