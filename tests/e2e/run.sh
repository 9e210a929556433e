#!/usr/bin/env bash
# The end-to-end suite (npm run test:e2e): three lanes side by side, each running its files one
# after the other, then the Docker engine restart alone (it stops every container on the
# machine). Lanes rather than `node --test --test-concurrency=N FILES`: that runs the files in
# alphabetical order, which started the longest one (stack.test.ts) last. Much of a file's time
# is waiting (for kind, for rollouts, for the load windows), so a third lane still gains on
# 2 cores.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."

lane() { node --import tsx --test --test-concurrency=1 "$@"; }

# Measured in CI before the third lane (two lanes at once, 2 cores): stack 544 s, dev 361,
# multi-node 300, interrupted 291, docker-context 125, then docker-restart 116.
pids=()
lane tests/e2e/stack.test.ts &
pids+=("$!")
lane tests/e2e/dev.test.ts tests/e2e/multi-node.test.ts &
pids+=("$!")
lane tests/e2e/interrupted.test.ts tests/e2e/existing-cluster.test.ts tests/e2e/docker-context.test.ts &
pids+=("$!")
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
lane tests/e2e/docker-restart.test.ts
