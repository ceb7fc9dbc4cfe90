#!/usr/bin/env bash
# Regenerate model/migrations/00001_baseline.sql from the models: AutoMigrate
# on a scratch MariaDB database (fc_mig_gen_<pid>, dropped afterwards), dumped
# with mariadb-dump --no-data and cleaned up. See model/migrations/gen/main.go.
#
#   model/migrations/gen.sh [-dsn 'user:pass@tcp(127.0.0.1:3306)/db']
#
# Default DSN: $GEN_MYSQL_DSN, else $TEST_MYSQL_DSN, else the CI account.
# Only regenerate the baseline before it is released; afterwards add
# numbered migrations (00003_*.sql ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go run ./model/migrations/gen "$@"
