#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run up: installs and starts everything needed to run the platform locally,
# builds it, and starts the API, the worker and the metrics stack (Prometheus, Alertmanager, exporters)
# under supervisord (restarted when they crash) and the edge nginx. Safe to re-run.
set -euo pipefail

# shellcheck source=lib/system.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/system.sh"
# shellcheck source=lib/nginx.sh
. "$ROOT/scripts/lib/nginx.sh"
# shellcheck source=lib/supervisor.sh
. "$ROOT/scripts/lib/supervisor.sh"
# shellcheck source=lib/monitoring.sh
. "$ROOT/scripts/lib/monitoring.sh"

SERVER_DIST="apps/server/dist"
LOG_DIR="$RUN_DIR/logs"
ADMIN_FILE="$RUN_DIR/initial-admin.json"

api_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/api/v1/ready"; }

wait_for_api() {
  local deadline=$((SECONDS + 60))
  until api_ready 2>/dev/null; do
    # FATAL: it died within startsecs, again and again (a bad .env, a port in use...).
    if [[ "$(program_state "$(api_program 0)")" == FATAL ]] || ((SECONDS >= deadline)); then
      warn "the API did not become ready on http://127.0.0.1:$PORT/api/v1/ready"
      local log
      log="$(ls -t "$LOG_DIR"/api*.log 2>/dev/null | head -n 1)"
      printf '%s\n' "--- last 40 lines of ${log:-the API log}" >&2
      [[ -z "$log" ]] || tail -n 40 "$log" >&2 || true
      die "API start failed"
    fi
    sleep 1
  done
  ok "API is ready on 127.0.0.1:$PORT"
}

ensure_admin() {
  local out line
  out="$(cd "$ROOT" && node "$SERVER_DIST/cli.js" ensure-admin)" || die "cli.js ensure-admin failed"
  # The contract is one JSON line; take the last line that looks like it in
  # case a logger printed something before.
  line="$(printf '%s\n' "$out" | grep -E '^\{.*"created"' | tail -n 1)" ||
    die "cli.js ensure-admin printed no JSON line: $out"
  if [[ "$(json_field "$line" created)" == true ]]; then
    (umask 077 && printf '%s\n' "$line" >"$ADMIN_FILE")
    chmod 600 "$ADMIN_FILE"
    ok "created the first platform admin (credentials saved in .run/initial-admin.json)"
  fi
  ADMIN_JSON="$line"
}

# json_field JSON KEY: prints a string field, empty when absent.
json_field() {
  printf '%s' "$1" | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]];
    if (v !== undefined && v !== null) process.stdout.write(String(v));' "$2"
}

print_summary() {
  local email password="" note=""
  email="$(json_field "$ADMIN_JSON" email)"
  if [[ -r "$ADMIN_FILE" ]]; then
    local saved
    saved="$(<"$ADMIN_FILE")"
    if [[ "$(json_field "$saved" email)" == "$email" ]]; then
      password="$(json_field "$saved" password)"
      note="(generated at first start; change it after logging in)"
    fi
  fi
  [[ -n "$password" ]] || password="(set at first start; not stored here)"
  local lines=(
    "Web app          $PUBLIC_URL"
    "Admin dashboard  $ADMIN_URL"
    "API docs         $PUBLIC_URL/api/docs"
    "Prometheus       http://127.0.0.1:$MON_PORT_PROMETHEUS"
    "Alertmanager     http://127.0.0.1:$MON_PORT_ALERTMANAGER"
    ""
    "Admin email      $email"
    "Admin password   $password"
  )
  [[ -n "$note" ]] && lines+=("                 $note")
  lines+=(
    ""
    "Logs             .run/logs/api-<n>.log (one per API process), .run/logs/worker.log"
    "                 .run/logs/supervisord.log (restarts)"
    "                 .run/logs/prometheus.log, alertmanager.log, *-exporter.log"
    "                 .run/nginx/logs/, .run/dockerd.log"
    "Stop             npm run down"
  )
  local width=0 l
  for l in "${lines[@]}"; do ((${#l} > width)) && width=${#l}; done
  local bar
  bar="$(printf '%*s' $((width + 2)) '' | tr ' ' '-')"
  printf '\n+%s+\n' "$bar"
  for l in "${lines[@]}"; do printf '| %-*s |\n' "$width" "$l"; done
  printf '+%s+\n' "$bar"
}

# The Odoo catalog's first seed (ODOO_VERSIONS): unless .env names images, the official ones where
# they can be had, else images built here from Odoo's source (see deploy/odoo-image).
ensure_odoo_versions() {
  if [[ -n "${ODOO_VERSIONS:-}" ]]; then
    ok "Odoo images from .env: $ODOO_VERSIONS"
    return 0
  fi
  resolve_odoo_images || die "no Odoo image for the platform (see above)"
  printf 'ODOO_VERSIONS=%s\n' "$ODOO_IMAGES" >>"$ROOT/.env"
  export ODOO_VERSIONS="$ODOO_IMAGES"
  ok "wrote ODOO_VERSIONS=$ODOO_IMAGES to .env"
}

check_edge() {
  local host body
  host="$(url_host "$PUBLIC_URL")"
  body="$(curl -fsS --max-time 5 --resolve "$host:$EDGE_PORT:127.0.0.1" \
    "http://$host:$EDGE_PORT/api/v1/ready")" ||
    die "http://$host:$EDGE_PORT/api/v1/ready through nginx failed (see .run/nginx/logs/error.log)"
  ok "edge check: http://$host:$EDGE_PORT/api/v1/ready -> $body"
}

main() {
  cd "$ROOT"
  mkdir -p "$LOG_DIR" "$RUN_DIR/pids"
  prepare_system supervisor
  ensure_odoo_versions

  step "Build"
  npm run build

  step "Migrate"
  node "$SERVER_DIST/cli.js" migrate
  monitoring_prepare

  step "Start"
  supervisor_start
  wait_for_api
  monitoring_check
  start_nginx
  ensure_admin
  check_edge
  print_summary
}

main "$@"
