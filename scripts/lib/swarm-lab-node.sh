# shellcheck shell=bash
# One node of the swarm lab: its dockerd, its processes, stopping and failing it. Sourced by swarm-lab.sh,
# whose names and settings (lab_node, lab_node_dir, LAB_*...) it uses.

# --- daemons --------------------------------------------------------------------------------------------------
# lab_daemon_start INDEX: starts the node's dockerd detached, inside its namespace and a UTS namespace named after it.
lab_daemon_start() {
  local ns dir data
  ns="$(lab_node "$1")"
  dir="$(lab_node_dir "$ns")"
  data="$(lab_data_dir)/$ns"
  mkdir -p "$dir/exec" "$data"
  # Its own engine key: with the host's, every node would claim the same engine ID.
  printf '{\n  "deprecated-key-path": "%s/key.json",\n  "shutdown-timeout": 5\n}\n' "$data" >"$dir/daemon.json"
  printf '\n=== %s starting %s\n' "$(date -Is)" "$ns" >>"$dir/dockerd.log"
  # nsenter, not `ip netns exec`: the latter remounts /sys, and dockerd then fails on the devices cgroup.
  # The daemon must not inherit the command's lock (LAB_LOCK_FD): it would hold it for its whole life.
  # shellcheck disable=SC2016 # $1 and $@ belong to the inner bash: the hostname and dockerd's command line.
  (if [[ -n "${LAB_LOCK_FD:-}" ]]; then exec {LAB_LOCK_FD}>&-; fi
  exec setsid nsenter --net="/run/netns/$ns" -- unshare --uts -- \
    bash -c 'printf %s "$1" >/proc/sys/kernel/hostname && shift && exec "$@"' lab-node "$ns" \
    dockerd --config-file "$dir/daemon.json" --data-root "$data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" -H "unix://$(lab_node_socket "$ns")" --cgroup-parent "/$ns" --bridge none \
    </dev/null >>"$dir/dockerd.log" 2>&1) &
  printf '%s\n' "$!" >"$dir/launch.pid"
  # Not a job of this shell: it outlives the command, and its end is not the shell's news.
  disown "$!"
}

