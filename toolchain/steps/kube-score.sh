# shellcheck shell=bash
# kube-score (static checks of Kubernetes manifests, tests/lint/) from the Go module proxy (its
# go.mod has no replace directives). Its release builds set the version by ldflags; so does this.
build_kube_score() {
  local tmp=$CACHE/kube-score-bin.tmp
  scratch_dir "$tmp"
  CGO_ENABLED=0 GOBIN=$tmp run go install -trimpath -ldflags "-X main.version=$KUBE_SCORE_VERSION" \
    "github.com/zegl/kube-score/cmd/kube-score@v$KUBE_SCORE_VERSION"
  run "$tmp/kube-score" version
  install_atomically "$tmp/kube-score" "$BIN/kube-score"
}
run_step kube-score "v$KUBE_SCORE_VERSION" "$BIN/kube-score" build_kube_score toolchain/steps/kube-score.sh
