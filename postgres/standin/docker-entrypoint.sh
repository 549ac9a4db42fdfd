#!/usr/bin/env bash
# HelloAspire's stand-in for the official postgres image's entrypoint, written here from that image's documented
# contract (hub.docker.com/_/postgres, "Environment Variables" and "Initialization scripts"):
# - POSTGRES_PASSWORD (required for new data unless POSTGRES_HOST_AUTH_METHOD=trust) or POSTGRES_PASSWORD_FILE (the
#   password read from that file; never both), POSTGRES_USER (postgres),
#   POSTGRES_DB (POSTGRES_USER), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, PGDATA;
# - new data only (no PG_VERSION in PGDATA): initdb, then /docker-entrypoint-initdb.d/*.sql, *.sql.gz, *.sql.xz and
#   *.sh in name order (psql with ON_ERROR_STOP; a .sh is run when executable, sourced otherwise) against a
#   temporary server reachable on its unix socket only, so no client sees the database before it is seeded;
# - a script that fails stops the container, and (as with the official image) the data is not initialized again.
set -Eeuo pipefail

fail() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# `docker run image -c fsync=off` means `postgres -c fsync=off`; any other command runs as it is.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi
# A question for the server program (its version, its help, a setting's value) needs no data: asked as it is.
for argument in "${@:2}"; do
    case $argument in
        -V | --version | -'?' | --help | --describe-config | -C*) exec "$@" ;;
    esac
done

export PGDATA=${PGDATA:?PGDATA is not set}
# Started as root: give the data directory to the server account, then run this script again as that account.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    # A kept volume is already the account's: never walk (and rewrite) a large data directory at every start.
    [ "$(stat -c %U "$PGDATA")" = postgres ] || chown -R postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    chown postgres:postgres /var/run/postgresql
    chmod 3775 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

# The password from a file (a secret copied into the container), as the official image's file_env reads it.
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    [ -z "${POSTGRES_PASSWORD:-}" ] || fail "both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set. Fix: set only one of them."
    POSTGRES_PASSWORD=$(<"$POSTGRES_PASSWORD_FILE") ||
        fail "POSTGRES_PASSWORD_FILE ($POSTGRES_PASSWORD_FILE) cannot be read by the postgres account (uid $(id -u)). Fix: give the file to that account."
    unset POSTGRES_PASSWORD_FILE
fi

if [ -s "$PGDATA/PG_VERSION" ]; then
    echo "PostgreSQL Database directory appears to contain a database; Skipping initialization"
    exec "$@"
fi

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    fail "the data directory $PGDATA is new and POSTGRES_PASSWORD is not set. Fix: set POSTGRES_PASSWORD (the superuser's password), or POSTGRES_HOST_AUTH_METHOD=trust to let anyone connect without one (never outside a test)."
fi
if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    echo "warning: POSTGRES_HOST_AUTH_METHOD=trust: any client that reaches this server connects as any user, without a password." >&2
fi

# POSTGRES_INITDB_ARGS is a shell-quoted string of arguments, as with the official image.
eval "initdb_args=(${POSTGRES_INITDB_ARGS:-})"
initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") "${initdb_args[@]}"
printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

# The seed's psql signs in over the socket, where POSTGRES_INITDB_ARGS may ask for the password too.
export PGPASSWORD=${PGPASSWORD:-${POSTGRES_PASSWORD:-}}
pg_ctl --pgdata="$PGDATA" --wait --silent --options="-c listen_addresses='' -p ${PGPORT:-5432}" start
psql=(psql --variable=ON_ERROR_STOP=1 --username="$POSTGRES_USER" --no-password --no-psqlrc --quiet)
if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname=postgres --set=db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
fi

for script in /docker-entrypoint-initdb.d/*; do
    [ -e "$script" ] || continue
    case $script in
        *.sh)
            echo "running $script"
            if [ -x "$script" ]; then "$script"; else . "$script"; fi
            ;;
        *.sql) echo "running $script"; "${psql[@]}" --dbname="$POSTGRES_DB" --file="$script" ;;
        *.sql.gz) echo "running $script"; gzip --decompress --stdout "$script" | "${psql[@]}" --dbname="$POSTGRES_DB" ;;
        *.sql.xz) echo "running $script"; xz --decompress --stdout "$script" | "${psql[@]}" --dbname="$POSTGRES_DB" ;;
        *) echo "ignoring $script" ;;
    esac
done

pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
unset PGPASSWORD
echo "PostgreSQL init process complete; ready for start up."
exec "$@"
