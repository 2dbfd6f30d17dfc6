#!/usr/bin/env bash
# Takes away a worker node that join.sh added, as a machine leaving the cluster goes: its kubelet
# and kube-proxy are killed, its pods stopped through its containerd (CNI DEL in its namespace),
# its containerd stopped, then its mounts, network namespace, underlay and overlay links, cgroups
# and the host's conntrack entries for its pod subnet are removed. The Node object stays in the
# API (as it would for a machine that vanished); deleting it is the cluster user's business.
#
#   leave.sh <state-dir> <i>
# Safe to run more than once and after a half-finished join.sh. Exits non-zero if anything is left.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 && $2 =~ ^[1-9]$ ]] || die "usage: leave.sh <state-dir> <1-9>"
[[ -d $1 ]] || die "state dir $1 does not exist"
S=$(cd "$1" && pwd)
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -f $S/.labs-k8s-state && -f $S/host/cluster ]] || die "$S is not a state dir of up.sh"
# shellcheck source=/dev/null
source "$S/host/cluster"
NAME=w$2
W=$S/nodes/$NAME
line=$(awk -v n="$NAME" '$1 == n' "$S/host/workers" 2>/dev/null)
[[ -n $line ]] || {
  log "no worker $NAME in $S: nothing to do"
  exit 0
}
read -r _ NETNS UNDERLAY OVERLAY WORKER_POD_CIDR <<<"$line"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

stop KILL 0 "$NAME-kubelet" "$NAME-kube-proxy"
remove_pods "$NAME-containerd" "$W/containerd/containerd.sock"
stop TERM 30 "$NAME-containerd"
# The shims (their command lines name the worker's containerd socket) and the pods' processes.
worker_procs() {
  pgrep -f -- "-address $W/containerd/" || true
  [[ -n $CGROUP_ROOT ]] && cgroup_dirs "$CGROUP_ROOT/$NAME" | while read -r d; do cat "$d/cgroup.procs" 2>/dev/null; done
}
for ((i = 0; i < 30; i++)); do
  procs=$(worker_procs | sort -u)
  [[ -z $procs ]] && break
  # shellcheck disable=SC2086
  kill -KILL $procs 2>/dev/null
  sleep 0.1
done
unmount_under "$W"
ip netns del "$NETNS" 2>/dev/null
ip link del "$UNDERLAY" 2>/dev/null
ip link del "$OVERLAY" 2>/dev/null
underlay=100.71.${NAME#w}.0/24
command -v conntrack >/dev/null && for sel in "-s $WORKER_POD_CIDR" "-d $WORKER_POD_CIDR" "-r $WORKER_POD_CIDR" "-q $WORKER_POD_CIDR" "-s $underlay" "-d $underlay"; do
  # shellcheck disable=SC2086
  conntrack -D $sel >/dev/null 2>&1
done
if [[ -n $CGROUP_ROOT ]]; then
  for ((i = 0; i < 20; i++)); do
    left=$(cgroup_dirs "$CGROUP_ROOT/$NAME")
    [[ -z $left ]] && break
    while read -r d; do rmdir "$d" 2>/dev/null; done <<<"$left"
    sleep 0.1
  done
fi

leftovers=()
[[ -n $(mounts_under "$W") ]] && leftovers+=("mounts under $W")
[[ -n $(worker_procs) ]] && leftovers+=("processes: $(worker_procs | tr '\n' ' ')")
ip netns list | matches -w "$NETNS" && leftovers+=("network namespace $NETNS")
for l in "$UNDERLAY" "$OVERLAY"; do ip link show "$l" >/dev/null 2>&1 && leftovers+=("link $l"); done
[[ -n $CGROUP_ROOT && -n $(cgroup_dirs "$CGROUP_ROOT/$NAME") ]] && leftovers+=("cgroups $CGROUP_ROOT/$NAME")
if ((${#leftovers[@]})); then
  for l in "${leftovers[@]}"; do log "worker $NAME: left over: $l"; done
  exit 1
fi
rm -rf --one-file-system "$W"
sed -i "/^$NAME /d" "$S/host/workers"
# The last worker gone: the host's pod-to-pod rule and chain too (join.sh made them).
if [[ ! -s $S/host/workers ]]; then
  iptables-save -t nat | sed -n "s/^-A \(POSTROUTING .* -j $POD_TO_POD_CHAIN\)\$/\1/p" | while read -r rule; do
    eval "iptables -w -t nat -D $rule"
  done
  iptables -w -t nat -F "$POD_TO_POD_CHAIN" 2>/dev/null && iptables -w -t nat -X "$POD_TO_POD_CHAIN"
fi
log "worker $NAME gone"
