#!/usr/bin/env bash
# Deletes a kind cluster of the `kind` provider, the Docker network it had of its own (kind leaves a
# network behind) and the run's state for it (its kubeconfig). Used when a run ends and by the reaper
# for a dead run's cluster, which may be half made (its `kind create` killed), and whose kind binary
# may be gone with the build cache: node containers are also removed by kind's label.
#
#   down.sh <kind-binary> <cluster-name> <state-dir>
set -uo pipefail
[[ $# -eq 3 ]] || { echo "usage: down.sh <kind-binary> <cluster-name> <state-dir>" >&2; exit 2; }
# Its own kubeconfig: kind otherwise locks and edits the user's ~/.kube/config.
if [[ -x $1 ]]; then "$1" delete cluster --name "$2" --kubeconfig "$3/kubeconfig" >/dev/null 2>&1; fi
# A pod's runc killed while it had frozen the pod's cgroup (cgroup v1) leaves the pod's processes
# frozen, and the node cannot stop ("did not receive an exit event"): thawed, then asked again.
for attempt in 1 2 3; do
  nodes=$(docker ps -aq --no-trunc --filter "label=io.x-k8s.kind.cluster=$2") || exit 1
  [[ -z $nodes ]] && break
  docker rm -fv $nodes >/dev/null 2>&1 && break
  [[ $attempt == 3 ]] && exit 1
  for id in $nodes; do
    find /sys/fs/cgroup/freezer -path "*$id*" -name freezer.state 2>/dev/null | while read -r state; do
      if [[ $(cat "$state" 2>/dev/null) == FROZEN ]]; then echo THAWED >"$state" 2>/dev/null; fi
    done
  done
  sleep 1
done
if docker network inspect "$2" >/dev/null 2>&1; then docker network rm "$2" >/dev/null || exit 1; fi
rm -rf "$3"
