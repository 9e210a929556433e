# shellcheck shell=bash
# The node image's binaries, into $NODE_BINARIES (lib.sh): Kubernetes, containerd, crictl, etcd
# and coredns built from the Go module proxy, and pause (C) from the kubernetes module. The
# node-image step puts them into the node image, the kubectl step puts kubectl on PATH. The
# wrapper modules' tools.go files are in toolchain/node-image/go/ (see its README).

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
  scratch_dir "$out"
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

mkdir -p "$NODE_WORK"
run_step node-binaries "${NODE_BINARIES##*/bin-}" "$NODE_BINARIES" build_node_binaries \
  toolchain/steps/node-binaries.sh toolchain/node-image/go/kubernetes toolchain/node-image/go/etcd
