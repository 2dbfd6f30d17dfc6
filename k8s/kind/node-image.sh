#!/usr/bin/env bash
# Builds, once, the node image of the `kind` provider from the binaries k8s/build/build.sh made, and
# prints its tag. No registry is needed: the control-plane images kubeadm runs (labs.local/kube-*,
# labs.local/etcd) are built here from the same binaries, saved into the node image with the pause
# image, and imported into the node's containerd when it boots.
#
#   node-image.sh <build-dir>     prints labs.local/kind-node:<hash>
#
# <hash> covers this script, the Dockerfiles and node/, the build directory (named by the hash of its
# own inputs) and the Debian base image (labs/debian:bookworm, made by make setup).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -eq 1 && -f $1/.complete ]] || { echo "usage: node-image.sh <build-dir of k8s/build/build.sh>" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
# shellcheck source=/dev/null
source <(grep -E '^(kubernetes|etcd)=' "$BUILD/versions")
BASE_ID=$(docker image inspect --format '{{.Id}}' labs/debian:bookworm)
HASH=$({
  (cd "$HERE" && find node-image.sh ./*.Dockerfile node -type f -print0 | sort -z | xargs -0 sha256sum)
  basename "$BUILD"
  echo "$BASE_ID"
} | sha256sum | cut -c1-12)
TAG=labs.local/kind-node:$HASH
built() { docker image inspect "$TAG" >/dev/null 2>&1; }
if built; then
  echo "$TAG"
  exit 0
fi
# One build at a time (they share the component images' tags), locked beside the build directories.
exec 9>"$(dirname "$BUILD")/.kind-node-image.lock"
flock 9
if built; then # another build made it while we waited
  echo "$TAG"
  exit 0
fi

log() { printf '[kind-node] %s\n' "$*" >&2; }
# docker build's output only when it fails (the client warns of its legacy builder every time).
quietly() { "$@" >"$TMP/out" 2>&1 || { cat "$TMP/out" >&2; return 1; }; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/context/bin" "$TMP/context/images" "$TMP/components"
started=$(date +%s)

# kubeadm's image names with imageRepository labs.local (k8s/kind/cluster.yaml says so).
components=()
for binary in kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd; do
  version=$kubernetes
  [[ $binary == etcd ]] && version=$etcd
  image=labs.local/$binary:$version
  log "building $image"
  cp "$BUILD/bin/$binary" "$TMP/components/"
  quietly docker build --build-arg "BINARY=$binary" -t "$image" -f "$HERE/component.Dockerfile" "$TMP/components"
  components+=("$image")
done
docker save "${components[@]}" -o "$TMP/context/images/components.tar"
cp "$BUILD/images/pause.tar" "$TMP/context/images/"
cp "$BUILD"/bin/{kubeadm,kubelet,kubectl,crictl} "$TMP/context/bin/"
cp -r "$HERE/node" "$TMP/context/"
log "building $TAG"
quietly docker build --build-arg "KUBE_VERSION=$kubernetes" -t "$TAG" -f "$HERE/node.Dockerfile" "$TMP/context"
docker rmi "${components[@]}" >/dev/null
# Earlier node images go, unless a cluster still runs one (docker refuses to remove those).
docker images labs.local/kind-node --format '{{.Tag}}' | grep -vx "$HASH" | sed 's|^|labs.local/kind-node:|' |
  xargs -r docker rmi >/dev/null 2>&1 || true
log "done in $(($(date +%s) - started)) s"
echo "$TAG"
