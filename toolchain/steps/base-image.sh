# shellcheck shell=bash
# The app's Node base image $NODE_BASE_IMAGE, made from this machine's Node (no registry):
# /usr/bin/node, the libraries ldd lists, a `node` user (1000:1000) and /tmp. It stands in
# for node:20-slim: the app's Dockerfile takes it as `--build-arg BASE_IMAGE=...`.
build_base_image() {
  local root lib old_id
  old_id=$(docker image inspect -f '{{.Id}}' "$NODE_BASE_IMAGE" 2>/dev/null || true)
  root=$(mktemp -d "$CACHE/base-image.XXXXXX")
  # shellcheck disable=SC2064 # expanded now on purpose: the variable is local to this function
  trap "rm -rf $(printf %q "$root")" EXIT  # run_step runs this in a subshell
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
  # The replaced image, unless something still uses it.
  if [ -n "$old_id" ] && [ -z "$(docker image inspect -f '{{.RepoTags}}' "$old_id" 2>/dev/null | tr -d '[]')" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
}
run_step base-image "$(node --version)" "$NODE_BASE_IMAGE" build_base_image
