# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# What npm run up, npm test and npm run screenshots share: the libraries they load and the
# "System" step that readies the machine. Sourced, never executed.

# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=packages.sh
. "$ROOT/scripts/lib/packages.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/lib/env.sh"
# shellcheck source=node.sh
. "$ROOT/scripts/lib/node.sh"
# shellcheck source=services.sh
. "$ROOT/scripts/lib/services.sh"
# shellcheck source=odoo-images.sh
. "$ROOT/scripts/lib/odoo-images.sh"

# prepare_system [PACKAGE...]: installs BASE_PACKAGES and PACKAGE, creates and loads .env, installs
# Node and the npm dependencies, starts PostgreSQL, Redis and Docker, and lets the platform's Odoo
# containers reach PostgreSQL.
# shellcheck disable=SC2120 # the packages are optional
prepare_system() {
  step "System"
  ensure_packages "$@"
  ensure_env
  ensure_node
  ensure_deps
  ensure_postgres
  ensure_redis
  ensure_docker
  ensure_postgres_for_containers
  ok "node $(node --version), PostgreSQL, Redis and Docker are ready"
}
