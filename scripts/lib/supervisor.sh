# shellcheck shell=bash
# The API and the worker under supervisord (Debian's `supervisor` package): a crashed process is
# started again within a second. One supervisord per checkout, rooted at .run/supervisor with its own
# socket and pid file, so two checkouts on one machine never share it, and the system-wide one
# (/etc/supervisor) is left alone. Requires common.sh and, for supervisor_start, a loaded .env.

SUPERVISOR_DIR="$RUN_DIR/supervisor"
SUPERVISOR_CONF="$SUPERVISOR_DIR/supervisord.conf"
SUPERVISOR_PID="$SUPERVISOR_DIR/supervisord.pid"
SUPERVISOR_SOCK="$SUPERVISOR_DIR/supervisor.sock"

supervisorctl_() { supervisorctl -c "$SUPERVISOR_CONF" "$@"; }

supervisord_pid() {
  local pid
  [[ -r "$SUPERVISOR_PID" ]] || return 1
  pid="$(<"$SUPERVISOR_PID")"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_matches "$pid" "$SUPERVISOR_CONF" || return 1
  printf '%s\n' "$pid"
}

# api_processes: how many API processes run side by side on PORT (API_PROCESSES in .env, default 2).
api_processes() {
  local n="${API_PROCESSES:-2}"
  [[ "$n" =~ ^[1-9][0-9]?$ ]] && ((n <= 16)) || die "API_PROCESSES must be a number from 1 to 16: $n"
  printf '%s\n' "$n"
}

# api_program N: supervisord's name of the API's process N (api:api-N; plain api for a single one).
api_program() { if (($(api_processes) > 1)); then printf 'api:api-%s\n' "$1"; else printf 'api\n'; fi; }

# program_state NAME: RUNNING, STARTING, BACKOFF, EXITED, FATAL, STOPPED... (empty when unknown).
program_state() { supervisorctl_ status "$1" 2>/dev/null | awk '{ print $2 }'; }

# program_pid NAME: the pid of a running program.
program_pid() {
  local pid
  pid="$(supervisorctl_ pid "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  printf '%s\n' "$pid"
}

# Values go into an INI file where % starts an interpolation.
_sv_escape() { printf '%s' "${1//%/%%}"; }

# _sv_program NAME ENTRY: one [program:] section. Programs inherit supervisord's environment, that is
# this script's: the loaded .env, PATH with our Node. startsecs: a process that dies within 3 s did
# not start (after 5 such tries it is FATAL, e.g. a bad .env); one that ran longer is started again
# at once, as often as it crashes.
_sv_program() {
  local name="$1" entry="$2" processes="${3:-1}" node
  node="$(command -v node)" || die "node is not on PATH"
  cat <<EOF

[program:$name]
command=$(_sv_escape "$node") $(_sv_escape "$entry")
directory=$(_sv_escape "$ROOT")
EOF
  # Several processes of one program (the API's, side by side on one port): $name:$name-0,
  # $name:$name-1... each told its index, and logging to a file of its own.
  local log="$name"
  if ((processes > 1)); then
    log="$name-%(process_num)d"
    cat <<EOF
numprocs=$processes
process_name=%(program_name)s-%(process_num)d
environment=API_PROCESS_INDEX="%(process_num)d"
EOF
  fi
  cat <<EOF
autostart=true
autorestart=true
startsecs=3
startretries=5
stopsignal=TERM
; The processes drain their work on TERM; the same grace as scripts/lib/common.sh's stop_pid.
stopwaitsecs=15
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$(_sv_escape "$RUN_DIR/logs")/$log.log
stdout_logfile_maxbytes=20MB
stdout_logfile_backups=3
EOF
}

supervisor_render() {
  [[ "$ROOT" != *[$'\n'\ \;]* ]] || die "the checkout's path may not contain spaces, ';' or newlines (supervisord config): $ROOT"
  # A unix socket path has at most 107 bytes.
  ((${#SUPERVISOR_SOCK} < 100)) || die "the checkout's path is too long for supervisord's socket: $SUPERVISOR_SOCK"
  mkdir -p "$SUPERVISOR_DIR" "$RUN_DIR/logs"
  local tmp="$SUPERVISOR_CONF.tmp"
  {
    cat <<EOF
; Rendered by scripts/lib/supervisor.sh at every npm run up; edits are lost.
[unix_http_server]
file=$(_sv_escape "$SUPERVISOR_SOCK")
chmod=0700

[supervisord]
pidfile=$(_sv_escape "$SUPERVISOR_PID")
logfile=$(_sv_escape "$RUN_DIR/logs/supervisord.log")
logfile_maxbytes=5MB
logfile_backups=2
directory=$(_sv_escape "$ROOT")
identifier=$(_sv_escape "saas-$ROOT")

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$(_sv_escape "$SUPERVISOR_SOCK")
EOF
    _sv_program api apps/server/dist/main-api.js "$(api_processes)"
    _sv_program worker apps/server/dist/main-worker.js
    # The metrics stack (monitoring.sh), when npm run up prepared it.
    if declare -F monitoring_programs >/dev/null; then monitoring_programs; fi
  } >"$tmp"
  mv -f "$tmp" "$SUPERVISOR_CONF"
}

# supervisor_stop: stops the programs (TERM, then KILL after stopwaitsecs) and supervisord.
# Returns 1 when it was not running.
supervisor_stop() {
  local pid
  pid="$(supervisord_pid)" || return 1
  supervisorctl_ shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  # Waits for the programs' stopwaitsecs (15 s) and a little more.
  wait_until 25 "supervisord (pid $pid) to exit" pid_matches_not "$pid" || {
    warn "supervisord (pid $pid) still runs; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  }
  rm -f "$SUPERVISOR_SOCK"
  ok "stopped the API and the worker, and supervisord (pid $pid)"
}

pid_matches_not() { ! pid_matches "$1" "$SUPERVISOR_CONF"; }

# supervisor_start: (re)starts supervisord with a fresh config and environment, which starts the
# API and the worker. A running one is shut down first: supervisord hands its own environment to
# the programs, so a changed .env or build only takes effect through a new supervisord.
supervisor_start() {
  command -v supervisord >/dev/null || die "supervisord is not installed (apt-get install supervisor)"
  # Processes of an earlier npm run up, before supervision, would hold the API's port.
  stop_named api apps/server/dist/main-api.js >/dev/null || true
  stop_named worker apps/server/dist/main-worker.js >/dev/null || true
  if supervisor_stop >/dev/null; then info "stopped the previous supervisord to pick up the new build"; fi
  supervisor_render
  (cd "$ROOT" && supervisord -c "$SUPERVISOR_CONF" </dev/null) || die "supervisord failed to start (see .run/logs/supervisord.log)"
  wait_until 10 "supervisord's socket" supervisorctl_ pid || die "supervisord did not answer on $SUPERVISOR_SOCK"
  ok "supervisord started (pid $(supervisord_pid)); it restarts the API and the worker when they exit"
}
