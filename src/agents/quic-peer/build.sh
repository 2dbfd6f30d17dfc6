#!/usr/bin/env bash
# Builds, once, the labs' QUIC and HTTP/3 peer (main.go, on quic-go fetched through the Go module
# proxy) into <cache>/quic-peer/<hash>/quic-peer, where <hash> covers main.go, go.mod, go.sum, this
# script and the Go version. Prints the binary's path on stdout. With --check it builds nothing and
# exits 1 unless the binary is there.
#
# Environment: LABS_CACHE_DIR (default ~/.cache/labs, shared by every clone on the machine); Go's
# caches live in $LABS_CACHE_DIR/go.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${LABS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/labs}
export PATH=$PATH:/usr/local/go/bin

HASH=$(cat "$HERE/build.sh" "$HERE/main.go" "$HERE/go.mod" "$HERE/go.sum" <(go version) | sha256sum | cut -c1-16)
OUT=$CACHE/quic-peer/$HASH
if [[ -x $OUT/quic-peer ]]; then
  echo "$OUT/quic-peer"
  exit 0
fi
if [[ ${1:-} == --check ]]; then
  echo "the QUIC peer is not built: run src/agents/quic-peer/build.sh, or make setup (about 1 minute)" >&2
  exit 1
fi

export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=readonly" CGO_ENABLED=0
mkdir -p "$OUT"
(cd "$HERE" && go build -trimpath -ldflags "-s -w" -o "$OUT/.quic-peer.tmp" .)
mv "$OUT/.quic-peer.tmp" "$OUT/quic-peer"
echo "$OUT/quic-peer"
