# shellcheck shell=bash
# pulumi-resource-kubernetes, built from the provider module's pseudo-version through a
# wrapper module whose main.go (toolchain/pulumi/kubernetes/) embeds the schema and the
# Terraform mapping that upstream's own generate.go derives from the module's JSON files;
# then installed into the plugin cache $PULUMI_HOME/plugins.
# shellcheck source=toolchain/pulumi/wrapper.sh
. "$TOOLCHAIN_DIR/pulumi/wrapper.sh"

build_kubernetes_provider() {
  export GOTOOLCHAIN=local CGO_ENABLED=0 PULUMI_HOME=$CACHE/pulumi-home
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4 src work=$CACHE/pulumi-kubernetes.tmp
  scratch_dir "$work"
  src=$(go mod download -json "$mod@$PULUMI_KUBERNETES_MODULE" | jq -r .Dir)/cmd/pulumi-resource-kubernetes
  prepare_wrapper "$work" "$TOOLCHAIN_DIR/pulumi/kubernetes/go.mod.in" "$(upstream_gomod "$mod" "$PULUMI_KUBERNETES_MODULE")"
  cp "$TOOLCHAIN_DIR/pulumi/kubernetes/main.go" "$src/schema.json" "$src/terraform-mapping.json" "$work/"
  chmod u+w "$work"/*
  (cd "$work" && run go mod tidy &&
    VERSION=$PULUMI_KUBERNETES_VERSION run go run "$src/generate.go" &&
    run go build -trimpath \
      -ldflags "-X $mod/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
      -o "$work/pulumi-resource-kubernetes" .)
  run jq -e --arg v "$PULUMI_KUBERNETES_VERSION" '.version == $v' "$work/schema-embed.json"
  # Not in $BIN: a provider on PATH would shadow the plugin cache for every version.
  run pulumi plugin install --reinstall resource kubernetes \
    "v$PULUMI_KUBERNETES_VERSION" --file "$work/pulumi-resource-kubernetes"
  run pulumi plugin ls
  plugin_installed kubernetes "$PULUMI_KUBERNETES_VERSION"
}

run_step kubernetes-provider "$PULUMI_KUBERNETES_VERSION" \
  "$CACHE/pulumi-home/plugins/resource-kubernetes-v$PULUMI_KUBERNETES_VERSION" build_kubernetes_provider \
  toolchain/steps/kubernetes-provider.sh toolchain/pulumi/wrapper.sh toolchain/pulumi/kubernetes
