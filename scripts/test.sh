#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm test: prepares the machine and a fresh test database, then runs lint,
# build, type-check, the server and API-client tests and the browser (e2e) tests, stopping at the
# first failure.
set -euo pipefail

# shellcheck source=lib/system.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/system.sh"

TEST_DB=saas_test
TEST_ODOO_DB=saas_test_odoo
results=()

# run_step LABEL CMD...: runs CMD with its output visible; stops on failure.
run_step() {
  local label="$1" start=$SECONDS rc=0
  shift
  step "$label: $*"
  "$@" || rc=$?
  if ((rc != 0)); then
    printf '\n'
    die "test run FAILED at $label (exit $rc); passed before it: ${results[*]:-none}"
  fi
  results+=("$label ok ($((SECONDS - start))s)")
}

main() {
  cd "$ROOT"
  # chromium (+ fonts, a recommends we skip): for the browser tests. pebble: the ACME test CA
  # (pebble + pebble-challtestsrv) for the edge's certificate tests. supervisor: the chaos suite runs
  # the API and the worker under supervisord, as npm run up does. nftables: the production host
  # firewall's check (nft -c, which changes nothing). python3: the backup archive tests read and write
  # zips with Python's zipfile, the library Odoo's own backup and restore use. prometheus,
  # prometheus-alertmanager, mtail: the monitoring tests run the real ones (docs/monitoring.md); with the
  # exporters, they are also what the monitoring image is built from (scripts/build-images.sh --only monitoring).
  prepare_system chromium fonts-liberation pebble supervisor nftables python3 prometheus prometheus-alertmanager mtail \
    prometheus-node-exporter prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter
  ensure_postgres_for_test_containers
  # Real Odoo for the acceptance suite: the official images where the engine has or can pull them,
  # else built from Odoo's source bundles (cached). CI must run that suite; elsewhere it is skipped loudly.
  local real_odoo=1
  if ! resolve_odoo_images; then
    [[ "${CI:-}" != true ]] || die "CI must run the real-Odoo suite, and no Odoo image could be had (see above)"
    real_odoo=0
    warn "!!! THE REAL-ODOO SUITE WILL NOT RUN: no Odoo image could be found, pulled or built (see above) !!!"
  fi

  recreate_database "$TEST_DB"
  recreate_database "$TEST_ODOO_DB"
  parse_database_url
  export TEST_DATABASE_URL="${DATABASE_URL%/*}/$TEST_DB"
  export TEST_ODOO_DATABASE_URL="${DATABASE_URL%/*}/$TEST_ODOO_DB" TEST_ODOO_IMAGES="${ODOO_IMAGES:-}"
  export TEST_REDIS_URL="redis://127.0.0.1:6379/15"
  ok "TEST_DATABASE_URL=postgres://$DB_USER:***@$DB_HOST:$DB_PORT/$TEST_DB  TEST_REDIS_URL=$TEST_REDIS_URL"

  # --no: use the project's pinned tools, never download one on the fly.
  run_step lint npx --no -- biome check .
  run_step build npm run build
  run_step typecheck npx --no -- tsc -b
  run_step server-tests npm run test -w @saas/server
  # Restarts PostgreSQL, Redis, the engine and nginx, and kills the API and the worker, under the whole
  # platform while instances provision: nothing else may run meanwhile.
  run_step chaos-tests npm run test:chaos -w @saas/server
  run_step swarm-tests npm run test:swarm -w @saas/server
  if ((real_odoo)); then
    run_step real-odoo-tests npm run test:odoo -w @saas/server
  else
    results+=("real-odoo-tests NOT RUN (no Odoo image)")
  fi
  run_step api-client-tests npm test -w @saas/api-client
  # Chromium through a private nginx against the real stack (apps/server/test/e2e); needs the build.
  run_step e2e-tests npm run test:e2e -w @saas/server

  printf '\n'
  ok "all checks passed: ${results[*]}"
}

main "$@"
