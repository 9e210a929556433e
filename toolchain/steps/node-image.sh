# shellcheck shell=bash
# Kind node image $KIND_NODE_IMAGE, assembled by hand: `kind build node-image` pulls
# pause/etcd/coredns/kindnetd images and cannot work offline. From three other steps'
# artifacts: the node-binaries step's binaries, the node-rootfs step's root filesystem, and the
# kindnetd step's image, which goes in with kind's manifest for it. The same stages as kind's
# own builder (pkg/build/nodeimage): a base container, the binaries copied in, the images
# imported into its containerd, `docker commit`.

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
  NODE_BASE=kube-demo/kind-node-base:$NODE_IMAGE_SUITE-kind-v$KIND_VERSION
  # The images a rebuild replaces, removed at the end so reruns leave no untagged images.
  local old_ids kubeadm_images
  mapfile -t kubeadm_images < <("$NODE_BINARIES/kubeadm" config images list --kubernetes-version "v$KUBERNETES_VERSION")
  mapfile -t old_ids < <(image_ids "$KIND_NODE_IMAGE" "$NODE_BASE" "$NODE_BASE-rootfs" "${kubeadm_images[@]}")
  # `docker import` cannot set STOPSIGNAL (systemd stops on SIGRTMIN+3); a FROM layer can,
  # and `docker commit` keeps it.
  run docker import "$NODE_ROOTFS" "$NODE_BASE-rootfs"
  printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n' \
    "$NODE_BASE-rootfs" | run docker build -q -t "$NODE_BASE" -
  component_images
  images=$("$NODE_BINARIES/kubeadm" config images list --kubernetes-version "v$KUBERNETES_VERSION")
  pause=$(grep /pause: <<<"$images")

  # Files added to the base: binaries, /kind/*.
  scratch_dir "$layer"
  mkdir -p "$layer"/{usr/bin,usr/local/bin,kind/manifests}
  write_cni_manifest "$layer/kind/manifests/default-cni.yaml"
  cp "$NODE_BINARIES"/{kubelet,kubeadm,kubectl} "$layer/usr/bin/"
  cp "$NODE_BINARIES"/{containerd,containerd-shim-runc-v2,ctr,crictl} "$layer/usr/local/bin/"
  echo "v$KUBERNETES_VERSION" >"$layer/kind/version"

  docker rm -f "$ctr_name" >/dev/null 2>&1 || true
  on_exit "docker rm -f -v $ctr_name >/dev/null 2>&1 || true"
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
  prune_replaced "${old_ids[@]}"
}

mkdir -p "$NODE_WORK"
run_step node-image "v$KUBERNETES_VERSION" "$KIND_NODE_IMAGE" build_node_image \
  toolchain/steps/node-image.sh toolchain/node-image/go/kind-cni \
  "node-binaries:$NODE_BINARIES" "node-rootfs:$NODE_ROOTFS" "kindnetd:$KINDNETD_IMAGE"
