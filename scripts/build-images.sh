#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the platform's own images FROM the base image (deploy/images, docs/images.md):
#   saas-platform:<version>  the API and the worker (docker run <image> api|worker|migrate)
#   saas-web:<version>       the tenant web app (:8080) and the admin dashboard (:8081) behind nginx
#   saas-edge:<version>      the edge: nginx kept in step with the platform by `cli.js edge-sync` (from the two above)
#   saas-monitoring:<version> Prometheus, Alertmanager, the exporters and mtail: the binaries of this Debian 12 host's
#                            packages (apt-get install prometheus prometheus-alertmanager prometheus-node-exporter ...)
#   saas-node-firewall:<version> nftables' nft (this host's package nftables) for the egress policy on swarm nodes
# each also tagged :latest; <version> is apps/server/package.json's. Without --base the base comes from the
# offline path (deploy/images/base/build-base-offline.sh: nothing is pulled). Each image carries an
# input-hash label (base, build outputs, lockfile, Dockerfile, version, commit): unchanged inputs reuse it.
#
# Usage: scripts/build-images.sh [--base IMAGE] [--no-build] [--rebuild] [--only platform|web|edge|monitoring|node-firewall] [--verbose]
#   --base IMAGE   build FROM this base, e.g. one built from deploy/images/base/Dockerfile where a
#                  registry is reachable (default: the offline base)
#   --no-build     use the existing apps/*/dist (npm run build already ran); default: npm run build first
#   --rebuild      ignore the cache (the offline base's too)
#   --only NAME    build only saas-platform (platform), saas-web (web), saas-edge (edge, with the two it
#                  is built from, each reused when its inputs did not change) or saas-monitoring (monitoring:
#                  no npm run build, it holds none of the apps) or saas-node-firewall (node-firewall: the same)
#   --verbose      show npm's and docker build's output
# Prints one line per image on stdout (built / up to date, time, size); progress goes to stderr.
set -euo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly IMAGES_DIR="$ROOT/deploy/images"
readonly HASH_LABEL=org.odoo-saas.input-hash
readonly LOCK_FILE=/var/tmp/saas-build-images.lock

BASE_REF='' BUILD=yes REBUILD=no ONLY='' VERBOSE=no
while (($# > 0)); do
  case "$1" in
    --base)
      [[ $# -ge 2 && -n "$2" ]] || die "--base needs an image reference"
      BASE_REF="$2"
      shift
      ;;
    --no-build) BUILD=no ;;
    --rebuild) REBUILD=yes ;;
    --only)
      [[ "${2:-}" =~ ^(platform|web|edge|monitoring|node-firewall)$ ]] || die "--only takes platform, web, edge, monitoring or node-firewall"
      ONLY="$2"
      shift
      ;;
    --verbose) VERBOSE=yes ;;
    -h | --help)
      sed -n '/^# Usage:/,/^set -euo/{/^set/d; s/^# \{0,1\}//; p;}' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

log() { printf 'build-images: %s\n' "$*" >&2; }

# quietly CMD...: runs CMD with its output on stderr (--verbose) or kept and shown only if it fails.
quietly() {
  if [[ "$VERBOSE" == yes ]]; then
    "$@" >&2
    return
  fi
  local out
  out="$(mktemp)"
  if ! "$@" >"$out" 2>&1; then
    tail -n 60 "$out" >&2
    rm -f "$out"
    return 1
  fi
  rm -f "$out"
}

elapsed_since() { awk -v start="$1" -v end="$EPOCHREALTIME" 'BEGIN { printf "%.1f", end - start }'; }
image_mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'; }

# hash_tree DIR...: one hash of every file's path and content under the directories.
hash_tree() {
  local dir
  for dir in "$@"; do
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  done | sha256sum | cut -d' ' -f1
}

# workspace_manifests: the package.json of every workspace (npm ci checks them against the lockfile).
workspace_manifests() {
  local dir
  for dir in "$ROOT"/apps/*/ "$ROOT"/packages/*/; do
    [[ -f "$dir/package.json" ]] && printf '%s\n' "${dir#"$ROOT"/}package.json"
  done
}

