#!/usr/bin/env bash
# Builds Odoo Community images odoo-local:<version> from the minimal source
# bundles in shared/odoo/, without any container registry:
#   1. odoo-local-base:bookworm: a Debian bookworm root filesystem made by
#      mmdebstrap with packages.txt (+ rtlcss from npm), `docker import`ed.
#   2. odoo-local:<version>: that base plus the bundle's odoo/ package,
#      built with the legacy builder from ./Dockerfile.
# Each image carries an input-hash label; an image whose inputs are unchanged
# is reused, so a second run only hashes its inputs.
#
# Usage: build-odoo-image.sh [--source-dir DIR] [--rebuild] [--verbose] VERSION...
#   VERSION           17.0 and/or 18.0; bundle DIR/odoo-<VERSION>-minimal.tar.xz
#   --source-dir DIR  default: $ODOO_SOURCE_DIR, else <repo>/../shared/odoo
#   --rebuild         ignore the cache: bootstrap the base again (picks up
#                     Debian's latest updates) and rebuild the versions
#   --verbose         show mmdebstrap's and docker build's output
# Prints one line per image (built / up to date, timing, size) on stdout;
# progress goes to stderr.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
readonly SCRIPT_DIR REPO_DIR

readonly SUPPORTED_VERSIONS=(17.0 18.0)
readonly BASE_REPO=odoo-local-base BASE_TAG=bookworm
readonly IMAGE_REPO=odoo-local
readonly HASH_LABEL=io.odoo-local.input-hash
readonly DEBIAN_SUITE=bookworm
readonly DEBIAN_MIRROR=http://deb.debian.org/debian
readonly DEBIAN_SECURITY_MIRROR=http://deb.debian.org/debian-security
# Files of this folder that go into each image; part of the input hashes.
readonly BASE_FILES=(packages.txt dpkg-nodoc.cfg base-customize.sh)
readonly VERSION_FILES=(Dockerfile entrypoint.sh wait-for-psql.py odoo.conf)

usage() {
    sed -n '/^# Usage:/,/^set -euo/{/^set/d; s/^# \{0,1\}//; p;}' "${BASH_SOURCE[0]}"
}

die() {
    echo "build-odoo-image: error: $*" >&2
    exit 1
}

log() {
    echo "build-odoo-image: $*" >&2
}

# Seconds elapsed since $1 (an $EPOCHREALTIME value), one decimal.
elapsed_since() {
    awk -v start="$1" -v end="$EPOCHREALTIME" 'BEGIN { printf "%.1f", end - start }'
}

human_size() {
    awk -v bytes="$1" 'BEGIN { printf "%.0f MB", bytes / 1000000 }'
}

image_size() {
    docker image inspect --format '{{.Size}}' "$1"
}

# ID of the newest image labelled with input hash $1, or nothing.
image_with_hash() {
    docker image ls --quiet --no-trunc --filter "label=$HASH_LABEL=$1" | head -n 1
}

# Removes image $1 if nothing tags it any more (a build this script replaced).
# It may still be used by containers or child images; then it stays.
drop_if_untagged() {
    local id=$1 tags out
    [[ -n "$id" ]] || return 0
    tags=$(docker image inspect --format '{{len .RepoTags}}' "$id" 2>/dev/null) || return 0
    if [[ "$tags" == 0 ]] && ! out=$(docker image rm "$id" 2>&1); then
        log "kept the replaced image ${id#sha256:}: ${out##*Error response from daemon: }"
    fi
}

wait_for_docker() {
    local tries=0
    until docker info >/dev/null 2>&1; do
        ((tries++ < 60)) || die "the Docker engine is not answering (docker info failed for 120 s)"
        ((tries > 1)) || log "waiting for the Docker engine..."
        sleep 2
    done
}

# Installs Debian package $1 unless command $2 exists.
ensure_tool() {
    local package=$1 command=$2
    command -v "$command" >/dev/null && return 0
    log "installing $package"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -q)
    if ! "${apt[@]}" install -y --no-install-recommends "$package" >/dev/null; then
        "${apt[@]}" update >/dev/null
        "${apt[@]}" install -y --no-install-recommends "$package" >/dev/null
    fi
}

find_npm() {
    local bundled=$REPO_DIR/.tools/node/bin/npm
    if [[ -x "$bundled" ]]; then
        echo "$bundled"
    elif command -v npm >/dev/null; then
        command -v npm
    else
        die "npm not found (looked for $bundled and on PATH); it fetches rtlcss"
    fi
}

package_list() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$SCRIPT_DIR/packages.txt" | paste -sd, -
}

# --- base image -------------------------------------------------------------

base_input_hash() {
    {
        printf '%s\n' "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR"
        (cd "$SCRIPT_DIR" && cat "${BASE_FILES[@]}")
        declare -f build_base
    } | sha256sum | cut -d' ' -f1
}

