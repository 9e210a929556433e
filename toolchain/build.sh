#!/usr/bin/env bash
# Builds, offline, everything `pulumi up` needs at run time (see README "Offline toolchain").
#   npm run toolchain                     build what is missing, then print a summary
#   npm run toolchain -- STEP...          only those steps (names as in toolchain/steps/)
#   npm run toolchain -- --list           each step: the versions and inputs' hash it is keyed on,
#                                         its artifact and state (built, stale, missing)
#   npm run toolchain -- --force STEP...  rebuild those, then build what is missing or stale
#   npm run toolchain -- --check          verify the built toolchain end to end
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "$0")/lib.sh"

# The provider plugins must be exactly the versions the installed SDKs ask for.
check_lockfile_versions() {
  local pkg want got
  for pkg in command:$PULUMI_COMMAND_VERSION kubernetes:$PULUMI_KUBERNETES_VERSION docker:$PULUMI_DOCKER_VERSION pulumi:$PULUMI_VERSION; do
    want=${pkg#*:}
    got=$(node -p "require('$PROJECT_DIR/package-lock.json').packages['node_modules/@pulumi/${pkg%%:*}']?.version ?? 'missing'")
    if [ "$got" != "$want" ]; then
      echo "toolchain: toolchain/versions.sh builds @pulumi/${pkg%%:*} $want but package-lock.json has $got; make them equal" >&2
      exit 1
    fi
  done
}

check_lockfile_versions
if [ "${1:-}" = "--check" ]; then
  exec bash "$TOOLCHAIN_DIR/check.sh"
fi

# In order: a step that reads another's artifact comes after it.
steps=(docker kind base-image pulumi kubernetes-provider upstream-plugins kindnetd node-binaries node-rootfs node-image kubectl kube-score registry)
if [ "${1:-}" = "--list" ]; then
  : >"$SUMMARY"
  export TOOLCHAIN_LIST=1
  for step in "${steps[@]}"; do
    # shellcheck source=/dev/null
    . "$TOOLCHAIN_DIR/steps/$step.sh"
  done
  { printf 'STEP\tINPUTS\tARTIFACT\tSTATE\n'; cat "$SUMMARY"; } | column -t -s $'\t'
  exit 0
fi
if [ "${1:-}" = "--force" ]; then
  shift
  if [ $# -eq 0 ]; then
    echo "toolchain: --force needs the names of the steps to rebuild (npm run toolchain -- --list shows them)" >&2
    exit 2
  fi
  for step in "$@"; do
    if [[ " ${steps[*]} " != *" $step "* ]]; then
      echo "toolchain: no step '$step'; the steps are: ${steps[*]}" >&2
      exit 2
    fi
  done
  export TOOLCHAIN_FORCE="$*"
  set --
fi
if [ $# -gt 0 ]; then
  for step in "$@"; do
    if [[ " ${steps[*]} " != *" $step "* ]]; then
      echo "toolchain: no step '$step'; the steps are: ${steps[*]}" >&2
      exit 2
    fi
  done
  steps=("$@")
fi

: >"$SUMMARY"
total_start=$SECONDS
for step in "${steps[@]}"; do
  # shellcheck source=/dev/null
  . "$TOOLCHAIN_DIR/steps/$step.sh"
done
# shellcheck source=toolchain/steps/env-file.sh
. "$TOOLCHAIN_DIR/steps/env-file.sh"

echo
echo "Toolchain in $CACHE ($(du -sh "$CACHE" | cut -f1) on disk), $((SECONDS - total_start))s:"
column -t -s $'\t' "$SUMMARY"
echo "Use it: . $CACHE/env.sh"
