#!/usr/bin/env bash
# Province-scale benchmark: the same scenarios on a small and a big
# familycare database, in one run, side by side.
#
#   bench/scale/run.sh                  # load what is missing, then measure
#   RELOAD=1 bench/scale/run.sh         # load both databases anew
#   DURATION=5s SCALE_F=0.1 bench/scale/run.sh
#   LOAD_ONLY=1 bench/scale/run.sh      # load what is missing, measure nothing
#   ONLY=worklist bench/scale/run.sh    # only these scenarios (names as in the
#                                       # table, comma-separated), on both databases
#   FAMILYCARE_BIN=/path/familycare bench/scale/run.sh   # measure that build
#                                       # (it also migrates) instead of this tree's
#
# It starts its own MariaDB (mariadbd of the machine, port $SCALE_PORT, data
# in $SCALE_DIR, InnoDB settings below), never the shared one, and stops it
# at the end. The data directory is kept, so a later run measures again
# without loading (a new migration is applied by `familycare migrate up`).
#
# Databases: small = the demo seed (as bench/run.sh) plus the bulk loader
# at 1 % (3 clinics, 10,000 sessions, 50,000 bookings, 10,000 residents,
# 5,000 articles); big = the demo seed plus the loader at SCALE_F (1: 300
# clinics, 1M sessions, 5M bookings, 1M residents and persons, …; see
# bench/scale/main.go). Per-team and per-clinic-day sizes are the same in
# both, so the worklist, the day list and a household's next steps ask for
# the same amount of data; only the tables around them grow.
#
# Scenarios (bench/loadgen, $CONNS connections, $DURATION each after a
# short warm-up): the session list (default, and by kind), the staff day
# list, the guidance list and search, the doctor's worklist, a household's
# next steps (256 households, each as its own guardian), bookings spread
# over 1,000 sessions. For each: req/s, p50, p99 and the server's peak RSS
# during that scenario (VmHWM, reset before each through clear_refs).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${SCALE_DIR:-/tmp/familycare-scale}
PORT=${SCALE_PORT:-3317}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
SCALE_F=${SCALE_F:-1}
# InnoDB settings the figures assume (everything else: MariaDB's defaults,
# innodb_flush_log_at_trx_commit=1, doublewrite on).
POOL=${INNODB_BUFFER_POOL:-6G}
INNODB=(--innodb-buffer-pool-size="$POOL" --innodb-log-file-size=1G --innodb-io-capacity=1000)
OUT=bench/out/scale
mkdir -p "$OUT" "$DIR"
SOCK="$DIR/mysqld.sock"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
  mysqladmin --socket="$SOCK" -uroot shutdown 2>/dev/null || true
}
trap cleanup EXIT
SQL() { mysql --socket="$SOCK" -uroot "$@"; }

if [ -n "${FAMILYCARE_BIN:-}" ]; then cp "$FAMILYCARE_BIN" "$OUT/familycare"; else go build -o "$OUT/familycare" .; fi
go build -o "$OUT/loadgen" ./bench/loadgen
go build -o "$OUT/scale" ./bench/scale

