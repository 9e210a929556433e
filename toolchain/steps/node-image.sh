# shellcheck shell=bash
# Kind node image $KIND_NODE_IMAGE, assembled by hand: `kind build node-image` pulls
# pause/etcd/coredns/kindnetd images and cannot work offline. Three steps, each cached:
#   node-binaries   Go/C builds: Kubernetes, containerd, etcd, coredns, pause
#   node-rootfs     debootstrap root filesystem plus kind's base image files
#   node-image      component images + the node image itself, with the image of the kindnetd
#                   step (toolchain/steps/kindnetd.sh) and kind's manifest for it
# Static inputs live in toolchain/node-image/ (see its README).
NODE_DIR=$TOOLCHAIN_DIR/node-image
NODE_ROOTFS=$NODE_WORK/rootfs-$NODE_IMAGE_SUITE-kind-v$KIND_VERSION.tar.gz

# go_wrapper DIR TEMPLATE MODULE@VERSION [go mod edit args...]: a module that requires
# MODULE, with the tools.go of TEMPLATE keeping the wanted main packages in its graph.
go_wrapper() {
  local dir=$1 template=$2 require=$3; shift 3
  rm -rf "$dir" && mkdir -p "$dir" && cp "$NODE_DIR/go/$template/tools.go" "$dir/"
  (cd "$dir" && run go mod init "kube-demo.local/$template" \
    && run go mod edit -require="$require" "$@" && run go mod tidy)
}

build_node_binaries() {
  local out=$NODE_BINARIES.tmp src=$NODE_WORK/src k8s_dir date ldflags v=v$KUBERNETES_VERSION
  rm -rf "$out" && mkdir -p "$out"
  command -v gcc >/dev/null || { run apt-get update -qq && run apt-get install -y -qq gcc libc6-dev; }
  export CGO_ENABLED=0

  # Kubernetes: k8s.io/kubernetes replaces every k8s.io/* staging module with ./staging/...;
  # the wrapper repeats each as the published v0.MINOR.PATCH module, and keeps upstream's
  # `go`/`godebug` lines (the main module decides the GODEBUG defaults).
  k8s_dir=$(go mod download -json "k8s.io/kubernetes@$v" | jq -r .Dir)
  # The proxy gives no commit for the tag here; the build date is the tag's date.
  date=$(go mod download -json "k8s.io/kubernetes@$v" | jq -r '.Time')
  local replaces=() godebug=() m
  while read -r m; do
    replaces+=("-replace=$m=$m@v0.${KUBERNETES_VERSION#*.}")
  done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$k8s_dir/go.mod")
  mapfile -t godebug < <(awk '$1 == "godebug" && NF == 2 {print "-godebug=" $2}' "$k8s_dir/go.mod")
  go_wrapper "$src/kubernetes" kubernetes "k8s.io/kubernetes@$v" "${replaces[@]}" \
    -go="$(awk '$1 == "go" {print $2; exit}' "$k8s_dir/go.mod")" "${godebug[@]}"
  ldflags="-s -w"
  for m in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $m.gitVersion=$v -X $m.gitMajor=${KUBERNETES_VERSION%%.*}"
    ldflags+=" -X $m.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
    ldflags+=" -X $m.gitTreeState=clean -X $m.buildDate=$date"
  done
  (cd "$src/kubernetes" && run go build -trimpath -ldflags "$ldflags" -o "$out/" \
    k8s.io/kubernetes/cmd/{kubelet,kubeadm,kubectl,kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy})

  # containerd 2.x: its go.mod has no replaces, so `go install` works.
  GOBIN=$out run go install -trimpath -tags "no_btrfs no_zfs no_devmapper" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=v$CONTAINERD_VERSION" \
    github.com/containerd/containerd/v2/cmd/{containerd,containerd-shim-runc-v2,ctr}@v"$CONTAINERD_VERSION"

  # crictl (kind runs it on the node): no replaces either.
  GOBIN=$out run go install -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=v$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@v$CRICTL_VERSION"

  # etcd: wrapper module (server/v3's go.mod replaces its siblings with local paths).
  go_wrapper "$src/etcd" etcd "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  (cd "$src/etcd" && run go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)

  # coredns: plain `go install` (see versions.sh for the version it is tagged as).
  GOBIN=$out run go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@v$COREDNS_VERSION"

  # pause: a static C program shipped in the kubernetes module.
  run gcc -Os -static -Wall -DVERSION="v$(kubeadm_pause_version "$k8s_dir")" \
    -o "$out/pause" "$k8s_dir/build/pause/linux/pause.c"

  ls -l "$out"
  rm -rf "$NODE_BINARIES" && mv "$out" "$NODE_BINARIES"
}

kubeadm_pause_version() {
  sed -n 's/^\s*PauseVersion = "\(.*\)"/\1/p' "$1/cmd/kubeadm/app/constants/constants.go"
}

# Packages of kind's base image (images/base/Dockerfile), minus the rootless/storage extras
# (fuse-overlayfs, nfs-common, open-iscsi, curl), plus Debian's runc and CNI plugins in place
# of the ones kind's base image builds from GitHub sources.
NODE_PACKAGES=systemd,systemd-sysv,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,jq,procps,runc,containernetworking-plugins

