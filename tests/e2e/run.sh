#!/usr/bin/env bash
# The end-to-end suite (npm run test:e2e): two lanes side by side, each running its files one
# after the other. Lanes rather than `node --test --test-concurrency=2 FILES`: that runs the
# files in alphabetical order, which started the longest one (stack.test.ts) last. Two, not
# three: on 2 cores a third lane slows every file down more than it gains. The lanes are
# balanced by the files' measured times (docs/testing.md).
# stack.test.ts restarts the Docker engine (its scenario 11), which stops every container on the
# machine: it runs last in its lane and restarts the engine only once the file named in
# KUBE_DEMO_E2E_RESTART_WHEN exists, which this script creates when the other lane has ended.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

# One file after the other, in the order given (`node --test A B` would sort them), on through
# a failing one; fails if any failed.
lane() {
  local file failed=0
  for file in "$@"; do
    node --import tsx --test "$file" || failed=1
  done
  return "$failed"
}

signal=$(mktemp -u "${TMPDIR:-/tmp}/kube-demo-e2e-lane-ended.XXXXXX")
trap 'rm -f "$signal"' EXIT

KUBE_DEMO_E2E_RESTART_WHEN=$signal \
  lane tests/e2e/interrupted.test.ts tests/e2e/bad-input.test.ts tests/e2e/stack.test.ts &
restarting=$!
status=0
lane tests/e2e/multi-node.test.ts tests/e2e/existing-cluster.test.ts tests/e2e/apps.test.ts || status=1
touch "$signal"
wait "$restarting" || status=1
exit "$status"
