# shellcheck shell=bash
# Our own nginx instance (not the system service), rooted at .run/nginx (or EDGE_DIR). Started as
# root, its workers run as EDGE_WORKER_USER (www-data); the renderer warns about served files they cannot read.
# The config is rendered by the server's edge module (apps/server/src/edge/), the one renderer
# the API and the worker use too: `cli.js edge-render` writes the main config into a staging
# copy, validates it with nginx -t, swaps it in and reloads nginx if it runs.
# Requires common.sh, a loaded .env and a build (apps/server/dist).

NGINX_DIR="${EDGE_DIR:-$RUN_DIR/nginx}"
[[ "$NGINX_DIR" == /* ]] || NGINX_DIR="$ROOT/$NGINX_DIR"
EDGE_PORT="${EDGE_PORT:-8080}"

# Starts our nginx (it daemonizes).
_nginx() { nginx -p "$NGINX_DIR/" -e "$NGINX_DIR/logs/error.log" -c "$NGINX_DIR/nginx.conf"; }

nginx_pid() {
  local pid
  [[ -r "$NGINX_DIR/nginx.pid" ]] || return 1
  pid="$(<"$NGINX_DIR/nginx.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_matches "$pid" nginx || return 1
  printf '%s\n' "$pid"
}

# render_nginx: renders, validates and installs the edge config (the previous one stays if nginx -t
# refuses the new one); reloads nginx when it runs.
render_nginx() {
  command -v nginx >/dev/null || die "nginx is not installed"
  [[ -f "$ROOT/apps/server/dist/cli.js" ]] || die "apps/server/dist/cli.js is missing: build first (npm run build)"
  # Run as root, nginx keeps root in its master only; its workers switch to this account.
  if [[ $EUID -eq 0 ]]; then
    id -u "${EDGE_WORKER_USER:-www-data}" >/dev/null 2>&1 ||
      die "the nginx worker user '${EDGE_WORKER_USER:-www-data}' does not exist (create it, or set EDGE_WORKER_USER)"
  fi
  local out
  out="$(cd "$ROOT" && node apps/server/dist/cli.js edge-render)" ||
    die "the edge config was refused (the previous config stays in place; nginx's message is above)"
  info "edge config: $out"
  # Left over from earlier renderers: the bash one, and rollback copies nothing read.
  rm -f "$NGINX_DIR"/{platform.conf,security-headers.conf}{,.last-good} "$NGINX_DIR"/{nginx.conf,snippets/*.conf,instances/*.conf}.last-good
}

# start_nginx: render (which reloads a running nginx), or start nginx.
start_nginx() {
  local pid
  render_nginx
  if pid="$(nginx_pid)"; then
    info "nginx running (pid $pid, port $EDGE_PORT); the config above is live"
  else
    _nginx </dev/null >>"$NGINX_DIR/logs/stderr.log" 2>&1 || {
      tail -n 20 "$NGINX_DIR/logs/error.log" >&2 2>/dev/null || true
      die "nginx failed to start (is port $EDGE_PORT free?)"
    }
    wait_until 5 "nginx pid file" nginx_pid || die "nginx did not write its pid file"
    ok "nginx started on port $EDGE_PORT (pid $(nginx_pid))"
  fi
}

stop_nginx() {
  local pid
  pid="$(nginx_pid)" || return 1
  stop_pid "$pid" nginx nginx
}
