# shellcheck shell=bash
# .env creation and loading. Requires common.sh.

# Prints the value .env should get for KEY on first creation; empty = keep the
# example's value.
_env_generated_value() {
  case "$1" in
    DATABASE_URL) printf 'postgres://saas:%s@127.0.0.1:5432/saas' "$(openssl rand -hex 24)" ;;
    JWT_SECRET) openssl rand -hex 32 ;; # 64 chars
    ENCRYPTION_KEY) openssl rand -base64 32 ;;
    BACKUP_ENCRYPTION_KEY) openssl rand -base64 32 ;;
    ALERTMANAGER_WEBHOOK_TOKEN) openssl rand -hex 32 ;;
    # The dev mailbox is for local mode only: appended to an existing .env that is not local mode,
    # it stays off (the API would refuse to start otherwise).
    DEV_MAILBOX) if _env_local_mode; then printf 'true'; else printf 'false'; fi ;;
    *) return 0 ;;
  esac
}

# _env_local_mode: whether .env (if it exists) is local mode: not production, and PUBLIC_URL and
# ADMIN_URL loopback (localhost, *.localhost, 127.x.x.x, [::1]); unset ones take the example's defaults.
_env_local_mode() {
  local key value host
  for key in NODE_ENV PUBLIC_URL ADMIN_URL; do
    value="$(sed -n "s/^$key=//p" "$ROOT/.env" 2>/dev/null | tail -n 1)"
    value="${value//[\"\']/}"
    [[ -n "$value" ]] || continue
    if [[ "$key" == NODE_ENV ]]; then
      [[ "$value" != production ]] || return 1
      continue
    fi
    host="${value#*://}"
    host="${host%%/*}"
    host="${host##*@}"
    if [[ "$host" == \[* ]]; then host="${host%%]*}]"; else host="${host%%:*}"; fi
    host="${host,,}"
    [[ "$host" == localhost || "$host" == *.localhost || "$host" == '[::1]' ||
      "$host" =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  done
}

# ensure_env: creates .env (mode 600) from .env.example with fresh secrets,
# appends keys added to the example since, then exports everything.
ensure_env() {
  local example="$ROOT/.env.example" env="$ROOT/.env" line key value added=()
  [[ -r "$example" ]] || die ".env.example not found"
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"

  if [[ ! -e "$env" ]]; then
    (
      umask 077
      while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ ^([A-Z][A-Z0-9_]*)= ]]; then
          key="${BASH_REMATCH[1]}"
          value="$(_env_generated_value "$key")"
          [[ -n "$value" ]] && line="$key=$value"
        fi
        printf '%s\n' "$line"
      done <"$example" >"$env.tmp"
      mv "$env.tmp" "$env"
    )
    ok "created .env with fresh secrets (mode 600)"
  else
    # A hand-edited .env may lack its final newline; appending would merge lines.
    [[ ! -s "$env" || -z "$(tail -c 1 "$env")" ]] || printf '\n' >>"$env"
    while IFS= read -r line || [[ -n "$line" ]]; do
      [[ "$line" =~ ^([A-Z][A-Z0-9_]*)= ]] || continue
      key="${BASH_REMATCH[1]}"
      grep -q "^$key=" "$env" && continue
      value="$(_env_generated_value "$key")"
      [[ -n "$value" ]] && line="$key=$value"
      printf '%s\n' "$line" >>"$env"
      added+=("$key")
    done <"$example"
    ((${#added[@]} == 0)) || ok "added to .env from .env.example: ${added[*]}"
    # The worker's metrics port was 9465, which the second API process's listener takes now (API_PROCESSES=2).
    if grep -qx 'WORKER_METRICS_PORT=9465' "$env" && ! grep -q '^METRICS_PORT=946[0-3]$' "$env"; then
      sed -i 's/^WORKER_METRICS_PORT=9465$/WORKER_METRICS_PORT=9470/' "$env"
      ok "moved WORKER_METRICS_PORT from 9465 to 9470 in .env: the second API process's metrics port is 9465"
    fi
  fi

  load_env
}

load_env() {
  [[ -r "$ROOT/.env" ]] || die ".env not found; run: npm run up"
  set -a
  # shellcheck disable=SC1091
  . "$ROOT/.env"
  set +a
  is_port "${PORT:-}" || die ".env: PORT must be a TCP port, got '${PORT:-}'"
  is_port "${EDGE_PORT:-}" || die ".env: EDGE_PORT must be a TCP port, got '${EDGE_PORT:-}'"
  [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]] || die ".env: DATABASE_URL must be a postgres:// URL"
  [[ "${REDIS_URL:-}" =~ ^rediss?:// ]] || die ".env: REDIS_URL must be a redis:// URL"
}
