# shellcheck shell=bash
# kindnetd, kind's default CNI daemon (routes to the other nodes' pod ranges, masquerading,
# the CNI config of its node), and its image $KINDNETD_IMAGE, made without a registry. Built
# from kind's released source in ../shared/upstream (the Go module proxy refuses kind's
# images/kindnetd module); the node-image step puts the image and kind's manifest for it into
# the node image.
# Upstream's image is the static binary on distroless-iptables, which is Debian's iptables
# packages on a distroless root: kindnetd runs `iptables` for its masquerade rules
# (github.com/coreos/go-iptables); its network policies use nftables through netlink and run
# nothing. Here the binary goes onto a root holding only Debian's iptables and the packages it
# depends on, from this machine's apt sources.
KINDNETD_WORK=$CACHE/kindnetd

build_kindnetd() {
  local src=$KINDNETD_WORK/src root=$KINDNETD_WORK/root
  local debs=$KINDNETD_WORK/debs old_ids pkgs deb
  mapfile -t old_ids < <(image_ids "$KINDNETD_IMAGE")
  scratch_dir "$KINDNETD_WORK"
  mkdir -p "$src" "$root"/{bin,etc,tmp} "$debs"
  unpack_upstream kindnetd.tar.gz "$UPSTREAM_KINDNETD_SHA256" "$src"
  run cat "$src/kindnetd/SOURCE"
  grep -q "tag v$KINDNETD_VERSION," "$src/kindnetd/SOURCE"
  # As upstream's Dockerfile builds it: static, no ldflags.
  (cd "$src/kindnetd" && CGO_ENABLED=0 GOTOOLCHAIN=local run go build -trimpath -o "$root/bin/kindnetd" ./cmd/kindnetd)

  apt-cache show iptables >/dev/null 2>&1 || run apt-get update -qq
  pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances iptables | grep '^[a-z]' | sort -u)
  # shellcheck disable=SC2086
  (cd "$debs" && run apt-get download -q $pkgs)
  for deb in "$debs"/*.deb; do
    run dpkg-deb -x "$deb" "$root"
  done
  # What update-alternatives does at install: Debian's default, nft, as in the node's kube-proxy
  # image. (Upstream's image picks the mode at run time with kubernetes-sigs/iptables-wrappers.)
  ln -s iptables-nft "$root/usr/sbin/iptables"
  ln -s ip6tables-nft "$root/usr/sbin/ip6tables"
  rm -rf "$root"/usr/share/{doc,man,info,lintian,locale}
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" --numeric-owner -c . | run docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["/bin/kindnetd"]' \
    - "$KINDNETD_IMAGE"
  # It starts, and so does the iptables it calls.
  run docker run --rm "$KINDNETD_IMAGE" kindnetd --help
  run docker run --rm "$KINDNETD_IMAGE" iptables --version
  prune_replaced "${old_ids[@]}"
}

run_step kindnetd "v$KINDNETD_VERSION" "$KINDNETD_IMAGE" build_kindnetd \
  toolchain/steps/kindnetd.sh "=$UPSTREAM_KINDNETD_SHA256"
