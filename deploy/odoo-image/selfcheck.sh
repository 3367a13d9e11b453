#!/usr/bin/env bash
# Checks odoo-local:<version> images (made by build-odoo-image.sh) against the
# host's PostgreSQL: database init, HTTP, assets, JSON-RPC login, websocket,
# in threaded and in --workers=2 mode, plus the entrypoint's contract.
#
# Usage: selfcheck.sh [VERSION...]        (default: 17.0 18.0)
#   env ODOO_IMAGE_REPO   image repository to check (default odoo-local)
#   env SELFCHECK_PORT    first port to try for Odoo's HTTP port (default 18069)
#   env SELFCHECK_LOGS    a directory to keep the containers' logs in
# Needs root (runuser/psql as postgres, apt-get if PostgreSQL is missing).
# Everything it creates (containers odooimg-check-*, a role and a database
# odooimg_check_*, a temp dir) is removed on exit. Ends with
# "N passed, N failed" and exits non-zero if a check failed.
set -euo pipefail

readonly IMAGE_REPO=${ODOO_IMAGE_REPO:-odoo-local}
readonly FIRST_PORT=${SELFCHECK_PORT:-18069}
readonly ASSET_ERROR_PATTERN='css error occured|css error occurred|Could not get content|Undefined variable'

PASSED=0
FAILED=0
RUN_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
readonly RUN_ID
readonly NAME_PREFIX=odooimg-check-$RUN_ID
readonly DB=odooimg_check_$RUN_ID
DB_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
readonly DB_PASSWORD
WORK=$(mktemp -d /var/tmp/odooimg-check.XXXXXX)
readonly WORK
PG_PORT=5432
DATA_VOLUME=
CONTAINERS=()
VOLUMES=()

log() {
    echo "selfcheck: $*" >&2
}

check() { # check NAME OK(0/1) DETAIL
    if [[ "$2" == 0 ]]; then
        PASSED=$((PASSED + 1))
        printf 'PASS  %-52s %s\n' "$1" "$3"
    else
        FAILED=$((FAILED + 1))
        printf 'FAIL  %-52s %s\n' "$1" "$3"
    fi
}

psql_admin() {
    runuser -u postgres -- env PGOPTIONS="-c client_min_messages=warning" \
        psql -p "$PG_PORT" -X -q -v ON_ERROR_STOP=1 "$@"
}

