# A kind node of the labs project: Debian with systemd, containerd, runc and the CNI plugins, the
# kubelet, kubeadm, kubectl and crictl built by k8s/build/build.sh, and the images kubeadm runs (imported
# into containerd when the node boots). Built by k8s/kind/node-image.sh; nothing is pulled.
FROM labs/debian:bookworm
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      systemd systemd-sysv dbus containerd runc containernetworking-plugins \
      iptables conntrack ethtool socat iproute2 kmod mount util-linux ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && systemctl mask getty.target systemd-logind.service e2scrub_reap.service systemd-binfmt.service
# systemd's own test for a container, as on the container managers it knows.
ENV container=docker
COPY node/ /
COPY bin/kubeadm bin/kubelet bin/kubectl bin/crictl /usr/bin/
COPY images/ /kind/images/
ARG KUBE_VERSION
RUN echo "$KUBE_VERSION" >/kind/version && systemctl enable containerd.service labs-images.service kubelet.service
# systemd stops on SIGRTMIN+3, not SIGTERM.
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
