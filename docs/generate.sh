#!/usr/bin/env bash
# Generates docs/swagger.json (Swagger 2) and docs/openapi.json (OpenAPI 3)
# from the swag annotations, then docs/specgen adds what annotations cannot
# say (see its package comment) and the README's error-code table.
set -euo pipefail
cd "$(dirname "$0")/.."
go tool swag init -g main.go -o docs --outputTypes json --quiet
go run ./docs/specgen
