#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, offline; idempotent, usable alone:
#   bash toolchain/docker/start.sh        (log: $DOCKERD_LOG, default /var/log/dockerd.log)
# 1. installs Debian's docker.io when dockerd is missing;
# 2. starts dockerd in the background when `docker info` does not answer;
# 3. probes a privileged container (kind starts every node privileged) and, only where
#    that fails, makes runc-wrapper (next to this script) dockerd's default runtime.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One at a time: the e2e files run side by side and each starts the engine when it is down;
# two dockerd started at once would fight over its pid file and sockets.
exec 9>"${TMPDIR:-/tmp}/kube-demo-docker-start.lock"
flock 9
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
WRAPPER=/usr/local/sbin/kube-demo-runc
PROBE_IMAGE=kube-demo/probe:true

if ! command -v dockerd >/dev/null || ! command -v jq >/dev/null; then
  echo "docker: installing docker.io and jq from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io jq >/dev/null
fi

start_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  # A dockerd that is shutting down (or still starting) does not answer yet, and a new one
  # refuses to start while the pid file names a live process: wait until it answers or exits.
  local old
  old=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
    echo "docker: waiting for dockerd (pid $old) to answer or exit"
    for _ in $(seq 60); do
      if docker info >/dev/null 2>&1; then return 0; fi
      kill -0 "$old" 2>/dev/null || break
      sleep 0.5
    done
  fi
  echo "docker: starting dockerd (log: $DOCKERD_LOG)"
  # Without the lock's descriptor: dockerd outlives this script and would hold the lock.
  nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
  for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "docker: dockerd did not answer within 60s; see $DOCKERD_LOG" >&2
  tail -n 5 "$DOCKERD_LOG" >&2
  exit 1
}

stop_dockerd() {
  local pid
  pid=$(cat /var/run/docker.pid)
  echo "docker: restarting dockerd (pid $pid)"
  kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
}

# A tiny local image for the probe: /bin/true and the libraries it links (nothing is pulled).
probe_image() {
  docker image inspect "$PROBE_IMAGE" >/dev/null 2>&1 && return 0
  # shellcheck disable=SC2046
  tar -ch /bin/true $(ldd /bin/true | grep -o '/[^ ]*') 2>/dev/null | docker import - "$PROBE_IMAGE" >/dev/null
}

privileged_works() {
  docker run --rm --privileged "$PROBE_IMAGE" /bin/true 2>"${1:-/dev/null}"
}

# Keep an already registered wrapper equal to the checkout's copy.
if [ -f "$WRAPPER" ] && ! cmp -s "$HERE/runc-wrapper" "$WRAPPER"; then install -m 0755 "$HERE/runc-wrapper" "$WRAPPER"; fi
start_dockerd
probe_image
if ! privileged_works /tmp/kube-demo-privileged.err; then
  echo "docker: privileged containers fail here: $(tr '\n' ' ' </tmp/kube-demo-privileged.err | cut -c1-200)"
  install -m 0755 "$HERE/runc-wrapper" "$WRAPPER"
  mkdir -p /etc/docker
  [ -s /etc/docker/daemon.json ] || echo '{}' >/etc/docker/daemon.json
  jq --arg p "$WRAPPER" '.runtimes["kube-demo-runc"] = {path: $p} | ."default-runtime" = "kube-demo-runc"' \
    /etc/docker/daemon.json >/etc/docker/daemon.json.tmp
  mv /etc/docker/daemon.json.tmp /etc/docker/daemon.json
  echo "docker: registered $WRAPPER (drops CAP_SYS_RESOURCE) as dockerd's default runtime in /etc/docker/daemon.json"
  stop_dockerd
  start_dockerd
  if ! privileged_works /tmp/kube-demo-privileged.err; then
    echo "docker: privileged containers still fail: $(cat /tmp/kube-demo-privileged.err)" >&2
    exit 1
  fi
fi
echo "docker: $(docker version -f 'engine {{.Server.Version}}, runtime ')$(docker info -f '{{.DefaultRuntime}}'), privileged containers work"
