# shellcheck shell=bash
# The root filesystem of kind's base image, as the tarball $NODE_ROOTFS (lib.sh), for the
# node-image step: debootstrap of Debian $NODE_IMAGE_SUITE, then kind's images/base files.

# Packages of kind's base image (images/base/Dockerfile), minus the rootless/storage extras
# (fuse-overlayfs, nfs-common, open-iscsi, curl), plus Debian's runc and CNI plugins in place
# of the ones kind's base image builds from GitHub sources.
NODE_PACKAGES=systemd,systemd-sysv,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,jq,procps,runc,containernetworking-plugins

# debootstrap, then kind's images/base/files and the RUN steps of its Dockerfile.
build_node_rootfs() {
  local root=$NODE_WORK/rootfs.tmp kind_base
  kind_base=$(go mod download -json "sigs.k8s.io/kind@v$KIND_VERSION" | jq -r .Dir)/images/base
  command -v debootstrap >/dev/null || { run apt-get update -qq && run apt-get install -y -qq debootstrap; }
  scratch_dir "$root"
  run debootstrap --variant=minbase --include="$NODE_PACKAGES" "$NODE_IMAGE_SUITE" "$root" http://deb.debian.org/debian
  cp -r "$kind_base/files/." "$root/"
  chmod -R u=rwX,go=rX "$root/kind" "$root/etc" && chmod 0755 "$root"/usr/local/bin/* "$root"/kind/bin/*
  find "$root/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$root"/lib/systemd/system/{multi-user,local-fs,basic}.target.wants/* "$root"/etc/systemd/system/*.wants/* \
    "$root"/lib/systemd/system/sockets.target.wants/*{udev,initctl}*
  echo "ReadKMsg=no" >>"$root/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "$root/sbin/init"
  run chroot "$root" systemctl enable kubelet.service containerd.service undo-mount-hacks.service
  run chroot "$root" systemctl mask systemd-binfmt.service
  mkdir -p "$root/etc/kubernetes/manifests" "$root/opt/cni"
  ln -s /usr/lib/cni "$root/opt/cni/bin"   # Debian's plugins, where containerd looks
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "${root:?}"/dev/* "$root"/var/log/*.log
  tar -C "$root" --numeric-owner -czf "$NODE_ROOTFS.tmp" .
  mv "$NODE_ROOTFS.tmp" "$NODE_ROOTFS"
}

mkdir -p "$NODE_WORK"
run_step node-rootfs "$NODE_IMAGE_SUITE-kind-v$KIND_VERSION" "$NODE_ROOTFS" build_node_rootfs toolchain/steps/node-rootfs.sh
