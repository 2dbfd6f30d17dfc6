#!/usr/bin/env bash
# Smoke test of a cluster that up.sh brought up:
#   smoke.sh <state-dir>
# builds a tiny image from labs/base with docker, imports it into the cluster's containerd
# (no registry), runs it as a pod (imagePullPolicy: Never) behind a ClusterIP Service, curls the
# ClusterIP from the host (kube-proxy iptables DNAT), then makes the exec liveness probe fail and
# checks that kubelet restarted the container. Leaves the objects in place; down.sh removes all.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=$(cd "$1" && pwd)
# shellcheck source=/dev/null
source "$S/cluster.env"
export KUBECONFIG KUBECACHEDIR
k() { "$KUBECTL" "$@"; }
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
IMAGE=labs/k8s-smoke:1

t=$(date +%s%N)
docker build -q -t "$IMAGE" "$HERE" >/dev/null
echo "image built: $(ms "$t") ms"
t=$(date +%s%N)
docker save "$IMAGE" | ctr --address "$CONTAINERD_ADDRESS" --namespace k8s.io images import - >/dev/null
echo "image imported into the cluster's containerd: $(ms "$t") ms"

t=$(date +%s%N)
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels: {app: hello}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: hello
    image: $IMAGE
    imagePullPolicy: Never
    command: ["sh", "-c", "touch /tmp/healthy && exec hello-server"]
    ports: [{containerPort: 8080}]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata:
  name: hello
spec:
  selector: {app: hello}
  ports: [{port: 80, targetPort: 8080}]
EOF
k wait --for=condition=Ready pod/hello --timeout=60s >/dev/null
echo "pod Running and Ready: $(ms "$t") ms; $(k get pod hello -o jsonpath='pod IP {.status.podIP} on {.spec.nodeName}')"

ip=$(k get svc hello -o jsonpath='{.spec.clusterIP}')
t=$(date +%s%N)
until body=$(curl -sf --max-time 2 "http://$ip/"); do
  (($(ms "$t") < 30000)) || { echo "FAIL: no answer from ClusterIP $ip"; exit 1; }
  sleep 0.2
done
echo "curl http://$ip/ (ClusterIP) -> $body ($(ms "$t") ms after Ready)"
[[ $body == "hello from hello" ]] || { echo "FAIL: unexpected body"; exit 1; }

before=$(k get pod hello -o jsonpath='{.status.containerStatuses[0].restartCount}')
t=$(date +%s%N)
k exec hello -- rm /tmp/healthy
until [[ $(k get pod hello -o jsonpath='{.status.containerStatuses[0].restartCount}') -gt $before ]]; do
  (($(ms "$t") < 60000)) || { echo "FAIL: container not restarted"; exit 1; }
  sleep 0.5
done
echo "liveness probe failed -> restartCount $before -> $(k get pod hello -o jsonpath='{.status.containerStatuses[0].restartCount}') in $(ms "$t") ms"
k get events --field-selector involvedObject.name=hello -o custom-columns=REASON:.reason,MESSAGE:.message --no-headers |
  grep -E 'Unhealthy|Killing' | head -3
k wait --for=condition=Ready pod/hello --timeout=60s >/dev/null
body=$(curl -sf --max-time 2 "http://$ip/")
echo "after the restart, the ClusterIP answers again: $body"
echo "smoke test passed"
