#!/usr/bin/env bash
# Upload benchmark: 50 concurrent uploads of a 5 MB image to a familycare
# server on loopback (SQLite in a temporary directory, local store), and the
# server's peak resident memory (VmHWM) before and after.
#
#   bench/uploads.sh              # N=50 SIZE=5000000
#   N=100 bench/uploads.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}
SIZE=${SIZE:-5000000}
OUT=bench/out
mkdir -p "$OUT"
TMP=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
go build -o "$OUT/familycare" .
go build -o "$OUT/uploads" ./bench/uploads
APP_ENV=dev HTTP_ADDR=127.0.0.1:18081 DB_DSN="$TMP/bench.db" UPLOAD_DIR="$TMP/files" ENABLE_JOBS=false LOG_LEVEL=warn \
  "$OUT/familycare" >"$OUT/uploads-server.log" 2>&1 & SERVER=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18081/readyz >/dev/null && break; sleep 0.1; done
"$OUT/uploads" -base http://127.0.0.1:18081 -pid "$SERVER" -n "$N" -size "$SIZE" | tee "$OUT/uploads.json"
