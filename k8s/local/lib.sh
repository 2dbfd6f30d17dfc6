# Shared by up.sh and down.sh (sourced, not run). Names, paths and the host-state helpers.

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LOCAL_DIR/../.." && pwd)

log() { printf '[k8s-local %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
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
