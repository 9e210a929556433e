# shellcheck shell=bash
# The Pulumi CLI, built from pulumi/pkg through a wrapper module (pkg's go.mod has
# replace directives, so `go install pkg/v3/cmd/pulumi@vX` refuses to build it).
# shellcheck source=toolchain/pulumi/wrapper.sh
. "$TOOLCHAIN_DIR/pulumi/wrapper.sh"

build_pulumi() {
  export GOTOOLCHAIN=local CGO_ENABLED=0
  local pkg=github.com/pulumi/pulumi/pkg/v3 work
  work=$(mktemp -d "$CACHE/pulumi-cli.XXXXXX")
  # run_step runs this function in a subshell: the trap removes the scratch dir however it ends.
  # shellcheck disable=SC2064 # expanded now on purpose: the variable is local to this function
  trap "rm -rf $(printf %q "$work")" EXIT
  prepare_wrapper "$work" "$TOOLCHAIN_DIR/pulumi/cli/go.mod.in" "$(upstream_gomod "$pkg" "v$PULUMI_VERSION")"
  # Upstream's release flags.
  (cd "$work" && run go mod tidy &&
    run go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$work/pulumi" "$pkg/cmd/pulumi")
  run "$work/pulumi" version
  [ "$("$work/pulumi" version)" = "v$PULUMI_VERSION" ]
  mv -f "$work/pulumi" "$BIN/pulumi"
}

run_step pulumi "$PULUMI_VERSION" "$BIN/pulumi" build_pulumi
