#!/usr/bin/env bash
# Bookings against the raw-SQL ceiling, alternately, in one run.
#
#   bench/booking.sh              # 5 rounds, 10 s per measurement, 64 workers
#   ROUNDS=3 DURATION=5s bench/booking.sh
#
# Each round measures, on the same MariaDB database and the same kind of data
# (sessions and members made through the API for every measurement):
#   raw spread, familycare spread, raw hot, familycare hot, familycare spread
#   with an Idempotency-Key, raw spread again
# (odd rounds run each raw/familycare pair the other way round). The raw
# client (bench/loadgen/raw.go) sends only the five statements a correct
# booking needs. Prints one JSON line per measurement, the ratios of each
# round and their medians, and the CPU per booking of each process. Needs
# MariaDB on 127.0.0.1:3306 (started if it is not answering); uses its own
# database, familycare_bookbench, made anew.
# Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-5}
PORT=${PORT:-18180}
OUT=bench/out
mkdir -p "$OUT"
DB=familycare_bookbench
DSN="familycare_bench:familycare_bench@tcp(127.0.0.1:3306)/$DB"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

if ! mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 60); do mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
mysql --protocol=socket -uroot <<SQL
CREATE USER IF NOT EXISTS 'familycare_bench'@'127.0.0.1' IDENTIFIED BY 'familycare_bench';
GRANT ALL PRIVILEGES ON $DB.* TO 'familycare_bench'@'127.0.0.1';
DROP DATABASE IF EXISTS $DB;
CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL

go build -o "$OUT/familycare" .
go build -o "$OUT/loadgen" ./bench/loadgen
if curl -s "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then echo "port $PORT is busy: stop what listens there" >&2; exit 1; fi
wait_http() { for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

APP_ENV=dev HTTP_ADDR=127.0.0.1:$PORT DB_DRIVER=mysql DB_DSN="$DSN" \
DB_MAX_OPEN_CONNS=$CONNS ENABLE_JOBS=false LOG_LEVEL=warn \
  "$OUT/familycare" >"$OUT/booking-server.log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
wait_http "http://127.0.0.1:$PORT/readyz"

BASE=http://127.0.0.1:$PORT
RUN=0
# lg ARGS…: one measurement; each takes sessions at its own minute of the hour.
# Each line also carries the CPU that mariadbd, the server and the load
# generator spent per booking over the measured run (cpu_ms_per_ok), a
# figure the machine's other load disturbs less than bookings per second.
MARIADB=$(cat /run/mysqld/mysqld.pid 2>/dev/null || pgrep -xo mariadbd)
lg() {
  RUN=$((RUN + 1))
  "$OUT/loadgen" -c "$CONNS" -d "$DURATION" -base "$BASE" -dsn "$DSN" -minute $((RUN % 60)) -cpu "mariadb=$MARIADB,server=$SERVER" "$@"
}
uptime | tee "$OUT/booking-load.txt"
: >"$OUT/booking.jsonl"
for r in $(seq "$ROUNDS"); do
  RUN=$(( (r - 1) * 6 ))
  raw_spread() { lg -label "r$r raw_spread$1" -mode raw-spread; }
  app_spread() { lg -label "r$r app_spread" -mode book-spread; }
  raw_hot() { lg -label "r$r raw_hot" -mode raw-hot; }
  app_hot() { lg -label "r$r app_hot" -mode book-hot; }
  app_key() { lg -label "r$r app_key" -mode book-spread -key; }
  {
    if (( r % 2 )); then
      raw_spread ""; app_spread; raw_hot; app_hot; app_key; raw_spread 2
    else
      app_spread; raw_spread ""; app_hot; raw_hot; app_key; raw_spread 2
    fi
  } | tee -a "$OUT/booking.jsonl"
  uptime | tee -a "$OUT/booking-load.txt"
done

python3 - "$OUT/booking.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
by = {}
for r in rows:
    rnd, name = r['label'].split(' ', 1)
    by.setdefault(rnd, {})[name] = r
print('\n| round | raw spread /s | familycare spread /s | ratio | raw hot /s | familycare hot /s | ratio | familycare with key /s | ratio |')
print('|---|---|---|---|---|---|---|---|---|')
ratios = {'spread': [], 'hot': [], 'key': []}
for rnd, m in by.items():
    raw = (m['raw_spread']['ok_per_s'] + m['raw_spread2']['ok_per_s']) / 2
    rs, rh, rk = m['app_spread']['ok_per_s'] / raw, m['app_hot']['ok_per_s'] / m['raw_hot']['ok_per_s'], m['app_key']['ok_per_s'] / raw
    ratios['spread'].append(rs); ratios['hot'].append(rh); ratios['key'].append(rk)
    print(f"| {rnd} | {raw:.0f} | {m['app_spread']['ok_per_s']:.0f} | {rs:.2f} | {m['raw_hot']['ok_per_s']:.0f} | {m['app_hot']['ok_per_s']:.0f} | {rh:.2f} | {m['app_key']['ok_per_s']:.0f} | {rk:.2f} |")
med = {k: statistics.median(v) for k, v in ratios.items()}
print('\nCPU per booking, ms (median over the rounds): mariadbd + server + load generator = total')
for name in ('raw_spread', 'app_spread', 'raw_hot', 'app_hot', 'app_key'):
    cs = [r['cpu_ms_per_ok'] for r in rows if r['label'].split(' ', 1)[1] == name and 'cpu_ms_per_ok' in r]
    if cs:
        m = {k: statistics.median(c.get(k, 0) for c in cs) for k in ('mariadb', 'server', 'loadgen', 'total')}
        print(f"  {name:10s} {m['mariadb']:.2f} + {m['server']:.2f} + {m['loadgen']:.2f} = {m['total']:.2f}")
print(f"\nmedian ratio to the raw ceiling: spread {med['spread']:.2f}, hot {med['hot']:.2f}, with Idempotency-Key {med['key']:.2f}")
bad = [r['label'] for r in rows if r['errors'] or any(int(c) >= 500 for c in r['statuses'])]
if bad:
    print('measurements with errors or 5xx:', ', '.join(bad))
PY
