#!/usr/bin/env bash
# Takes down a cluster that up.sh brought up and undoes everything it changed on the host:
#
#   down.sh [<run-id>] <state-dir>
#
#  1. kubelet, kube-proxy and the control plane are killed (SIGKILL: their state is thrown away,
#     and what they leave on the host is removed below; kubelet first, as it would restart pods).
#     Then every pod sandbox is stopped and removed through the CRI (crictl), so that containerd
#     runs each pod's CNI DEL: veth, IP lease, portmap/firewall/masquerade rules.
#  2. containerd stops (SIGTERM, SIGKILL after 3 s), then any process whose environment has
#     LABS_RUN_ID=<run-id> (containerd's shims), then any process left in the pods' cgroups.
#  3. Every mount under the state dir goes (kubelet's rshared root, volumes, overlay rootfs,
#     sandbox /dev/shm, pod netns), then the bridge and any veth on it, then the KUBE-* and CNI-*
#     chains (iptables and ip6tables) with the rules that jump to them, and the nftables tables that
#     iptables-nft created for kube-proxy (if `nft` is installed), kube-proxy's nfacct counters (if
#     `nfacct` is), the pods' conntrack entries (if `conntrack` is), then the pods' cgroups.
#  4. Sysctls that differ from what up.sh recorded are put back; host paths that did not exist
#     before up.sh (/var/lib/kubelet, /var/log/containers, ...) are removed, and new, unused
#     shim sockets in /run/containerd/s.
#  5. The state dir is removed, unless something is still mounted under it.
# Safe to run more than once, and after a partial up.sh. Exits non-zero if anything is left.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case $# in
1) S=$1 ;;
2) S=$2 ;;
*) die "usage: down.sh [<run-id>] <state-dir>" ;;
esac
[[ -d $S ]] || {
  log "state dir $S does not exist: nothing to do"
  exit 0
}
S=$(cd "$S" && pwd)
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -f $S/.labs-k8s-state ]] || die "$S has no .labs-k8s-state: not a state dir of up.sh, left alone"
T0=$(date +%s%N)
if [[ -f $S/host/cluster ]]; then
  # shellcheck source=/dev/null
  source "$S/host/cluster"
else
  # up.sh stopped before it changed anything but the state dir itself.
  RUN_ID=${1:-}
  BRIDGE=
  CGROUP_ROOT=
