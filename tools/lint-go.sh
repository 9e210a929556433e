#!/usr/bin/env bash
# The project's Go code: every Go file gofmt-formatted (gofmt -l prints nothing), and every
# module the project holds (a committed go.mod: toolchain/node-image/go/kind-cni) clean under
# `go vet` and passing `go test`. The toolchain's other Go files are build-only wrapper modules
# (toolchain/node-image/go/{kubernetes,etcd}/tools.go, toolchain/pulumi/*/) whose go.mod the
# toolchain generates from upstream ones at build time (go.mod.in), so there is no module here
# for vet or test to load without that build and its downloads; gofmt still covers them.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tools/lint-needs.sh
. tools/lint-needs.sh
for tool in go gofmt; do
  needs_tool lint:go "$tool" "install Go (https://go.dev/dl/)"
done
mapfile -t files < <(git ls-files '*.go')
if [ "${#files[@]}" -eq 0 ]; then
  exit 0
fi
unformatted=$(gofmt -l "${files[@]}")
if [ -n "$unformatted" ]; then
  echo "lint:go: not gofmt-formatted (run gofmt -w on them):" >&2
  echo "$unformatted" >&2
  exit 1
fi
mapfile -t modules < <(git ls-files '*go.mod' | xargs -r -n1 dirname)
for module in "${modules[@]}"; do
  (cd "$module" && go vet ./... && go test -count=1 ./... >/dev/null) || {
    echo "lint:go: go vet or go test failed in $module" >&2
    exit 1
  }
done
echo "lint:go: ${#files[@]} Go files formatted; ${#modules[@]} module(s) vetted and tested"
