#!/usr/bin/env bash
# Verifies the Kind side of the toolchain end to end, offline, and cleans up after itself:
# a two-node cluster (control plane + worker) from $KIND_NODE_IMAGE with its kindnetd, an app
# image built FROM $NODE_BASE_IMAGE loaded with `kind load docker-image`, and a pod from it
# (imagePullPolicy IfNotPresent) on the worker that answers a pod on the control plane.
#   bash toolchain/check-cluster.sh
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "$0")/lib.sh"

CLUSTER=toolchain-check-$$
APP_IMAGE=kube-demo/toolchain-check:$$
KUBECONFIG=$(mktemp) && export KUBECONFIG
WORK=$(mktemp -d)
start=$SECONDS
phase() { printf '[%4ss] %s\n' "$((SECONDS - start))" "$*"; }

cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && docker inspect "$CLUSTER-control-plane" >/dev/null 2>&1; then
    phase "diagnostics"
    kubectl get pods -A -o wide 2>&1 || true
    kubectl get events -A --sort-by=.lastTimestamp 2>&1 | tail -n 20 || true
  fi
  phase "cleanup: deleting cluster $CLUSTER and image $APP_IMAGE"
  kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  docker rmi "$APP_IMAGE" >/dev/null 2>&1 || true
  rm -rf "$WORK" "$KUBECONFIG"
  if [ "$rc" = 0 ]; then phase "cluster check passed"; else phase "cluster check FAILED (exit $rc)"; fi
}
trap cleanup EXIT

phase "docker engine"
bash "$TOOLCHAIN_DIR/docker/start.sh" >/dev/null
for image in "$KIND_NODE_IMAGE" "$NODE_BASE_IMAGE"; do
  docker image inspect "$image" >/dev/null 2>&1 || { echo "missing image $image: run npm run toolchain" >&2; exit 1; }
done

phase "kind create cluster --image $KIND_NODE_IMAGE (control plane + worker)"
printf 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n' >"$WORK/kind.yaml"
kind create cluster --name "$CLUSTER" --image "$KIND_NODE_IMAGE" --config "$WORK/kind.yaml" --wait 3m --kubeconfig "$KUBECONFIG"
kubectl() { docker exec -i "$CLUSTER-control-plane" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }
# --wait covers the control plane only.
kubectl wait --for=condition=Ready node --all --timeout=120s
kubectl -n kube-system rollout status daemonset/kindnet --timeout=60s
kubectl get nodes -o wide

phase "build $APP_IMAGE FROM $NODE_BASE_IMAGE"
cat >"$WORK/server.js" <<'EOF'
require("http").createServer((req, res) => res.end("toolchain-check ok\n")).listen(8080);
EOF
cat >"$WORK/Dockerfile" <<'EOF'
ARG BASE_IMAGE=node:20-slim
FROM $BASE_IMAGE
WORKDIR /app
COPY server.js .
USER node
CMD ["node", "server.js"]
EOF
docker build -q --build-arg BASE_IMAGE="$NODE_BASE_IMAGE" -t "$APP_IMAGE" "$WORK" 2>/dev/null

phase "kind load docker-image $APP_IMAGE"
kind load docker-image "$APP_IMAGE" --name "$CLUSTER"

# Pods placed by nodeName: the answer crosses from one node's pod range to the other's (kindnetd's routes).
on() { printf '{"spec": {"nodeName": "%s"}}' "$CLUSTER-$1"; }
phase "run a pod from it (imagePullPolicy IfNotPresent) on the worker and ask it from the control plane"
kubectl run check --image "$APP_IMAGE" --image-pull-policy IfNotPresent --port 8080 --overrides "$(on worker)"
kubectl wait --for=condition=Ready pod/check --timeout=120s
ip=$(kubectl get pod check -o jsonpath='{.status.podIP}')
kubectl run ask --image "$APP_IMAGE" --image-pull-policy IfNotPresent --restart Never --overrides "$(on control-plane)" \
  --command -- node -e "fetch('http://$ip:8080').then(r => r.text()).then(t => { process.stdout.write(t); process.exit(t.includes('ok') ? 0 : 1) })"
kubectl wait --for=jsonpath='{.status.phase}'=Succeeded pod/ask --timeout=120s
phase "pod answered: $(kubectl logs ask)"

phase "cluster DNS (coredns) resolves kubernetes.default, asked from the worker"
kubectl run dns --image "$APP_IMAGE" --image-pull-policy IfNotPresent --restart Never --overrides "$(on worker)" \
  --command -- node -e "
    // coredns and kube-proxy's service rules may still be settling: try for a minute.
    const dns = require('dns'); let n = 0;
    (function ask() {
      dns.lookup('kubernetes.default.svc.cluster.local', (e, a) => {
        if (!e) { console.log(a); process.exit(0) }
        console.error('try ' + ++n + ': ' + e.message);
        if (n < 30) setTimeout(ask, 2000); else process.exit(1)
      })
    })()"
if ! kubectl wait --for=jsonpath='{.status.phase}'=Succeeded pod/dns --timeout=120s; then kubectl logs dns; exit 1; fi
phase "kubernetes.default is $(kubectl logs dns | tail -n 1)"
