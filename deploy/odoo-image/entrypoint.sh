#!/bin/bash
# /entrypoint.sh of the odoo-local images. Same contract as the official
# odoo:<version> image:
#   HOST, PORT, USER, PASSWORD (or PASSWORD_FILE) -> --db_host, --db_port,
#   --db_user, --db_password; defaults db, 5432, odoo, odoo.
#   A db_host/db_port/db_user/db_password key in the [options] section of
#   $ODOO_RC wins over the environment: that option is then left to Odoo,
#   which reads it from the file itself.
#   `odoo ...`, `-- ...` or `--some-option ...` waits for PostgreSQL (up to
#   WAIT_FOR_PSQL_TIMEOUT seconds, default 30), then runs Odoo with the
#   database options appended; `odoo scaffold|help|--help|--version` runs at
#   once; any other command is run as is.
# The password is never echoed; do not add `set -x` here.
set -euo pipefail

if [[ -n "${PASSWORD_FILE:-}" ]]; then
    PASSWORD=$(<"$PASSWORD_FILE")
fi
# The DB_* and POSTGRES_* fallbacks are the legacy `--link db:db` variables.
: "${HOST:=${DB_PORT_5432_TCP_ADDR:-db}}"
: "${PORT:=${DB_PORT_5432_TCP_PORT:-5432}}"
: "${USER:=${DB_ENV_POSTGRES_USER:-${POSTGRES_USER:-odoo}}}"
: "${PASSWORD:=${DB_ENV_POSTGRES_PASSWORD:-${POSTGRES_PASSWORD:-odoo}}}"

# Prints the value of KEY in the [options] section of $ODOO_RC and succeeds,
# or fails when the key is absent. Follows Odoo's ConfigParser: option names
# are case-insensitive, `=` or `:` with or without spaces, surrounding blanks
# and a CR (file saved on Windows) are dropped, `#`/`;` lines are comments,
# and a line indented deeper than the option before it continues that value.
rc_value() {
    [[ -n "${ODOO_RC:-}" && -r "$ODOO_RC" ]] || return 1
    awk -v key="$1" '
        { sub(/\r$/, "") }
        /^[ \t]*([#;]|$)/ { next }
        {
            match($0, /^[ \t]*/)
            indent = RLENGTH
        }
        have_option && indent > option_indent { next }
        /^[ \t]*\[.*\]/ {
            section = $0
            gsub(/^[ \t]*\[[ \t]*|[ \t]*\].*$/, "", section)
            have_option = 0
            next
        }
        {
            have_option = 1
            option_indent = indent
        }
        section == "options" && match(tolower($0), "^[ \t]*" key "[ \t]*[=:]") {
            value = substr($0, RLENGTH + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", value)
            found = 1
        }
        END { if (found) print value; exit !found }
    ' "$ODOO_RC"
}

db_args=()   # appended to Odoo's command line
wait_args=() # what wait-for-psql.py connects with
add_db_option() {
    local name=$1 env_value=$2 rc
    if rc=$(rc_value "$name"); then
        # Odoo reads False/false as "unset" (libpq defaults, e.g. the socket).
        case "$rc" in
            '' | False | false) ;;
            *) wait_args+=("--$name=$rc") ;;
        esac
    else
        # One argument, --name=value: a value starting with "-" (a random password) is still a value.
        db_args+=("--$name=$env_value")
        wait_args+=("--$name=$env_value")
    fi
}
add_db_option db_host "$HOST"
add_db_option db_port "$PORT"
add_db_option db_user "$USER"
add_db_option db_password "$PASSWORD"

wait_for_db() {
    wait-for-psql.py "${wait_args[@]}" --timeout="${WAIT_FOR_PSQL_TIMEOUT:-30}"
}

case "${1:-odoo}" in
    -- | odoo) shift || true ;;
    -*) ;;
    *) exec "$@" ;;
esac
case "${1:-}" in
    # Commands that never touch the database.
    scaffold | help | -h | --help | --version) exec odoo "$@" ;;
esac
wait_for_db
exec odoo "$@" "${db_args[@]}"
