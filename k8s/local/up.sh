#!/usr/bin/env bash
# Brings up a real single-node Kubernetes v1.35.4 cluster on this host from the binaries that
# ../build/build.sh builds (cached), in the manner of Kubernetes' hack/local-up-cluster.sh:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a containerd of its own,
# kubelet and kube-proxy (iptables mode), the CNI bridge plugin; then waits for the node to be Ready.
#
#   up.sh <run-id> <state-dir>
#
# Every process it starts carries LABS_RUN_ID=<run-id>. Everything lives under <state-dir> (which
# must not exist or be empty), except what cannot: iptables chains (KUBE-*, CNI-*), the bridge and
# the pods' veths, sysctls kubelet sets, cgroups under /sys/fs/cgroup/*/labs-<run-id>-k8s, and the
# few host paths that kubelet/containerd hard-code. up.sh records the host's state of all of
# those in <state-dir>/host/ first; down.sh <state-dir> puts it back and removes <state-dir>.
# One such cluster per host at a time (node ports, the bridge, kube-proxy's chains are global).
#
# Environment (all optional):
#   K8S_BUILD_DIR     a build.sh output dir (default: run build.sh, which is a no-op when cached)
#   K8S_POD_CIDR      pod subnet on the bridge            (default 100.72.0.0/24)
#   K8S_SERVICE_CIDR  ClusterIP range                     (default 100.73.0.0/16)
#   K8S_CLUSTER_DNS   an IP in K8S_SERVICE_CIDR for kubelet's clusterDNS (default: none)
#   K8S_NODE_IP       the node's address (default: the IPv4 address of the default route's device)
#   K8S_BRIDGE        bridge name                         (default cni0)
#   K8S_API_PORT      kube-apiserver port                 (default 6443)
#   K8S_ETCD_PORT     etcd client port, peer port is +1   (default 2379)
#   K8S_READY_TIMEOUT seconds to wait for a Ready node   (default 90)
#   K8S_KEEP_ON_FAILURE=1  leave a failed cluster up for inspection instead of running down.sh
#
# Prints on stdout, and writes to <state-dir>/cluster.env, shell-style KEY=value lines:
#   KUBECONFIG (admin, system:masters), KUBECACHEDIR (kubectl's discovery cache; else kubectl
#   writes ~/.kube/cache), KUBECTL, CRICTL, CRI_CONFIG_FILE (for crictl), CONTAINERD_ADDRESS (for
#   ctr), API_SERVER, ETCD_ENDPOINT (plain HTTP, loopback),
#   AUDIT_LOG (the apiserver's audit log, pods only), NODE_NAME, NODE_IP, POD_CIDR,
#   SERVICE_CIDR, BRIDGE, BIN_DIR, PAUSE_IMAGE,
#   and timings in ms (START_TO_READY_MS: up.sh started -> node Ready; ETCD_TO_READY_MS: etcd started -> node Ready; ETCD_TO_USABLE_MS: also
#   kube-proxy synced, default service account made, node untainted). Progress goes to stderr.
# Exit 0 with the node Ready; on any failure the cluster is taken down again (down.sh) and the
# tails of the component logs are printed on stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 2 ]] || die "usage: up.sh <run-id> <state-dir>"
RUN_ID=$1
S=$2
[[ $RUN_ID =~ ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$ ]] || die "run id must be lowercase [a-z0-9-], at most 32 chars: $RUN_ID"
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ ! -e $S || -z $(ls -A "$S") ]] || die "state dir $S is not empty (a cluster is up there, or down.sh was not run)"

