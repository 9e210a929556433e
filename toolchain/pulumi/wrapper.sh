# shellcheck shell=bash
# Helpers shared by the Go wrapper-module steps (pulumi.sh, kubernetes-provider.sh).
# Upstream go.mod files carry replace directives, which `go install mod@version` refuses;
# a wrapper module requires the upstream module and repeats the replaces that point at
# other modules (the local `=> ../sdk` ones are covered by requiring that SDK version).

# Prints the replace directives of a go.mod whose target is a module, not a local path.
nonlocal_replaces() {
  go mod edit -json "$1" |
    jq -r '.Replace[]? | select(.New.Version != null)
      | "\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)@\(.New.Version)"'
}

# The go.mod of MODULE@VERSION, downloaded into the module cache.
upstream_gomod() { go mod download -json "$1@$2" | jq -r .GoMod; }

# prepare_wrapper DIR TEMPLATE UPSTREAM_GOMOD: DIR/go.mod from TEMPLATE plus UPSTREAM's replaces.
prepare_wrapper() {
  local dir=$1 template=$2 upstream=$3 r
  command -v jq >/dev/null || { echo "toolchain: jq is missing (apt-get install jq)"; return 1; }
  mkdir -p "$dir"
  sed -e "s/@PULUMI_VERSION@/$PULUMI_VERSION/g" \
      -e "s/@PULUMI_KUBERNETES_VERSION@/$PULUMI_KUBERNETES_VERSION/g" \
      -e "s/@PULUMI_KUBERNETES_MODULE@/$PULUMI_KUBERNETES_MODULE/g" "$template" >"$dir/go.mod"
  for r in $(nonlocal_replaces "$upstream"); do
    run go mod edit -replace "$r" "$dir/go.mod"
  done
  echo "--- $dir/go.mod"; cat "$dir/go.mod"
}
