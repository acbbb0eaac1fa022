#!/usr/bin/env bash
# Starts the servers, creates the demo shop database (products, profiles, orders) and runs CacheBus on it with
# the example rules of services/CacheBus.Service/appsettings.json. Stop it with Ctrl+C.
#
#   compose/local/run.sh
#
# The database is prepared as a deployment's is: the admin owns the tables, creates the publication and grants the
# service's role (LOGIN REPLICATION, nothing else) SELECT on the published tables; CacheBus connects as that role.
set -euo pipefail
cd "$(dirname "$0")/../.."

eval "$(compose/local/servers.sh up)"
database="${CACHEBUS_DEMO_DB:-shop}"
role="$(sed -E 's/.*Username=([^;]*).*/\1/' <<<"$CACHEBUS_PG")"
admin() { compose/local/servers.sh psql "$@"; }
if [[ -z "$(admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]]; then
  admin -d postgres -c "CREATE DATABASE \"$database\""
fi
admin -d "$database" -f - <compose/demo/schema.sql
admin -d "$database" -f - <compose/demo/seed.sql
admin -d "$database" -f - <<SQL
SELECT NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'cachebus') AS missing \gset
\if :missing
CREATE PUBLICATION cachebus FOR TABLE products, profiles, orders;
\endif
GRANT SELECT ON products, profiles, orders TO "$role";
SQL

export ConnectionStrings__Postgres="${CACHEBUS_PG/Database=postgres/Database=$database}"
export ConnectionStrings__RabbitMq="$CACHEBUS_RABBITMQ"
export ConnectionStrings__Redis="$CACHEBUS_REDIS"
export ConnectionStrings__Memcached="$CACHEBUS_MEMCACHED"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "run.sh: CacheBus streams changes of database '$database' as role '$role'; try:
  export REDISCLI_AUTH='$(sed -E 's/.*password=([^,]*).*/\1/' <<<"$CACHEBUS_REDIS")'
  redis-cli set product:1 x; compose/local/servers.sh psql -d $database -c 'UPDATE products SET price = 9.99 WHERE id = 1'; redis-cli exists product:1" >&2
# Published, as the container is: self-contained, one composite ReadyToRun image, it starts faster than under
# dotnet run. The first publish of a checkout compiles that image (minutes on 2 cores); later ones take seconds.
dotnet publish services/CacheBus.Service -c Release -o .cachebus/service >&2
cd .cachebus/service && exec dotnet CacheBus.Service.dll # its folder is the content root, where appsettings.json is
