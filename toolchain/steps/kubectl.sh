# shellcheck shell=bash
# kubectl for the user and the tests: the one the node-binaries step built with the node image's
# Kubernetes, so client and cluster versions match.
build_kubectl() {
  install_atomically "$NODE_BINARIES/kubectl" "$BIN/kubectl"
  run "$BIN/kubectl" version --client
}
run_step kubectl "v$KUBERNETES_VERSION" "$BIN/kubectl" build_kubectl \
  toolchain/steps/kubectl.sh "node-binaries:$NODE_BINARIES/kubectl"
