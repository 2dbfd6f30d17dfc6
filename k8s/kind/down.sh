#!/usr/bin/env bash
# Deletes a kind cluster of the `kind` provider, the Docker network it had of its own (kind leaves a
# network behind) and the run's state for it (its kubeconfig). Used when a run ends and by the reaper
# for a dead run's cluster.
#
#   down.sh <kind-binary> <cluster-name> <state-dir>
set -uo pipefail
[[ $# -eq 3 ]] || { echo "usage: down.sh <kind-binary> <cluster-name> <state-dir>" >&2; exit 2; }
"$1" delete cluster --name "$2" || exit 1
if docker network inspect "$2" >/dev/null 2>&1; then docker network rm "$2" >/dev/null; fi
rm -rf "$3"
