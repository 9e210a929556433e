#!/usr/bin/env bash
# The end-to-end suite (npm run test:e2e): two lanes side by side, each running its files one
# after the other, then the Docker engine restart alone (it stops every container on the
# machine). Lanes rather than `node --test --test-concurrency=2 FILES`: that runs the files in
# alphabetical order, which started the longest one (stack.test.ts) last. Two, not three: on
# 2 cores a third lane slowed every file down more than it gained (the whole suite took 22 min).
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

lane() { node --import tsx --test --test-concurrency=1 "$@"; }

# Measured in CI (two lanes at once, 2 cores): stack 544 s, dev 361, multi-node 300,
# interrupted 291, docker-context 125, then docker-restart 116; existing-cluster about 200.
lane tests/e2e/stack.test.ts tests/e2e/interrupted.test.ts tests/e2e/docker-context.test.ts &
first=$!
lane tests/e2e/dev.test.ts tests/e2e/multi-node.test.ts tests/e2e/existing-cluster.test.ts &
second=$!
status=0
wait "$first" || status=1
wait "$second" || status=1
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
lane tests/e2e/docker-restart.test.ts