# build_base HASH WORKDIR: bootstraps the root filesystem and imports it.
build_base() {
    local hash=$1 work=$2 npm nodoc customize verbosity=--quiet
    [[ "$VERBOSE" == no ]] || verbosity=--verbose
    npm=$(find_npm)
    # One apt transaction, no recommends, no docs/man pages/translations.
    # The path-excludes go in after the essential set: given as --dpkgopt,
    # mmdebstrap pipes every essential package through a filter process,
    # which costs half a minute; base-customize.sh sweeps those few files.
    # force-unsafe-io skips dpkg's fsyncs (a throwaway chroot; Debian's own
    # container images ship the same setting).
    nodoc="cp $(printf '%q' "$SCRIPT_DIR/dpkg-nodoc.cfg") \"\$1/etc/dpkg/dpkg.cfg.d/90odoo-local-nodoc\""
    customize="$(printf '%q' "$SCRIPT_DIR/base-customize.sh") \"\$1\""
    TMPDIR=$work ODOO_IMAGE_NPM=$npm mmdebstrap \
        --variant=minbase \
        --include="$(package_list)" \
        --aptopt='APT::Install-Recommends "false"' \
        --aptopt='APT::Install-Suggests "false"' \
        --aptopt='Acquire::Languages "none"' \
        --aptopt='Acquire::Retries "3"' \
        --dpkgopt='force-unsafe-io' \
        --essential-hook="$nodoc" \
        --customize-hook="$customize" \
        "$verbosity" \
        "$DEBIAN_SUITE" "$work/rootfs.tar" \
        "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" \
        "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
        "deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main" >&2

    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["bash"]' \
        --change "LABEL org.opencontainers.image.title=\"Debian $DEBIAN_SUITE with Odoo's dependencies (odoo-local base)\"" \
        --change "LABEL $HASH_LABEL=$hash" \
        --message "mmdebstrap $DEBIAN_SUITE minbase + deploy/odoo-image/packages.txt" \
        "$work/rootfs.tar" "$BASE_REPO:$BASE_TAG-${hash:0:12}" >/dev/null
    rm -f "$work/rootfs.tar"
}

# Makes sure the base image for the current inputs exists and sets BASE_REF
# to its hash-specific tag (what the versions are built FROM).
ensure_base() {
    local work=$1 hash id=
    local start=$EPOCHREALTIME
    hash=$(base_input_hash)
    BASE_REF=$BASE_REPO:$BASE_TAG-${hash:0:12}
    remember_previous "$BASE_REPO:$BASE_TAG"
    remember_previous "$BASE_REF"
    [[ "$REBUILD" == yes ]] || id=$(image_with_hash "$hash")
    if [[ -n "$id" ]]; then
        docker tag "$id" "$BASE_REF"
        docker tag "$id" "$BASE_REPO:$BASE_TAG"
        echo "$BASE_REPO:$BASE_TAG up to date ($(elapsed_since "$start")s, $(human_size "$(image_size "$id")"))"
    else
        ensure_tool mmdebstrap mmdebstrap
        log "building $BASE_REPO:$BASE_TAG (Debian $DEBIAN_SUITE, $(package_list | tr ',' '\n' | wc -l) packages)"
        build_base "$hash" "$work"
        docker tag "$BASE_REF" "$BASE_REPO:$BASE_TAG"
        echo "$BASE_REPO:$BASE_TAG built in $(elapsed_since "$start")s ($(human_size "$(image_size "$BASE_REF")"))"
    fi
}

# Notes the image that tag $1 points to now, to remove it at the end if
# this run moved the tag away from it.
remember_previous() {
    local id
    id=$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null) || return 0
    PREVIOUS_IMAGES=("$id" "${PREVIOUS_IMAGES[@]}")
}

# --- per-version images ------------------------------------------------------

bundle_path() {
    echo "$SOURCE_DIR/odoo-$1-minimal.tar.xz"
}

version_input_hash() {
    local version=$1 base_hash=$2
    {
        echo "version=$version base=$base_hash"
        sha256sum <"$(bundle_path "$version")"
        (cd "$SCRIPT_DIR" && cat "${VERSION_FILES[@]}")
        declare -f build_version
    } | sha256sum | cut -d' ' -f1
}

# build_version VERSION HASH BASE_REF BASE_HASH WORKDIR
build_version() {
    local version=$1 hash=$2 base_ref=$3 base_hash=$4 work=$5
    local ctx=$work/context-$version src release
    src=$ctx/source
    mkdir -p "$src"
    tar -xJf "$(bundle_path "$version")" -C "$src" --strip-components=1 --no-same-owner
    [[ -f "$src/odoo/__init__.py" && -f "$src/odoo-bin" ]] ||
        die "$(bundle_path "$version") does not hold odoo-<version>/odoo/ and odoo-bin"
    grep -Eq "^version_info = \(${version%%.*}, ${version#*.}," "$src/odoo/release.py" ||
        die "$(bundle_path "$version") is not Odoo $version (see odoo/release.py)"
    release=$(sed -n 's/^Version: //p' "$src/PKG-INFO" 2>/dev/null)
    mv "$src/odoo" "$src/odoo-bin" "$ctx/"
    rm -rf "$src"
    (cd "$SCRIPT_DIR" && cp "${VERSION_FILES[@]}" "$ctx/")
    chmod 0755 "$ctx/odoo-bin" "$ctx/entrypoint.sh" "$ctx/wait-for-psql.py"
    chmod 0644 "$ctx/odoo.conf"

    local log=$work/build-$version.log
    [[ "$VERBOSE" == no ]] || log=/dev/stderr
    if ! DOCKER_BUILDKIT=0 docker build --force-rm \
        --build-arg "BASE_IMAGE=$base_ref" \
        --build-arg "ODOO_VERSION=$version" \
        --build-arg "ODOO_RELEASE=${release:-$version}" \
        --build-arg "INPUT_HASH=$hash" \
        --build-arg "BASE_HASH=$base_hash" \
        --tag "$IMAGE_REPO:$version" \
        "$ctx" >"$log" 2>&1; then
        [[ "$VERBOSE" == yes ]] || tail -n 30 "$log" >&2
        die "docker build of $IMAGE_REPO:$version failed (output above)"
    fi
    rm -rf "$ctx"
}

