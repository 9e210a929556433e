# pulumi-resource-command and pulumi-resource-docker: upstream's Go modules are not served by the
# Go module proxy and plugin downloads are impossible, so toolchain/stand-in-providers/ holds Go
# stand-ins for the subset this project uses (see its README), built on the SDK module's gRPC
# definitions. Each is installed into $CACHE/pulumi-home as the plugin of the exact version the
# SDK in package-lock.json asks for.

STAND_IN_DIR=$TOOLCHAIN_DIR/stand-in-providers
STAND_IN_PLUGINS="command:$PULUMI_COMMAND_VERSION docker:$PULUMI_DOCKER_VERSION"

build_stand_in_providers() {
  export PULUMI_HOME=$CACHE/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true GOTOOLCHAIN=local CGO_ENABLED=0
  local entry name version work
  work=$(mktemp -d "$CACHE/stand-in-providers.XXXXXX")
  # run_step runs this function in a subshell: the trap removes the scratch dir however it ends.
  trap "rm -rf $(printf %q "$work")" EXIT
  cp -r "$STAND_IN_DIR/standin" "$STAND_IN_DIR/cmd" "$work/"
  chmod -R u+w "$work"
  sed "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" "$STAND_IN_DIR/go.mod.in" >"$work/go.mod"
  (cd "$work" && run go mod tidy && run go vet ./... && run go test ./... &&
    run go build -trimpath -o "$work/bin/" ./cmd/...)
  for entry in $STAND_IN_PLUGINS; do
    name=${entry%%:*} version=${entry#*:}
    run pulumi plugin install resource "$name" "v$version" --file "$work/bin/pulumi-resource-$name" --reinstall
    # The installed plugin must be this build (a stale copy would pass `plugin ls`).
    cmp "$work/bin/pulumi-resource-$name" "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
  done
  run pulumi plugin ls
  for entry in $STAND_IN_PLUGINS; do
    name=${entry%%:*} version=${entry#*:}
    pulumi plugin ls | awk -v n="$name" -v v="$version" '$1 == n && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'
  done
}

# The stamp follows the sources, so an edited stand-in is rebuilt.
run_step stand-in-providers \
  "$PULUMI_COMMAND_VERSION-$PULUMI_DOCKER_VERSION-$(cd "$STAND_IN_DIR" && find go.mod.in standin cmd -type f | sort | xargs cat | sha256sum | cut -c1-12)" \
  "$CACHE/pulumi-home/plugins" build_stand_in_providers
