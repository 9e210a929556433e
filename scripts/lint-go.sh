#!/usr/bin/env bash
# The project's Go files must be gofmt-formatted (gofmt -l prints nothing). Only that: they are
# the toolchain's build-only wrapper modules (toolchain/*/go/*/tools.go, toolchain/pulumi/*/),
# whose go.mod the toolchain generates at build time from upstream ones (go.mod.in), so there
# is no module here for `go vet` or `go test` to load without that build and its downloads.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gofmt >/dev/null; then
  echo "lint:go: gofmt is not on PATH (it comes with Go)" >&2
  exit 1
fi
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
echo "lint:go: ${#files[@]} Go files formatted"
