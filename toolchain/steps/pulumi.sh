# shellcheck shell=bash
# The Pulumi CLI, built from pulumi/pkg through a wrapper module (pkg's go.mod has
# replace directives, so `go install pkg/v3/cmd/pulumi@vX` refuses to build it).
# shellcheck source=toolchain/pulumi/wrapper.sh
. "$TOOLCHAIN_DIR/pulumi/wrapper.sh"

build_pulumi() {
  export GOTOOLCHAIN=local CGO_ENABLED=0
  local pkg=github.com/pulumi/pulumi/pkg/v3 work=$CACHE/pulumi-cli.tmp
  scratch_dir "$work"
  prepare_wrapper "$work" "$TOOLCHAIN_DIR/pulumi/cli/go.mod.in" "$(upstream_gomod "$pkg" "v$PULUMI_VERSION")"
  # Upstream's release flags.
  (cd "$work" && run go mod tidy &&
    run go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$work/pulumi" "$pkg/cmd/pulumi")
  run "$work/pulumi" version
  [ "$("$work/pulumi" version)" = "v$PULUMI_VERSION" ]
  install_atomically "$work/pulumi" "$BIN/pulumi"
}

run_step pulumi "$PULUMI_VERSION" "$BIN/pulumi" build_pulumi \
  toolchain/steps/pulumi.sh toolchain/pulumi/wrapper.sh toolchain/pulumi/cli
