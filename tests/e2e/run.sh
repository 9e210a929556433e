#!/usr/bin/env bash
# The end-to-end suite (npm run test:e2e): two lanes side by side, each running its files one
# after the other. Lanes rather than `node --test --test-concurrency=2 FILES`: that runs the
# files in alphabetical order, which started the longest one (stack.test.ts) last. Two, not
# three: on 2 cores a third lane slowed every file down more than it gained (22 min in all).
# The Docker engine restart stops every container on the machine: its file starts when the
# first lane ends (its cold up overlaps the other lane) and restarts the engine only once the
# file named in KUBE_DEMO_E2E_RESTART_WHEN exists, which this script creates when both lanes
# have ended.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

lane() { node --import tsx --test --test-concurrency=1 "$@"; }

signal=$(mktemp -u "${TMPDIR:-/tmp}/kube-demo-e2e-lanes-ended.XXXXXX")
trap 'rm -f "$signal"' EXIT

# Measured in CI (two lanes at once, 2 cores): stack 544 s, dev 361, multi-node 300,
# interrupted 291, docker-context 125, then docker-restart 116; existing-cluster about 200.
lane tests/e2e/stack.test.ts tests/e2e/interrupted.test.ts tests/e2e/docker-context.test.ts &
first=$!
lane tests/e2e/dev.test.ts tests/e2e/multi-node.test.ts tests/e2e/existing-cluster.test.ts &
second=$!

status=0
ended=
wait -n -p ended "$first" "$second" || status=1
KUBE_DEMO_E2E_RESTART_WHEN=$signal lane tests/e2e/docker-restart.test.ts &
restart=$!
if [ "$ended" = "$first" ]; then
  wait "$second" || status=1
else
  wait "$first" || status=1
fi
touch "$signal"
wait "$restart" || status=1
exit "$status"