if [ ! -d "$DIR/data/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$DIR/data" --user="$(id -un)" --auth-root-authentication-method=socket >"$DIR/install.log" 2>&1
fi
/usr/sbin/mariadbd --no-defaults --datadir="$DIR/data" --socket="$SOCK" --port="$PORT" --bind-address=127.0.0.1 \
  --user="$(id -un)" --pid-file="$DIR/mysqld.pid" --log-error="$DIR/mysqld.err" --skip-log-bin \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max-connections=500 "${INNODB[@]}" &
PIDS+=($!)
for _ in $(seq 120); do mysqladmin --socket="$SOCK" -uroot ping >/dev/null 2>&1 && break; sleep 0.5; done
SQL -e "CREATE USER IF NOT EXISTS 'fcscale'@'127.0.0.1' IDENTIFIED BY 'fcscale';
        GRANT ALL PRIVILEGES ON \`fcscale\\_%\`.* TO 'fcscale'@'127.0.0.1';"
dsn() { echo "fcscale:fcscale@tcp(127.0.0.1:$PORT)/fcscale_$1"; }

wait_http() { for _ in $(seq 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
for port in 18080; do
  if curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1; then echo "port $port is busy: stop what listens there" >&2; exit 1; fi
done

# serve DB: familycare on :18080 against fcscale_DB (demo seed on, jobs off).
serve() {
  APP_ENV=dev HTTP_ADDR=127.0.0.1:18080 DB_DRIVER=mysql DB_DSN="$(dsn "$1")" DB_MAX_OPEN_CONNS=64 \
  ENABLE_JOBS=false LOG_LEVEL=warn "$OUT/familycare" >"$OUT/server-$1.log" 2>&1 &
  SERVER=$!; PIDS+=($SERVER)
  wait_http http://127.0.0.1:18080/readyz
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

# prepare DB F: a migrated, seeded, bulk-loaded database (loaded once).
prepare() {
  local db=$1 f=$2 loaded
  loaded=$(SQL -N -e "SELECT COUNT(*) FROM fcscale_$db.users WHERE open_id = 'scale-u-0'" 2>/dev/null || echo 0)
  if [ "${RELOAD:-0}" = 1 ] || [ "$loaded" != 1 ]; then
    SQL -e "DROP DATABASE IF EXISTS fcscale_$db; CREATE DATABASE fcscale_$db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    local t0=$SECONDS
    DB_DRIVER=mysql DB_DSN="$(dsn "$db")" "$OUT/familycare" migrate up
    serve "$db"; stop # the demo seed
    "$OUT/scale" load -dsn "$(dsn "$db")" -f "$f" 2>&1 | tee "$DIR/load-$db.log"
    echo "$db: loaded in $((SECONDS - t0)) s (f=$f) on $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$DIR/load-$db.txt"
  fi
  DB_DRIVER=mysql DB_DSN="$(dsn "$db")" "$OUT/familycare" migrate up 2>&1 | tail -1
}
prepare small 0.01
prepare big "$SCALE_F"
SQL -N -e "SELECT table_schema, ROUND(SUM(data_length + index_length) / 1048576) AS mib FROM information_schema.tables
           WHERE table_schema LIKE 'fcscale\\_%' GROUP BY table_schema" | tee "$OUT/sizes.txt"
if [ "${LOAD_ONLY:-0}" = 1 ]; then exit 0; fi

TODAY=$(TZ=Asia/Shanghai date +%F)
# wanted NAME: the scenario is measured (ONLY unset, or NAME in it).
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
# measure LABEL LOADGEN-ARGS…: a warm-up, then the measured run with the
# server's peak RSS over it (kB) added to loadgen's JSON line.
measure() {
  local label=$1; shift
  wanted "${label#*/}" || return 0
  "$OUT/loadgen" -c "$CONNS" -d "$WARMUP" -label warmup "$@" >/dev/null
  echo 5 >/proc/$SERVER/clear_refs
  local line rss
  line=$("$OUT/loadgen" -c "$CONNS" -d "$DURATION" -label "$label" "$@")
  rss=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
  echo "${line%\}},\"rss_kb\":$rss}"
}
: >"$OUT/results.jsonl"
for db in small big; do
  serve "$db"
  eval "$("$OUT/scale" tokens -dsn "$(dsn "$db")" -base http://127.0.0.1:18080 -urls "$OUT/next-$db.txt")"
  printf 'http://127.0.0.1:18080/api/v1/staff/bookings?date=%s\t%s\n' "$TODAY" "$DOCTOR_TOKEN" >"$OUT/day-$db.txt"
  printf 'http://127.0.0.1:18080/api/v1/staff/worklist\t%s\n' "$DOCTOR_TOKEN" >"$OUT/worklist-$db.txt"
  B=http://127.0.0.1:18080/api/v1
  {
    measure "$db/sessions_list" -url "$B/sessions?limit=20"
    measure "$db/sessions_kind" -url "$B/sessions?kind=vaccination"
    measure "$db/staff_day_list" -urls "$OUT/day-$db.txt"
    measure "$db/articles_nutrition" -url "$B/articles?category=nutrition"
    measure "$db/articles_search" -url "$B/articles?q=%E8%BE%85%E9%A3%9F"
    measure "$db/worklist" -urls "$OUT/worklist-$db.txt"
    measure "$db/household_next" -urls "$OUT/next-$db.txt"
    if wanted book_spread; then
      echo 5 >/proc/$SERVER/clear_refs
      line=$("$OUT/loadgen" -c "$CONNS" -d "$DURATION" -label "$db/book_spread" -mode book-spread -base http://127.0.0.1:18080 -sessions 1000)
      echo "${line%\}},\"rss_kb\":$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)}"
    fi
  } | tee -a "$OUT/results.jsonl"
  stop
done

echo; echo "$(date -u +%FT%TZ) load average $(cut -d' ' -f1-3 /proc/loadavg), innodb_buffer_pool_size=$POOL"
cat "$DIR"/load-*.txt 2>/dev/null || true
python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = {r['label']: r for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith('{'))}
names = [l.split('/', 1)[1] for l in rows if l.startswith('small/')]
print('\n| scenario | small req/s | big req/s | big/small | small p50 / p99 ms | big p50 / p99 ms | p99 big/small | peak RSS small / big MB | non-2xx small / big |')
print('|---|---|---|---|---|---|---|---|---|')
for n in names:
    s, b = rows['small/' + n], rows.get('big/' + n)
    if not b:
        continue
    flag = '' if b['rps'] >= 0.8 * s['rps'] and b['p99_ms'] <= max(1.2 * s['p99_ms'], 1) else ' ✗'
    print(f"| {n} | {s['rps']:.0f} | {b['rps']:.0f} | {b['rps']/s['rps']:.2f}{flag} | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} | "
          f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {b['p99_ms']/max(s['p99_ms'], 0.001):.2f} | {s['rss_kb']/1024:.0f} / {b['rss_kb']/1024:.0f} | "
          f"{s['non_2xx'] + s['errors']} / {b['non_2xx'] + b['errors']} |")
PY
