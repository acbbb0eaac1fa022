#!/usr/bin/env bash
# Local PostgreSQL 15, RabbitMQ, Redis and memcached for development and CI,
# on loopback, without Docker. Debian 12, run as root.
#
#   compose/local/servers.sh up       install what is missing (apt), start what is
#                                     not answering, wait for all, print the env
#   compose/local/servers.sh down     stop what `up` started, delete the state dir
#   compose/local/servers.sh env      print `export NAME=value` lines (RABBITMQ_NODENAME
#                                     lets rabbitmqctl find the node started here):
#                                       eval "$(compose/local/servers.sh env)"
#   compose/local/servers.sh status   one line per server; exit 1 if any is down
#   compose/local/servers.sh stop redis|memcached|rabbitmq|postgres
#                                     stop one server `up` started, keeping its data
#                                     (fault tests; `up` starts it again)
#
#   compose/local/servers.sh fresh-vhost
#                                     empty RabbitMQ's vhost (test.sh: queues of earlier runs)
#   compose/local/servers.sh psql ARGS...
#                                     psql as the admin (postgres) over the local socket
#
# The servers are set up as deployments have them, so tests prove what a real deployment needs:
#   PostgreSQL  TCP logins (normal and replication) by scram-sha-256 only; the admin `postgres` has a password;
#               the service role `cachebus` has LOGIN REPLICATION and nothing else: whoever creates a database
#               to stream grants it SELECT on the published tables and creates the publication. The local
#               socket admits `postgres` by peer, for this script's own admin work.
#   RabbitMQ    user `cachebus` with a password on vhost `cachebus`; `guest` does not exist.
#   Redis       requirepass.
#   memcached   two nodes, as a Django site with LOCATION = [a, b] has.
# Ports (env overrides): CACHEBUS_PG_PORT=55432 CACHEBUS_RABBITMQ_PORT=5672
#   CACHEBUS_REDIS_PORT=6379 CACHEBUS_MEMCACHED_PORT=11211 CACHEBUS_MEMCACHED_PORT2=11212
# State (data, logs, pid files): CACHEBUS_STATE_DIR=/tmp/cachebus-servers
#
# A server already answering on its port (started by an earlier `up`, or by
# anyone else) is reused as it is; `down` stops only servers whose pid file in
# the state dir names a live process, i.e. the ones this script started.
# Progress goes to stderr; stdout carries only the env lines.
set -euo pipefail

PG_PORT="${CACHEBUS_PG_PORT:-55432}"
RABBIT_PORT="${CACHEBUS_RABBITMQ_PORT:-5672}"
REDIS_PORT="${CACHEBUS_REDIS_PORT:-6379}"
MEMCACHED_PORT="${CACHEBUS_MEMCACHED_PORT:-11211}"
MEMCACHED_PORT2="${CACHEBUS_MEMCACHED_PORT2:-11212}"
STATE="$(realpath -m "${CACHEBUS_STATE_DIR:-/tmp/cachebus-servers}")"
[[ "$STATE" != / ]] || { echo "servers.sh: CACHEBUS_STATE_DIR must not be /" >&2; exit 2; }

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR="$STATE/postgres"          # owned by postgres: data/, socket, log
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
REDIS_DIR="$STATE/redis"
MC_DIR="$STATE/memcached"         # owned by the memcached user, or -P silently writes nothing
RABBIT_DIR="$STATE/rabbitmq"      # owned by rabbitmq: the start script su's to it
RABBIT_NODE=rabbit@localhost
LOCK="$STATE.lock"                # beside the state dir: `down` deletes the dir itself

# Throwaway credentials of throwaway servers on loopback; `env` prints them for the tests. The `&` is on purpose:
# every client must carry a password that is not a plain word (URLs escape it, connection strings do not).
PG_ADMIN_PASSWORD='admin-secret'
PG_SERVICE_ROLE=cachebus
PG_SERVICE_PASSWORD='listener&secret'
RABBIT_USER=cachebus
RABBIT_PASSWORD='bus-secret'
RABBIT_VHOST=cachebus
REDIS_PASSWORD='redis&secret'
REDIS_PASSWORD_URL='redis%26secret'

