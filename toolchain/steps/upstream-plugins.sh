# shellcheck shell=bash
# The Node.js language host and the command and docker resource plugins, built from their
# released source in ../shared/upstream (the Go module proxy refuses their modules; see that
# folder's README). Static, versions stamped by ldflags as upstream's release builds do. The
# language host goes next to `pulumi` in $BIN, as in upstream's release archive; the resource
# plugins are installed with `pulumi plugin install --file`, as a user's CLI has them.

# go_build_static DIR PACKAGE OUTPUT LDFLAGS
go_build_static() {
  (cd "$1" && CGO_ENABLED=0 GOTOOLCHAIN=local run go build -trimpath -ldflags "$4" -o "$3" "$2")
}

build_upstream_plugins() {
  export PULUMI_HOME=$CACHE/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true
  local src=$CACHE/upstream-src out entry name version plugin_dir
  scratch_dir "$src"
  out=$src/bin
  mkdir -p "$out"
  unpack_upstream "pulumi-command-v$PULUMI_COMMAND_VERSION.tar.gz" "$UPSTREAM_COMMAND_SHA256" "$src"
  unpack_upstream "pulumi-docker-v$PULUMI_DOCKER_VERSION.tar.gz" "$UPSTREAM_DOCKER_SHA256" "$src"
  unpack_upstream "pulumi-v$PULUMI_VERSION.tar.gz" "$UPSTREAM_PULUMI_SHA256" "$src"

  go_build_static "$src/pulumi-v$PULUMI_VERSION/sdk/nodejs/cmd/pulumi-language-nodejs" . \
    "$out/pulumi-language-nodejs" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
  go_build_static "$src/pulumi-command-v$PULUMI_COMMAND_VERSION/provider" ./cmd/pulumi-resource-command \
    "$out/pulumi-resource-command" "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$PULUMI_COMMAND_VERSION"
  go_build_static "$src/pulumi-docker-v$PULUMI_DOCKER_VERSION/provider" ./cmd/pulumi-resource-docker \
    "$out/pulumi-resource-docker" "-X github.com/pulumi/pulumi-docker/provider/v4/pkg/version.Version=$PULUMI_DOCKER_VERSION -s -w"

  run "$out/pulumi-language-nodejs" --version
  [ "$("$out/pulumi-language-nodejs" --version)" = "v$PULUMI_VERSION" ]
  for entry in command:$PULUMI_COMMAND_VERSION docker:$PULUMI_DOCKER_VERSION; do
    name=${entry%%:*} version=${entry#*:}
    plugin_dir=$PULUMI_HOME/plugins/resource-$name-v$version
    # `--reinstall` replaces the folder whole; a failed install leaves no partial plugin behind.
    if ! run pulumi plugin install resource "$name" "v$version" --file "$out/pulumi-resource-$name" --reinstall; then
      rm -rf "$plugin_dir" "$plugin_dir.lock" "$plugin_dir.partial"
      return 1
    fi
    cmp "$out/pulumi-resource-$name" "$plugin_dir/pulumi-resource-$name"
    plugin_installed "$name" "$version"
  done
  install_atomically "$out/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  run pulumi plugin ls
}

run_step upstream-plugins "$PULUMI_VERSION-$PULUMI_COMMAND_VERSION-$PULUMI_DOCKER_VERSION" \
  "$BIN/pulumi-language-nodejs" build_upstream_plugins toolchain/steps/upstream-plugins.sh \
  "=$UPSTREAM_COMMAND_SHA256" "=$UPSTREAM_DOCKER_SHA256" "=$UPSTREAM_PULUMI_SHA256"
