# An image of one control-plane binary (or kube-proxy) for kubeadm's static pods and DaemonSet, as
# upstream's images hold them: /usr/local/bin/<binary>. kube-proxy needs iptables and conntrack.
FROM labs/debian:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iptables conntrack kmod \
 && rm -rf /var/lib/apt/lists/*
ARG BINARY
COPY $BINARY /usr/local/bin/
