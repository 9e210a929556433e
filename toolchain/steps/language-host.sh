# pulumi-language-nodejs: upstream's Go language host is its own module, which the Go module
# proxy does not serve; toolchain/pulumi/language-host/ serves the same gRPC service with the
# pieces of the project's own @pulumi/pulumi (see the file's header). Installed next to the CLI,
# with pulumi-resource-pulumi-nodejs (dynamic resources), which the CLI's release archive bundles.

LANGUAGE_HOST_DIR=$TOOLCHAIN_DIR/pulumi/language-host

build_language_host() {
  local f tmp
  run node --check "$LANGUAGE_HOST_DIR/pulumi-language-nodejs.js"
  for f in pulumi-language-nodejs.js pulumi-resource-pulumi-nodejs; do
    tmp=$(mktemp "$BIN/.$f.XXXXXX")
    cp "$LANGUAGE_HOST_DIR/$f" "$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$BIN/${f%.js}"
  done
}

# The stamp follows the files' content, so an edited host is reinstalled.
run_step language-host "$PULUMI_VERSION-$(cat "$LANGUAGE_HOST_DIR"/* | sha256sum | cut -c1-12)" \
  "$BIN/pulumi-language-nodejs" build_language_host
