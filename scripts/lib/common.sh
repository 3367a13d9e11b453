# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Sourced, never executed.
# Every ensure_* function is idempotent and silent when there is nothing to do.

# Repository root: two levels above this file, regardless of the caller's cwd.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
RUN_DIR="$ROOT/.run"
export ROOT RUN_DIR

if [[ -t 1 ]]; then
  _c_dim=$'\e[2m' _c_red=$'\e[31m' _c_green=$'\e[32m' _c_yellow=$'\e[33m' _c_bold=$'\e[1m' _c_off=$'\e[0m'
else
  _c_dim='' _c_red='' _c_green='' _c_yellow='' _c_bold='' _c_off=''
fi

info() { printf '%s→%s %s\n' "$_c_dim" "$_c_off" "$*"; }
ok() { printf '%s✓%s %s\n' "$_c_green" "$_c_off" "$*"; }
warn() { printf '%s!%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
die() {
  printf '%s✗ %s%s\n' "$_c_red" "$*" "$_c_off" >&2
  exit 1
}
step() { printf '\n%s==> %s%s\n' "$_c_bold" "$*" "$_c_off"; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.5 s.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      warn "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

# Strict validators for values that end up in config files or URLs.
is_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && (("$1" > 0 && "$1" < 65536)); }
is_hostname() { [[ "$1" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]]; }

# url_host URL / url_port URL DEFAULT: minimal http(s) URL parsing.
url_host() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  rest="${rest##*@}"
  printf '%s\n' "${rest%%:*}"
}
url_port() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  rest="${rest##*@}"
  if [[ "$rest" == *:* ]]; then printf '%s\n' "${rest##*:}"; else printf '%s\n' "$2"; fi
}

# --- background processes -------------------------------------------------
# Pid files live in .run/pids/<name>.pid. A pid only counts as ours if its
# command line still contains the expected marker (pids get reused).

pid_file() { printf '%s/pids/%s.pid\n' "$RUN_DIR" "$1"; }

# pid_of NAME MARKER: prints the live pid or returns 1.
pid_of() {
  local file pid
  file="$(pid_file "$1")"
  [[ -r "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_matches "$pid" "$2" || return 1
  printf '%s\n' "$pid"
}

pid_matches() {
  local pid="$1" marker="$2" cmdline
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$marker"* ]]
}

# start_bg NAME LOGFILE CMD...: starts CMD detached (own session, no stdin),
# appending to LOGFILE, and records its pid.
start_bg() {
  local name="$1" log="$2"
  shift 2
  mkdir -p "$RUN_DIR/pids" "$(dirname "$log")"
  printf '\n=== %s starting %s (%s)\n' "$(date -Is)" "$name" "$*" >>"$log"
  # setsid and nohup both exec, so $! is the pid of the final program.
  (cd "$ROOT" && exec setsid nohup "$@" </dev/null >>"$log" 2>&1) &
  printf '%s\n' "$!" >"$(pid_file "$name")"
}

# stop_pid PID MARKER LABEL: TERM, then KILL after 10 s. Returns 1 if nothing ran.
stop_pid() {
  local pid="$1" marker="$2" label="$3" i
  pid_matches "$pid" "$marker" || return 1
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    pid_matches "$pid" "$marker" || {
      ok "stopped $label (pid $pid)"
      return 0
    }
    sleep 0.5
  done
  warn "$label (pid $pid) ignored TERM for 10 s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  ok "killed $label (pid $pid)"
}

# stop_named NAME MARKER: stops a process started by start_bg.
stop_named() {
  local name="$1" marker="$2" pid
  if pid="$(pid_of "$name" "$marker")"; then
    stop_pid "$pid" "$marker" "$name"
    rm -f "$(pid_file "$name")"
    return 0
  fi
  rm -f "$(pid_file "$name")"
  return 1
}
