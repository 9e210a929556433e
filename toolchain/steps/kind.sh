# shellcheck shell=bash
# kind CLI from the Go module proxy (its go.mod has no replace directives).
build_kind() {
  local tmp=$CACHE/kind-bin.tmp
  scratch_dir "$tmp"
  CGO_ENABLED=0 GOBIN=$tmp run go install -trimpath "sigs.k8s.io/kind@v$KIND_VERSION"
  run "$tmp/kind" version
  install_atomically "$tmp/kind" "$BIN/kind"
}
run_step kind "v$KIND_VERSION" "$BIN/kind" build_kind toolchain/steps/kind.sh