# The root filesystem of kind's base image: debootstrap, then kind's images/base/files and
# the RUN steps of its Dockerfile. Kept as a tarball in the cache.
build_node_rootfs() {
  local root=$NODE_WORK/rootfs.tmp kind_base
  kind_base=$(go mod download -json "sigs.k8s.io/kind@v$KIND_VERSION" | jq -r .Dir)/images/base
  command -v debootstrap >/dev/null || { run apt-get update -qq && run apt-get install -y -qq debootstrap; }
  rm -rf "$root"
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
  rm -rf "$root" && mv "$NODE_ROOTFS.tmp" "$NODE_ROOTFS"
}

# Component images, tagged exactly as kubeadm lists them, from the static binaries:
# a minimal root (passwd, group, /tmp) with the binary on PATH; kube-proxy gets the node's
# root filesystem because it runs iptables.
component_images() {
  local image name root
  for image in $("$NODE_BINARIES/kubeadm" config images list --kubernetes-version "v$KUBERNETES_VERSION"); do
    name=${image##*/} && name=${name%%:*}
    root=$(mktemp -d "$NODE_WORK/image.XXXXXX")
    if [ "$name" = kube-proxy ]; then
      cp "$NODE_BINARIES/kube-proxy" "$root/"
      printf 'FROM %s\nCOPY kube-proxy /usr/local/bin/\n' "$NODE_BASE-rootfs" >"$root/Dockerfile"
      run docker build -q -t "$image" "$root"
      rm -rf "$root" && continue
    fi
    mkdir -p "$root"/{etc,tmp,usr/local/bin} && chmod 1777 "$root/tmp"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    cp "$NODE_BINARIES/$name" "$root/usr/local/bin/"
    # coredns and pause run from their image's entrypoint; the others from kubeadm's manifests.
    tar -C "$root" --numeric-owner -c . | run docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      -c "ENTRYPOINT [\"/usr/local/bin/$name\"]" - "$image"
    rm -rf "$root"
  done
}

# kind's default CNI manifest, /kind/manifests/default-cni.yaml, as kind's node-image builder
# writes it (pkg/build/nodeimage/const_cni.go of the kind release kindnetd comes from): still a
# template that `kind create cluster` fills in (pod subnet, API server endpoint), with the
# kindnetd image made here, which is never pulled.
write_cni_manifest() {
  local const_cni upstream_image
  const_cni=$(go mod download -json "sigs.k8s.io/kind@v$KINDNETD_VERSION" | jq -r .Dir)/pkg/build/nodeimage/const_cni.go
  upstream_image=$(go run "$NODE_DIR/go/kind-cni/main.go" kindnetdImage <"$const_cni")
  go run "$NODE_DIR/go/kind-cni/main.go" defaultCNIManifest <"$const_cni" \
    | sed "s|^\( *\)image: $upstream_image\$|\1image: $KINDNETD_IMAGE\n\1imagePullPolicy: Never|" >"$1"
  if [ "$(grep -c "image: $KINDNETD_IMAGE\$" "$1")" != 1 ] || [ "$(grep -c 'imagePullPolicy: Never$' "$1")" != 1 ] \
    || ! grep -q 'would you kindly template this file' "$1" || grep -q "$upstream_image" "$1"; then
    echo "toolchain: kind's manifest in $const_cni is no longer one kindnetd container on a template: read it" >&2
    return 1
  fi
  echo "$1: kind v$KINDNETD_VERSION's manifest, $upstream_image replaced by $KINDNETD_IMAGE"
}

# The node image: the base root filesystem plus binaries, configuration and the component
# images in containerd's content store, saved with `docker commit` (kind's own method).
build_node_image() {
  local layer=$NODE_WORK/layer ctr_name=kube-demo-node-build-$$ pause images
  if ! docker image inspect "$KINDNETD_IMAGE" >/dev/null 2>&1; then
    echo "toolchain: no image $KINDNETD_IMAGE: build it first (npm run toolchain -- kindnetd)" >&2
    return 1
  fi
  NODE_BASE=kube-demo/kind-node-base:$NODE_IMAGE_SUITE-kind-v$KIND_VERSION
  # The images a rebuild replaces, removed at the end so reruns leave no untagged images.
  local old_ids kubeadm_images
  mapfile -t kubeadm_images < <("$NODE_BINARIES/kubeadm" config images list --kubernetes-version "v$KUBERNETES_VERSION")
  old_ids=$(docker image inspect -f '{{.Id}}' "$KIND_NODE_IMAGE" "$NODE_BASE" "$NODE_BASE-rootfs" \
    "${kubeadm_images[@]}" 2>/dev/null || true)
  # `docker import` cannot set STOPSIGNAL (systemd stops on SIGRTMIN+3); a FROM layer can,
  # and `docker commit` keeps it.
  run docker import "$NODE_ROOTFS" "$NODE_BASE-rootfs"
  printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n' \
    "$NODE_BASE-rootfs" | run docker build -q -t "$NODE_BASE" -
  component_images
  images=$("$NODE_BINARIES/kubeadm" config images list --kubernetes-version "v$KUBERNETES_VERSION")
  pause=$(grep /pause: <<<"$images")

  # Files added to the base: binaries, /kind/*.
  rm -rf "$layer" && mkdir -p "$layer"/{usr/bin,usr/local/bin,kind/manifests}
  write_cni_manifest "$layer/kind/manifests/default-cni.yaml"
  cp "$NODE_BINARIES"/{kubelet,kubeadm,kubectl} "$layer/usr/bin/"
  cp "$NODE_BINARIES"/{containerd,containerd-shim-runc-v2,ctr,crictl} "$layer/usr/local/bin/"
  echo "v$KUBERNETES_VERSION" >"$layer/kind/version"

  docker rm -f "$ctr_name" >/dev/null 2>&1 || true
  # run_step runs this function in a subshell: EXIT also covers a failing command.
  # shellcheck disable=SC2064 # expanded now on purpose: the variable is local to this function
  trap "docker rm -f -v $ctr_name >/dev/null 2>&1 || true" EXIT
  run docker run -d --name "$ctr_name" --entrypoint sleep --security-opt seccomp=unconfined "$NODE_BASE" infinity
  run docker cp "$layer/." "$ctr_name:/"
  # As kind's base image: the OCI spec containerd starts pods from, with kind's product-uuid
  # hook; the sandbox (pause) image is the one kubeadm 1.34 expects, so nothing is pulled.
  # For this host, restrict_oom_score_adj: the node lacks CAP_SYS_RESOURCE (the VM's bounding
  # set has none, see toolchain/docker/runc-wrapper), so runc cannot lower a pod's
  # oom_score_adj below containerd's own ("failed to update /proc/self/oom_score_adj:
  # Permission denied", which kubelet reports as "can't get final child's PID from pipe: EOF")
  # and no pod starts. With it, containerd clamps the value, as it does when rootless.
  run docker exec "$ctr_name" bash -euc "
    ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}' \
      | jq 'del(.process.rlimits)' >/etc/containerd/cri-base.json
    sed -i 's|sandbox_image = .*|sandbox_image = \"$pause\"|' /etc/containerd/config.toml
    sed -i 's|restrict_oom_score_adj = false|restrict_oom_score_adj = true|' /etc/containerd/config.toml
    grep -q 'restrict_oom_score_adj = true' /etc/containerd/config.toml
    nohup containerd >/tmp/containerd.log 2>&1 & echo \$! >/tmp/containerd.pid
    for i in \$(seq 30); do [ -S /run/containerd/containerd.sock ] && ctr version >/dev/null 2>&1 && break; sleep 1; done"
  # shellcheck disable=SC2086
  docker save $images "$KINDNETD_IMAGE" | run docker exec -i "$ctr_name" ctr --namespace=k8s.io images import \
    --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests -
  run docker exec "$ctr_name" bash -euc '
    ctr --namespace=k8s.io images list -q
    # PID 1 here is sleep, which reaps nobody: wait for the zombie, not for the pid to vanish.
    pid=$(cat /tmp/containerd.pid) && kill "$pid"
    while [ -e /proc/$pid ] && ! grep -q "^State:.*Z" /proc/$pid/status; do sleep 0.5; done
    rm -rf /run/containerd /tmp/containerd.* /var/log/*.log'
  run docker commit -c 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' -c 'CMD []' \
    "$ctr_name" "$KIND_NODE_IMAGE"
  docker image inspect -f 'Entrypoint {{json .Config.Entrypoint}} Cmd {{json .Config.Cmd}} StopSignal {{.Config.StopSignal}}' "$KIND_NODE_IMAGE"
  rm -rf "$layer"
  local id
  for id in $old_ids; do
    [ -n "$(docker image inspect -f '{{.RepoTags}}' "$id" 2>/dev/null | tr -d '[]')" ] || docker rmi "$id" >/dev/null 2>&1 || true
  done
}

# Rebuild the node image when its inputs change: the files under toolchain/node-image/, this
# script, and the kindnetd image (its ID: a rebuilt kindnetd is a new image).
NODE_IMAGE_INPUTS=$({
  (cd "$TOOLCHAIN_DIR" && tar -c --sort=name --mtime=@0 --owner=0 --group=0 node-image steps/node-image.sh)
  echo "$KINDNETD_IMAGE"
  docker image inspect -f '{{.Id}}' "$KINDNETD_IMAGE" 2>/dev/null || true
} | sha256sum | cut -c1-10)

mkdir -p "$NODE_WORK"
run_step node-binaries "${NODE_BINARIES##*/bin-}" "$NODE_BINARIES" build_node_binaries
run_step node-rootfs "$NODE_IMAGE_SUITE-kind-v$KIND_VERSION-$(echo "$NODE_PACKAGES" | sha256sum | cut -c1-6)" "$NODE_ROOTFS" build_node_rootfs
run_step node-image "v$KUBERNETES_VERSION-$NODE_IMAGE_INPUTS" "$KIND_NODE_IMAGE" build_node_image