# stage_platform DIR: the platform image's build context: the server's build and migrations and its
# production dependencies (npm ci --omit=dev for the server's workspace only, from npm's cache when it can).
stage_platform() {
  local stage="$1" app="$1/app" manifest
  mkdir -p "$app/apps/server" "$app/bin"
  cp "$ROOT/package.json" "$ROOT/package-lock.json" "$app/"
  while read -r manifest; do
    mkdir -p "$app/$(dirname "$manifest")"
    cp "$ROOT/$manifest" "$app/$manifest"
  done < <(workspace_manifests)
  (cd "$app" && quietly npm ci --omit=dev --workspace=@saas/server --ignore-scripts --prefer-offline \
    --no-audit --no-fund --loglevel=error) || die "npm ci of the server's production dependencies failed"
  # Only the server stays: the other workspaces were there for npm's sake, and links to them dangle.
  find "$app/apps" "$app/packages" -mindepth 1 -maxdepth 1 -not -path "$app/apps/server" -exec rm -rf {} +
  find "$app/node_modules" -xtype l -delete
  # Nothing reads source maps, type declarations or documentation at run time (licences stay).
  find "$app/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
    -o \( -iname '*.md' -not -iname 'licen[cs]e*' \) \) -delete
  cp -R "$ROOT/apps/server/dist" "$ROOT/apps/server/migrations" "$app/apps/server/"
  cp "$IMAGES_DIR/platform/entrypoint.mjs" "$IMAGES_DIR/platform/healthcheck.mjs" "$app/bin/"
  cp "$IMAGES_DIR/platform/Dockerfile" "$stage/"
}

# stage_web DIR: the SPA image's build context: both SPAs' builds and the nginx configuration.
stage_web() {
  local stage="$1"
  cp -R "$ROOT/apps/web/dist" "$stage/web"
  cp -R "$ROOT/apps/admin/dist" "$stage/admin"
  cp "$IMAGES_DIR/web/Dockerfile" "$IMAGES_DIR/web/nginx.conf" "$IMAGES_DIR/web/spa.conf" "$IMAGES_DIR/web/healthcheck.mjs" "$stage/"
}

platform_inputs() {
  local manifests
  mapfile -t manifests < <(workspace_manifests)
  (cd "$ROOT" && sha256sum package.json package-lock.json "${manifests[@]}")
  hash_tree "$IMAGES_DIR/platform" "$ROOT/apps/server/dist" "$ROOT/apps/server/migrations"
  declare -f stage_platform workspace_manifests
}

web_inputs() {
  hash_tree "$IMAGES_DIR/web" "$ROOT/apps/web/dist" "$ROOT/apps/admin/dist"
  declare -f stage_web
}

# stage_edge DIR: the edge image's build context: its own files (the app and SPAs come from the two images).
stage_edge() {
  cp "$IMAGES_DIR/edge/Dockerfile" "$IMAGES_DIR/edge/healthcheck.mjs" "$1/"
}

# The edge's inputs include the exact images it copies from.
edge_inputs() {
  hash_tree "$IMAGES_DIR/edge"
  printf '%s\n' "platform=$(docker image inspect --format '{{.Id}}' "saas-platform:$VERSION")" \
    "web=$(docker image inspect --format '{{.Id}}' "saas-web:$VERSION")"
  declare -f stage_edge
}

# The monitoring image's tools: its binary name -> the Debian package and binary it comes from (see MONITORING_BIN_DIR).
readonly -A MONITORING_TOOLS=(
  [prometheus]=prometheus:prometheus [promtool]=prometheus:promtool
  [alertmanager]=prometheus-alertmanager:prometheus-alertmanager
  [node-exporter]=prometheus-node-exporter:prometheus-node-exporter
  [postgres-exporter]=prometheus-postgres-exporter:prometheus-postgres-exporter
  [redis-exporter]=prometheus-redis-exporter:prometheus-redis-exporter
  [nginx-exporter]=prometheus-nginx-exporter:prometheus-nginx-exporter
  [mtail]=mtail:mtail
)
# Beside the binaries: Prometheus's web assets and Alertmanager's default notification templates (Debian's builds
# read them there, upstream's embed them).
readonly MONITORING_BIN_DIR="${MONITORING_BIN_DIR:-/usr/bin}" MONITORING_SHARE_DIR=/usr/share/prometheus

# monitoring_tools: "name path" per tool, sorted; dies unless each is installed and links glibc only (all the base has).
monitoring_tools() {
  local name path linked
  for name in $(printf '%s\n' "${!MONITORING_TOOLS[@]}" | LC_ALL=C sort); do
    path="$MONITORING_BIN_DIR/${MONITORING_TOOLS[$name]#*:}"
    [[ -x "$path" ]] || die "$path not found (apt-get install ${MONITORING_TOOLS[$name]%%:*})"
    # ldd names what a binary links; a static one is "not a dynamic executable".
    linked="$(ldd "$path" 2>&1 | awk '{ print $1 }' | grep -vxE 'linux-vdso\.so\.1|libc\.so\.6|/lib64/ld-linux-x86-64\.so\.2|not' | tr '\n' ' ' || true)"
    [[ -z "$linked" ]] || die "$path links libraries the base lacks: $linked"
    printf '%s %s\n' "$name" "$path"
  done
}

