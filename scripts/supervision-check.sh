#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A check run by hand after `npm run up`: SIGKILLs an API process, then the worker, and measures how
# long supervisord takes to bring each back (the API process: until it runs again and /api/v1/ready
# answers 200 (the other API processes answer meanwhile); the worker: until it runs again).
# Usage: bash scripts/supervision-check.sh
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/supervisor.sh
. "$ROOT/scripts/lib/supervisor.sh"

PORT="$(sed -n 's/^PORT=//p' "$ROOT/.env" 2>/dev/null | tail -n 1)"
PORT="${PORT:-3000}"
LIMIT_SECONDS=15

now_ms() { date +%s%3N; }
ready() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/api/v1/ready"; }

# back NAME OLD_PID: the program runs again under another pid (and, for the API, answers ready).
# Not waiting for supervisord's RUNNING state, which it only grants after startsecs (3 s).
back() {
  local pid
  pid="$(program_pid "$1")" && [[ "$pid" != "$2" ]] || return 1
  [[ "$1" != api* ]] || ready
}

check() {
  local name="$1" pid start
  pid="$(program_pid "$name")" || die "$name is not running under supervisord: run npm run up first"
  start="$(now_ms)"
  kill -KILL "$pid"
  wait_until "$LIMIT_SECONDS" "$name to come back" back "$name" "$pid" || die "$name was not back within ${LIMIT_SECONDS}s"
  ok "$name: killed pid $pid, back as pid $(program_pid "$name") after $(($(now_ms) - start)) ms"
}

supervisord_pid >/dev/null || die "supervisord is not running: run npm run up first"
ready || die "the API is not ready on 127.0.0.1:$PORT"
check "$(api_program 0)"
check worker
