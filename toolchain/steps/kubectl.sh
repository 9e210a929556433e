# shellcheck shell=bash
# kubectl for the user and the tests: the one built with the node image's Kubernetes binaries
# (NODE_BINARIES, lib.sh; built by steps/node-image.sh), so client and cluster versions match.

build_kubectl() {
  run install -m 0755 "$NODE_BINARIES/kubectl" "$BIN/.kubectl.tmp"
  mv -f "$BIN/.kubectl.tmp" "$BIN/kubectl"
  run "$BIN/kubectl" version --client
}

run_step kubectl "v$KUBERNETES_VERSION" "$BIN/kubectl" build_kubectl