# tool_versions: the Debian packages' versions, for the image's org.odoo-saas.monitoring.tools label.
tool_versions() {
  local package
  for package in $(printf '%s\n' "${MONITORING_TOOLS[@]%%:*}" | LC_ALL=C sort -u); do
    printf '%s=%s ' "$package" "$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null || echo unknown)"
  done | sed 's/ $//'
}

# stage_monitoring DIR: the monitoring image's build context: the tools' binaries and shared files, its own files.
stage_monitoring() {
  local stage="$1" name path
  mkdir -p "$stage/bin" "$stage/share"
  while read -r name path; do cp "$path" "$stage/bin/$name"; done < <(monitoring_tools)
  chmod 755 "$stage/bin/"*
  [[ ! -d "$MONITORING_SHARE_DIR" ]] || cp -R "$MONITORING_SHARE_DIR/." "$stage/share/"
  cp "$IMAGES_DIR/monitoring/Dockerfile" "$IMAGES_DIR/monitoring/launcher.mjs" "$IMAGES_DIR/monitoring/healthcheck.mjs" "$stage/"
}

monitoring_inputs() {
  local name path
  while read -r name path; do printf '%s %s\n' "$name" "$(sha256sum <"$path" | cut -d' ' -f1)"; done < <(monitoring_tools)
  [[ ! -d "$MONITORING_SHARE_DIR" ]] || hash_tree "$MONITORING_SHARE_DIR"
  hash_tree "$IMAGES_DIR/monitoring"
  declare -f stage_monitoring
}

# The node firewall image's nft (package nftables) and the libraries it links beyond glibc, which the base has.
readonly NFT_BIN="${NFT_BIN:-/usr/sbin/nft}"

# nft_libraries: the absolute paths of the shared libraries nft links, glibc's own and the loader left out, sorted.
nft_libraries() {
  [[ -x "$NFT_BIN" ]] || die "$NFT_BIN not found (apt-get install nftables)"
  ldd "$NFT_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' \
    | grep -vE '/(libc|libm|libpthread|libdl|librt)\.so\.[0-9]+$' | LC_ALL=C sort -u
}

# stage_firewall DIR: the node firewall image's build context: rootfs/ with nft and its libraries, its Dockerfile.
stage_firewall() {
  local stage="$1" lib
  mkdir -p "$stage/rootfs/usr/sbin" "$stage/rootfs/usr/lib/x86_64-linux-gnu"
  cp "$NFT_BIN" "$stage/rootfs/usr/sbin/nft"
  # The base's /lib is a link to /usr/lib: each library goes to the real directory, under its linked name.
  while read -r lib; do cp -L "$lib" "$stage/rootfs/usr/lib/x86_64-linux-gnu/$(basename "$lib")"; done < <(nft_libraries)
  chmod -R u=rwX,go=rX "$stage/rootfs"
  cp "$IMAGES_DIR/node-firewall/Dockerfile" "$stage/"
}

firewall_inputs() {
  local lib
  sha256sum <"$NFT_BIN" | cut -d' ' -f1
  while read -r lib; do printf '%s %s\n' "$(basename "$lib")" "$(sha256sum <"$lib" | cut -d' ' -f1)"; done < <(nft_libraries)
  hash_tree "$IMAGES_DIR/node-firewall"
  declare -f stage_firewall nft_libraries
}

# Removes image $1 if nothing tags it any more (a build this script replaced); one still in use stays.
drop_if_untagged() {
  local id="$1" tags
  [[ -n "$id" ]] || return 0
  tags="$(docker image inspect --format '{{len .RepoTags}}' "$id" 2>/dev/null)" || return 0
  [[ "$tags" != 0 ]] || docker image rm "$id" >/dev/null 2>&1 || true
}

# build_image NAME KIND [BUILD-ARG...]: saas-<KIND>:$VERSION and :latest, unless an image with the same inputs exists.
build_image() {
  local name="$1" kind="$2" start="$EPOCHREALTIME" hash existing previous stage extra=()
  local arg
  for arg in "${@:3}"; do extra+=(--build-arg "$arg"); done
  hash="$(
    {
      printf '%s\n' "base=$BASE_ID" "version=$VERSION" "revision=$REVISION" "source=$SOURCE"
      "${kind}_inputs"
    } | sha256sum | cut -c1-32
  )"
  existing="$(docker image ls --quiet --no-trunc --filter "label=$HASH_LABEL=$hash" | head -n 1)"
  if [[ -n "$existing" && "$REBUILD" == no ]]; then
    docker tag "$existing" "$name:$VERSION"
    docker tag "$existing" "$name:latest"
    echo "$name:$VERSION up to date ($(elapsed_since "$start")s, $(image_mb "$name:$VERSION"))"
    return 0
  fi
  previous="$(docker image inspect --format '{{.Id}}' "$name:latest" 2>/dev/null || true)"
  stage="$(mktemp -d "${TMPDIR:-/var/tmp}/saas-image-$kind.XXXXXX")"
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$stage'" EXIT
  log "staging $name"
  "stage_$kind" "$stage"
  log "building $name:$VERSION FROM $BASE_REF"
  # The classic builder: it uses the local base as it is, and never looks for it in a registry.
  DOCKER_BUILDKIT=0 quietly docker build \
    --build-arg "BASE=$BASE_REF" --build-arg "VERSION=$VERSION" \
    --build-arg "REVISION=$REVISION" --build-arg "SOURCE=$SOURCE" "${extra[@]}" \
    --label "$HASH_LABEL=$hash" \
    --tag "$name:$VERSION" --tag "$name:latest" "$stage" || die "docker build of $name failed"
  rm -rf "$stage"
  trap - EXIT
  [[ "$previous" == "$(docker image inspect --format '{{.Id}}' "$name:latest")" ]] || drop_if_untagged "$previous"
  echo "$name:$VERSION built in $(elapsed_since "$start")s ($(image_mb "$name:$VERSION"))"
}

