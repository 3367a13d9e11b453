# shellcheck shell=bash
# The production host firewall: an nftables table of its own (deploy/firewall/nftables.conf.in,
# docs/firewall.md). Requires common.sh (and packages.sh for install_host_firewall). The production
# set-up calls install_host_firewall; npm run up and npm test never change the host's firewall.

HOST_FIREWALL_TEMPLATE="$ROOT/deploy/firewall/nftables.conf.in"
HOST_FIREWALL_FILE="${HOST_FIREWALL_FILE:-/etc/saas/host-firewall.nft}"
HOST_FIREWALL_UNIT=/etc/systemd/system/saas-host-firewall.service

_fw_cidr() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$ ]]; }
_fw_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && (("$1" >= 1 && "$1" <= 65535)); }

# render_host_firewall OUT: the ruleset for the loaded .env. Values (validated, so nothing else can
# reach the file): INSTANCE_SUBNET_POOL, TENANT_DB_PORT, EDGE_PORT, EDGE_HTTPS_PORT, the port of
# REDIS_URL, SSH_PORT (22) and PLATFORM_SOURCE_NETWORKS (comma-separated CIDRs of the platform's
# own containers, empty when the API and the worker run on the host).
render_host_firewall() {
  local out="$1"
  local pool="${INSTANCE_SUBNET_POOL:-10.213.0.0/16}" db_port="${TENANT_DB_PORT:-5432}" ssh_port="${SSH_PORT:-22}"
  local http="${EDGE_PORT:-80}" https="${EDGE_HTTPS_PORT:-443}" redis_port=6379
  if [[ "${REDIS_URL:-}" =~ ^rediss?://[^/]*:([0-9]+)(/|$) ]]; then redis_port="${BASH_REMATCH[1]}"; fi
  _fw_cidr "$pool" || die "host firewall: INSTANCE_SUBNET_POOL is not an IPv4 CIDR: $pool"
  local name value
  for name in db_port ssh_port http https redis_port; do
    value="${!name}"
    _fw_port "$value" || die "host firewall: bad port for $name: $value"
  done
  local edge="$http"
  [[ "$https" == "$http" ]] || edge="$http, $https"
  local sources="" cidr
  if [[ -n "${PLATFORM_SOURCE_NETWORKS:-}" ]]; then
    local list=()
    IFS=',' read -r -a list <<<"${PLATFORM_SOURCE_NETWORKS// /}"
    for cidr in "${list[@]}"; do
      _fw_cidr "$cidr" || die "host firewall: PLATFORM_SOURCE_NETWORKS has a bad CIDR: $cidr"
    done
    sources="		elements = { $(IFS=','; printf '%s' "${list[*]}" | sed 's/,/, /g') }"
  fi
  sed -e "s|@INSTANCE_SUBNET_POOL@|$pool|g" -e "s|@TENANT_DB_PORT@|$db_port|g" -e "s|@SSH_PORT@|$ssh_port|g" \
    -e "s|@EDGE_PORTS@|$edge|g" -e "s|@REDIS_PORT@|$redis_port|g" -e "s|^@PLATFORM_SOURCES_ELEMENTS@$|$sources|" \
    "$HOST_FIREWALL_TEMPLATE" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then die "host firewall: unfilled placeholder in $out"; fi
}

# check_host_firewall FILE: nft's check mode (parses and validates against the kernel, changes nothing).
check_host_firewall() {
  nft -c -f "$1"
}

# install_host_firewall: renders, checks, loads the table and makes it survive reboots
# (a systemd unit of its own: Debian's nftables.service would flush Docker's rules on reload).
install_host_firewall() {
  is_root || die "install_host_firewall must run as root"
  ensure_packages nftables
  local tmp
  tmp="$(mktemp)"
  render_host_firewall "$tmp"
  check_host_firewall "$tmp" || {
    rm -f "$tmp"
    die "host firewall: nft rejected the rendered ruleset"
  }
  install -D -m 600 "$tmp" "$HOST_FIREWALL_FILE"
  rm -f "$tmp"
  # Established connections (this SSH session included) are accepted first, so loading it cuts nothing live.
  nft -f "$HOST_FIREWALL_FILE" || die "host firewall: loading $HOST_FIREWALL_FILE failed"
  ok "host firewall loaded (nft list table inet saas_host)"
  if [[ -d /run/systemd/system ]]; then
    cat >"$HOST_FIREWALL_UNIT" <<UNIT
[Unit]
Description=Host firewall of the Odoo SaaS platform (nftables table inet saas_host)
Wants=network-pre.target
Before=network-pre.target docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f $HOST_FIREWALL_FILE
ExecReload=/usr/sbin/nft -f $HOST_FIREWALL_FILE
ExecStop=/usr/sbin/nft delete table inet saas_host

[Install]
WantedBy=multi-user.target
UNIT
    if ! { systemctl daemon-reload && systemctl enable saas-host-firewall.service >/dev/null; }; then
      die "host firewall: enabling saas-host-firewall.service failed"
    fi
    ok "host firewall enabled at boot (saas-host-firewall.service)"
  else
    warn "no systemd: load $HOST_FIREWALL_FILE at boot yourself (nft -f $HOST_FIREWALL_FILE)"
  fi
}

# remove_host_firewall: unloads the table and its unit.
remove_host_firewall() {
  is_root || die "remove_host_firewall must run as root"
  if [[ -f "$HOST_FIREWALL_UNIT" ]]; then
    systemctl disable --now saas-host-firewall.service >/dev/null 2>&1 || true
    rm -f "$HOST_FIREWALL_UNIT"
    systemctl daemon-reload || true
  fi
  nft delete table inet saas_host 2>/dev/null || true
  ok "host firewall removed"
}
