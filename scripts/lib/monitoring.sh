# shellcheck shell=bash
# The metrics stack of `npm run up` (docs/monitoring.md): Prometheus, Alertmanager, the node,
# PostgreSQL, Redis and nginx exporters and mtail (the edge's access log), from the Debian packages,
# run as supervisord programs beside the API and the worker, on 127.0.0.1 only, with their data
# under .run/monitoring. The configs come from the platform's own renderer (cli.js monitoring-config),
# the one place ports, targets and alert rules are decided. Requires common.sh, packages.sh,
# services.sh and a loaded .env.

MONITORING_DIR="$RUN_DIR/monitoring"
MONITORING_PACKAGES=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter
  prometheus-redis-exporter prometheus-nginx-exporter mtail)
# The packages' own services (where systemd runs them) would hold the same ports.
MONITORING_UNITS=(prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter
  prometheus-redis-exporter prometheus-nginx-exporter mtail)

_monitoring_stop_package_units() {
  command -v systemctl >/dev/null && [[ -d /run/systemd/system ]] && is_root || return 0
  local unit
  for unit in "${MONITORING_UNITS[@]}"; do
    if systemctl is-active --quiet "$unit" 2>/dev/null; then
      systemctl disable --now "$unit" >/dev/null 2>&1 && info "stopped and disabled the package's $unit service (we run our own)"
    fi
  done
}

# The postgres exporter's own login: pg_monitor only (statistics, no table data). Its password lives
# in a 0600 file the exporter reads (DATA_SOURCE_PASS_FILE), never on a command line.
MONITOR_ROLE=""
_monitoring_pg_role() {
  parse_database_url
  MONITOR_ROLE="${DB_NAME}_monitor"
  local pass_file="$MONITORING_DIR/postgres-exporter.pass"
  if ! is_root; then
    warn "not root: the PostgreSQL exporter's role ($MONITOR_ROLE) is not created; its metrics stay empty"
    return 0
  fi
  [[ -s "$pass_file" ]] || (umask 077 && openssl rand -hex 24 >"$pass_file")
  chmod 600 "$pass_file"
  SAAS_MONITOR_PASSWORD="$(<"$pass_file")" PGOPTIONS='-c client_min_messages=warning' _pg_admin -t -A -v role="$MONITOR_ROLE" -v db="$DB_NAME" <<'SQL' >/dev/null ||
\getenv pw SAAS_MONITOR_PASSWORD
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'pw') \gexec
SELECT format('GRANT pg_monitor TO %I', :'role') \gexec
-- The platform's database refuses PUBLIC connections: the exporter may connect, nothing more.
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'db', :'role') \gexec
SQL
    die "could not create the PostgreSQL role $MONITOR_ROLE for the exporter"
  ok "PostgreSQL: role $MONITOR_ROLE (pg_monitor) for the exporter"
}

# monitoring_prepare: packages, configs (validated with promtool and amtool), the exporter's role.
# Run after the build (it uses cli.js) and before supervisor_start (which starts the programs).
monitoring_prepare() {
  step "Monitoring"
  ensure_packages "${MONITORING_PACKAGES[@]}"
  _monitoring_stop_package_units
  mkdir -p "$MONITORING_DIR/prometheus-data" "$MONITORING_DIR/alertmanager-data" "$RUN_DIR/nginx/logs"
  (cd "$ROOT" && node apps/server/dist/cli.js monitoring-config --out "$MONITORING_DIR" >/dev/null) ||
    die "cli.js monitoring-config failed"
  # shellcheck disable=SC1091 # written just above: MON_PORT_* (numbers only)
  . "$MONITORING_DIR/ports.env"
  promtool check config "$MONITORING_DIR/prometheus.yml" >/dev/null ||
    die "promtool refused $MONITORING_DIR/prometheus.yml"
  amtool check-config "$MONITORING_DIR/alertmanager.yml" >/dev/null ||
    die "amtool refused $MONITORING_DIR/alertmanager.yml"
  _monitoring_pg_role
  ok "monitoring configs in .run/monitoring (Prometheus on 127.0.0.1:$MON_PORT_PROMETHEUS)"
}

