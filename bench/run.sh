#!/usr/bin/env bash
# Benchmarks familycare against MariaDB on loopback, next to a bare gin
# handler measured the same way in the same run (the ceiling).
#
#   bench/run.sh            # all scenarios, 10 s each, 64 connections
#   DURATION=5s bench/run.sh
#
# Needs MariaDB on 127.0.0.1:3306 (started if it is not answering). Uses its
# own database, familycare_bench, dropped and made anew. Prints one JSON line
# per scenario and a summary table. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
OUT=bench/out
mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

if ! mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 60); do mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
mysql --protocol=socket -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'familycare_bench'@'127.0.0.1' IDENTIFIED BY 'familycare_bench';
GRANT ALL PRIVILEGES ON familycare_bench.* TO 'familycare_bench'@'127.0.0.1';
DROP DATABASE IF EXISTS familycare_bench;
CREATE DATABASE familycare_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL

go build -o "$OUT/familycare" .
go build -o "$OUT/ceiling" ./bench/ceiling
go build -o "$OUT/loadgen" ./bench/loadgen

for port in 18080 18090; do
  if curl -s "http://127.0.0.1:$port/" >/dev/null 2>&1; then echo "port $port is busy: stop what listens there" >&2; exit 1; fi
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

# wrkjson LABEL URL: wrk with latency percentiles, printed as one JSON line.
wrkjson() {
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$2" | python3 -c '
import json, re, sys
t = sys.stdin.read()
def lat(p):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % p, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", t) or [0, 0])[1])
total = int(re.search(r"(\d+) requests in", t).group(1))
print(json.dumps({"label": sys.argv[1], "rps": rps, "ok_per_s": rps * (total - non2xx) / max(total, 1),
                  "p50_ms": lat(50), "p99_ms": lat(99), "requests": total, "non_2xx": non2xx, "tool": "wrk"}))
' "$1"
}

wait_http() { for _ in $(seq 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

"$OUT/ceiling" -addr 127.0.0.1:18090 & PIDS+=($!)
wait_http http://127.0.0.1:18090/ping

APP_ENV=dev HTTP_ADDR=127.0.0.1:18080 DB_DRIVER=mysql \
DB_DSN='familycare_bench:familycare_bench@tcp(127.0.0.1:3306)/familycare_bench' \
DB_MAX_OPEN_CONNS=64 ENABLE_JOBS=false LOG_LEVEL=warn \
  "$OUT/familycare" >"$OUT/server.log" 2>&1 & SERVER=$!; PIDS+=($SERVER)
wait_http http://127.0.0.1:18080/readyz

LG="$OUT/loadgen -c $CONNS -d $DURATION"
{
  wrkjson ceiling http://127.0.0.1:18090/ping
  wrkjson sessions_list 'http://127.0.0.1:18080/api/v1/sessions?limit=20'
  $LG -label book_spread -mode book-spread -base http://127.0.0.1:18080 -sessions 1000
  $LG -label book_hot -mode book-hot -base http://127.0.0.1:18080
} | tee "$OUT/results.jsonl"

# Guidance: 5,000 published articles (a fifth about 辅食), indexed by the
# guidance index job of a second, short-lived process.
mysql --protocol=socket -uroot familycare_bench <<'SQL'
SET SESSION max_recursive_iterations = 10000;
INSERT INTO articles (title, summary, body, body_text, category, stages, cover_url, author_id, clinic_id,
                      status, published_at, view_count, index_version, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
SELECT CONCAT(ELT(1 + i % 4, '中医调理', '膳食营养', '科学育儿', '老年照护'), '指导第', i, '篇'),
       '家庭健康小贴士',
       CONCAT('<p>第', i, '篇。', IF(i % 5 = 0, '宝宝6个月后开始添加辅食，由稀到稠。', '规律作息，均衡饮食，按时体检。'), '</p>'),
       '',
       ELT(1 + i % 4, 'tcm', 'nutrition', 'parenting', 'elderly'),
       ELT(1 + i % 4, '["toddler_1_3y"]', '["infant_6_12m"]', '["infant_0_6m"]', '["elderly"]'),
       '', 0, 3, 'published', NOW() - INTERVAL i MINUTE, 0, 0, NOW(), NOW()
FROM n;
SQL
APP_ENV=dev HTTP_ADDR=127.0.0.1:18085 DB_DRIVER=mysql SEED_DEMO_DATA=false JOB_INTERVAL=1s LOG_LEVEL=warn \
DB_DSN='familycare_bench:familycare_bench@tcp(127.0.0.1:3306)/familycare_bench' \
  "$OUT/familycare" >"$OUT/indexer.log" 2>&1 & INDEXER=$!; PIDS+=($INDEXER)
for _ in $(seq 300); do
  left=$(mysql --protocol=socket -uroot -N familycare_bench -e "SELECT COUNT(*) FROM articles WHERE index_version = 0")
  [ "$left" = 0 ] && break; sleep 1
done
kill $INDEXER; echo "articles indexed (left: $left)" >&2
{
  wrkjson articles_nutrition 'http://127.0.0.1:18080/api/v1/articles?category=nutrition'
  wrkjson articles_search_fushi 'http://127.0.0.1:18080/api/v1/articles?q=%E8%BE%85%E9%A3%9F'
} | tee -a "$OUT/results.jsonl"
grep VmHWM /proc/$SERVER/status | tee "$OUT/rss.txt"

python3 - "$OUT/results.jsonl" "$OUT/rss.txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
ceil = next(r for r in rows if r['label'] == 'ceiling')['rps']
print('\n| scenario | req/s | 2xx/s | p50 ms | p99 ms | vs bare gin |')
print('|---|---|---|---|---|---|')
for r in rows:
    print(f"| {r['label']} | {r['rps']:.0f} | {r['ok_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {100*r['rps']/ceil:.0f} % |")
print('\npeak RSS of the familycare process:', open(sys.argv[2]).read().split(':')[1].strip())
PY
