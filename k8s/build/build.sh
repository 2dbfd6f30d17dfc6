#!/usr/bin/env bash
# Builds, once, everything the `local` Kubernetes provider runs, from upstream sources fetched
# through the Go module proxy (no container registry, no release downloads):
#   bin/kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm (v1.35.4)
#   bin/cloud-controller-manager  (upstream's cmd/cloud-controller-manager, no cloud compiled in)
#   bin/etcd                                                                              (v3.6.6)
#   bin/crictl                                                                            (v1.34.0)
#   bin/kind                                   (v0.32.0; the `kind` provider's node image is k8s/kind/)
#   bin/pause, images/pause.tar  (the pod sandbox image, an OCI layout that is also a docker-archive)
# into <cache>/k8s/<hash>/, where <hash> covers every build input (this script, the wrapper modules'
# go.mod/go.sum, pause.c, the Go and gcc versions). When that directory is complete the script does
# nothing. Prints the directory on stdout; progress goes to stderr. With --check it builds nothing and
# exits 1 unless the binaries are there.
#
# Environment: LABS_CACHE_DIR (default ~/.cache/labs, shared by every clone on the machine); Go's caches
# live in $LABS_CACHE_DIR/go.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${LABS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/labs}

KUBE_VERSION=v1.35.4
KUBE_COMMIT=7b8c6cf0edd376b3d7c2f255142977c7f93db258 # tag v1.35.4 (the module proxy's .info Origin)
ETCD_VERSION=v3.6.6
CRICTL_VERSION=v1.34.0
KIND_VERSION=v0.32.0
PAUSE_VERSION=3.10.1
PAUSE_IMAGE=labs.local/pause:$PAUSE_VERSION
# One fixed build date so that the same inputs give the same binaries.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600} # 2026-01-01T00:00:00Z

log() { printf '[k8s-build] %s\n' "$*" >&2; }

inputs_hash() {
  {
    for f in build.sh kubernetes/go.mod kubernetes/go.sum etcd/go.mod etcd/go.sum \
      crictl/go.mod crictl/go.sum kind/go.mod kind/go.sum pause/pause.c; do
      printf '%s\n' "$f"
      cat "$HERE/$f"
    done
    go version
    gcc --version | head -1
  } | sha256sum | cut -c1-16
}

HASH=$(inputs_hash)
OUT=$CACHE/k8s/$HASH
if [[ -f $OUT/.complete ]]; then
  echo "$OUT"
  exit 0
fi
# --check: only say whether the binaries are built (exit 1 when not), never build.
if [[ ${1:-} == --check ]]; then
  echo "not built: $OUT (run k8s/build/build.sh, or make setup: about 7 minutes on two cores)" >&2
  exit 1
fi

mkdir -p "$CACHE/k8s"
exec 9>"$CACHE/k8s/.build.lock"
flock 9
if [[ -f $OUT/.complete ]]; then # another build finished it while we waited
  echo "$OUT"
  exit 0
fi

export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" CGO_ENABLED=0 GOOS=linux
TMP=$CACHE/k8s/.tmp-$HASH-$$
trap 'rm -rf "$TMP"' EXIT
rm -rf "$TMP"
mkdir -p "$TMP/bin" "$TMP/images"
started=$(date +%s)

# --- Kubernetes: ldflags as hack/lib/version.sh sets them for a release build --------------------
kube_ldflags="-s -w"
build_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
minor=${KUBE_VERSION#v1.}
minor=${minor%%.*}
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitCommit=$KUBE_COMMIT"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  kube_ldflags+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done
log "building Kubernetes $KUBE_VERSION (cold: ~6 min on 2 cores)"
(cd "$HERE/kubernetes" && go build -trimpath -ldflags "$kube_ldflags" -o "$TMP/bin/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/cloud-controller-manager)

# --- etcd: built like its own scripts/build.sh (static, trimmed, GitSHA stamped) -----------------
log "building etcd $ETCD_VERSION"
(cd "$HERE/etcd" && go build -trimpath \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
  -o "$TMP/bin/etcd" go.etcd.io/etcd/server/v3)

log "building crictl $CRICTL_VERSION"
(cd "$HERE/crictl" && go build -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
  -o "$TMP/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl)

log "building kind $KIND_VERSION"
(cd "$HERE/kind" && go build -trimpath -ldflags "-s -w" -o "$TMP/bin/kind" sigs.k8s.io/kind)

# --- pause: a static binary, and an image made of it alone, written as an OCI image layout -------
log "building pause $PAUSE_VERSION and its image $PAUSE_IMAGE"
gcc -Os -Wall -Werror -static -DVERSION="\"v$PAUSE_VERSION-labs\"" -o "$TMP/bin/pause" "$HERE/pause/pause.c"
strip "$TMP/bin/pause"

oci=$TMP/oci
mkdir -p "$oci/rootfs" "$oci/layout/blobs/sha256"
install -m 0755 "$TMP/bin/pause" "$oci/rootfs/pause"
det_tar() { tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "$@"; }
det_tar -C "$oci/rootfs" -cf "$oci/layer.tar" pause
blob() { # file media-type -> moves it into blobs/, prints "digest size"
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$oci/layout/blobs/sha256/$d"
  echo "$d $s"
}
read -r layer_digest layer_size < <(blob "$oci/layer.tar")
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
printf '%s' '{"architecture":"amd64","os":"linux","created":"'"$created"'",'\
'"config":{"User":"65535:65535","Entrypoint":["/pause"],"WorkingDir":"/"},'\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_digest"'"]},'\
'"history":[{"created":"'"$created"'","created_by":"k8s/build/build.sh: gcc -static pause.c"}]}' >"$oci/config.json"
read -r config_digest config_size < <(blob "$oci/config.json")
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config_digest"'","size":'"$config_size"'},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'"$layer_digest"'","size":'"$layer_size"'}]}' >"$oci/manifest"
read -r manifest_digest manifest_size < <(blob "$oci/manifest")
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{'\
'"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$manifest_digest"'","size":'"$manifest_size"','\
'"platform":{"architecture":"amd64","os":"linux"},'\
'"annotations":{"io.containerd.image.name":"'"$PAUSE_IMAGE"'","org.opencontainers.image.ref.name":"'"$PAUSE_VERSION"'"}}]}' \
  >"$oci/layout/index.json"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$oci/layout/oci-layout"
# manifest.json makes the same tar loadable by `docker load` (docker-archive) as well.
printf '%s' '[{"Config":"blobs/sha256/'"$config_digest"'","RepoTags":["'"$PAUSE_IMAGE"'"],'\
'"Layers":["blobs/sha256/'"$layer_digest"'"]}]' >"$oci/layout/manifest.json"
det_tar -C "$oci/layout" -cf "$TMP/images/pause.tar" .
echo "$PAUSE_IMAGE" >"$TMP/images/pause.ref"
rm -rf "$oci"

cat >"$TMP/versions" <<EOF
kubernetes=$KUBE_VERSION
etcd=$ETCD_VERSION
crictl=$CRICTL_VERSION
kind=$KIND_VERSION
pause=$PAUSE_VERSION
pause_image=$PAUSE_IMAGE
go=$(go env GOVERSION)
EOF
touch "$TMP/.complete"
rm -rf "$OUT"
mv "$TMP" "$OUT"
log "done in $(($(date +%s) - started)) s: $OUT ($(du -sh "$OUT" | cut -f1))"
echo "$OUT"