main() {
  umask 022
  export PATH="$ROOT/.tools/node/bin:$PATH"
  [[ "$(node --version 2>/dev/null)" == v24.* ]] || die "Node 24 is needed on PATH (npm run up installs it into .tools/node)"
  docker info >/dev/null 2>&1 || die "the Docker engine is not reachable"
  # One build at a time on a machine: two would race on the tags.
  exec 9>"$LOCK_FILE"
  flock -w 900 9 || die "another image build holds $LOCK_FILE"

  # The monitoring and node firewall images hold none of the apps' builds.
  if [[ "$ONLY" == monitoring || "$ONLY" == node-firewall ]]; then BUILD=skip; fi
  if [[ "$BUILD" == yes ]]; then
    log "npm run build"
    (cd "$ROOT" && quietly npm run build) || die "npm run build failed"
  fi
  local f
  [[ "$BUILD" == skip ]] || for f in apps/server/dist/main-api.js apps/server/dist/main-worker.js apps/server/dist/cli.js \
    apps/web/dist/index.html apps/admin/dist/index.html; do
    [[ -f "$ROOT/$f" ]] || die "$f is missing: run npm run build (or drop --no-build)"
  done

  local replaced_base=''
  if [[ -z "$BASE_REF" ]]; then
    local flags=()
    replaced_base="$(docker image inspect --format '{{.Id}}' saas-base:latest 2>/dev/null || true)"
    [[ "$REBUILD" == no ]] || flags+=(--rebuild)
    BASE_REF="$("$IMAGES_DIR/base/build-base-offline.sh" "${flags[@]}")" || die "the offline base could not be built"
  fi
  BASE_ID="$(docker image inspect --format '{{.Id}}' "$BASE_REF" 2>/dev/null)" || die "no base image $BASE_REF"
  VERSION="$(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).version' "$ROOT/apps/server/package.json")"
  [[ "$VERSION" =~ ^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$ ]] || die "apps/server/package.json's version '$VERSION' is not a valid tag"
  REVISION="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
  # A build from uncommitted changes says so: its content is not that commit's.
  if [[ "$REVISION" != unknown && -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ]]; then
    REVISION="$REVISION-dirty"
  fi
  SOURCE="${IMAGE_SOURCE:-$(git -C "$ROOT" config --get remote.origin.url 2>/dev/null || echo unknown)}"
  readonly BASE_REF BASE_ID VERSION REVISION SOURCE

  if [[ "$ONLY" != monitoring && "$ONLY" != node-firewall ]]; then
    [[ "$ONLY" == web ]] || build_image saas-platform platform
    [[ "$ONLY" == platform ]] || build_image saas-web web
  fi
  if [[ -z "$ONLY" || "$ONLY" == edge ]]; then
    # Just built or reused above; their image IDs are among the edge's inputs (one build at a time: the lock).
    build_image saas-edge edge "PLATFORM=saas-platform:$VERSION" "WEB=saas-web:$VERSION"
  fi
  if [[ -z "$ONLY" || "$ONLY" == monitoring ]]; then
    monitoring_tools >/dev/null # dies here (not in the subshells below) when a tool is missing
    build_image saas-monitoring monitoring "TOOL_VERSIONS=$(tool_versions)"
  fi
  if [[ -z "$ONLY" || "$ONLY" == node-firewall ]]; then
    nft_libraries >/dev/null # dies here (not in the subshells below) when nft is missing
    build_image saas-node-firewall firewall "NFT_VERSION=$(dpkg-query -W -f '${Version}' nftables 2>/dev/null || echo unknown)"
  fi
  # An offline base this run replaced, once the images built on it are gone.
  [[ "$replaced_base" == "$BASE_ID" ]] || drop_if_untagged "$replaced_base"
}

main
