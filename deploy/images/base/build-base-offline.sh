#!/usr/bin/env bash
# The offline path of the platform's base image (Dockerfile here is the registry path): assembles the same
# contents without pulling anything and `docker import`s them as saas-base:<input hash>, also tagged
# saas-base:latest. From this Debian 12 host: Node 24 (the checkout's .tools/node, the official build), the
# PostgreSQL 15 client (pg_dump, pg_restore, psql; the worker dumps tenant databases), nginx and its
# mime.types (the SPA image, later the edge), the shared libraries they link and all of glibc's, CA
# certificates, and the `saas` user (uid/gid 10001). No shell and no package database: entry points are Node scripts.
# An image whose input-hash label matches is reused, so a second run only hashes its inputs.
#
# Usage: build-base-offline.sh [--rebuild]
#   --rebuild   ignore the cache
# Prints the image reference (saas-base:<hash>) on stdout; progress goes to stderr.
# Inputs can be pointed elsewhere: BASE_NODE (node binary), BASE_PG_BIN_DIR, BASE_NGINX.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
readonly HERE REPO
readonly IMAGE=saas-base STABLE_TAG=latest HASH_LABEL=org.odoo-saas.input-hash
readonly APP_UID=10001 NODE_MAJOR=24 PG_MAJOR=15
readonly PG_TOOLS=(pg_dump pg_restore psql)
readonly CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt MIME_TYPES=/etc/nginx/mime.types

log() { echo "build-base-offline: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

REBUILD=no
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=yes ;;
    *) die "unknown argument '$arg' (usage: build-base-offline.sh [--rebuild])" ;;
  esac
done

NODE_BIN="$(readlink -f "${BASE_NODE:-$REPO/.tools/node/bin/node}")"
PG_BIN_DIR="${BASE_PG_BIN_DIR:-/usr/lib/postgresql/$PG_MAJOR/bin}"
NGINX_BIN="$(readlink -f "${BASE_NGINX:-/usr/sbin/nginx}")"

[[ -x "$NODE_BIN" ]] || die "node not found at $NODE_BIN (npm run up installs it into .tools/node)"
node_version="$("$NODE_BIN" --version)"
[[ "$node_version" == "v$NODE_MAJOR."* ]] || die "$NODE_BIN is $node_version, the images need Node $NODE_MAJOR"
for tool in "${PG_TOOLS[@]}"; do
  # The real binaries, not Debian's /usr/bin Perl wrappers (the image has no Perl).
  [[ -x "$PG_BIN_DIR/$tool" ]] || die "$PG_BIN_DIR/$tool not found (apt-get install postgresql-client-$PG_MAJOR)"
done
pg_version="$("$PG_BIN_DIR/pg_dump" --version)"
[[ "$pg_version" =~ \)\ $PG_MAJOR\. ]] || die "$PG_BIN_DIR/pg_dump is '$pg_version', not PostgreSQL $PG_MAJOR"
[[ -x "$NGINX_BIN" ]] || die "nginx not found at $NGINX_BIN (apt-get install nginx)"
nginx_version="$("$NGINX_BIN" -v 2>&1)"
nginx_version="${nginx_version##*/}"
[[ -r "$MIME_TYPES" ]] || die "$MIME_TYPES not found (apt-get install nginx-common)"
[[ -r "$CA_BUNDLE" ]] || die "$CA_BUNDLE not found (apt-get install ca-certificates)"
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable"