ensure_version() {
    local version=$1 work=$2 base_hash hash id=
    local start=$EPOCHREALTIME
    base_hash=$(docker image inspect --format "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$BASE_REF")
    hash=$(version_input_hash "$version" "$base_hash")
    remember_previous "$IMAGE_REPO:$version"
    [[ "$REBUILD" == yes ]] || id=$(image_with_hash "$hash")
    if [[ -n "$id" ]]; then
        docker tag "$id" "$IMAGE_REPO:$version"
        echo "$IMAGE_REPO:$version up to date ($(elapsed_since "$start")s, $(human_size "$(image_size "$id")"))"
    else
        log "building $IMAGE_REPO:$version from $(bundle_path "$version")"
        build_version "$version" "$hash" "$BASE_REF" "$base_hash" "$work"
        echo "$IMAGE_REPO:$version built in $(elapsed_since "$start")s ($(human_size "$(image_size "$IMAGE_REPO:$version")"))"
    fi
}

# --- main ---------------------------------------------------------------------

cleanup() {
    local work=$1
    [[ -d "$work" ]] || return 0
    # An interrupted mmdebstrap may leave /proc, /sys or /dev mounted in its
    # chroot: unmount them, and never let rm cross into another filesystem.
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$work"
}

main() {
    SOURCE_DIR=${ODOO_SOURCE_DIR:-$REPO_DIR/../shared/odoo}
    REBUILD=no
    VERBOSE=no
    local versions=() version supported
    while (($#)); do
        case "$1" in
            --source-dir) (($# >= 2)) || die "--source-dir needs a directory"; SOURCE_DIR=$2; shift 2 ;;
            --source-dir=*) SOURCE_DIR=${1#*=}; shift ;;
            --rebuild) REBUILD=yes; shift ;;
            -v | --verbose) VERBOSE=yes; shift ;;
            -h | --help) usage; exit 0 ;;
            -*) die "unknown option $1 (see --help)" ;;
            *) versions+=("$1"); shift ;;
        esac
    done
    ((${#versions[@]})) || { usage >&2; die "no version given"; }
    for version in "${versions[@]}"; do
        supported=no
        [[ " ${SUPPORTED_VERSIONS[*]} " == *" $version "* ]] && supported=yes
        [[ "$supported" == yes ]] || die "unsupported version '$version' (supported: ${SUPPORTED_VERSIONS[*]})"
        [[ -f "$(bundle_path "$version")" ]] ||
            die "source bundle for Odoo $version not found: $(bundle_path "$version") (set --source-dir or ODOO_SOURCE_DIR)"
    done

    command -v docker >/dev/null || die "docker is not installed"
    wait_for_docker

    # One build at a time on this machine: concurrent runs would bootstrap the
    # same base twice and race on the tags.
    local lock=/var/tmp/odoo-local-image-build.lock
    exec 9>"$lock"
    if ! flock -n 9; then
        log "another build holds $lock; waiting"
        flock 9
    fi

    WORK=$(mktemp -d /var/tmp/odoo-image-build.XXXXXX)
    # shellcheck disable=SC2064 # expand WORK now
    trap "cleanup '$WORK'" EXIT
    trap 'exit 130' INT TERM

    PREVIOUS_IMAGES=()
    ensure_base "$WORK"
    local -A seen=()
    for version in "${versions[@]}"; do
        [[ -z "${seen[$version]:-}" ]] || continue
        seen[$version]=1
        ensure_version "$version" "$WORK"
    done
    # Newest first, so replaced versions go before the base they were built on.
    # Images of earlier runs that a container still used then are untagged
    # ones with our label.
    local id tag
    for id in "${PREVIOUS_IMAGES[@]}" \
        $(docker image ls --quiet --no-trunc --filter dangling=true --filter "label=$HASH_LABEL"); do
        drop_if_untagged "$id"
    done
    # Bases of earlier inputs, once no image of ours is built on them.
    for tag in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$BASE_REPO"); do
        [[ "$tag" == "$BASE_REPO:$BASE_TAG-"* && "$tag" != "$BASE_REF" ]] || continue
        docker image rm "$tag" >/dev/null 2>&1 ||
            log "kept $tag: an image or container still uses it"
    done
}

main "$@"
