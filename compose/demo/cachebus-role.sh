#!/bin/sh
# Run once by the postgres image on its first start (docker-entrypoint-initdb.d), after the schema: what an
# administrator gives CacheBus in any deployment. The role can stream (REPLICATION) and read the published tables,
# nothing else; the publication is created here because only the tables' owner may create it.
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v password="$CACHEBUS_DB_PASSWORD" <<'SQL'
CREATE ROLE cachebus LOGIN REPLICATION PASSWORD :'password';
GRANT SELECT ON products, profiles, orders TO cachebus;
CREATE PUBLICATION cachebus FOR TABLE products, profiles, orders;
SQL
# The image admits every database by password, but a replication connection matches only the `replication` keyword.
echo "host replication cachebus all scram-sha-256" >> "$PGDATA/pg_hba.conf"
