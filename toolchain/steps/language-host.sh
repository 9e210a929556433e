# pulumi-language-nodejs: upstream's Go language host is its own module, which the Go module
# proxy does not serve; toolchain/pulumi/language-host/main.go serves the same gRPC service with
# the definitions of the SDK module (which the proxy serves) and runs the project's own
# @pulumi/pulumi program runner. Installed next to the CLI, with pulumi-resource-pulumi-nodejs
# (dynamic resources), which the CLI's release archive bundles.

LANGUAGE_HOST_DIR=$TOOLCHAIN_DIR/pulumi/language-host

build_language_host() {
  export GOTOOLCHAIN=local CGO_ENABLED=0
  local work
  work=$(mktemp -d "$CACHE/language-host.XXXXXX")
  # run_step runs this function in a subshell: the trap removes the scratch dir however it ends.
  trap "rm -rf $(printf %q "$work")" EXIT
  sed "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" "$LANGUAGE_HOST_DIR/go.mod.in" >"$work/go.mod"
  cp "$LANGUAGE_HOST_DIR"/*.go "$work/"
  (cd "$work" && run go mod tidy && run go vet . && run go test . &&
    run go build -trimpath -o "$work/pulumi-language-nodejs" .)
  mv -f "$work/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  local tmp
  tmp=$(mktemp "$BIN/.pulumi-resource-pulumi-nodejs.XXXXXX")
  cp "$LANGUAGE_HOST_DIR/pulumi-resource-pulumi-nodejs" "$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$BIN/pulumi-resource-pulumi-nodejs"
}

# The stamp follows the files' content, so an edited host is rebuilt.
run_step language-host "$PULUMI_VERSION-$(cat "$LANGUAGE_HOST_DIR"/* | sha256sum | cut -c1-12)" \
  "$BIN/pulumi-language-nodejs" build_language_host
