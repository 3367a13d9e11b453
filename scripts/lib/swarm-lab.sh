# shellcheck shell=bash source-path=SCRIPTDIR
# A Docker Swarm of N nodes on this one machine, for the swarm tests (docs/swarm-lab.md).
# Sourced, never executed; scripts/swarm-lab.sh is its command line.
#
# Each node is an extra dockerd in a network namespace of its own, linked by a veth to a bridge that lives in
# yet another namespace (a bridge in the host namespace would drop node-to-node traffic: br_netfilter and the
# host's DROP forward policy). The host gets one veth into that bridge, so it reaches every node's lab address.
# Everything carries the lab's name (LAB_NAME) so a lab never touches the host's dockerd, its iptables or its
# networks, and `lab_down` finds what a half-done bring-up left by name as well as through the state file.
# Messages go to stderr: stdout is kept for `status --json`.

LAB_NAME="${SWARM_LAB_NAME:-saaslab}"
LAB_SUBNET="${SWARM_LAB_SUBNET:-10.231.0.0/24}"
# Overlay networks are allocated from this pool. They only exist inside the node namespaces.
LAB_POOL="${SWARM_LAB_POOL:-10.232.0.0/16}"
LAB_NODES=3
LAB_MANAGERS=1
# dockerd's graceful stop waits on swarm peers; with a lost one that takes ~10 s, for nothing: the lab goes anyway.
LAB_STOP_TIMEOUT="${SWARM_LAB_STOP_TIMEOUT:-5}"
LAB_START_TIMEOUT="${SWARM_LAB_START_TIMEOUT:-40}"

_lab_say() { printf 'swarm-lab: %s\n' "$*" >&2; }
_lab_fail() {
  _lab_say "error: $*"
  return 1
}

# Derived names and paths. Interface names stay under 15 characters: the name has at most 8.
lab_run_dir() { printf '/run/%s\n' "$LAB_NAME"; }
lab_data_dir() { printf '/var/lib/%s\n' "$LAB_NAME"; }
lab_lock_file() { printf '/run/lock/%s.lock\n' "$LAB_NAME"; }
lab_state_file() { printf '%s/lab.env\n' "$(lab_run_dir)"; }
lab_bridge_ns() { printf '%s-br\n' "$LAB_NAME"; }
lab_node() { printf '%s-n%s\n' "$LAB_NAME" "$1"; }
lab_node_socket() { printf '%s/%s.sock\n' "$(lab_run_dir)" "$1"; }
lab_node_dir() { printf '%s/%s\n' "$(lab_run_dir)" "$1"; }
lab_host_addr() { printf '%s.1\n' "${LAB_SUBNET%.0/24}"; }
lab_node_addr() { printf '%s.%s\n' "${LAB_SUBNET%.0/24}" "$((10 + $1))"; }
lab_node_role() { if (($1 <= LAB_MANAGERS)); then echo manager; else echo worker; fi; }
# The index of a node given as "2", "n2" or "<name>-n2".
lab_node_index() {
  local i="${1##*n}"
  if [[ "$i" =~ ^[1-9]$ ]] && ((i <= LAB_NODES)); then
    echo "$i"
  else
    _lab_fail "no node '$1' in a lab of $LAB_NODES"
  fi
}

lab_validate() {
  [[ "$LAB_NAME" =~ ^[a-z][a-z0-9]{1,7}$ ]] || _lab_fail "lab name '$LAB_NAME' must be 2-8 of [a-z0-9], starting with a letter" || return 1
  _lab_is_cidr "$LAB_SUBNET" && [[ "$LAB_SUBNET" == *.0/24 ]] || _lab_fail "lab subnet '$LAB_SUBNET' must be a /24 such as 10.231.0.0/24" || return 1
  _lab_is_cidr "$LAB_POOL" || _lab_fail "overlay pool '$LAB_POOL' is not a CIDR" || return 1
  [[ "$LAB_NODES" =~ ^[1-9]$ ]] || _lab_fail "--nodes must be 1-9" || return 1
  [[ "$LAB_MANAGERS" =~ ^[1-9]$ ]] && ((LAB_MANAGERS <= LAB_NODES)) || _lab_fail "--managers must be 1-$LAB_NODES" || return 1
  # Numbers only: they go into arithmetic, where bash would evaluate anything else as an expression.
  [[ "$LAB_START_TIMEOUT" =~ ^[0-9]{1,3}$ && "$LAB_STOP_TIMEOUT" =~ ^[0-9]{1,3}$ ]] || _lab_fail "timeouts must be whole seconds" || return 1
  ! _lab_overlaps "$LAB_SUBNET" "$LAB_POOL" || _lab_fail "lab subnet $LAB_SUBNET overlaps the overlay pool $LAB_POOL" || return 1
}

