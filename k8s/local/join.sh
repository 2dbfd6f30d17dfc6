#!/usr/bin/env bash
# Adds a worker node to a cluster that up.sh brought up, on the same host: the worker has a network
# namespace of its own (its own addresses, routes, iptables, cni0 bridge), a containerd, a kubelet
# and a kube-proxy of its own, all running in that namespace. The two nodes are joined as two
# machines of a cluster would be: an underlay link (a veth pair, 100.71.<i>.0/24) and, over it,
# a VXLAN overlay that carries pod-to-pod traffic between the nodes' pod subnets (as flannel's
# vxlan backend does), without masquerading pod addresses.
#
#   join.sh <state-dir> <i>      i = 1..9: node labs-<run-id>-w<i>, pod subnet <POD_CIDR with third octet i>
#
# K8S_WORKER_IMAGES (optional): image archives (`docker save`), colon-separated, imported into the
# worker's containerd before its kubelet starts, so that pods placed there at once (a DaemonSet's)
# find their images (pods use imagePullPolicy: Never: there is no registry).
#
# The worker registers with the taint labs.io/worker=true:NoSchedule, so that only pods that
# tolerate it land there. Its configuration is derived from the first node's (paths, names,
# addresses swapped). Everything it makes is under <state-dir>/nodes/w<i>, in its namespace, or
# recorded in <state-dir>/host/workers for down.sh (and leave.sh) to remove.
# Prints KEY=value lines: WORKER_NAME, WORKER_IP, WORKER_GATEWAY (the host's underlay address), WORKER_POD_CIDR, WORKER_NETNS, WORKER_UNDERLAY
# (host end of the underlay), WORKER_OVERLAY (host's VXLAN device), WORKER_CONTAINERD_ADDRESS,
# JOIN_TO_READY_MS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 && $2 =~ ^[1-9]$ ]] || die "usage: join.sh <state-dir> <1-9>"
S=$(cd "$1" && pwd)
I=$2
[[ -f $S/cluster.env ]] || die "$S has no cluster.env: no cluster is up there"
# shellcheck source=/dev/null
source "$S/cluster.env"
# shellcheck source=/dev/null
source "$S/host/cluster"
[[ $POD_CIDR == */24 ]] || die "join.sh needs a /24 POD_CIDR (is $POD_CIDR)"
NAME=w$I
W=$S/nodes/$NAME
WORKER=$NODE_NAME-$NAME
NETNS=labs-$RUN_ID-$NAME
UNDERLAY=k8s-$NAME
OVERLAY=k8s-vx$I
HOST_UNDERLAY_IP=100.71.$I.1
WORKER_IP=100.71.$I.2
IFS=. read -r a b _ _ <<<"${POD_CIDR%/*}"
CLUSTER_CIDR=$a.$b.0.0/16
POD_TO_POD_MATCH=(-s "$CLUSTER_CIDR" -d "$CLUSTER_CIDR" -m mark ! --mark 0x4000/0x4000)
HOST_POD_NET=${POD_CIDR%/*}
WORKER_POD_NET=$a.$b.$I.0
WORKER_POD_CIDR=$WORKER_POD_NET/24
[[ $WORKER_POD_CIDR != "$POD_CIDR" ]] || die "worker $I would have the first node's pod subnet"
HOST_MAC=02:6c:61:62:00:00
WORKER_MAC=02:6c:61:62:00:0$I
[[ ! -e $W ]] || die "worker $NAME exists (state $W)"
ip netns list | matches -w "$NETNS" && die "network namespace $NETNS exists"
ip link show "$UNDERLAY" >/dev/null 2>&1 && die "link $UNDERLAY exists"
ip link show "$OVERLAY" >/dev/null 2>&1 && die "link $OVERLAY exists"

T0=$(date +%s%N)
export LABS_RUN_ID=$RUN_ID
export PATH=$BIN_DIR:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$W"/{config,containerd,runc,cni/net.d,cni/ipam,kubelet,pod-logs,pki,kubeconfig}
# Recorded before anything is made, so that down.sh removes a half-made worker too.
echo "$NAME $NETNS $UNDERLAY $OVERLAY $WORKER_POD_CIDR" >>"$S/host/workers"
JOINED=0
on_exit() {
  local rc=$?
  [[ $JOINED == 1 ]] && return
  log "join failed (exit $rc); last lines of the worker's logs:"
  for f in "$S"/logs/"$NAME"-*.log; do
    [[ -s $f ]] && { echo "----- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }
  done
  "$LOCAL_DIR/leave.sh" "$S" "$I" >&2 || true
  exit $((rc ? rc : 1))
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
in_ns() { ip netns exec "$NETNS" "$@"; }

# --- the "machine": a network namespace, an underlay link to the host, a VXLAN overlay ---------
ip netns add "$NETNS"
ip link add "$UNDERLAY" mtu 1550 type veth peer name eth0 netns "$NETNS"
ip addr add "$HOST_UNDERLAY_IP/24" dev "$UNDERLAY"
ip link set "$UNDERLAY" up
in_ns ip link set lo up
in_ns ip addr add "$WORKER_IP/24" dev eth0
in_ns ip link set eth0 up
in_ns ip route add default via "$HOST_UNDERLAY_IP"
in_ns sysctl -qw net.ipv4.ip_forward=1
# VXLAN over the underlay (MTU 1550 - 50 = 1500 inside), one device per side, VNI = i.
ip link add "$OVERLAY" type vxlan id "$I" local "$HOST_UNDERLAY_IP" remote "$WORKER_IP" dstport 4789 dev "$UNDERLAY"
ip link set "$OVERLAY" address "$HOST_MAC" up
ip addr add "$HOST_POD_NET/32" dev "$OVERLAY"
ip neigh replace "$WORKER_POD_NET" lladdr "$WORKER_MAC" dev "$OVERLAY" nud permanent
ip route add "$WORKER_POD_CIDR" via "$WORKER_POD_NET" dev "$OVERLAY" onlink
in_ns ip link add vxlan0 type vxlan id "$I" local "$WORKER_IP" remote "$HOST_UNDERLAY_IP" dstport 4789 dev eth0
in_ns ip link set vxlan0 address "$WORKER_MAC" up
in_ns ip addr add "$WORKER_POD_NET/32" dev vxlan0
in_ns ip neigh replace "$HOST_POD_NET" lladdr "$HOST_MAC" dev vxlan0 nud permanent
in_ns ip route add "$POD_CIDR" via "$HOST_POD_NET" dev vxlan0 onlink
# Pod to pod keeps its addresses: the bridge plugin masquerades everything leaving its own subnet,
# so an earlier rule accepts pod-to-pod traffic in nat POSTROUTING, except what kube-proxy marked
# for masquerading (0x4000: a pod reaching itself through a Service), as flannel does. leave.sh
# removes it with the last worker, down.sh with every CNI-* chain.
for ns in host worker; do
  run=()
  [[ $ns == worker ]] && run=(ip netns exec "$NETNS")
  "${run[@]}" iptables -w -t nat -N "$POD_TO_POD_CHAIN" 2>/dev/null || true
  "${run[@]}" iptables -w -t nat -C "$POD_TO_POD_CHAIN" -j ACCEPT 2>/dev/null ||
    "${run[@]}" iptables -w -t nat -A "$POD_TO_POD_CHAIN" -j ACCEPT
  "${run[@]}" iptables -w -t nat -C POSTROUTING "${POD_TO_POD_MATCH[@]}" -j "$POD_TO_POD_CHAIN" 2>/dev/null ||
    "${run[@]}" iptables -w -t nat -I POSTROUTING 1 "${POD_TO_POD_MATCH[@]}" -j "$POD_TO_POD_CHAIN"
done

# --- credentials and configuration, derived from the first node's -------------------------------
P=$S/pki
openssl ecparam -name prime256v1 -genkey -noout -out "$W/pki/kubelet.key" 2>/dev/null
openssl req -new -key "$W/pki/kubelet.key" -subj "/O=system:nodes/CN=system:node:$WORKER" 2>/dev/null |
  openssl x509 -req -CA "$P/ca.crt" -CAkey "$P/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 3650 -sha256 \
    -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n') \
    -out "$W/pki/kubelet.crt" 2>/dev/null
chmod 600 "$W/pki/kubelet.key"
# Inside the namespace 127.0.0.1 is the worker's own: the apiserver is reached at the node IP.
sed -e "s|server: https://127.0.0.1:|server: https://$NODE_IP:|" \
  -e "s|client-certificate-data: .*|client-certificate-data: $(base64 -w0 "$W/pki/kubelet.crt")|" \
  -e "s|client-key-data: .*|client-key-data: $(base64 -w0 "$W/pki/kubelet.key")|" \
  "$S/kubeconfig/kubelet.kubeconfig" >"$W/kubeconfig/kubelet.kubeconfig"
sed -e "s|server: https://127.0.0.1:|server: https://$NODE_IP:|" "$S/kubeconfig/kube-proxy.kubeconfig" >"$W/kubeconfig/kube-proxy.kubeconfig"
chmod 600 "$W"/kubeconfig/*
for f in containerd.toml crictl.yaml; do
  sed -e "s|$S/containerd|$W/containerd|g" -e "s|$S/runc|$W/runc|g" -e "s|$S/cni|$W/cni|g" "$S/config/$f" >"$W/config/$f"
done
sed -e "s|\"name\": \"labs-$RUN_ID\"|\"name\": \"labs-$RUN_ID-$NAME\"|" -e "s|$S/cni|$W/cni|g" \
  -e "s|\"subnet\": \"$POD_CIDR\"|\"subnet\": \"$WORKER_POD_CIDR\"|" \
  "$S/cni/net.d/10-labs.conflist" >"$W/cni/net.d/10-labs.conflist"
{
  sed -e "s|^cgroupRoot: .*|cgroupRoot: /$CGROUP_ROOT/$NAME|" -e "s|$S/containerd|$W/containerd|g" \
    -e "s|^podLogsDir: .*|podLogsDir: $W/pod-logs|" "$S/config/kubelet.yaml"
  printf 'registerWithTaints:\n- key: labs.io/worker\n  value: "true"\n  effect: NoSchedule\n'
} >"$W/config/kubelet.yaml"
sed -e "s|^  kubeconfig: .*|  kubeconfig: $W/kubeconfig/kube-proxy.kubeconfig|" \
  -e "s|^hostnameOverride: .*|hostnameOverride: $WORKER|" -e "s|^clusterCIDR: .*|clusterCIDR: $WORKER_POD_CIDR|" \
  "$S/config/kube-proxy.yaml" >"$W/config/kube-proxy.yaml"
for f in containerd.toml crictl.yaml kubelet.yaml kube-proxy.yaml; do
  grep -q "$W" "$W/config/$f" || die "could not derive the worker's $f"
done
make_cgroup "$CGROUP_ROOT/$NAME"

# --- the worker's processes, in its network namespace (and the host's mount namespace, which
# containerd and the kubelet must share for the pods' volumes) -----------------------------------
start() {
  local name=$1
  shift
  setsid nsenter --net="/run/netns/$NETNS" "$@" </dev/null >>"$S/logs/$NAME-$name.log" 2>&1 &
  echo $! >"$S/pids/$NAME-$name"
}
CTRD_SOCK=$W/containerd/containerd.sock
start containerd containerd --config "$W/config/containerd.toml" --log-level warn
CTR=(ctr --address "$CTRD_SOCK" --namespace k8s.io)
wait_for "the worker's containerd" 20 "${CTR[@]}" version || die "the worker's containerd did not start"
pause_tar=$(dirname "$BIN_DIR")/images/pause.tar
for attempt in 1 2 3; do
  "${CTR[@]}" images import "$pause_tar" >>"$S/logs/$NAME-ctr-import.log" 2>&1 || true
  "${CTR[@]}" images ls -q | matches -x "$PAUSE_IMAGE" && break
  [[ $attempt -lt 3 ]] || die "pause image not imported into the worker's containerd"
  sleep 1
done
IFS=: read -ra archives <<<"${K8S_WORKER_IMAGES:-}"
for archive in "${archives[@]}"; do
  "${CTR[@]}" images import "$archive" >>"$S/logs/$NAME-ctr-import.log" 2>&1 || die "could not import $archive"
done
start kubelet kubelet --config "$W/config/kubelet.yaml" \
  --kubeconfig "$W/kubeconfig/kubelet.kubeconfig" --root-dir "$W/kubelet" --cert-dir "$W/kubelet/pki" \
  --hostname-override "$WORKER" --node-ip "$WORKER_IP" --v=1
start kube-proxy kube-proxy --config "$W/config/kube-proxy.yaml" --v=1

kube() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
worker_ready() { [[ $(kube get node "$WORKER" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]; }
not_ready_taint_gone() {
  local taints
  taints=$(kube get node "$WORKER" -o 'jsonpath={.spec.taints[*].key}') || return 1
  [[ $taints != *node.kubernetes.io/not-ready* ]]
}
wait_for "node $WORKER to be Ready" 60 worker_ready || die "node $WORKER not Ready"
T_READY=$(ms_since "$T0")
wait_for "the worker's kube-proxy to sync" 30 in_ns curl -sf --max-time 1 http://127.0.0.1:10256/healthz || die "the worker's kube-proxy is not healthy"
wait_for "node $WORKER to lose its not-ready taint" 30 not_ready_taint_gone || die "node $WORKER still has its not-ready taint"
JOINED=1
cat <<EOF
WORKER_NAME=$WORKER
WORKER_IP=$WORKER_IP
WORKER_GATEWAY=$HOST_UNDERLAY_IP
WORKER_POD_CIDR=$WORKER_POD_CIDR
WORKER_NETNS=$NETNS
WORKER_UNDERLAY=$UNDERLAY
WORKER_OVERLAY=$OVERLAY
WORKER_CONTAINERD_ADDRESS=$CTRD_SOCK
JOIN_TO_READY_MS=$T_READY
JOIN_TO_USABLE_MS=$(ms_since "$T0")
EOF