cleanup() {
    local name
    for name in "${CONTAINERS[@]}"; do
        docker rm -f -v "$name" >/dev/null 2>&1 || true
    done
    for name in "${VOLUMES[@]}"; do
        docker volume rm "$name" >/dev/null 2>&1 || true
    done
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    psql_admin -d postgres -c "DROP ROLE IF EXISTS $DB" >/dev/null 2>&1 || true
    if [[ -n "${SELFCHECK_LOGS:-}" ]]; then
        mkdir -p "$SELFCHECK_LOGS"
        cp "$WORK"/*.log "$SELFCHECK_LOGS/" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}

ensure_postgres() {
    if ! command -v pg_lsclusters >/dev/null; then
        log "installing PostgreSQL"
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q install -y postgresql >/dev/null
    fi
    local version cluster port status
    read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
    [[ -n "${version:-}" ]] || { log "no PostgreSQL cluster found"; exit 1; }
    if [[ "$status" != online* ]]; then
        log "starting PostgreSQL $version/$cluster"
        pg_ctlcluster "$version" "$cluster" start || pg_lsclusters --no-header | grep -q online
    fi
    PG_PORT=$port
}

port_is_free() {
    [[ -z "$(ss -Htln "sport = :$1")" ]]
}

# Prints the first free port from $1 on, skipping the ones in $2...
free_port() {
    local port=$1
    shift
    while ! port_is_free "$port" || [[ " $* " == *" $port "* ]]; do
        port=$((port + 1))
    done
    echo "$port"
}

elapsed_since() {
    awk -v start="$1" -v end="$EPOCHREALTIME" 'BEGIN { printf "%.1f", end - start }'
}

http_code() { # http_code URL [curl args...]
    local url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$@" "$url" || true
}

# Prints the status code of the answer to a websocket upgrade of URL $1.
# Odoo (bus.websocket) answers 400 without an Origin header, so send one.
websocket_status() {
    curl -s -i -N --max-time 3 \
        -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H "Origin: $2" \
        -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
        "$1" 2>/dev/null | head -n 1 | awk '{ print $2 }' || true
}

# Runs a server container (threaded or workers) and checks it over HTTP.
check_server() {
    local version=$1 mode=$2 image=$IMAGE_REPO:$1
    local name=$NAME_PREFIX-${version/./}-$mode http gevent workers start code body base
    http=$(free_port "$FIRST_PORT")
    gevent=$(free_port $((http + 3)) "$http")
    local label=threaded
    workers=0
    if [[ "$mode" == workers ]]; then
        workers=2
        label=workers=2
    fi
    CONTAINERS+=("$name")
    docker run -d --name "$name" --network host --env-file "$WORK/db.env" \
        -v "$DATA_VOLUME:/var/lib/odoo" "$image" \
        odoo -d "$DB" --db-filter "^$DB\$" --http-interface 127.0.0.1 \
        --http-port "$http" --gevent-port "$gevent" --workers "$workers" >/dev/null
    base=http://127.0.0.1:$http
    start=$EPOCHREALTIME
    code=000
    for _ in $(seq 120); do
        code=$(http_code "$base/web/health" --max-time 2)
        [[ "$code" == 200 ]] && break
        [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || break
        sleep 0.5
    done
    body=$(curl -s --max-time 10 "$base/web/health" || true)
    check "$version $label: /web/health" "$([[ $code == 200 && $body == *pass* ]]; echo $?)" \
        "$code $body (up after $(elapsed_since "$start")s, http $http, gevent $gevent)"
    if [[ "$code" != 200 ]]; then
        docker logs --tail 30 "$name" >&2 || true
        return 0
    fi

    code=$(curl -s -o "$WORK/login.html" -w '%{http_code}' --max-time 120 "$base/web/login" || true)
    check "$version $label: /web/login" "$([[ $code == 200 ]]; echo $?)" "$code"

    # Every bundle the login page links (first request compiles SCSS/JS).
    local url total=0 bad=0 errors=0 failed_urls=()
    while read -r url; do
        total=$((total + 1))
        code=$(curl -s -o "$WORK/asset" -w '%{http_code}' --max-time 180 "$base$url" || true)
        if [[ "$code" != 200 ]]; then
            bad=$((bad + 1))
            failed_urls+=("$code $url")
        elif grep -Eqi "$ASSET_ERROR_PATTERN" "$WORK/asset"; then
            errors=$((errors + 1))
            failed_urls+=("error-in-body $url")
        fi
    done < <(grep -Eo '/web/assets/[^"'"'"' >]+' "$WORK/login.html" | sort -u)
    check "$version $label: login page asset bundles" \
        "$([[ $total -gt 0 && $bad == 0 && $errors == 0 ]]; echo $?)" \
        "$total bundles, $bad not 200, $errors with a compile error ${failed_urls[*]:-}"

    local response uid
    response=$(curl -s --max-time 60 -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":{\"db\":\"$DB\",\"login\":\"admin\",\"password\":\"admin\"}}" \
        "$base/web/session/authenticate" || true)
    uid=$(grep -Eo '"uid": *[0-9]+' <<<"$response" | head -n 1 | grep -Eo '[0-9]+$' || true)
    check "$version $label: JSON-RPC authenticate admin/admin" "$([[ $uid == 2 ]]; echo $?)" "uid=${uid:-none}"

    # Before the websocket probes: in workers mode, the one on the HTTP port
    # is expected to log an error ("Couldn't bind the websocket").
    local problems
    problems=$(docker logs "$name" 2>&1 | grep -E ' (ERROR|CRITICAL) ' || true)
    check "$version $label: no ERROR in the server log" "$([[ -z $problems ]]; echo $?)" \
        "$(head -n 3 <<<"$problems")"
    local ws_http ws_gevent
    ws_http=$(websocket_status "$base/websocket" "$base")
    if [[ "$mode" == workers ]]; then
        # The gevent process starts after the HTTP workers.
        for _ in $(seq 40); do
            port_is_free "$gevent" || break
            sleep 0.5
        done
    fi
    ws_gevent=$(websocket_status "http://127.0.0.1:$gevent/websocket" "$base")
    if [[ "$mode" == threaded ]]; then
        check "$version $label: websocket on HTTP port" "$([[ $ws_http == 101 ]]; echo $?)" \
            "${ws_http:-no answer} (gevent port: ${ws_gevent:-not listening})"
    else
        check "$version $label: websocket on gevent port" "$([[ $ws_gevent == 101 ]]; echo $?)" \
            "${ws_gevent:-no answer} (HTTP port: ${ws_http:-no answer})"
        local procs
        procs=$(docker top "$name" -eo pid,args | grep -c '/usr/bin/odoo' || true)
        check "$version $label: process count" "$([[ $procs -ge 4 ]]; echo $?)" \
            "$procs odoo processes (master, HTTP and cron workers, gevent)"
    fi

    docker logs "$name" >"$WORK/$name.log" 2>&1 || true
    docker rm -f -v "$name" >/dev/null
}

check_version() {
    local version=$1 image=$IMAGE_REPO:$1 out start rc
    if ! docker image inspect "$image" >/dev/null 2>&1; then
        check "$version: image $image exists" 1 "run build-odoo-image.sh $version first"
        return 0
    fi

    out=$(docker run --rm --name "$NAME_PREFIX-${version/./}-tools" "$image" rtlcss --version 2>&1 || true)
    check "$version: rtlcss --version" "$([[ $out == *4.3.0* ]]; echo $?)" "$out"
    out=$(docker run --rm --name "$NAME_PREFIX-${version/./}-tools" "$image" wkhtmltopdf --version 2>&1 || true)
    check "$version: wkhtmltopdf --version" "$([[ $out == wkhtmltopdf\ 0.12* ]]; echo $?)" "$out"
    # Headless Qt rendering with the fonts of the image (Latin, Arabic, CJK).
    out=$(docker run --rm --name "$NAME_PREFIX-${version/./}-pdf" "$image" bash -c \
        'printf "<h1>Odoo \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xe4\xbd\xa0\xe5\xa5\xbd</h1>" >/tmp/t.html &&
         wkhtmltopdf -q /tmp/t.html /tmp/t.pdf 2>/dev/null; head -c 8 /tmp/t.pdf; printf " %s bytes" "$(stat -c %s /tmp/t.pdf)"' 2>&1 || true)
    check "$version: wkhtmltopdf renders a PDF" "$([[ $out == %PDF-* ]]; echo $?)" "$out"

    # Odoo keeps the filestore (attachments, compiled asset bundles) in
    # /var/lib/odoo: every container of a database must share it.
    DATA_VOLUME=$NAME_PREFIX-${version/./}-data
    VOLUMES+=("$DATA_VOLUME")
    docker volume create "$DATA_VOLUME" >/dev/null

    # Fresh database: drop what a previous version's check installed.
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
        -c "CREATE DATABASE $DB OWNER $DB ENCODING 'UTF8' LC_COLLATE 'C' TEMPLATE template0" >/dev/null

    # Init through PASSWORD_FILE (a secret file), the server runs use PASSWORD.
    local name=$NAME_PREFIX-${version/./}-init
    CONTAINERS+=("$name")
    start=$EPOCHREALTIME
    rc=0
    docker run --name "$name" --network host \
        -e HOST=127.0.0.1 -e PORT="$PG_PORT" -e USER="$DB" -e PASSWORD_FILE=/run/secrets/db_password \
        -v "$WORK/db_password:/run/secrets/db_password:ro" -v "$DATA_VOLUME:/var/lib/odoo" \
        "$image" odoo -d "$DB" -i base --without-demo=all --stop-after-init \
        >"$WORK/init-$version.log" 2>&1 || rc=$?
    local wall registry modules warnings
    wall=$(elapsed_since "$start")
    docker rm -f -v "$name" >/dev/null 2>&1 || true
    registry=$(grep -Eo 'Registry loaded in [0-9.]+s' "$WORK/init-$version.log" | tail -n 1 || true)
    check "$version: odoo -i base --without-demo=all --stop-after-init" "$rc" \
        "exit $rc, ${wall}s wall, ${registry:-no 'Registry loaded' line}"
    if [[ "$rc" != 0 ]]; then
        tail -n 30 "$WORK/init-$version.log" >&2
        return 0
    fi
    warnings=$(grep -cE ' (WARNING|ERROR|CRITICAL) ' "$WORK/init-$version.log" || true)
    check "$version: init log has no WARNING/ERROR" "$([[ $warnings == 0 ]]; echo $?)" \
        "$warnings $(grep -E ' (WARNING|ERROR|CRITICAL) ' "$WORK/init-$version.log" | head -n 3 | cut -c1-200 || true)"
    modules=$(psql_admin -d "$DB" -At -c "SELECT string_agg(name, ' ' ORDER BY name) FROM ir_module_module WHERE state = 'installed'")
    check "$version: installed modules include web" "$([[ " $modules " == *" web "* ]]; echo $?)" \
        "$(wc -w <<<"$modules"): $modules"

    check_entrypoint "$version"
    check_server "$version" threaded
    check_server "$version" workers

    local leaked
    leaked=$( (grep -lF "$DB_PASSWORD" "$WORK"/*.log 2>/dev/null || true) | wc -l)
    check "$version: password never in container output" "$([[ $leaked == 0 ]]; echo $?)" \
        "$leaked log files contain it"
}

# The entrypoint's contract: a db_* key in $ODOO_RC beats the environment,
# and an unreachable server is reported after the wait timeout.
check_entrypoint() {
    local version=$1 image=$IMAGE_REPO:$1 name rc=0 out
    name=$NAME_PREFIX-${version/./}-rc
    CONTAINERS+=("$name")
    # No spaces around one `=`, extra ones and a CR around the other.
    printf '[options]\naddons_path = /mnt/extra-addons\ndata_dir = /var/lib/odoo\ndb_host=127.0.0.1\ndb_port =  %s \r\n' \
        "$PG_PORT" >"$WORK/odoo-rc.conf"
    chmod 0644 "$WORK/odoo-rc.conf"
    docker run --name "$name" --network host --env-file "$WORK/credentials.env" \
        -e HOST=db-host-from-env.invalid -e PORT=1 -e WAIT_FOR_PSQL_TIMEOUT=5 \
        -v "$WORK/odoo-rc.conf:/etc/odoo/odoo.conf:ro" -v "$DATA_VOLUME:/var/lib/odoo" \
        "$image" odoo -d "$DB" --stop-after-init >"$WORK/rc-$version.log" 2>&1 || rc=$?
    docker rm -f -v "$name" >/dev/null 2>&1 || true
    check "$version: entrypoint: db_host/db_port in ODOO_RC win over env" "$rc" "exit $rc"
    [[ "$rc" == 0 ]] || tail -n 15 "$WORK/rc-$version.log" >&2

    name=$NAME_PREFIX-${version/./}-nodb
    CONTAINERS+=("$name")
    rc=0
    start=$EPOCHREALTIME
    docker run --name "$name" --network host --env-file "$WORK/credentials.env" \
        -e HOST=127.0.0.1 -e PORT=1 -e WAIT_FOR_PSQL_TIMEOUT=3 "$image" >"$WORK/nodb-$version.log" 2>&1 || rc=$?
    docker rm -f -v "$name" >/dev/null 2>&1 || true
    out=$(head -c 300 "$WORK/nodb-$version.log")
    check "$version: entrypoint: unreachable PostgreSQL fails after timeout" \
        "$([[ $rc != 0 && $out == *wait-for-psql* ]]; echo $?)" "exit $rc after $(elapsed_since "$start")s: $out"
}

main() {
    local versions=("$@")
    ((${#versions[@]})) || versions=(17.0 18.0)
    [[ $EUID == 0 ]] || { log "run as root"; exit 1; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    ensure_postgres
    # Through stdin, so the password never shows in the process list.
    psql_admin -d postgres >/dev/null <<<"CREATE ROLE $DB LOGIN PASSWORD '$DB_PASSWORD'"
    umask 077
    printf '%s\n' "$DB_PASSWORD" >"$WORK/db_password"
    printf 'USER=%s\nPASSWORD=%s\n' "$DB" "$DB_PASSWORD" >"$WORK/credentials.env"
    printf 'HOST=127.0.0.1\nPORT=%s\n' "$PG_PORT" | cat - "$WORK/credentials.env" >"$WORK/db.env"
    chmod 0644 "$WORK/db_password" # read by uid 101 in the container
    umask 022

    local version
    for version in "${versions[@]}"; do
        log "checking $IMAGE_REPO:$version (database $DB)"
        check_version "$version"
    done
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

main "$@"
