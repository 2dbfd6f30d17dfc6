# The project itself, as a Kubernetes Job runs it (labs run --on kubernetes): the pinned Node runtime
# and the production packages, the project's files, the Debian tools the labs' capabilities probe for
# (what src/setup/setup.sh installs on a host, less Docker, containerd and Kubernetes), and the QUIC
# peer the host built, so that a pod needs neither Go nor a network. Built by src/resources/project-image.ts
# with the project as its context; not one of the docker/<name> images.
FROM labs/debian:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      iproute2 iptables nftables nfacct conntrack tcpdump tshark iputils-ping traceroute ethtool \
      gcc libc6-dev pkg-config libnetfilter-queue-dev golang-go python3-scapy bind9 unbound dns-root-data \
      ngtcp2-client ngtcp2-server openssl curl ca-certificates util-linux strace net-tools tmux \
      procps sysstat dstat htop linux-perf \
 && rm -rf /var/lib/apt/lists/*
# The hosts the baseline was recorded on count characters in UTF-8 (wc -m).
ENV LANG=C.UTF-8 LABS_CACHE_DIR=/var/cache/labs LABS_QUIC_PEER=/opt/labs/quic-peer PATH=/opt/labs/node_modules/node/bin:$PATH
WORKDIR /opt/labs
COPY node_modules node_modules
COPY quic-peer /opt/labs/quic-peer
COPY package.json package-lock.json tsconfig.json ./
COPY docker docker
COPY k8s k8s
COPY labs labs
COPY src src
ENTRYPOINT ["node", "src/cli/labs.mjs"]