fi
[[ $# -eq 1 || $1 == "$RUN_ID" ]] || die "run id $1 does not match the state dir's ($RUN_ID)"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

step() { log "$(printf '%5d ms  %s' $((($(date +%s%N) - T0) / 1000000)) "$*")"; }

# 0. worker nodes (join.sh), each as leave.sh takes one away.
if [[ -s $S/host/workers ]]; then
  while read -r name _; do
    "$LOCAL_DIR/leave.sh" "$S" "${name#w}" </dev/null || log "worker $name: leave.sh left something"
  done < <(cat "$S/host/workers")
  step "worker nodes gone"
fi

# 1. kubelet and the rest of Kubernetes, then the pods through the CRI.
stop KILL 0 kubelet
stop KILL 0 kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd
step "Kubernetes and etcd killed"
remove_pods containerd "$S/containerd/containerd.sock" && step "pods stopped and removed through the CRI"

# 2. containerd, shims, containers.
stop TERM 30 containerd
if [[ -n $RUN_ID ]]; then
  for pid in $(labelled_pids "$RUN_ID"); do kill -KILL "$pid" 2>/dev/null; done
fi
cgroup_procs() {
  [[ -n $CGROUP_ROOT ]] || return 0
  local d
  while read -r d; do cat "$d/cgroup.procs" 2>/dev/null; done < <(cgroup_dirs "$CGROUP_ROOT")
}
for ((i = 0; i < 30; i++)); do
  procs=$( (cgroup_procs; [[ -n $RUN_ID ]] && labelled_pids "$RUN_ID") | sort -u)
  [[ -z $procs ]] && break
  # shellcheck disable=SC2086
  kill -KILL $procs 2>/dev/null
  sleep 0.1
done
step "processes gone"

# 3. mounts under the state dir, deepest (latest) first; repeated for stacked mounts.
unmount_under

# The bridge and anything still attached to it.
if [[ -n $BRIDGE ]] && ip link show "$BRIDGE" >/dev/null 2>&1; then
  for veth in $(ip -o link show master "$BRIDGE" | awk -F': ' '{split($2, a, "@"); print a[1]}'); do
    ip link del "$veth" 2>/dev/null
  done
  ip link del "$BRIDGE"
fi

# iptables: rules in other chains that jump to KUBE-*/CNI-* chains, then those chains; one
# iptables-restore transaction per front end, or one command at a time if that fails.
iptables_cleanup() { # front end, e.g. iptables or ip6tables
  local t=$1 saved input table line chains
  saved=$("$t-save" 2>/dev/null) || return 0
  input=$(awk '
    function flush() {
      if (n + m == 0) return
      print table
      for (i = 1; i <= n; i++) print del[i]
      for (i = 1; i <= m; i++) print "-F " chain[i]
      for (i = 1; i <= m; i++) print "-X " chain[i]
      print "COMMIT"
    }
    /^\*/ { table = $0; n = 0; m = 0; next }
    /^:(KUBE-|CNI-)/ { chain[++m] = substr($1, 2); next }
    /^-A (KUBE-|CNI-)/ { next }
    /^-A / && / -[jg] (KUBE-|CNI-)/ { sub(/^-A /, "-D "); del[++n] = $0; next }
    /^COMMIT/ { flush() }
  ' <<<"$saved")
  [[ -n $input ]] || return 0
  "$t-restore" --noflush -w <<<"$input" 2>/dev/null && return 0
  log "$t-restore failed; deleting rule by rule"
  while IFS= read -r line; do
    case $line in
    \**) table=${line#\*} ;;
    "-A KUBE-"* | "-A CNI-"*) ;;
    "-A "*" -j KUBE-"* | "-A "*" -j CNI-"* | "-A "*" -g KUBE-"* | "-A "*" -g CNI-"*)
      eval "\"$t\" -w -t \"$table\" -D ${line#-A }" 2>/dev/null || log "$t: could not delete: -t $table $line"
      ;;
    esac
  done <<<"$saved"
  chains=$(cluster_chains "$t")
  [[ -n $chains ]] || return 0
  while read -r table c; do "$t" -w -t "$table" -F "$c" 2>/dev/null; done <<<"$chains"
  while read -r table c; do "$t" -w -t "$table" -X "$c" 2>/dev/null || log "$t: could not delete chain -t $table $c"; done <<<"$chains"
}
for t in iptables ip6tables; do command -v "$t" >/dev/null && iptables_cleanup "$t"; done
# The legacy back end only if its tables are in use (reading them must not load the modules).
[[ -s /proc/net/ip_tables_names ]] && command -v iptables-legacy >/dev/null && iptables_cleanup iptables-legacy
[[ -s /proc/net/ip6_tables_names ]] && command -v ip6tables-legacy >/dev/null && iptables_cleanup ip6tables-legacy
# Tables that iptables-nft created on kube-proxy's behalf, once nothing is left in them.
if [[ -f $S/host/nft-tables ]] && command -v nft >/dev/null; then
  nft list tables | while read -r _ family name; do
    grep -qx "table $family $name" "$S/host/nft-tables" && continue
    case $family in ip) save=iptables-save ;; ip6) save=ip6tables-save ;; *) continue ;; esac
    # Empty: no rules, and no chains but the built-in ones with policy ACCEPT.
    if [[ -z $("$save" -t "$name" 2>/dev/null | grep -E '^(-A |:)' |
      grep -vE '^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT') ]]; then
      nft delete table "$family" "$name" || log "could not delete nft table $family $name"
    else
      log "nft table $family $name was created during the run but is not empty: left in place"
    fi
  done
fi
# kube-proxy's nfacct counters (deletable once no rule uses them).
command -v nfacct >/dev/null || log "no nfacct tool (Debian: nfacct): kube-proxy's nfacct counters are left"
command -v nft >/dev/null || log "no nft tool (Debian: nftables): empty nft tables made for kube-proxy are left"
if [[ -f $S/host/nfacct ]] && command -v nfacct >/dev/null; then
  for name in ct_state_invalid_dropped_pkts localhost_nps_accepted_pkts; do
    grep -qxF "$name" "$S/host/nfacct" && continue
    nfacct get "$name" >/dev/null 2>&1 || continue
    nfacct delete "$name" >/dev/null 2>&1 || log "could not delete nfacct object $name"
  done
