# Shared by up.sh and down.sh (sourced, not run). Names, paths and the host-state helpers.

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LOCAL_DIR/../.." && pwd)

log() { printf '[k8s-local %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# `producer | matches PATTERN…`: grep -q on the producer's whole output. With pipefail, a plain
# `| grep -q` fails when grep exits at its first match while the producer still writes (SIGPIPE):
# `ip addr` on a host busy with other runs' interfaces did exactly that.
matches() {
  local text
  text=$(cat)
  grep -q "$@" <<<"$text"
}

# Sysctls that a component of the cluster may set on the host, recorded by up.sh and put back by
# down.sh: kubelet's setupKernelTunables (overcommit, panic, keys), kube-proxy's conntrack and
# route_localnet settings (turned off in its config, recorded all the same), the bridge plugin's
# ip_forward.
HOST_SYSCTLS=(
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.all.route_localnet
  net.ipv6.conf.all.forwarding
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_tcp_be_liberal
  net.netfilter.nf_conntrack_udp_timeout net.netfilter.nf_conntrack_udp_timeout_stream
)

# Host paths that kubelet, containerd or the CNI plugins create outside the state dir whatever
# they are told: kubelet's device-plugin socket (/var/lib/kubelet/device-plugins/kubelet.sock is
# a constant) and its /var/log/containers symlinks, containerd's shim sockets (/run/containerd/s),
# libcni's result cache (/var/lib/cni). up.sh records which of them existed; down.sh removes the
# ones that did not.
HOST_PATHS=(
  /var/lib/kubelet /var/log/containers /var/log/pods /run/containerd /run/containerd/s
  /var/lib/cni /etc/cni /opt/cni /opt/containerd /var/run/kubernetes /run/netns
)

iptables_tools() { # the iptables front ends present on this host
  local t
  for t in iptables ip6tables iptables-legacy ip6tables-legacy; do
    command -v "$t" >/dev/null 2>&1 && echo "$t"
  done
}

# Chains of kube-proxy and the CNI plugins, for one front end: "table chain" lines.
cluster_chains() {
  "$1-save" 2>/dev/null | awk '/^\*/{t=substr($1,2)} /^:(KUBE-|CNI-)/{print t, substr($1,2)}'
}

# Every directory of the cluster's cgroup root in every hierarchy, deepest first.
cgroup_dirs() { # $1 = cgroup root name
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d $h$1 ]] && find "$h$1" -depth -type d
  done
}

# Makes a cgroup (a path below the hierarchies' roots) in every hierarchy whose parent exists; a
# cpuset cgroup takes its parent's cpus and mems (it is unusable empty).
make_cgroup() { # $1 = path, e.g. labs-<run-id>-k8s or labs-<run-id>-k8s/w1
  local h parent
  for h in /sys/fs/cgroup/*/; do
    parent=$(dirname "$h$1")
    [[ -d $parent ]] || continue
    mkdir -p "$h$1"
    if [[ -f $parent/cpuset.cpus ]]; then
      cat "$parent/cpuset.cpus" >"$h$1/cpuset.cpus"
      cat "$parent/cpuset.mems" >"$h$1/cpuset.mems"
    fi
  done
}

# Processes whose environment carries LABS_RUN_ID=<id>, except this script's own session and
# ancestors (the caller may carry the same variable).
labelled_pids() { # $1 = run id
  local self_sid ancestors p f pid sid
  self_sid=$(ps -o sid= -p $$ | tr -d ' ')
  ancestors=" "
  p=$$
  while [[ -n $p && $p -gt 1 ]]; do
    ancestors+="$p "
    p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
  done
  for f in $(grep -lsxzF "LABS_RUN_ID=$1" /proc/[0-9]*/environ 2>/dev/null); do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ $ancestors == *" $pid "* ]] && continue
    sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
    [[ -z $sid || $sid == "$self_sid" ]] && continue # gone, or this script's own
    echo "$pid"
  done
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

wait_for() { # description timeout-seconds command...
  local what=$1 limit=$2 deadline
  shift 2
  deadline=$(($(date +%s%N) + limit * 1000000000))
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s%N) > deadline)); then
      log "timed out after ${limit}s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

# Processes that up.sh or join.sh started ($S/pids/<name>), for down.sh and leave.sh.
pid_of() { # name -> pid, if that process is still the one up.sh or join.sh started
  local f=$S/pids/$1 pid
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ -n $pid ]] && running "$pid" || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "LABS_RUN_ID=$RUN_ID" || return 1
  echo "$pid"
}
running() { # pid... : true if any is alive (a zombie is not: PID 1 here may reap late)
  local p st
  for p in "$@"; do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    st=${st##*) }
    [[ ${st%% *} != Z ]] && return 0
  done
  return 1
}
stop() { # signal grace-tenths name... : send the signal, wait, SIGKILL what is left
  local sig=$1 tenths=$2 name pids=() pid i
  shift 2
  for name in "$@"; do
    pid=$(pid_of "$name") && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  kill "-$sig" "${pids[@]}" 2>/dev/null
  for ((i = 0; i < tenths; i++)); do
    running "${pids[@]}" || return 0
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  for ((i = 0; i < 40; i++)); do
    running "${pids[@]}" || return 0
    sleep 0.05
  done
}
mounts_under() { # [dir, default $S]: mount points at or under it, deepest (latest) first
  awk -v s="${1:-$S}" '{ m = $5; gsub(/\\040/, " ", m); if (m == s || index(m, s "/") == 1) print m }' /proc/self/mountinfo | tac
}
unmount_under() { # [dir, default $S]; repeated for stacked mounts
  local i m mp
  for ((i = 0; i < 10; i++)); do
    m=$(mounts_under "${1:-$S}")
    [[ -z $m ]] && return 0
    while IFS= read -r mp; do
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null
    done <<<"$m"
  done
}
# Stops and removes every pod sandbox of a node through the CRI, so that its containerd runs each
# pod's CNI DEL (veth, IP lease, portmap/firewall/masquerade rules). False if that containerd is gone.
remove_pods() { # containerd's pid name, its socket
  local crictl cri pods
  pid_of "$1" >/dev/null && [[ -S $2 ]] || return 1
  crictl=$(cat "$S/host/bin" 2>/dev/null)/crictl
  if [[ ! -x $crictl ]]; then
    log "no crictl found: pods are not stopped through the CRI (their CNI DEL is skipped)"
    return 0
  fi
  cri=("$crictl" --runtime-endpoint "unix://$2" --timeout 10s)
  pods=$("${cri[@]}" pods -q 2>/dev/null)
  [[ -n $pods ]] || return 0
  # shellcheck disable=SC2086
  "${cri[@]}" stopp $pods >/dev/null 2>&1 || log "crictl stopp failed for some pods"
  # shellcheck disable=SC2086
  "${cri[@]}" rmp -f $pods >/dev/null 2>&1 || log "crictl rmp failed for some pods"
}

# join.sh's chain that keeps pod-to-pod traffic between nodes unmasqueraded (host side).
POD_TO_POD_CHAIN=CNI-LABS-POD-TO-POD
