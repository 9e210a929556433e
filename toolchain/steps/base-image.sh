# shellcheck shell=bash
# The app's Node base image $NODE_BASE_IMAGE, made from this machine's Node (no registry):
# /usr/bin/node, the libraries ldd lists, a `node` user (1000:1000) and /tmp. It stands in
# for node:20-slim: the app's Dockerfile takes it as `--build-arg BASE_IMAGE=...`.
build_base_image() {
  local root=$CACHE/base-image.tmp lib old_ids
  mapfile -t old_ids < <(image_ids "$NODE_BASE_IMAGE")
  scratch_dir "$root"
  mkdir -p "$root"/{etc,tmp,home/node,usr/local/bin}
  chmod 1777 "$root/tmp" && chown 1000:1000 "$root/home/node"
  for lib in /usr/bin/node $(ldd /usr/bin/node | grep -o '/[^ ]*'); do
    cp --parents -L "$lib" "$root/"
  done
  cp --parents -L /etc/ssl/certs/ca-certificates.crt "$root/"
  printf 'root:x:0:0:root:/root:/bin/false\nnode:x:1000:1000::/home/node:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  tar -C "$root" -c . | run docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'WORKDIR /home/node' -c 'CMD ["node"]' - "$NODE_BASE_IMAGE"
  run docker run --rm --user 1000:1000 "$NODE_BASE_IMAGE" node -e 'console.log(process.version, process.getuid(), require("os").userInfo().username)'
  prune_replaced "${old_ids[@]}"
}
run_step base-image "$(node --version)" "$NODE_BASE_IMAGE" build_base_image toolchain/steps/base-image.sh
