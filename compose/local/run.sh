#!/usr/bin/env bash
# Starts the servers, creates the demo shop database (products, profiles, orders) and runs CacheBus on it with
# the example rules of services/CacheBus.Service/appsettings.json. Stop it with Ctrl+C.
#
#   compose/local/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

eval "$(compose/local/servers.sh up)"
database="${CACHEBUS_DEMO_DB:-shop}"
if [[ -z "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]]; then
  psql -d postgres -qc "CREATE DATABASE \"$database\""
fi
psql -d "$database" -q -v ON_ERROR_STOP=1 -f compose/demo/schema.sql -f compose/demo/seed.sql

export ConnectionStrings__Postgres="${CACHEBUS_PG/Database=postgres/Database=$database}"
export ConnectionStrings__RabbitMq="$CACHEBUS_RABBITMQ"
export ConnectionStrings__Redis="$CACHEBUS_REDIS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "run.sh: CacheBus streams changes of database '$database'; try: redis-cli set product:1 x; psql -d $database -c 'UPDATE products SET price = 9.99 WHERE id = 1'; redis-cli exists product:1" >&2
exec dotnet run --project services/CacheBus.Service -c Release