POD_CIDR=${K8S_POD_CIDR:-100.72.0.0/24}
SERVICE_CIDR=${K8S_SERVICE_CIDR:-100.73.0.0/16}
CLUSTER_DNS=${K8S_CLUSTER_DNS:-}
BRIDGE=${K8S_BRIDGE:-cni0}
API_PORT=${K8S_API_PORT:-6443}
ETCD_PORT=${K8S_ETCD_PORT:-2379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
READY_TIMEOUT=${K8S_READY_TIMEOUT:-90}
NODE_NAME=labs-$RUN_ID
CGROUP_ROOT=labs-$RUN_ID-k8s
if [[ -z ${K8S_NODE_IP:-} ]]; then
  dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
  [[ -n $dev ]] || die "no IPv4 default route to take the node IP from; set K8S_NODE_IP"
  K8S_NODE_IP=$(ip -4 -o addr show dev "$dev" scope global | awk '{split($4, a, "/"); print a[1]; exit}')
fi
NODE_IP=$K8S_NODE_IP
[[ -n $NODE_IP ]] || die "could not find the node IP; set K8S_NODE_IP"
ip -4 -o addr show | matches " inet $NODE_IP/" || die "node IP $NODE_IP is not an address of this host"
# First address of the service range: the `kubernetes` Service, a SAN of the serving cert.
svc_net=${SERVICE_CIDR%/*}
FIRST_SERVICE_IP=${svc_net%.*}.$((${svc_net##*.} + 1))

# --- preflight: nothing of another cluster may be on the host --------------------------------------
for cmd in containerd containerd-shim-runc-v2 runc ctr openssl iptables iptables-save curl ip ss setsid; do
  command -v "$cmd" >/dev/null || die "$cmd not found (Debian: containerd runc iptables openssl curl iproute2)"
done
CNI_BIN_DIR=/usr/lib/cni
for p in bridge host-local portmap loopback firewall; do
  [[ -x $CNI_BIN_DIR/$p ]] || die "CNI plugin $CNI_BIN_DIR/$p missing (Debian: containernetworking-plugins)"
done
ip link show "$BRIDGE" >/dev/null 2>&1 && die "bridge $BRIDGE exists: another local cluster is up (or was not taken down)"
for t in $(iptables_tools); do
  [[ -z $(cluster_chains "$t") ]] || die "$t has KUBE-*/CNI-* chains: another cluster is up (or was not taken down)"
done
for port in "$API_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" 10248 10249 10250 10256 10257 10259; do
  ss -Hltn "sport = :$port" | matches . && die "port $port is in use"
done
[[ -e /sys/fs/cgroup/memory/$CGROUP_ROOT ]] && die "cgroup $CGROUP_ROOT exists"
mkdir -p "$S"
S=$(cd "$S" && pwd)
touch "$S/.labs-k8s-state" # down.sh removes only directories that carry this mark
# The longest unix socket path below (kubelet's pod-resources socket) must fit in sun_path (108).
((${#S} + 40 < 108)) || die "state dir path too long for unix sockets: $S"

T0=$(date +%s%N)

# --- record the host state that the cluster will change (down.sh restores from it) -------------
mkdir -p "$S"/{host,pki,kubeconfig,config,logs,pids,etcd,containerd,runc,cni/net.d,cni/ipam,kubelet,pod-logs}
cat >"$S/host/cluster" <<EOF
RUN_ID=$RUN_ID
BRIDGE=$BRIDGE
CGROUP_ROOT=$CGROUP_ROOT
POD_CIDR=$POD_CIDR
SERVICE_CIDR=$SERVICE_CIDR
EOF
for k in "${HOST_SYSCTLS[@]}"; do
  v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v"
done >"$S/host/sysctls"
for p in "${HOST_PATHS[@]}"; do [[ -e $p ]] || echo "$p"; done >"$S/host/absent-paths"
ls -A /run/containerd/s 2>/dev/null >"$S/host/shim-sockets" || true
ls -A /var/lib/cni/results 2>/dev/null >"$S/host/cni-results" || true
# iptables-nft creates the tables it is first asked for (kube-proxy asks for ip/ip6 filter, nat,
# mangle); down.sh deletes those that were not there before, once they are empty again.
if command -v nft >/dev/null; then nft list tables >"$S/host/nft-tables"; fi
# kube-proxy creates nfacct counters (ct_state_invalid_dropped_pkts, localhost_nps_accepted_pkts)
# that outlive it; down.sh deletes the ones that were not there before (needs `nfacct`).
if command -v nfacct >/dev/null; then nfacct list | sed -n 's/.*= \(.*\);$/\1/p' >"$S/host/nfacct"; fi

# Once something has been changed, a failure (or a signal) takes the cluster down again.
UP_OK=0
on_exit() {
  local rc=$?
  [[ $UP_OK == 1 ]] && return
  ((rc != 0)) || rc=1
  log "up failed (exit $rc); last lines of the logs:"
  for f in "$S"/logs/*.log; do
    [[ -s $f ]] || continue
    echo "----- $(basename "$f")" >&2
    tail -n 15 "$f" >&2
  done
  if [[ ${K8S_KEEP_ON_FAILURE:-0} == 1 ]]; then
    log "K8S_KEEP_ON_FAILURE=1: left up; take it down with: $LOCAL_DIR/down.sh $S"
  else
    "$LOCAL_DIR/down.sh" "$S" >&2 || true
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- binaries ---------------------------------------------------------------------------------
BUILD=${K8S_BUILD_DIR:-$("$REPO/k8s/build/build.sh")}
BIN=$BUILD/bin
PAUSE_IMAGE=$(cat "$BUILD/images/pause.ref")
echo "$BIN" >"$S/host/bin" # down.sh's crictl
export LABS_RUN_ID=$RUN_ID
export PATH=$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Starts a long-running process in its own session, logs to logs/<name>.log, pid to pids/<name>.
start() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$S/logs/$name.log" 2>&1 &
  echo $! >"$S/pids/$name"
}

# --- PKI: one CA (EC P-256, fast to make), a serving cert, client certs, the service-account key --
P=$S/pki
(
  cd "$P"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=labs-$RUN_ID-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out ca.crt 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
  openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
  cert() { # name subject extended-key-usage [subjectAltName]
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
    {
      echo "basicConstraints=critical,CA:FALSE"
      echo "keyUsage=critical,digitalSignature,keyEncipherment"
      echo "extendedKeyUsage=$3"
      [[ -z ${4:-} ]] || echo "subjectAltName=$4"
    } >"$1.ext"
    openssl req -new -key "$1.key" -subj "$2" 2>/dev/null |
      openssl x509 -req -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" -days 3650 -sha256 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm "$1.ext"
  }
  cert apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$FIRST_SERVICE_IP" &
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth &
  cert admin "/O=system:masters/CN=labs-admin" clientAuth &
  cert controller-manager "/CN=system:kube-controller-manager" clientAuth &
  cert scheduler "/CN=system:kube-scheduler" clientAuth &
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth &
  cert kube-proxy "/CN=system:kube-proxy" clientAuth &
  wait
  for c in apiserver apiserver-kubelet-client admin controller-manager scheduler kubelet kube-proxy; do
    [[ -s $c.crt ]] || die "openssl did not make $c.crt"
  done
  chmod 600 ./*.key
)
kubeconfig() { # name -> kubeconfig/<name>.kubeconfig for the client cert of that name
  cat >"$S/kubeconfig/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: labs-$RUN_ID
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$P/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$P/$1.crt")
    client-key-data: $(base64 -w0 "$P/$1.key")
contexts:
- name: labs-$RUN_ID
  context:
    cluster: labs-$RUN_ID
    user: $1
current-context: labs-$RUN_ID
EOF
  chmod 600 "$S/kubeconfig/$1.kubeconfig"
}
for c in admin controller-manager scheduler kubelet kube-proxy; do kubeconfig "$c"; done
KUBECONFIG_ADMIN=$S/kubeconfig/admin.kubeconfig

# --- configuration files -----------------------------------------------------------------------
CTRD_SOCK=$S/containerd/containerd.sock
cat >"$S/config/containerd.toml" <<EOF
# containerd for this cluster only: its own root, state, socket, runc root and CNI config.
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This host lacks CAP_SYS_RESOURCE: without this, runc cannot lower oom_score_adj and every
  # sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Pod network namespaces under the state dir, not /run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$S/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$S/cni/net.d"
    max_conf_num = 1
EOF

cat >"$S/cni/net.d/10-labs.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "labs-$RUN_ID",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$S/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true }, "externalSetMarkChain": "KUBE-MARK-MASQ" },
    { "type": "firewall" }
  ]
}
EOF

cat >"$S/config/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This host has cgroup v1 (hybrid); v1.35 refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
# Pods' cgroups under a root named after the run, not /kubepods of the whole host.
cgroupRoot: /$CGROUP_ROOT
containerRuntimeEndpoint: unix://$CTRD_SOCK
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
podLogsDir: $S/pod-logs
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $P/ca.crt
authorization:
  mode: Webhook
rotateCertificates: false
serverTLSBootstrap: false
failSwapOn: false
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
$( [[ -z $CLUSTER_DNS ]] || printf 'clusterDNS: ["%s"]\n' "$CLUSTER_DNS")
# Images are imported, never pulled: keep them (the disk is shared with everything else).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
nodeStatusReportFrequency: 10s
EOF

cat >"$S/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: $S/kubeconfig/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables:
  # true would set net.ipv4.conf.all.route_localnet=1 on the host
  localhostNodePorts: false
# 0 = leave the host's conntrack sysctls alone
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
EOF

# The apiserver's audit log, for pods only: who created, bound, patched each pod and when.
cat >"$S/config/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["pods", "pods/*"]
- level: None
EOF

cat >"$S/config/crictl.yaml" <<EOF
runtime-endpoint: unix://$CTRD_SOCK
image-endpoint: unix://$CTRD_SOCK
timeout: 10
EOF

cat >"$S/config/kube-scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $S/kubeconfig/scheduler.kubeconfig
leaderElection:
  leaderElect: false
EOF

# cgroup root for the pods, in every hierarchy.
make_cgroup "$CGROUP_ROOT"
T_PREP=$(ms_since "$T0")

# --- containerd first (it does not need the API), with the pause image -------------------------
start containerd containerd --config "$S/config/containerd.toml" --log-level warn
CTR=(ctr --address "$CTRD_SOCK" --namespace k8s.io)
wait_for containerd 20 "${CTR[@]}" version
# A containerd that has just started has been seen to refuse the first import (once in a CI run): try again.
for attempt in 1 2 3; do
  "${CTR[@]}" images import "$BUILD/images/pause.tar" >>"$S/logs/ctr-import.log" 2>&1 || true
  "${CTR[@]}" images ls -q | matches -x "$PAUSE_IMAGE" && break
  [[ $attempt -lt 3 ]] || die "pause image $PAUSE_IMAGE was not imported: $(tail -n 2 "$S/logs/ctr-import.log" | tr '\n' ' ')"
  sleep 1
done
T_CONTAINERD=$(ms_since "$T0")

# --- control plane ------------------------------------------------------------------------------
T_ETCD0=$(date +%s%N)
start etcd etcd --name "labs-$RUN_ID" --data-dir "$S/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "labs-$RUN_ID=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --unsafe-no-fsync --log-level warn
start kube-apiserver kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 0.0.0.0 --secure-port "$API_PORT" --advertise-address "$NODE_IP" \
  --cert-dir "$S/pki" --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
  --client-ca-file "$P/ca.crt" --kubelet-preferred-address-types InternalIP,Hostname \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --audit-policy-file "$S/config/audit-policy.yaml" --audit-log-path "$S/logs/audit.log" \
  --allow-privileged=true --profiling=false --v=1
# kubelet and kube-proxy retry until the apiserver answers: starting them now overlaps their own
# start-up with the apiserver's.
start kubelet kubelet --config "$S/config/kubelet.yaml" \
  --kubeconfig "$S/kubeconfig/kubelet.kubeconfig" --root-dir "$S/kubelet" --cert-dir "$S/kubelet/pki" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
start kube-proxy kube-proxy --config "$S/config/kube-proxy.yaml" --v=1
API=https://127.0.0.1:$API_PORT
api() { curl -sf --max-time 2 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$API$1"; }
# kube-controller-manager exits if it starts before the apiserver's RBAC bootstrap policy exists.
wait_for "kube-apiserver /readyz" 60 api /readyz || die "kube-apiserver not ready"
T_API=$(ms_since "$T_ETCD0")
start kube-controller-manager kube-controller-manager \
  --kubeconfig "$S/kubeconfig/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$S/kubeconfig/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$S/kubeconfig/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --cert-dir "$S/pki/controller-manager" \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --use-service-account-credentials \
  --leader-elect=false --controllers '*' --kube-api-qps 500 --kube-api-burst 1000 --profiling=false --v=1
start kube-scheduler kube-scheduler --config "$S/config/kube-scheduler.yaml" \
  --authentication-kubeconfig "$S/kubeconfig/scheduler.kubeconfig" \
  --authorization-kubeconfig "$S/kubeconfig/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --cert-dir "$S/pki/scheduler" --v=1

# --- wait: node Ready, then usable (kube-proxy synced, default service account, node untainted) --
node_ready() {
  api "/api/v1/nodes/$NODE_NAME" | tr -d ' \n' | matches '"type":"Ready","status":"True"'
}
node_schedulable() { ! api "/api/v1/nodes/$NODE_NAME" | tr -d ' \n' | matches '"effect":"NoSchedule"'; }
alive() { # every process started so far is still running
  local f
  for f in "$S"/pids/*; do
    kill -0 "$(cat "$f")" 2>/dev/null || {
      log "$(basename "$f") exited"
      return 1
    }
  done
}
deadline=$(($(date +%s) + READY_TIMEOUT))
until node_ready; do
  alive || die "a component exited before the node was Ready"
  (($(date +%s) < deadline)) || die "node $NODE_NAME not Ready after ${READY_TIMEOUT}s"
  sleep 0.1
done
T_READY=$(ms_since "$T_ETCD0")
T_START_TO_READY=$(ms_since "$T0")
log "node $NODE_NAME Ready $T_READY ms after etcd was started"
wait_for "kube-proxy's first sync" 30 curl -sf --max-time 1 http://127.0.0.1:10256/healthz || die "kube-proxy not healthy"
log "kube-proxy synced $(ms_since "$T_ETCD0") ms after etcd was started"
wait_for "the default service account" 30 api /api/v1/namespaces/default/serviceaccounts/default || die "no default service account"
log "default service account $(ms_since "$T_ETCD0") ms after etcd was started"
wait_for "the node to lose its not-ready taint" 30 node_schedulable || die "node still tainted"
T_USABLE=$(ms_since "$T_ETCD0")

cat >"$S/cluster.env" <<EOF
RUN_ID=$RUN_ID
STATE_DIR=$S
KUBECONFIG=$KUBECONFIG_ADMIN
KUBECACHEDIR=$S/kubectl-cache
KUBECTL=$BIN/kubectl
CRICTL=$BIN/crictl
CRI_CONFIG_FILE=$S/config/crictl.yaml
CONTAINERD_ADDRESS=$CTRD_SOCK
BIN_DIR=$BIN
API_SERVER=$API
ETCD_ENDPOINT=http://127.0.0.1:$ETCD_PORT
AUDIT_LOG=$S/logs/audit.log
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
POD_CIDR=$POD_CIDR
SERVICE_CIDR=$SERVICE_CIDR
CLUSTER_DNS=$CLUSTER_DNS
BRIDGE=$BRIDGE
PAUSE_IMAGE=$PAUSE_IMAGE
PREPARE_MS=$T_PREP
CONTAINERD_MS=$T_CONTAINERD
ETCD_TO_APISERVER_READY_MS=$T_API
ETCD_TO_READY_MS=$T_READY
START_TO_READY_MS=$T_START_TO_READY
ETCD_TO_USABLE_MS=$T_USABLE
TOTAL_MS=$(ms_since "$T0")
EOF
UP_OK=1
cat "$S/cluster.env"