fi
# Connection-tracking entries of the pods and services (else they live on until they time out).
if [[ -n ${POD_CIDR:-} ]] && command -v conntrack >/dev/null; then
  for sel in "-s $POD_CIDR" "-d $POD_CIDR" "-r $POD_CIDR" "-q $POD_CIDR" "-d $SERVICE_CIDR"; do
    # shellcheck disable=SC2086
    conntrack -D $sel >/dev/null 2>&1
  done
fi
step "mounts, bridge, iptables, nfacct and conntrack cleaned"

# The pods' cgroups.
if [[ -n $CGROUP_ROOT ]]; then
  for ((i = 0; i < 20; i++)); do
    left=$(cgroup_dirs "$CGROUP_ROOT")
    [[ -z $left ]] && break
    while read -r d; do rmdir "$d" 2>/dev/null; done <<<"$left"
    [[ -z $(cgroup_dirs "$CGROUP_ROOT") ]] && break
    sleep 0.1
  done
fi

# 4. sysctls and host paths.
if [[ -f $S/host/sysctls ]]; then
  while IFS='=' read -r k v; do
    cur=$(sysctl -n "$k" 2>/dev/null) || continue
    [[ $cur == "$v" ]] || sysctl -qw "$k=$v" >/dev/null 2>&1 || log "could not restore $k=$v (is $cur)"
  done <"$S/host/sysctls"
fi
if [[ -f $S/host/absent-paths ]]; then
  while read -r p; do
    [[ -e $p ]] || continue
    case $p in
    /run/containerd | /run/containerd/s | /run/netns) ;; # shared with Docker's containerd / ip netns: emptied below
    *) rm -rf --one-file-system "$p" ;;
    esac
  done <"$S/host/absent-paths"
fi
# kubelet's /var/log/containers symlinks point into our pod-logs dir.
if [[ -d /var/log/containers ]]; then
  find /var/log/containers -maxdepth 1 -type l -lname "$S/*" -delete 2>/dev/null
fi
# libcni's result cache (containerd cannot move it): our network's entries and new loopback ones.
if [[ -d /var/lib/cni/results && -f $S/host/cni-results ]]; then
  for f in /var/lib/cni/results/*; do
    [[ -e $f ]] || continue
    grep -qxF "$(basename "$f")" "$S/host/cni-results" && continue
    case $(basename "$f") in "labs-$RUN_ID-"* | cni-loopback-*) rm -f "$f" ;; esac
  done
fi
# Shim sockets that were not there before and that no process listens on any more.
if [[ -d /run/containerd/s && -f $S/host/shim-sockets ]]; then
  listening=$(ss -xlH 2>/dev/null | awk '{print $5}')
  for sock in /run/containerd/s/*; do
    [[ -e $sock ]] || continue
    grep -qx "$(basename "$sock")" "$S/host/shim-sockets" && continue
    grep -qxF "$sock" <<<"$listening" && continue
    rm -f "$sock"
  done
fi
if [[ -f $S/host/absent-paths ]]; then
  for p in /run/containerd/s /run/containerd /run/netns; do
    grep -qx "$p" "$S/host/absent-paths" && rmdir "$p" 2>/dev/null
  done
fi

# 5. the state dir, and a check that nothing is left.
leftovers=()
[[ -n $(mounts_under) ]] && leftovers+=("mounts under $S: $(mounts_under | tr '\n' ' ')")
[[ -n $RUN_ID && -n $(labelled_pids "$RUN_ID") ]] && leftovers+=("processes with LABS_RUN_ID=$RUN_ID: $(labelled_pids "$RUN_ID" | tr '\n' ' ')")
[[ -n $BRIDGE ]] && ip link show "$BRIDGE" >/dev/null 2>&1 && leftovers+=("bridge $BRIDGE")
[[ -s $S/host/workers ]] && leftovers+=("worker nodes: $(cut -d' ' -f1 "$S/host/workers" | tr '\n' ' ')")
for t in iptables ip6tables; do
  [[ -n $(cluster_chains "$t") ]] && leftovers+=("$t chains: $(cluster_chains "$t" | tr '\n' ' ')")
done
[[ -n $CGROUP_ROOT && -n $(cgroup_dirs "$CGROUP_ROOT") ]] && leftovers+=("cgroups $CGROUP_ROOT")
if ((${#leftovers[@]})); then
  for l in "${leftovers[@]}"; do log "left over: $l"; done
  [[ -z $(mounts_under) ]] && rm -rf --one-file-system "$S"
  exit 1
fi
rm -rf --one-file-system "$S"
log "down in $((($(date +%s%N) - T0) / 1000000)) ms; host clean"
