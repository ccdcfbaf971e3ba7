#!/bin/sh
# Write PgBouncer's user list from the environment (a double quote in a password is doubled, as
# the file format wants), then run PgBouncer in the foreground.
set -eu
: "${PGBOUNCER_USER:?set PGBOUNCER_USER}"
: "${PGBOUNCER_PASSWORD:?set PGBOUNCER_PASSWORD}"
umask 077
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\n' "$(quote "$PGBOUNCER_USER")" "$(quote "$PGBOUNCER_PASSWORD")" \
    > /tmp/pgbouncer-userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
