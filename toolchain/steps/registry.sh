# shellcheck shell=bash
# distribution's registry (registry:3 upstream) as the image $REGISTRY_IMAGE, made without a
# registry: the e2e tests run it as the local registry a Kind cluster's nodes pull from (kind's
# documented local-registry pattern). Built from the Go module proxy (its go.mod has no replace
# directives, so `go install` works) as upstream's Dockerfile builds it: static, with its version
# ldflags; the proxy gives no commit for the tag, so version.revision stays empty.
# Upstream's image is alpine with ca-certificates; here the binary, that config and this
# machine's CA bundle (for a pull-through proxy or a cloud storage driver) go onto scratch.
REGISTRY_WORK=$CACHE/registry

build_registry() {
  local root=$REGISTRY_WORK/root pkg=github.com/distribution/distribution/v3 src old_ids
  mapfile -t old_ids < <(image_ids "$REGISTRY_IMAGE")
  scratch_dir "$REGISTRY_WORK"
  mkdir -p "$root/etc/distribution" "$root/etc/ssl/certs"
  CGO_ENABLED=0 GOBIN=$root run go install -trimpath \
    -ldflags "-s -w -X $pkg/version.version=$REGISTRY_VERSION -X $pkg/version.mainpkg=$pkg" \
    "$pkg/cmd/registry@v$REGISTRY_VERSION"
  run "$root/registry" --version
  # The config upstream's image serves (cmd/registry/config-dev.yml): storage under
  # /var/lib/registry, the API on :5000, debug and metrics on :5001.
  src=$(go mod download -json "$pkg@v$REGISTRY_VERSION" | jq -r .Dir)
  cp "$src/cmd/registry/config-dev.yml" "$root/etc/distribution/config.yml"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  # Upstream's Dockerfile from here on, FROM scratch: nothing is pulled. Its tracing exporter
  # is off, as upstream sets it (otherwise it sends traces to an OTLP collector on localhost).
  cat >"$root/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY registry /bin/registry
COPY etc /etc
ENV PATH=/bin OTEL_TRACES_EXPORTER=none
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["registry"]
CMD ["serve", "/etc/distribution/config.yml"]
DOCKERFILE
  run docker build -q -t "$REGISTRY_IMAGE" "$root"
  run docker run --rm "$REGISTRY_IMAGE" --version
  prune_replaced "${old_ids[@]}"
}

run_step registry "v$REGISTRY_VERSION" "$REGISTRY_IMAGE" build_registry toolchain/steps/registry.sh