binaries=("$NODE_BIN" "$NGINX_BIN")
for tool in "${PG_TOOLS[@]}"; do binaries+=("$PG_BIN_DIR/$tool"); done
# Every library the binaries link (ldd also names the dynamic loader), and all of glibc's, as in any Debian
# image: native addons of the app images link more of it (@node-rs/argon2 needs librt).
command -v dpkg >/dev/null || die "dpkg not found: the offline base is assembled on Debian 12"
mapfile -t libraries < <({
  for bin in "${binaries[@]}"; do ldd "$bin"; done | grep -oE '/[^ ]+'
  dpkg -L libc6 | grep -E '\.so(\.[0-9]+)*$' | grep -v /gconv/
} | sort -u)
((${#libraries[@]} > 5)) || die "found no libraries to copy"

# Inputs: each host file's path and content, and this folder's files (the layout and the image's settings).
INPUT_HASH="$(
  {
    for f in "${binaries[@]}" "${libraries[@]}" "$CA_BUNDLE" "$MIME_TYPES"; do
      printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
    (cd "$HERE" && sha256sum check-base.mjs build-base-offline.sh)
  } | sha256sum | cut -c1-16
)"
readonly REF="$IMAGE:$INPUT_HASH"

# Tagged base images only: a build FROM the base leaves intermediate images that inherit its labels.
existing="$(docker image ls --quiet --no-trunc --filter "reference=$IMAGE" --filter "label=$HASH_LABEL=$INPUT_HASH" | head -n 1)"
if [[ -n "$existing" && "$REBUILD" == no ]]; then
  docker tag "$existing" "$REF"
  docker tag "$existing" "$IMAGE:$STABLE_TAG"
  log "$REF is up to date"
  echo "$REF"
  exit 0
fi
previous="$(docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$IMAGE:$STABLE_TAG" 2>/dev/null || true)"

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/saas-base.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,usr/local/lib/saas,etc/ssl/certs,etc/nginx,tmp}
# Debian 12's merged /usr, so the paths ldd printed resolve the same way inside.
for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$ROOT/$dir"; done

cp "$NODE_BIN" "$ROOT/usr/local/bin/node"
cp "$NGINX_BIN" "$ROOT/usr/sbin/nginx"
mkdir -p "$ROOT/usr/lib/postgresql/$PG_MAJOR/bin"
for tool in "${PG_TOOLS[@]}"; do cp "$PG_BIN_DIR/$tool" "$ROOT/usr/lib/postgresql/$PG_MAJOR/bin/$tool"; done
for lib in "${libraries[@]}"; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
cp "$CA_BUNDLE" "$ROOT$CA_BUNDLE"
cp "$MIME_TYPES" "$ROOT$MIME_TYPES"
cp "$HERE/check-base.mjs" "$ROOT/usr/local/lib/saas/check-base.mjs"

cat >"$ROOT/etc/passwd" <<TXT
root:x:0:0:root:/root:/usr/sbin/nologin
saas:x:$APP_UID:$APP_UID:saas platform:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
TXT
cat >"$ROOT/etc/group" <<TXT
root:x:0:
saas:x:$APP_UID:
nogroup:x:65534:
TXT
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
chmod 755 "$ROOT/usr/local/bin/node" "$ROOT/usr/sbin/nginx" "$ROOT/usr/lib/postgresql/$PG_MAJOR/bin/"*
chmod 1777 "$ROOT/tmp"

# A reproducible tar (fixed order, owner and mtime): the same inputs give the same layer.
tar -C "$ROOT" --sort=name --mtime='2024-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -cf "$WORK/rootfs.tar" .

log "importing $REF (node $node_version, pg_dump $PG_MAJOR, nginx $nginx_version)"
docker import \
  --change "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/bin:/usr/sbin:/usr/bin LANG=C.UTF-8" \
  --change "USER $APP_UID:$APP_UID" \
  --change 'WORKDIR /' \
  --change 'CMD ["/usr/local/bin/node"]' \
  --change "LABEL org.opencontainers.image.title=saas-base org.opencontainers.image.description=\"Base of the platform's images (offline path): Node $NODE_MAJOR, PostgreSQL $PG_MAJOR client, nginx, CA certificates\" org.odoo-saas.base.node=$node_version org.odoo-saas.base.nginx=$nginx_version $HASH_LABEL=$INPUT_HASH" \
  --message "saas-base (offline path) $INPUT_HASH" \
  "$WORK/rootfs.tar" "$REF" >/dev/null
docker tag "$REF" "$IMAGE:$STABLE_TAG"
# The image this one replaced goes, unless something still uses it (a container, an app image built on it).
if [[ "$previous" =~ ^[0-9a-f]{16}$ && "$previous" != "$INPUT_HASH" ]]; then
  docker image rm "$IMAGE:$previous" >/dev/null 2>&1 || true
fi
echo "$REF"
