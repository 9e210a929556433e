# pulumi-resource-command and pulumi-resource-docker: upstream's Go modules are not served by the
# Go module proxy and plugin downloads are impossible, so toolchain/stand-in-providers/ holds
# Node.js stand-ins for the subset this project uses (see its README). Each is installed into
# $CACHE/pulumi-home as the plugin of the exact version the SDK in package-lock.json asks for.

STAND_IN_DIR=$TOOLCHAIN_DIR/stand-in-providers
STAND_IN_PLUGINS="command:$PULUMI_COMMAND_VERSION docker:$PULUMI_DOCKER_VERSION"

build_stand_in_providers() {
  export PULUMI_HOME=$CACHE/pulumi-home PULUMI_SKIP_UPDATE_CHECK=true
  local entry name version work
  work=$(mktemp -d "$CACHE/stand-in-providers.XXXXXX")
  run node --check "$STAND_IN_DIR/support.js"
  for entry in $STAND_IN_PLUGINS; do
    name=${entry%%:*} version=${entry#*:}
    run node --check "$STAND_IN_DIR/$name.js"
    # A plugin folder: the executable and the helpers it shares with the other stand-in.
    mkdir "$work/$name"
    install -m 755 "$STAND_IN_DIR/$name.js" "$work/$name/pulumi-resource-$name"
    install -m 644 "$STAND_IN_DIR/support.js" "$work/$name/support.js"
    run pulumi plugin install resource "$name" "v$version" --file "$work/$name" --reinstall
  done
  rm -rf "$work"
  run pulumi plugin ls
  for entry in $STAND_IN_PLUGINS; do
    name=${entry%%:*} version=${entry#*:}
    # The installed file must be this checkout's source (a stale copy would pass `plugin ls`).
    cmp "$STAND_IN_DIR/$name.js" "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"
    cmp "$STAND_IN_DIR/support.js" "$PULUMI_HOME/plugins/resource-$name-v$version/support.js"
    pulumi plugin ls | awk -v n="$name" -v v="$version" '$1 == n && $2 == "resource" && $3 == v { found = 1 } END { exit !found }'
  done
}

# The stamp follows the sources, so an edited stand-in is reinstalled.
run_step stand-in-providers \
  "$PULUMI_COMMAND_VERSION-$PULUMI_DOCKER_VERSION-$(cat "$STAND_IN_DIR/command.js" "$STAND_IN_DIR/docker.js" "$STAND_IN_DIR/support.js" | sha256sum | cut -c1-12)" \
  "$CACHE/pulumi-home/plugins" build_stand_in_providers