# --- CIDR arithmetic ------------------------------------------------------------------------------------------
_lab_is_cidr() {
  local re='^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})$'
  [[ "$1" =~ $re ]] || return 1
  local i
  for i in 1 2 3 4; do ((BASH_REMATCH[i] <= 255)) || return 1; done
  ((BASH_REMATCH[5] <= 32))
}
# _lab_range CIDR: prints "first last" as integers.
_lab_range() {
  local ip="${1%/*}" len="${1#*/}" a b c d
  [[ "$1" == */* ]] || len=32
  IFS=. read -r a b c d <<<"$ip"
  local n=$(((a << 24) | (b << 16) | (c << 8) | d)) size=$((1 << (32 - len)))
  local first=$((n - n % size))
  echo "$first $((first + size - 1))"
}
_lab_overlaps() {
  local a1 a2 b1 b2
  read -r a1 a2 <<<"$(_lab_range "$1")"
  read -r b1 b2 <<<"$(_lab_range "$2")"
  ((a1 <= b2 && b1 <= a2))
}
# The lab subnet must not meet any route or address of the host (the host's docker networks have routes).
lab_check_subnet_free() {
  local dst
  while read -r dst _; do
    [[ "$dst" == default ]] && continue
    _lab_is_cidr "$dst" || [[ "$dst" =~ ^[0-9.]+$ ]] || continue
    if _lab_overlaps "$LAB_SUBNET" "$dst"; then
      _lab_fail "lab subnet $LAB_SUBNET overlaps the host route $dst (set --subnet or SWARM_LAB_SUBNET)"
      return 1
    fi
  done < <(ip -4 route show table all type unicast 2>/dev/null; ip -4 -o addr show | awk '{print $4}')
}

# --- state ----------------------------------------------------------------------------------------------------
lab_write_state() {
  mkdir -p "$(lab_run_dir)"
  printf 'LAB_NODES=%s\nLAB_MANAGERS=%s\nLAB_SUBNET=%s\nLAB_POOL=%s\n' \
    "$LAB_NODES" "$LAB_MANAGERS" "$LAB_SUBNET" "$LAB_POOL" >"$(lab_state_file)"
}
# Reads the state of a lab that is up; only keys we wrote, checked again by lab_validate.
lab_read_state() {
  local file key value
  file="$(lab_state_file)"
  [[ -r "$file" ]] || return 1
  while IFS='=' read -r key value; do
    case "$key" in
      LAB_NODES | LAB_MANAGERS | LAB_SUBNET | LAB_POOL) printf -v "$key" '%s' "$value" ;;
    esac
  done <"$file"
  lab_validate
}

# shellcheck source=swarm-lab-node.sh
. "$(dirname "${BASH_SOURCE[0]}")/swarm-lab-node.sh"

# --- docker client --------------------------------------------------------------------------------------------
# lab_docker INDEX ARGS...: the docker CLI against one node, bounded.
lab_docker() {
  local sock
  sock="$(lab_node_socket "$(lab_node "$1")")"
  shift
  env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY timeout 60 docker -H "unix://$sock" "$@"
}

# --- network --------------------------------------------------------------------------------------------------
lab_net_up() {
  local br host i ns
  br="$(lab_bridge_ns)"
  ip netns add "$br"
  ip -n "$br" link set lo up
  ip -n "$br" link add br0 type bridge
  ip -n "$br" link set br0 up
  # The host's way in: a veth with the lab's first address, its peer a port of the bridge.
  host="$LAB_NAME-h"
  ip link add "$host" type veth peer name "$host"b
  ip link set "$host"b netns "$br"
  ip -n "$br" link set "$host"b master br0 up
  ip addr add "$(lab_host_addr)/24" dev "$host"
  ip link set "$host" up
  for ((i = 1; i <= LAB_NODES; i++)); do
    ns="$(lab_node "$i")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$ns" type veth peer name "$ns"b
    ip link set "$ns" netns "$ns"
    ip -n "$ns" link set "$ns" name lab0
    ip -n "$ns" addr add "$(lab_node_addr "$i")/24" dev lab0
    ip -n "$ns" link set lab0 up
    ip link set "$ns"b netns "$br"
    ip -n "$br" link set "$ns"b master br0 up
  done
}

# --- swarm ----------------------------------------------------------------------------------------------------
lab_swarm_form() {
  local addr1 wtoken mtoken i role rc=0 pids=()
  addr1="$(lab_node_addr 1)"
  lab_docker 1 swarm init --advertise-addr "$addr1" --listen-addr "$addr1:2377" \
    --default-addr-pool "$LAB_POOL" --dispatcher-heartbeat 2s >/dev/null
  wtoken="$(lab_docker 1 swarm join-token -q worker)"
  mtoken="$(lab_docker 1 swarm join-token -q manager)"
  # Managers join one at a time (each is a Raft membership change); workers all at once.
  for ((i = 2; i <= LAB_NODES; i++)); do
    role="$(lab_node_role "$i")"
    if [[ "$role" == manager ]]; then
      _lab_join "$i" "$mtoken" "$addr1" || return 1
    else
      _lab_join "$i" "$wtoken" "$addr1" &
      pids+=("$!")
    fi
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  ((rc == 0)) || return 1
  lab_wait_ready "$LAB_NODES" 60
}
_lab_join() {
  local addr
  addr="$(lab_node_addr "$1")"
  lab_docker "$1" swarm join --token "$2" --advertise-addr "$addr" --listen-addr "$addr:2377" "$3:2377" >/dev/null
}

# lab_wait_ready COUNT SECONDS: until the first manager lists COUNT nodes as Ready.
lab_wait_ready() {
  local deadline=$((SECONDS + $2)) ready
  while :; do
    ready="$(lab_docker 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$')" || true
    ((ready >= $1)) && return 0
    ((SECONDS < deadline)) || {
      lab_docker 1 node ls >&2 || true
      _lab_fail "$ready of $1 nodes Ready after $2 s"
      return 1
    }
    sleep 0.3
  done
}

# lab_check_images IMAGE...: before anything is built, each image must be on the host's engine.
lab_check_images() {
  local img
  for img in "$@"; do
    [[ "$img" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || _lab_fail "bad image name '$img'" || return 1
    docker image inspect "$img" >/dev/null 2>&1 || _lab_fail "image $img is not on the host's engine" || return 1
  done
}

# lab_load_images IMAGE...: `docker save` once from the host's engine, loaded into every node at once.
lab_load_images() {
  (($# > 0)) || return 0
  local tar i rc=0 pids=()
  tar="$(lab_data_dir)/images.tar"
  timeout 120 docker save -o "$tar" "$@"
  for ((i = 1; i <= LAB_NODES; i++)); do
    lab_docker "$i" load -q -i "$tar" >/dev/null &
    pids+=("$!")
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  rm -f "$tar"
  ((rc == 0)) || _lab_fail "loading images into the nodes failed"
}

# --- up / down ------------------------------------------------------------------------------------------------
# lab_up IMAGE...: builds the lab; on failure the caller runs lab_down (scripts/swarm-lab.sh traps EXIT).
lab_up() {
  local i rc=0 pids=()
  lab_validate
  lab_check_images "$@"
  lab_leftovers_exist && {
    _lab_say "removing what an earlier $LAB_NAME lab left"
    lab_down
  }
  lab_check_subnet_free
  lab_write_state
  lab_net_up
  for ((i = 1; i <= LAB_NODES; i++)); do lab_daemon_start "$i"; done
  for ((i = 1; i <= LAB_NODES; i++)); do
    lab_daemon_wait "$i" &
    pids+=("$!")
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  ((rc == 0)) || return 1
  lab_swarm_form
  lab_load_images "$@"
}

lab_leftovers_exist() {
  [[ -e "$(lab_run_dir)" || -e "$(lab_data_dir)" ]] && return 0
  # Captured first: with pipefail, `ip ... | grep -q` can fail on SIGPIPE after a match.
  local netns links
  netns="$(ip netns list)"
  links="$(ip -o link show)"
  [[ $'\n'"$netns" == *$'\n'"$LAB_NAME"-* || "$links" == *": $LAB_NAME"-* ]]
}

# Unmounts what the daemons mounted under the lab's directories, deepest first.
lab_unmount_all() {
  local mp
  while read -r mp; do
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || _lab_say "could not unmount $mp"
  done < <(awk -v r="$(lab_run_dir)/" -v d="$(lab_data_dir)/" \
    'index($5, r) == 1 || index($5, d) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2-)
}

lab_mounts_left() {
  awk -v r="$(lab_run_dir)/" -v d="$(lab_data_dir)/" \
    'index($5, r) == 1 || index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# lab_down: idempotent, and works on whatever a failed bring-up left: it goes by names, not only by the state.
lab_down() {
  local i max=9 ns link pids=()
  [[ "$LAB_NAME" =~ ^[a-z][a-z0-9]{1,7}$ ]] || _lab_fail "bad lab name '$LAB_NAME'" || return 1
  # Every node index that may exist, so a node the state file does not know is stopped as well.
  local saved_nodes="$LAB_NODES"
  LAB_NODES=$max
  for ((i = 1; i <= max; i++)); do
    ns="$(lab_node "$i")"
    [[ -e "/run/netns/$ns" || -d "$(lab_node_dir "$ns")" || -d "$(lab_data_dir)/$ns" ]] || continue
    lab_stop_node "$i" &
    pids+=("$!")
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  LAB_NODES="$saved_nodes"
  lab_unmount_all
  for ((i = 1; i <= max; i++)); do
    ns="$(lab_node "$i")"
    find "/sys/fs/cgroup/$ns" /sys/fs/cgroup/*/"$ns" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  while read -r ns _; do
    [[ "$ns" == "$LAB_NAME"-* ]] && { ip netns delete "$ns" 2>/dev/null || _lab_say "could not delete namespace $ns"; }
  done < <(ip netns list)
  # Links left in the host namespace by a bring-up that stopped between creating and moving them.
  while read -r link; do
    ip link delete "$link" 2>/dev/null || true
  done < <(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep "^$LAB_NAME-" || true)
  if [[ -n "$(lab_mounts_left)" ]]; then
    _lab_fail "mounts left under the lab's directories; not deleting them: $(lab_mounts_left | tr '\n' ' ')"
    return 1
  fi
  rm -rf --one-file-system "$(lab_run_dir)" "$(lab_data_dir)"
}

# --- status ---------------------------------------------------------------------------------------------------
# lab_status [json]: one line (or JSON object) per node: name, address, socket, role, daemon pid, swarm status.
lab_status() {
  local i ns pid status rss swarm='' sep=''
  # From the first manager that answers: node 1 may be the one a test killed.
  for ((i = 1; i <= LAB_MANAGERS; i++)); do
    swarm="$(lab_docker "$i" node ls --format '{{.Hostname}} {{.Status}}/{{.Availability}}' 2>/dev/null)" && break
  done
  [[ "${1:-}" == json ]] && printf '{"name":"%s","subnet":"%s","hostAddress":"%s","nodes":[' "$LAB_NAME" "$LAB_SUBNET" "$(lab_host_addr)"
  for ((i = 1; i <= LAB_NODES; i++)); do
    ns="$(lab_node "$i")"
    pid="$(lab_daemon_pid "$i" || echo 0)"
    status="$(awk -v h="$ns" '$1 == h { print $2; exit }' <<<"$swarm")"
    rss="$(lab_node_rss_mib "$i")"
    if [[ "${1:-}" == json ]]; then
      printf '%s{"name":"%s","address":"%s","socket":"%s","role":"%s","pid":%s,"swarm":"%s","rssMiB":%s}' \
        "$sep" "$ns" "$(lab_node_addr "$i")" "$(lab_node_socket "$ns")" "$(lab_node_role "$i")" "$pid" "${status:-unknown}" "$rss"
      sep=,
    else
      printf '%-12s %-15s %-28s %-8s pid=%-7s %-16s %s MiB\n' "$ns" "$(lab_node_addr "$i")" "$(lab_node_socket "$ns")" \
        "$(lab_node_role "$i")" "$pid" "${status:-unknown}" "$rss"
    fi
  done
  [[ "${1:-}" == json ]] && printf ']}\n'
  return 0
}
