#!/usr/bin/env bash
# One command from a fresh clone to the app answering: checks the tools, installs the
# dependencies, runs `pulumi up` on the dev stack (local state, no account) and prints the URL.
#   scripts/up.sh [PULUMI UP FLAGS...]   (npm run up)
#   scripts/up.sh --watch                 then the dev loop, scripts/dev.ts (npm run dev)
set -euo pipefail
cd "$(dirname "$0")/.."

watch=false
if [ "${1:-}" = "--watch" ]; then
  watch=true
  shift
fi

# An offline toolchain built by `npm run toolchain` puts its tools first on PATH.
toolchain_env=${KUBE_DEMO_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-demo-toolchain}/env.sh
if [ -f "$toolchain_env" ]; then
  . "$toolchain_env"
fi

missing=()
command -v pulumi >/dev/null || missing+=("the Pulumi CLI (https://www.pulumi.com/docs/install/)")
command -v kind >/dev/null || missing+=("kind (https://kind.sigs.k8s.io/)")
if ! command -v docker >/dev/null; then
  missing+=("Docker (https://docs.docker.com/engine/install/)")
elif ! docker info >/dev/null 2>&1; then
  missing+=("a running Docker engine (docker info does not answer)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'Missing: %s\n' "$(printf '%s; ' "${missing[@]}" | sed 's/; $//')" >&2
  echo "Install them, or on a machine without internet access run: npm run toolchain" >&2
  exit 1
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
mkdir -p .pulumi-state   # the local backend named in Pulumi.yaml

# Stack secrets (the kubeconfig) are encrypted with this passphrase; empty unless you set one.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-}
pulumi stack select dev --create >/dev/null
# A `pulumi up` killed before it finished leaves its lock and pending operations behind.
node scripts/recover-interrupted.js .pulumi-state dev

# Without a registry, the cluster and the app need the toolchain's local images. The image
# stays one quoted argument from the environment to `pulumi config set` ("--": never an option);
# the program then validates it like any other setting.
use_toolchain_image() {
  local key=$1 image=$2
  if [ -n "$image" ] && [ -z "$(pulumi config get "$key" 2>/dev/null)" ]; then
    printf "Using the toolchain's %s as %s\n" "$image" "$key"
    pulumi config set -- "$key" "$image"
  fi
}
use_toolchain_image nodeImage "${KIND_NODE_IMAGE:-}"
use_toolchain_image baseImage "${NODE_BASE_IMAGE:-}"

pulumi up --yes "$@"
echo
echo "The app answers at $(pulumi stack output url)"
if [ "$watch" = true ]; then
  exec node --import tsx scripts/dev.ts --stack dev
fi
