# The plugins whose upstream Go modules the Go module proxy does not serve (and plugin downloads
# are impossible): the Node.js language host and the command and docker resource plugins.
# toolchain/stand-in-plugins/ holds Go stand-ins for them (see its README), built on the SDK
# module's gRPC definitions. The language host goes next to the CLI in $BIN, with
# pulumi-resource-pulumi-nodejs (dynamic resources), which the CLI's release archive bundles;
# the resource plugins go into $CACHE/pulumi-home at exactly the versions the SDKs in
# package-lock.json ask for.

STAND_IN_DIR=$TOOLCHAIN_DIR/stand-in-plugins
STAND_IN_RESOURCES="command:$PULUMI_COMMAND_VERSION docker:$PULUMI_DOCKER_VERSION"

# install_atomically SOURCE TARGET: TARGET is never half-written (or busy, when it is running).
install_atomically() {
  local tmp
  tmp=$(mktemp "$(dirname "$2")/.$(basename "$2").XXXXXX")
  cp "$1" "$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$2"
}

build_stand_in_plugins() {
  export PULUMI_HOME=$CACHE/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true GOTOOLCHAIN=local CGO_ENABLED=0
  local entry name version work
  work=$(mktemp -d "$CACHE/stand-in-plugins.XXXXXX")
  # run_step runs this function in a subshell: the trap removes the scratch dir however it ends.
  trap "rm -rf $(printf %q "$work")" EXIT
  cp -r "$STAND_IN_DIR/standin" "$STAND_IN_DIR/cmd" "$work/"
  chmod -R u+w "$work"
  sed "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" "$STAND_IN_DIR/go.mod.in" >"$work/go.mod"
  (cd "$work" && run go mod tidy && run go vet ./... && run go test ./... &&
    run go build -trimpath -o "$work/bin/" ./cmd/...)
  install_atomically "$work/bin/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  install_atomically "$STAND_IN_DIR/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
  for entry in $STAND_IN_RESOURCES; do
    name=${entry%%:*} version=${entry#*:}
    run pulumi plugin install resource "$name" "v$version" --file "$work/bin/pulumi-resource-$name" --reinstall
    # The installed plugin must be this build (a stale copy would pass `plugin ls`).
    cmp "$work/bin/pulumi-resource-$name" "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
  done
  run pulumi plugin ls
  for entry in $STAND_IN_RESOURCES; do
    name=${entry%%:*} version=${entry#*:}
    pulumi plugin ls | awk -v n="$name" -v v="$version" '$1 == n && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'
  done
}

# The stamp follows the sources, so an edited stand-in is rebuilt.
run_step stand-in-plugins \
  "$PULUMI_VERSION-$PULUMI_COMMAND_VERSION-$PULUMI_DOCKER_VERSION-$(cd "$STAND_IN_DIR" && find go.mod.in pulumi-resource-pulumi-nodejs standin cmd -type f | sort | xargs cat | sha256sum | cut -c1-12)" \
  "$BIN/pulumi-language-nodejs" build_stand_in_plugins