# The node's dockerd pid, if it runs (its pid file or the pid we launched, checked against its command line).
lab_daemon_pid() {
  local ns dir pid file cmdline
  ns="$(lab_node "$1")"
  dir="$(lab_node_dir "$ns")"
  for file in "$dir/dockerd.pid" "$dir/launch.pid"; do
    pid="$(cat "$file" 2>/dev/null)" || continue
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || continue
    if [[ "$cmdline" == *"--exec-root $dir/exec "* ]] && _lab_alive "$pid"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

# lab_daemon_wait INDEX: until the node answers on its socket; fails at once if its dockerd died.
# The deadline is checked before each try, so a timeout of 0 always fails (the failed-bring-up test).
lab_daemon_wait() {
  local deadline=$((SECONDS + LAB_START_TIMEOUT)) ns
  ns="$(lab_node "$1")"
  while :; do
    ((SECONDS < deadline)) || {
      tail -n 15 "$(lab_node_dir "$ns")/dockerd.log" >&2
      _lab_fail "dockerd of $ns did not answer within ${LAB_START_TIMEOUT}s"
      return 1
    }
    lab_docker "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
    if ! lab_daemon_pid "$1" >/dev/null; then
      sleep 0.3
      lab_daemon_pid "$1" >/dev/null || {
        tail -n 15 "$(lab_node_dir "$ns")/dockerd.log" >&2
        _lab_fail "dockerd of $ns exited (log above)"
        return 1
      }
    fi
    sleep 0.2
  done
}

# Processes of a node: in its namespace (dockerd, containerd, shims, docker-proxy), in its cgroups
# (containers) or naming its run directory (shims and containerd of a node whose namespace is gone).
lab_node_pids() {
  local ns dir
  ns="$(lab_node "$1")"
  dir="$(lab_node_dir "$ns")"
  {
    [[ -e "/run/netns/$ns" ]] && ip netns pids "$ns" 2>/dev/null
    find "/sys/fs/cgroup/$ns" /sys/fs/cgroup/*/"$ns" -name cgroup.procs -exec cat {} + 2>/dev/null
    # The last character in brackets, so that grep's own command line does not match.
    grep -l -- "${dir%?}[${dir: -1}]/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
  } | sort -un || true
}

# The node's containers only (its cgroups).
lab_container_pids() {
  find "/sys/fs/cgroup/$(lab_node "$1")" /sys/fs/cgroup/*/"$(lab_node "$1")" -name cgroup.procs -exec cat {} + 2>/dev/null |
    sort -un || true
}

# Sockets of the node's containerd shims: they live outside the lab's directories (/run/containerd/s/), and a
# killed shim leaves its socket behind. Unix sockets belong to a network namespace, so the node's namespace
# lists exactly its own.
lab_shim_sockets() {
  local pid
  pid="$(ip netns pids "$(lab_node "$1")" 2>/dev/null)" || true
  pid="${pid%%$'\n'*}"
  [[ -n "$pid" ]] || return 0
  awk '$8 ~ /^\/run\/containerd\/s\/[0-9a-f]+$/ { print $8 }' "/proc/$pid/net/unix" 2>/dev/null | sort -u || true
}
_lab_remove_sockets() {
  local sock
  for sock in "$@"; do [[ -S "$sock" ]] && rm -f "$sock"; done
  return 0
}

# A zombie counts as gone: whoever reaps the lab's orphans (the host's init) may take its time.
_lab_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# _lab_wait_gone SECONDS PID...: true once none of the pids runs any more.
_lab_wait_gone() {
  local deadline=$((SECONDS + $1)) pid alive
  shift
  while :; do
    alive=0
    for pid in "$@"; do _lab_alive "$pid" && alive=1 && break; done
    ((alive == 0)) && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# lab_stop_node INDEX: containers killed, dockerd stopped (TERM, then KILL after LAB_STOP_TIMEOUT), rest killed.
lab_stop_node() {
  local pid pids sockets
  mapfile -t sockets < <(lab_shim_sockets "$1")
  mapfile -t pids < <(lab_container_pids "$1")
  ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
  if pid="$(lab_daemon_pid "$1")"; then
    kill -TERM "$pid" 2>/dev/null || true
    _lab_wait_gone "$LAB_STOP_TIMEOUT" "$pid" || {
      _lab_say "dockerd of $(lab_node "$1") ignored TERM for ${LAB_STOP_TIMEOUT}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    }
  fi
  mapfile -t pids < <(lab_node_pids "$1")
  ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
  _lab_wait_gone 10 "${pids[@]}" || _lab_say "processes of $(lab_node "$1") still alive after KILL: ${pids[*]}"
  _lab_remove_sockets "${sockets[@]}"
}

# --- failures -------------------------------------------------------------------------------------------------
# lab_kill INDEX MODE: "daemon" kill -9s the node's dockerd (its containerd dies with it; shims and containers run on);
# "loss" also takes its link down and kills everything of the node, as a machine that vanished.
lab_kill() {
  local pid pids sockets
  case "$2" in
    daemon)
      pid="$(lab_daemon_pid "$1")" || _lab_fail "dockerd of $(lab_node "$1") is not running" || return 1
      kill -KILL "$pid"
      _lab_wait_gone 5 "$pid"
      ;;
    loss)
      ip -n "$(lab_node "$1")" link set lab0 down
      mapfile -t sockets < <(lab_shim_sockets "$1")
      mapfile -t pids < <(lab_node_pids "$1")
      ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
      _lab_wait_gone 10 "${pids[@]}"
      _lab_remove_sockets "${sockets[@]}"
      ;;
    *) _lab_fail "kill mode must be daemon or loss, not '$2'" ;;
  esac
}

# lab_restore INDEX: link up, dockerd started again; it rejoins the swarm from its own state.
lab_restore() {
  ip -n "$(lab_node "$1")" link set lab0 up
  if ! lab_daemon_pid "$1" >/dev/null; then
    lab_daemon_start "$1"
  fi
  lab_daemon_wait "$1"
}

# --- memory ---------------------------------------------------------------------------------------------------
# RSS of the node's own processes (dockerd, containerd, shims), containers excluded, in MiB.
lab_node_rss_mib() {
  local pid kb total=0 containers
  containers=" $(lab_container_pids "$1" | tr '\n' ' ') "
  while read -r pid; do
    [[ "$containers" == *" $pid "* ]] && continue
    kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" || continue
    total=$((total + ${kb:-0}))
  done < <(lab_node_pids "$1")
  echo $((total / 1024))
}
