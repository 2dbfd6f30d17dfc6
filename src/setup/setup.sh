#!/usr/bin/env bash
# Installs and starts everything the labs need, idempotently: system tools, the pinned Node.js
# runtime and packages, the Docker engine, and the locally built images.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '\033[36msetup:\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# command → Debian package that provides it
declare -A PACKAGES=(
  [ip]=iproute2 [ss]=iproute2 [iptables]=iptables [tcpdump]=tcpdump [tshark]=tshark
  [ethtool]=ethtool [sysctl]=procps [debootstrap]=debootstrap [curl]=curl
  [ping]=iputils-ping [traceroute]=traceroute [cc]=gcc [pkg-config]=pkg-config
  [named]=bind9 [unbound]=unbound [getent]=libc-bin
  [containerd]=containerd [runc]=runc [ctr]=containerd [nft]=nftables [nfacct]=nfacct [conntrack]=conntrack
  [openssl]=openssl [flock]=util-linux [setsid]=util-linux [tmux]=tmux
  [chromium]=chromium
  [top]=procps [vmstat]=procps [iostat]=sysstat [pidstat]=sysstat [dstat]=dstat [htop]=htop
  [netstat]=net-tools [perf]=linux-perf [strace]=strace [capsh]=libcap2-bin
  [gtlsclient]=ngtcp2-client [gtlsserver]=ngtcp2-server
)
missing=()
for cmd in "${!PACKAGES[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGES[$cmd]}"); done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || missing+=(python3-scapy)
pkg-config --exists libnetfilter_queue 2>/dev/null || missing+=(libnetfilter-queue-dev)
[ -f /usr/share/dns/root.hints ] || missing+=(dns-root-data)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
docker_ready() { docker version >/dev/null 2>&1; }
if ! command -v dockerd >/dev/null 2>&1 && ! docker_ready; then missing+=(docker.io); fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages (and the pinned runtime, which is one of them), reinstalled when the lock file changes.
stamp=node_modules/.package-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing node packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# On a host whose capability bounding set lacks some (a sandbox may withhold CAP_SYS_RESOURCE),
# Docker cannot start a privileged container, as kind does: the engine set-up starts runs runc
# through runc-within-bounds, kept up to date here.
runtime=
bounding=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
if [ "$bounding" -ne $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)) ]; then
  cmp -s src/setup/runc-within-bounds /usr/local/sbin/runc-within-bounds ||
    as_root install -m 0755 src/setup/runc-within-bounds /usr/local/sbin/runc-within-bounds
  runtime='--add-runtime within-bounds=/usr/local/sbin/runc-within-bounds --default-runtime within-bounds'
fi

# The Docker engine: started here when it is installed but not running.
if ! docker_ready; then
  log "starting dockerd"
  # A dockerd killed without shutting down (as at the end of a session) leaves its pid file behind.
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then as_root rm -f "$pidfile"; fi
  done
  as_root sh -c "nohup dockerd $runtime >/var/log/labs-dockerd.log 2>&1 &"
  for _ in $(seq 1 60); do docker_ready && break; sleep 0.5; done
  docker_ready || { echo "setup: dockerd did not start; see /var/log/labs-dockerd.log" >&2; exit 1; }
fi

node_modules/.bin/node src/setup/build-images.ts

# Kubernetes from upstream for the `local` cluster provider: built once (about 7 minutes on two cores),
# cached by the hash of its inputs in LABS_CACHE_DIR, shared by every clone on the machine.
export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null 2>&1 || ! go version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; then
  echo "setup: the Kubernetes labs build Kubernetes with Go 1.21 or newer, which this machine lacks" >&2
  exit 1
fi
log "Kubernetes binaries: $(bash k8s/build/build.sh)"
log "QUIC peer: $(bash src/agents/quic-peer/build.sh)"
