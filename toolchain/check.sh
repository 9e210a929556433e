#!/usr/bin/env bash
# Verifies the built toolchain (run by `npm run toolchain -- --check`): every problem is one line
# starting with "check: FAIL"; the exit status is non-zero if any check failed.
set -uo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "$0")/lib.sh"

failures=0
ok() { echo "check: ok    $*"; }
fail() { echo "check: FAIL  $*"; failures=$((failures + 1)); }

if [ ! -f "$CACHE/env.sh" ]; then
  fail "$CACHE/env.sh is missing: run 'npm run toolchain' first"
  exit 1
fi
# shellcheck source=/dev/null
. "$CACHE/env.sh"

# The Pulumi CLI.
if ! command -v pulumi >/dev/null; then
  fail "pulumi: not on PATH (expected $BIN/pulumi; the 'pulumi' step builds it)"
elif got=$(pulumi version 2>&1) && [ "$got" = "v$PULUMI_VERSION" ]; then
  ok "pulumi $got ($(command -v pulumi))"
else
  fail "pulumi version: got '$got', want v$PULUMI_VERSION"
fi

# The Node.js language host, built from upstream's source by the 'upstream-plugins' step.
if ! lh=$(command -v pulumi-language-nodejs); then
  fail "pulumi-language-nodejs: not on PATH (the 'upstream-plugins' step installs it into $BIN)"
elif got=$(pulumi-language-nodejs --version 2>&1) && [ "$got" = "v$PULUMI_VERSION" ]; then
  ok "pulumi-language-nodejs $got ($lh)"
else
  fail "pulumi-language-nodejs --version: got '$got', want v$PULUMI_VERSION (rebuild: npm run toolchain)"
fi

# The language host end to end: `pulumi preview` of a tiny program (component + stack output) with
# the project's node_modules, a throwaway local backend, and nothing else.
smoke_language_host() {
  local dir out
  dir=$(mktemp -d /tmp/toolchain-check-pulumi.XXXXXX)
  ln -s "$PROJECT_DIR/node_modules" "$dir/node_modules"
  printf 'name: toolchain-check\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n' >"$dir/Pulumi.yaml"
  cat >"$dir/index.js" <<'JS'
const pulumi = require("@pulumi/pulumi");
class Probe extends pulumi.ComponentResource {
    constructor(name) { super("check:index:Probe", name, {}, {}); this.registerOutputs({}); }
}
new Probe("probe");
exports.answer = pulumi.output(42);
JS
  out=$(cd "$dir" && export PULUMI_BACKEND_URL="file://$dir/state" PULUMI_CONFIG_PASSPHRASE=check &&
    mkdir state && pulumi stack init check --non-interactive >/dev/null 2>&1 &&
    pulumi preview --non-interactive --json 2>&1)
  rm -rf "$dir"
  if jq -e '.steps | map(.newState.type) | index("check:index:Probe")' <<<"$out" >/dev/null 2>&1; then
    ok "pulumi preview runs a Node.js program through pulumi-language-nodejs"
  else
    fail "pulumi preview of a minimal Node.js program failed: $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
  fi
}
if [ ! -d "$PROJECT_DIR/node_modules/@pulumi/pulumi" ]; then
  fail "language host smoke test skipped: $PROJECT_DIR/node_modules has no @pulumi/pulumi (run npm ci)"
elif command -v pulumi >/dev/null && command -v pulumi-language-nodejs >/dev/null; then
  smoke_language_host
fi

# Provider plugins, exactly at the versions of the npm SDKs.
plugins=$(pulumi plugin ls --json 2>/dev/null || echo '[]')
declare -A how_to_get=(
  [command]="the 'upstream-plugins' step builds it from ../shared/upstream"
  [docker]="the 'upstream-plugins' step builds it from ../shared/upstream"
  [kubernetes]="the 'kubernetes-provider' step builds and installs it"
)
for p in kubernetes:$PULUMI_KUBERNETES_VERSION command:$PULUMI_COMMAND_VERSION docker:$PULUMI_DOCKER_VERSION; do
  name=${p%%:*} version=${p#*:}
  bin=$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name
  if ! jq -e --arg n "$name" --arg v "$version" \
      'any(.[]; .kind == "resource" and .name == $n and .version == $v)' <<<"$plugins" >/dev/null || [ ! -x "$bin" ]; then
    have=$(jq -r --arg n "$name" '[.[] | select(.kind == "resource" and .name == $n) | "v" + .version] | join(", ")' <<<"$plugins")
    fail "resource plugin $name v$version missing from $PULUMI_HOME/plugins${have:+ (found only $have)}: ${how_to_get[$name]}"
  # The folder's name is only where it was put: the binary itself must say it is this version.
  elif reported=$(pulumi package get-schema "$bin" 2>/dev/null | jq -r .version) && [ "$reported" = "$version" ]; then
    ok "resource plugin $name v$version (its schema says $reported)"
  else
    fail "resource plugin $name: $bin reports version '${reported:-none}', want $version: ${how_to_get[$name]}"
  fi
done

# kind.
if got=$(kind version 2>&1); then
  case $got in
    "kind v$KIND_VERSION "*) ok "$got" ;;
    *) fail "kind version: got '$got', want v$KIND_VERSION" ;;
  esac
else
  fail "kind: ${got:-not on PATH}"
fi

# kube-score (npm run lint:manifests).
if got=$(kube-score version 2>&1); then
  case $got in
    "kube-score version: $KUBE_SCORE_VERSION,"*) ok "$got" ;;
    *) fail "kube-score version: got '$got', want $KUBE_SCORE_VERSION" ;;
  esac
else
  fail "kube-score: ${got:-not on PATH} (the 'kube-score' step builds it)"
fi

# The cluster side (written by the Kind/Docker steps).
if [ -f "$TOOLCHAIN_DIR/check-cluster.sh" ]; then
  if bash "$TOOLCHAIN_DIR/check-cluster.sh"; then
    ok "check-cluster.sh"
  else
    fail "check-cluster.sh failed (output above)"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "check: $failures check(s) failed"
  exit 1
fi
echo "check: all checks passed"
