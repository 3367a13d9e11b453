# shellcheck shell=bash
# System packages (Debian/apt). Requires common.sh.

# Tools the scripts themselves call, besides the services.
BASE_PACKAGES=(ca-certificates curl openssl postgresql redis-server nginx docker.io nftables)

_apt_updated=0

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# ensure_packages [EXTRA...]: installs whatever of BASE_PACKAGES + EXTRA is missing.
# shellcheck disable=SC2120 # the extras are optional
ensure_packages() {
  local pkg missing=()
  command -v dpkg-query >/dev/null || die "dpkg not found: these scripts support Debian 12 only"
  for pkg in "${BASE_PACKAGES[@]}" "$@"; do
    pkg_installed "$pkg" || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0

  if ! is_root; then
    die "missing system packages: ${missing[*]}
  install them as root:  apt-get install -y ${missing[*]}"
  fi
  info "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ((_apt_updated == 0)); then
    apt-get update -qq || die "apt-get update failed"
    _apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null ||
    die "apt-get install failed for: ${missing[*]}"
  ok "installed ${missing[*]}"
}