# _sv_command NAME ENVIRONMENT COMMAND...: a [program:] section for a packaged daemon (compare
# supervisor.sh's _sv_program); ENVIRONMENT is supervisord's `KEY="value",...` or empty.
_sv_command() {
  local name="$1" environment="$2" arg line=""
  shift 2
  for arg in "$@"; do line+="${line:+ }$(_sv_escape "$arg")"; done
  cat <<EOS

[program:$name]
command=$line
directory=$(_sv_escape "$ROOT")
autostart=true
autorestart=true
startsecs=3
startretries=5
stopsignal=TERM
stopwaitsecs=15
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$(_sv_escape "$RUN_DIR/logs/$name.log")
stdout_logfile_maxbytes=10MB
stdout_logfile_backups=2
EOS
  [[ -z "$environment" ]] || printf 'environment=%s\n' "$environment"
}

# monitoring_programs: the sections supervisor_render adds (only after monitoring_prepare).
monitoring_programs() {
  [[ -n "${MON_PORT_PROMETHEUS:-}" ]] || return 0
  local m="$MONITORING_DIR"
  _sv_command prometheus "" prometheus "--config.file=$m/prometheus.yml" "--storage.tsdb.path=$m/prometheus-data" \
    "--storage.tsdb.retention.time=30d" "--web.listen-address=127.0.0.1:$MON_PORT_PROMETHEUS" --web.enable-lifecycle
  _sv_command alertmanager "" prometheus-alertmanager "--config.file=$m/alertmanager.yml" "--storage.path=$m/alertmanager-data" \
    "--web.listen-address=127.0.0.1:$MON_PORT_ALERTMANAGER" "--cluster.listen-address="
  _sv_command node-exporter "" prometheus-node-exporter "--web.listen-address=127.0.0.1:$MON_PORT_NODE"
  # The URL (it may hold Redis's password) reaches the exporter through its environment, not ps.
  _sv_command redis-exporter 'REDIS_ADDR="%(ENV_REDIS_URL)s"' prometheus-redis-exporter \
    "-web.listen-address=127.0.0.1:$MON_PORT_REDIS"
  if [[ -n "$MONITOR_ROLE" && -s "$m/postgres-exporter.pass" ]]; then
    _sv_command postgres-exporter \
      "DATA_SOURCE_URI=\"$DB_HOST:$DB_PORT/$DB_NAME?sslmode=disable\",DATA_SOURCE_USER=\"$MONITOR_ROLE\",DATA_SOURCE_PASS_FILE=\"$m/postgres-exporter.pass\"" \
      prometheus-postgres-exporter "--web.listen-address=127.0.0.1:$MON_PORT_POSTGRES"
  fi
  _sv_command nginx-exporter "" prometheus-nginx-exporter "-nginx.scrape-uri=http://127.0.0.1:$MON_PORT_EDGE_STATUS/stub_status" \
    "-web.listen-address=127.0.0.1:$MON_PORT_NGINX"
  _sv_command mtail "" mtail -progs "$ROOT/deploy/monitoring" -logs "$RUN_DIR/nginx/logs/access.log" \
    -address 127.0.0.1 -port "$MON_PORT_MTAIL" -logtostderr
}

_prometheus_ready() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$MON_PORT_PROMETHEUS/-/ready"; }

# monitoring_check: Prometheus and Alertmanager answer (after supervisor_start).
monitoring_check() {
  wait_until 30 "Prometheus on 127.0.0.1:$MON_PORT_PROMETHEUS" _prometheus_ready ||
    die "Prometheus did not start (see .run/logs/prometheus.log)"
  wait_until 30 "Alertmanager on 127.0.0.1:$MON_PORT_ALERTMANAGER" \
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$MON_PORT_ALERTMANAGER/-/ready" ||
    die "Alertmanager did not start (see .run/logs/alertmanager.log)"
  ok "Prometheus and Alertmanager are up (127.0.0.1:$MON_PORT_PROMETHEUS, 127.0.0.1:$MON_PORT_ALERTMANAGER)"
}
