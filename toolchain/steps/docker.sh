# shellcheck shell=bash
# Docker engine: Debian's docker.io, started in the background, with privileged
# containers made to work (see toolchain/docker/start.sh, also usable alone).
# Not cached: whether dockerd answers is a property of this boot, and start.sh is a
# no-op (about a second) when it already does.
build_docker() {
  DOCKERD_LOG=$LOGS/dockerd.log run bash "$TOOLCHAIN_DIR/docker/start.sh"
}
# Listed as built when dockerd is installed and was started once.
[ "${TOOLCHAIN_LIST:-}" = 1 ] || rm -f "$STAMPS"/docker-*
run_step docker debian-docker.io /usr/sbin/dockerd build_docker
[ "${TOOLCHAIN_LIST:-}" = 1 ] || grep -h '^docker: registered' "$LOGS/docker.log" || true
