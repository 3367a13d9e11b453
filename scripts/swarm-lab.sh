#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A Docker Swarm of extra dockerd daemons in network namespaces on this machine, for the swarm tests.
# See docs/swarm-lab.md. Root only.
#
#   swarm-lab.sh up [--nodes 3] [--managers 1] [--images img1,img2] [--json]
#   swarm-lab.sh status [--json]
#   swarm-lab.sh kill <node> [--mode daemon|loss]
#   swarm-lab.sh restore <node>
#   swarm-lab.sh down
# Every command takes --name NAME (default saaslab, or SWARM_LAB_NAME); up also --subnet A.B.C.0/24 and
# --pool CIDR (or SWARM_LAB_SUBNET, SWARM_LAB_POOL). `up` replaces a lab of the same name.
set -euo pipefail
# dockerd and ip live in sbin, which a caller's PATH (a test runner's) may lack.
PATH="$PATH:/usr/sbin:/sbin"

# shellcheck source=lib/swarm-lab.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/swarm-lab.sh"

usage() {
  sed -n '5,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd="${1:-}"
[[ -n "$cmd" ]] || usage
shift
node='' mode=daemon json='' images=()
while (($# > 0)); do
  case "$1" in
    --nodes) LAB_NODES="${2:?}" && shift ;;
    --managers) LAB_MANAGERS="${2:?}" && shift ;;
    --images) IFS=, read -r -a images <<<"${2:?}" && shift ;;
    --name) LAB_NAME="${2:?}" && shift ;;
    --subnet) LAB_SUBNET="${2:?}" && shift ;;
    --pool) LAB_POOL="${2:?}" && shift ;;
    --mode) mode="${2:?}" && shift ;;
    --json) json=json ;;
    -h | --help) usage ;;
    -*) _lab_fail "unknown option $1" || usage ;;
    *)
      [[ -z "$node" ]] || usage
      node="$1"
      ;;
  esac
  shift
done

[[ "$(id -u)" -eq 0 ]] || { _lab_fail "must run as root (namespaces, dockerd)"; exit 1; }
lab_validate
for tool in ip nsenter unshare dockerd docker timeout flock setsid; do
  command -v "$tool" >/dev/null || { _lab_fail "$tool is not installed"; exit 1; }
done

# One command at a time per lab: `up` and `down` must not interleave.
lock() {
  mkdir -p "$(dirname "$(lab_lock_file)")"
  exec {LAB_LOCK_FD}>"$(lab_lock_file)"
  flock -w 180 "$LAB_LOCK_FD" || { _lab_fail "another swarm-lab command holds $(lab_lock_file)"; exit 1; }
}
# The lab must be up: its state file gives the node count, managers and subnet.
need_state() {
  lab_read_state || { _lab_fail "no $LAB_NAME lab is up"; exit 1; }
}
# elapsed START: seconds since START (EPOCHREALTIME digits without the separator, i.e. microseconds).
elapsed() {
  local now="${EPOCHREALTIME//[.,]/}" tenths
  tenths=$(((now - $1) / 100000))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

# A failed or interrupted bring-up leaves nothing behind.
up_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    _lab_say "bring-up failed; tearing the lab down"
    lab_down || true
  fi
  exit "$rc"
}

started="${EPOCHREALTIME//[.,]/}"
case "$cmd" in
  up)
    lock
    trap up_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    lab_up "${images[@]}"
    trap - EXIT INT TERM
    _lab_say "up in $(elapsed "$started") s: $LAB_NODES nodes, $LAB_MANAGERS manager(s)"
    lab_status "$json"
    ;;
  down)
    lock
    lab_down
    _lab_say "down in $(elapsed "$started") s"
    ;;
  status)
    need_state
    lab_status "$json"
    ;;
  kill | restore)
    lock
    need_state
    idx="$(lab_node_index "$node")"
    if [[ "$cmd" == kill ]]; then lab_kill "$idx" "$mode"; else lab_restore "$idx"; fi
    _lab_say "$cmd $(lab_node "$idx") in $(elapsed "$started") s"
    ;;
  *) usage ;;
esac
