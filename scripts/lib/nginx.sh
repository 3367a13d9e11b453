# shellcheck shell=bash
# Our own nginx instance (not the system service), rooted at .run/nginx.
# Requires common.sh and a loaded .env.

NGINX_DIR="$RUN_DIR/nginx"
NGINX_TEMPLATES="$ROOT/deploy/nginx"

_nginx() { nginx -p "$NGINX_DIR/" -e "$NGINX_DIR/logs/error.log" -c "$NGINX_DIR/nginx.conf" "$@"; }

nginx_pid() {
  local pid
  [[ -r "$NGINX_DIR/nginx.pid" ]] || return 1
  pid="$(<"$NGINX_DIR/nginx.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_matches "$pid" nginx || return 1
  printf '%s\n' "$pid"
}

# _render TEMPLATE OUT NAME=VALUE...: replaces @NAME@ placeholders. Values were
# validated by the caller; the quoted replacement keeps bash 5.2 from treating
# '&' specially.
_render() {
  local template="$1" out="$2" text pair
  shift 2
  text="$(<"$template")"
  for pair in "$@"; do
    text="${text//"@${pair%%=*}@"/"${pair#*=}"}"
  done
  if [[ "$text" =~ @[A-Z_]+@ ]]; then
    die "unreplaced placeholder ${BASH_REMATCH[0]} in $template"
  fi
  printf '%s\n' "$text" >"$out"
}

# render_nginx: writes .run/nginx/{nginx.conf,platform.conf,security-headers.conf}
# and validates them with nginx -t; on failure the previous files are restored.
render_nginx() {
  local public_host admin_host user_directive f
  public_host="$(url_host "$PUBLIC_URL")"
  admin_host="$(url_host "$ADMIN_URL")"
  is_hostname "$public_host" || die "PUBLIC_URL has an invalid host: '$public_host'"
  is_hostname "$admin_host" || die "ADMIN_URL has an invalid host: '$admin_host'"
  # The paths are quoted in the config; refuse characters that would end the quote.
  [[ "$ROOT" =~ ^[A-Za-z0-9_./+@-]+$ ]] || die "the repository path contains characters nginx config cannot hold: $ROOT"
  command -v nginx >/dev/null || die "nginx is not installed"

  mkdir -p "$NGINX_DIR"/{logs,temp,instances}
  user_directive="# (not root: workers run as the current user)"
  is_root && user_directive="user root;"

  local files=(nginx.conf platform.conf security-headers.conf)
  for f in "${files[@]}"; do
    [[ -f "$NGINX_DIR/$f" ]] && cp -p "$NGINX_DIR/$f" "$NGINX_DIR/$f.last-good"
  done
  local vars=(
    "USER_DIRECTIVE=$user_directive" "RUN_DIR=$NGINX_DIR" "ROOT=$ROOT"
    "API_PORT=$PORT" "EDGE_PORT=$EDGE_PORT" "PUBLIC_HOST=$public_host" "ADMIN_HOST=$admin_host"
  )
  _render "$NGINX_TEMPLATES/local.conf.template" "$NGINX_DIR/nginx.conf.new" "${vars[@]}"
  _render "$NGINX_TEMPLATES/platform.conf.template" "$NGINX_DIR/platform.conf.new" "${vars[@]}"
  cp "$NGINX_TEMPLATES/security-headers.conf" "$NGINX_DIR/security-headers.conf.new"
  for f in "${files[@]}"; do mv -f "$NGINX_DIR/$f.new" "$NGINX_DIR/$f"; done

  local out
  if ! out="$(_nginx -t -q 2>&1)"; then
    printf '%s\n' "$out" >&2
    for f in "${files[@]}"; do
      if [[ -f "$NGINX_DIR/$f.last-good" ]]; then
        mv -f "$NGINX_DIR/$f.last-good" "$NGINX_DIR/$f"
      else
        rm -f "$NGINX_DIR/$f"
      fi
    done
    die "nginx -t rejected the rendered config (previous config restored)"
  fi
}

# start_nginx: render, test, then start or reload.
start_nginx() {
  local pid
  render_nginx
  if pid="$(nginx_pid)"; then
    _nginx -s reload || die "nginx reload failed"
    info "nginx reloaded (pid $pid, port $EDGE_PORT)"
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
