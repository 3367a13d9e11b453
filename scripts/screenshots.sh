#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run screenshots: refreshes docs/screenshots/*.png. Runs the browser suite's accessibility file
# (apps/server/test/e2e) against the real stack behind a private nginx, on a fresh database of its
# own, and saves each main page of the tenant app and every screen of the admin dashboard
# (admin-screens.e2e.test.ts) at desktop (1280×800) and phone (390×844) widths.
# Like `npm test`, it clears the tests' leftover containers first: do not run both at the same time.
set -euo pipefail

# shellcheck source=lib/system.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/system.sh"

SHOTS_DB=saas_screenshots
OUT="$ROOT/docs/screenshots"

main() {
  cd "$ROOT"
  prepare_system chromium fonts-liberation
  ensure_postgres_for_test_containers

  # A database of its own, so the pages show the same names every time (ada@acme.example, acme-trading).
  recreate_database "$SHOTS_DB"
  parse_database_url
  export TEST_DATABASE_URL="${DATABASE_URL%/*}/$SHOTS_DB"
  export TEST_REDIS_URL="redis://127.0.0.1:6379/14"

  step "Build"
  npm run build

  step "Screenshots"
  mkdir -p "$OUT"
  # The hand-made shots (a real Odoo, the custom domains section: see docs/screenshots/README.md) are not taken here.
  find "$OUT" -maxdepth 1 -name '*.png' ! -name 'real-odoo-*' ! -name 'custom-domains-*' -delete
  (cd apps/server && SCREENSHOTS_DIR="$OUT" npx --no -- vitest run -c vitest.e2e.config.ts test/e2e/accessibility.e2e.test.ts test/e2e/backups.e2e.test.ts test/e2e/admin-screens.e2e.test.ts)
  ok "saved $(find "$OUT" -name '*.png' | wc -l) screenshots in docs/screenshots ($(du -sh "$OUT" | cut -f1))"
}

main "$@"