# Bounded waits (seconds) for a server to answer after being started.
PG_WAIT=60 REDIS_WAIT=20 MC_WAIT=20 RABBIT_WAIT=120

log() { printf 'servers.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- probes
# Each returns 0 when the server answers on 127.0.0.1:PORT; all are quick.
pg_answers() { [[ -x "$PG_BIN/pg_isready" ]] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

redis_answers() {
    command -v redis-cli >/dev/null &&
        [[ "$(REDISCLI_AUTH="$REDIS_PASSWORD" timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

memcached_node_answers() { # PORT
    [[ "$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "version\r\n" >&3 && head -c 7 <&3' _ "$1" 2>/dev/null)" == VERSION ]]
}
memcached_answers() { memcached_node_answers "$MEMCACHED_PORT"; }
memcached2_answers() { memcached_node_answers "$MEMCACHED_PORT2"; }

# AMQP 0-9-1 handshake: send the protocol header, expect a method frame (type 1)
# carrying connection.start (class 10, method 10). Works for any broker node
# name, and needs no Erlang CLI (which takes ~1 s to boot).
rabbit_answers() {
    local hex
    hex="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "AMQP\x00\x00\x09\x01" >&3 && head -c 11 <&3' _ "$RABBIT_PORT" 2>/dev/null | od -An -v -tx1 | tr -d ' \n')" || true
    [[ "$hex" == 010000????????000a000a ]]
}

# ---------------------------------------------------------------- "ours"
# pid from a pid file, if that process is alive and is the expected program
# (guards against a stale pid file whose pid got reused).
live_pid() { # FILE COMM
    local pid
    [[ -r "$1" ]] || return 1
    pid="$(head -n1 "$1" 2>/dev/null | tr -dc 0-9)"
    [[ -n "$pid" ]] && alive "$pid" || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2"* ]] || return 1
    echo "$pid"
}
pg_ours()        { live_pid "$PG_DATA/postmaster.pid" postgres; }
redis_ours()     { live_pid "$REDIS_DIR/redis.pid" redis-server; }
memcached_ours() { live_pid "$MC_DIR/memcached.pid" memcached; }
memcached2_ours() { live_pid "$MC_DIR/memcached-2.pid" memcached; }
rabbit_ours()    { live_pid "$RABBIT_DIR/rabbit.pid" beam.smp; }

# ---------------------------------------------------------------- install
MEMCACHED_USER=memcache

missing_packages() {
    local -a pkgs=()
    [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || pkgs+=(postgresql-15)
    # client tools (psql, pg_isready, pg_recvlogical) are a separate package
    if [[ ! " ${pkgs[*]} " == *" postgresql-15 "* ]] &&
        ! [[ -x "$PG_BIN/psql" && -x "$PG_BIN/pg_isready" && -x "$PG_BIN/pg_recvlogical" ]]; then
        pkgs+=(postgresql-client-15)
    fi
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || pkgs+=(redis-server)
    command -v memcached >/dev/null || pkgs+=(memcached)
    [[ -x /usr/sbin/rabbitmq-server && -x /usr/sbin/rabbitmqctl ]] && command -v epmd >/dev/null || pkgs+=(rabbitmq-server)
    echo "${pkgs[*]}"
}

POLICY_RC_D=/usr/sbin/policy-rc.d
POLICY_RC_D_OURS=0
drop_policy_rc_d() { if [[ "$POLICY_RC_D_OURS" == 1 ]]; then rm -f "$POLICY_RC_D"; POLICY_RC_D_OURS=0; fi; }

install_missing() {
    local missing
    missing="$(missing_packages)"
    [[ -z "$missing" ]] && return 0

    # Someone else may be running apt right now (and may be installing the
    # same packages): let it finish, then look again.
    local waited=0
    while pgrep -x 'apt-get|apt|dpkg|aptitude|unattended-upgr' >/dev/null; do
        ((waited == 0)) && log "waiting for another apt/dpkg run to finish..."
        ((waited >= 600)) && die "apt/dpkg has been busy for 10 minutes; giving up"
        sleep 3; waited=$((waited + 3))
    done
    missing="$(missing_packages)"
    [[ -z "$missing" ]] && return 0

    log "installing: $missing"
    # Keep the packages' own services (default ports, system users) from
    # starting: invoke-rc.d asks policy-rc.d, and 101 means "not allowed".
    # A policy-rc.d that is already there (Docker images have one) is left alone.
    if [[ ! -e "$POLICY_RC_D" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D"
        chmod 755 "$POLICY_RC_D"
        POLICY_RC_D_OURS=1
        trap drop_policy_rc_d EXIT
    fi
    local -a apt=(apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
    "${apt[@]}" update -q || { sleep 10; "${apt[@]}" update -q; } \
        || die "apt-get update failed"
    # shellcheck disable=SC2086 # word splitting of the package list is wanted
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q --no-install-recommends $missing \
        || die "apt-get install $missing failed"
    drop_policy_rc_d
    missing="$(missing_packages)"
    [[ -z "$missing" ]] || die "still missing after install: $missing"
}

# ---------------------------------------------------------------- start
# Every daemon gets its own stdio and no fd 9 (the lock), so that
# `$(servers.sh up)` and the lock are not held open by it.

start_rabbit() {
    mkdir -p "$RABBIT_DIR/log" "$RABBIT_DIR/mnesia"
    chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
    # On its first boot (empty database) the node creates this user and vhost instead of guest on /.
    cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
default_user = $RABBIT_USER
default_pass = $RABBIT_PASSWORD
default_vhost = $RABBIT_VHOST
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
EOF
    chown rabbitmq:rabbitmq "$RABBIT_DIR/rabbitmq.conf"
    log "starting RabbitMQ ($RABBIT_NODE) on 127.0.0.1:$RABBIT_PORT"
    # rabbitmq-server su's to rabbitmq, keeping these variables. Distribution
    # (port+20000) and epmd stay on loopback too.
    (
        cd /
        export RABBITMQ_NODENAME="$RABBIT_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
            RABBITMQ_NODE_PORT="$RABBIT_PORT" \
            RABBITMQ_LOG_BASE="$RABBIT_DIR/log" RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" \
            RABBITMQ_PID_FILE="$RABBIT_DIR/rabbit.pid" RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq.conf" \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
            ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP="$RABBIT_DIR/erl_crash.dump"
        exec setsid -w rabbitmq-server >"$STATE/rabbitmq-startup.log" 2>&1 </dev/null 9>&-
    ) &
    RABBIT_STARTER=$!
}

start_pg() {
    mkdir -p "$PG_DIR"
    chown postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" ||
        die "user postgres cannot write $PG_DIR; put CACHEBUS_STATE_DIR somewhere every user can reach (e.g. /tmp)"
    if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
        rm -rf "$PG_DATA"
        log "initdb $PG_DATA"
        (cd / && runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
            --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1) ||
            { tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    fi
    write_pg_hba

    log "starting PostgreSQL 15 on 127.0.0.1:$PG_PORT"
    # No synchronous_commit=off: a WAL sender only streams flushed WAL.
    (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_WAIT" start \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20 -c fsync=off -c password_encryption=scram-sha-256" \
        </dev/null >&2 9>&-) ||
        { tail -n 30 "$PG_LOG" >&2 || true; die "PostgreSQL did not start on 127.0.0.1:$PG_PORT (log: $PG_LOG)"; }
}

# Written on every start, so a data directory from an older version of this script gets the same rules. Replication
# connections match only the `replication` keyword, so it is named; nothing comes in over TCP without a password.
write_pg_hba() {
    cat >"$PG_DATA/pg_hba.conf" <<EOF
# Written by compose/local/servers.sh on every start.
local   all                postgres                peer
host    all,replication    all        127.0.0.1/32 scram-sha-256
host    all,replication    all        ::1/128      scram-sha-256
EOF
    chown postgres:postgres "$PG_DATA/pg_hba.conf"
}

# psql as the superuser over the socket (peer): the script's own admin work, and `servers.sh psql`.
admin_psql() { (cd / && runuser -u postgres -- "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"); }

# The admin's password and the service role, on every `up` (idempotent): a cluster made before either existed gets them.
ensure_pg_roles() {
    write_pg_hba
    (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null) || die "could not reload PostgreSQL's pg_hba.conf"
    admin_psql -d postgres -v admin="$PG_ADMIN_PASSWORD" -v role="$PG_SERVICE_ROLE" -v password="$PG_SERVICE_PASSWORD" >&2 <<'SQL' ||
ALTER ROLE postgres PASSWORD :'admin';
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS missing \gset
\if :missing
CREATE ROLE :"role" LOGIN REPLICATION;
\endif
ALTER ROLE :"role" WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SQL
        die "could not set up the PostgreSQL roles"
}

# A node booted before the conf above existed still has guest: give it the same user and vhost, and drop guest.
ensure_rabbit_users() {
    local users ctl=(timeout 60 rabbitmqctl -q -n "$RABBIT_NODE")
    users="$("${ctl[@]}" list_users 2>&1)" || die "rabbitmqctl list_users failed: $users"
    if ! grep -q "^$RABBIT_USER\b" <<<"$users"; then
        "${ctl[@]}" add_user "$RABBIT_USER" "$RABBIT_PASSWORD" >&2 || die "rabbitmqctl add_user failed"
        "${ctl[@]}" add_vhost "$RABBIT_VHOST" >&2 || true
        "${ctl[@]}" set_permissions -p "$RABBIT_VHOST" "$RABBIT_USER" '.*' '.*' '.*' >&2 || die "rabbitmqctl set_permissions failed"
    fi
    # The node makes its default user an administrator; CacheBus needs no management rights.
    if grep -Eq "^$RABBIT_USER\b.*administrator" <<<"$users"; then
        "${ctl[@]}" set_user_tags "$RABBIT_USER" >&2 || die "rabbitmqctl set_user_tags failed"
    fi
    if grep -q '^guest\b' <<<"$users"; then
        "${ctl[@]}" delete_user guest >&2 || die "rabbitmqctl delete_user guest failed"
    fi
}

start_redis() {
    mkdir -p "$REDIS_DIR"
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    # No snapshots while running, but one on SIGTERM (`stop redis`), loaded by the next start: a Redis that comes
    # back from an outage still holds what it held, as a production Redis with persistence (or a partition) does.
    # Without it a stopped Redis came back empty, and a test that stopped it could not see a key left stale.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no --shutdown-on-sigterm save \
        --requirepass "$REDIS_PASSWORD" \
        --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
        </dev/null >>"$REDIS_DIR/redis.log" 2>&1 9>&- ||
        { tail -n 20 "$REDIS_DIR/redis.log" >&2 || true; die "redis-server failed to start"; }
}

start_memcached() { # PORT PIDFILE LOG: one node; the caller waits for it
    # memcached will not run as root without -u; its pid file is written
    # after dropping to that user, so the directory must belong to it.
    id -u "$MEMCACHED_USER" >/dev/null 2>&1 || MEMCACHED_USER=nobody
    mkdir -p "$MC_DIR"
    chown "$MEMCACHED_USER" "$MC_DIR"
    rm -f "$2"
    log "starting memcached on 127.0.0.1:$1"
    # In the foreground of its own session rather than -d: with -d its errors
    # (e.g. port in use) go to /dev/null; this way they land in the log.
    setsid -w memcached -u "$MEMCACHED_USER" -l 127.0.0.1 -p "$1" -U 0 -m 64 \
        -P "$2" </dev/null >"$3" 2>&1 9>&- &
    MC_STARTER=$!
}

# alive PID: the process exists and is not a zombie
alive() { [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

show_logs() { # FILE...: tail of each log that exists
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        log "last lines of $f:"
        tail -n 30 "$f" >&2 || true
    done
}

# wait_for NAME SECONDS PROBE PID LOG...: poll PROBE until it succeeds; fail
# with the logs' tails after SECONDS, or at once if PID (the process we
# started, if any) has died.
wait_for() {
    local name="$1" secs="$2" probe="$3" pid="$4" deadline
    shift 4
    deadline=$((SECONDS + secs))
    until "$probe"; do
        if ((SECONDS >= deadline)); then
            show_logs "$@"
            die "$name did not answer within ${secs}s"
        fi
        if [[ -n "$pid" ]] && ! alive "$pid"; then
            sleep 1
            "$probe" && break
            show_logs "$@"
            die "$name exited during startup"
        fi
        sleep 0.5
    done
}

# `rabbitmqctl await_startup` fails at once (exit 69) until the node has
# registered with epmd, so first poll epmd (cheap; each CLI run costs ~1 s of
# CPU that the booting node wants), then await_startup, then AMQP must answer.
rabbit_booted() {
    local left=$((RABBIT_DEADLINE - SECONDS))
    ((left > 0)) || left=1
    epmd -names 2>/dev/null | grep -q "^name ${RABBIT_NODE%@*} at port" || return 1
    timeout "$((left + 5))" rabbitmqctl -q -n "$RABBIT_NODE" -t "$left" await_startup >/dev/null 2>&1 && rabbit_answers
}

cmd_up() {
    install_missing
    mkdir -p "$STATE"
    chmod 755 "$STATE"

    # RabbitMQ is the slow one (12-20 s): start it first, the others meanwhile.
    local rabbit_started=0 redis_started=0
    RABBIT_STARTER='' MC_STARTER=''
    if rabbit_answers; then
        log "RabbitMQ already answering on 127.0.0.1:$RABBIT_PORT$(rabbit_ours >/dev/null && echo ' (ours)' || echo ' (not started by this script: reused)')"
    elif rabbit_ours >/dev/null; then
        log "RabbitMQ (ours) still booting"; rabbit_started=1
    else
        start_rabbit; rabbit_started=1
    fi

    if pg_answers; then
        log "PostgreSQL already answering on 127.0.0.1:$PG_PORT$(pg_ours >/dev/null && echo ' (ours)' || echo ' (not started by this script: reused)')"
    else
        start_pg
    fi

    if redis_answers; then
        log "Redis already answering on 127.0.0.1:$REDIS_PORT$(redis_ours >/dev/null && echo ' (ours)' || echo ' (not started by this script: reused)')"
    else
        start_redis; redis_started=1
    fi

    local node probe port pidfile
    for node in 1 2; do
        if ((node == 1)); then probe=memcached_answers port=$MEMCACHED_PORT pidfile="$MC_DIR/memcached.pid"
        else probe=memcached2_answers port=$MEMCACHED_PORT2 pidfile="$MC_DIR/memcached-2.pid"; fi
        if "$probe"; then
            log "memcached already answering on 127.0.0.1:$port$(live_pid "$pidfile" memcached >/dev/null && echo ' (ours)' || echo ' (not started by this script: reused)')"
        else
            start_memcached "$port" "$pidfile" "$MC_DIR/memcached-$node.log"
            wait_for "memcached on $port" "$MC_WAIT" "$probe" "$MC_STARTER" "$MC_DIR/memcached-$node.log"
        fi
    done

    ((redis_started)) && wait_for Redis "$REDIS_WAIT" redis_answers "" "$REDIS_DIR/redis.log"
    if ((rabbit_started)); then
        log "waiting for RabbitMQ (up to ${RABBIT_WAIT}s)..."
        RABBIT_DEADLINE=$((SECONDS + RABBIT_WAIT))
        wait_for RabbitMQ "$RABBIT_WAIT" rabbit_booted "$RABBIT_STARTER" \
            "$STATE/rabbitmq-startup.log" "$RABBIT_DIR/log/$RABBIT_NODE.log"
    fi
    rabbit_ours >/dev/null && ensure_rabbit_users
    pg_answers || die "PostgreSQL stopped answering on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    pg_ours >/dev/null && ensure_pg_roles
    log "all servers up"
}

# ---------------------------------------------------------------- stop
# TERM a pid and wait (bounded) for it to go; KILL as a last resort.
stop_pid() { # PID NAME
    local i
    kill "$1" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
    log "$2 (pid $1) ignored SIGTERM for 20s; killing"
    kill -9 "$1" 2>/dev/null || true
}

cmd_down() {
    local pid
    if pid="$(rabbit_ours)"; then
        log "stopping RabbitMQ (pid $pid)"
        timeout 60 rabbitmqctl -q -n "$RABBIT_NODE" stop "$RABBIT_DIR/rabbit.pid" >&2 || stop_pid "$pid" RabbitMQ
        # epmd outlives the node; stop it unless another Erlang node uses it
        if command -v epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then
            epmd -kill >/dev/null 2>&1 || true
        fi
    fi
    if pid="$(pg_ours)"; then
        log "stopping PostgreSQL (pid $pid)"
        (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2) || stop_pid "$pid" PostgreSQL
    fi
    if pid="$(redis_ours)"; then
        log "stopping Redis (pid $pid)"; stop_pid "$pid" Redis
    fi
    stop_memcached_nodes
    # Anything still answering now was not ours: say so, leave it alone.
    rabbit_answers && log "RabbitMQ on 127.0.0.1:$RABBIT_PORT was not started by this script; left running"
    pg_answers && log "PostgreSQL on 127.0.0.1:$PG_PORT was not started by this script; left running"
    redis_answers && log "Redis on 127.0.0.1:$REDIS_PORT was not started by this script; left running"
    memcached_answers && log "memcached on 127.0.0.1:$MEMCACHED_PORT was not started by this script; left running"
    memcached2_answers && log "memcached on 127.0.0.1:$MEMCACHED_PORT2 was not started by this script; left running"
    # Data is throwaway: the next `up` starts clean. Only our own paths are
    # removed, in case CACHEBUS_STATE_DIR points somewhere shared.
    rm -rf "$PG_DIR" "$REDIS_DIR" "$MC_DIR" "$RABBIT_DIR" "$STATE/rabbitmq-startup.log"
    rmdir "$STATE" 2>/dev/null || true
    log "down"
}

# Both nodes: "memcached is down" means every node a site reads, as a Django site sees it.
stop_memcached_nodes() {
    local pid
    for pid in "$(memcached_ours)" "$(memcached2_ours)"; do
        [[ -n "$pid" ]] || continue
        log "stopping memcached (pid $pid)"; stop_pid "$pid" memcached
    done
}

# Stops one server this script started, keeping its data; `up` starts it again. For fault tests.
cmd_stop() { # NAME
    local pid
    case "$1" in
        redis) pid="$(redis_ours)" || die "Redis was not started by this script"; stop_pid "$pid" Redis ;;
        memcached) memcached_ours >/dev/null || memcached2_ours >/dev/null || die "memcached was not started by this script"
            stop_memcached_nodes ;;
        rabbitmq) pid="$(rabbit_ours)" || die "RabbitMQ was not started by this script"
            timeout 60 rabbitmqctl -q -n "$RABBIT_NODE" stop "$RABBIT_DIR/rabbit.pid" >&2 || stop_pid "$pid" RabbitMQ ;;
        postgres) pid="$(pg_ours)" || die "PostgreSQL was not started by this script"
            (cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2) || stop_pid "$pid" PostgreSQL ;;
        *) die "stop takes redis, memcached, rabbitmq or postgres" ;;
    esac
    log "$1 stopped"
}

# Queues outlive the services that declared them: a queue whose consumer is off keeps collecting messages, and the
# next service that consumes it would first work through them. A test run starts from an empty vhost.
cmd_fresh_vhost() {
    if ! rabbit_ours >/dev/null; then
        log "RabbitMQ was not started by this script: its vhost is left as it is"
        return 0
    fi
    local ctl=(timeout 60 rabbitmqctl -q -n "$RABBIT_NODE")
    "${ctl[@]}" delete_vhost "$RABBIT_VHOST" >&2 || true
    "${ctl[@]}" add_vhost "$RABBIT_VHOST" >&2 || die "rabbitmqctl add_vhost failed"
    "${ctl[@]}" set_permissions -p "$RABBIT_VHOST" "$RABBIT_USER" '.*' '.*' '.*' >&2 || die "rabbitmqctl set_permissions failed"
    log "vhost $RABBIT_VHOST emptied"
}

# ---------------------------------------------------------------- env/status
# What the tests and run.sh read. No PGPASSWORD or PGUSER: Npgsql and libpq would pick them up silently and hide a
# connection that forgot its password.
cmd_env() {
    cat <<EOF
export CACHEBUS_PG='Host=127.0.0.1;Port=$PG_PORT;Username=$PG_SERVICE_ROLE;Password=$PG_SERVICE_PASSWORD;Database=postgres'
export CACHEBUS_PG_ADMIN='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Password=$PG_ADMIN_PASSWORD;Database=postgres'
export CACHEBUS_RABBITMQ='amqp://$RABBIT_USER:$RABBIT_PASSWORD@127.0.0.1:$RABBIT_PORT/$RABBIT_VHOST'
export CACHEBUS_REDIS='127.0.0.1:$REDIS_PORT,password=$REDIS_PASSWORD'
export CACHEBUS_REDIS_URL='redis://:$REDIS_PASSWORD_URL@127.0.0.1:$REDIS_PORT/0'
export CACHEBUS_MEMCACHED='127.0.0.1:$MEMCACHED_PORT,127.0.0.1:$MEMCACHED_PORT2'
export RABBITMQ_NODENAME=$RABBIT_NODE
EOF
}

cmd_status() {
    local rc=0 name port probe ours state who
    for row in "postgres $PG_PORT pg" "rabbitmq $RABBIT_PORT rabbit" "redis $REDIS_PORT redis" "memcached $MEMCACHED_PORT memcached" "memcached $MEMCACHED_PORT2 memcached2"; do
        read -r name port probe <<<"$row"
        if "${probe}_answers"; then state=up; else state=down; rc=1; fi
        if ours="$("${probe}_ours")"; then who="started by servers.sh, pid $ours"
        elif [[ $state == up ]]; then who="not started by servers.sh"
        else who=""; fi
        printf '%-10s %-5s 127.0.0.1:%-6s %s\n' "$name" "$state" "$port" "$who"
    done
    return "$rc"
}

# ---------------------------------------------------------------- main
usage() { echo "usage: $0 up|down|env|status|fresh-vhost|stop redis|memcached|rabbitmq|postgres|psql ARGS..." >&2; exit 2; }

# One `up`/`down` at a time (several sessions or test runs may call `up`).
take_lock() {
    [[ $(id -u) == 0 ]] || die "run as root (it installs packages and switches users)"
    mkdir -p "$(dirname "$STATE")"
    exec 9>"$LOCK"
    flock -w 600 9 || die "another servers.sh up/down held $LOCK for 10 minutes"
}

case "${1:-}" in
    up) take_lock; cmd_up >&2; cmd_env ;;
    down) take_lock; cmd_down >&2 ;;
    env) cmd_env ;;
    status) cmd_status ;;
    stop) take_lock; cmd_stop "${2:-}" ;;
    psql) shift; admin_psql "$@" ;;
    fresh-vhost) take_lock; cmd_fresh_vhost ;;
    *) usage ;;
esac
