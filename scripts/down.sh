#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run down: stops the API, the worker and the metrics stack (through their supervisord) and our nginx.
# PostgreSQL, Redis and Docker keep running, and their data stays where it is.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/nginx.sh
. "$ROOT/scripts/lib/nginx.sh"
# shellcheck source=lib/supervisor.sh
. "$ROOT/scripts/lib/supervisor.sh"

stopped=0
supervisor_stop && stopped=$((stopped + 1))
# Processes started by an npm run up from before supervision.
stop_named api apps/server/dist/main-api.js && stopped=$((stopped + 1))
stop_named worker apps/server/dist/main-worker.js && stopped=$((stopped + 1))
stop_nginx && stopped=$((stopped + 1))

if ((stopped == 0)); then
  info "nothing was running"
else
  info "PostgreSQL, Redis and Docker left running; data kept"
fi
