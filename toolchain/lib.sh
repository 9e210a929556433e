# shellcheck shell=bash
# Shared helpers of the toolchain steps: cache layout, one step runner, the summary.
# Sourced by toolchain/build.sh and by every script under toolchain/steps/.

TOOLCHAIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
PROJECT_DIR=$(dirname "$TOOLCHAIN_DIR")
# shellcheck source=toolchain/versions.sh
. "$TOOLCHAIN_DIR/versions.sh"

# Everything built lives outside the checkout, so a fresh clone reuses it.
CACHE=${KUBE_DEMO_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-demo-toolchain}
BIN=$CACHE/bin
LOGS=$CACHE/logs
STAMPS=$CACHE/stamps
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS=-modcacherw
export PATH=$BIN:/usr/local/go/bin:$PATH
mkdir -p "$BIN" "$LOGS" "$STAMPS" "$CACHE/go"

SUMMARY=$CACHE/summary.tsv

# Artifacts that more than one step reads, named from the versions alone: a step that needs
# another's output finds it here, never in a variable the other step set as it ran.
NODE_WORK=$CACHE/node-image
# shellcheck disable=SC2034 # read by steps/node-image.sh (which builds it) and steps/kubectl.sh
NODE_BINARIES=$NODE_WORK/bin-k8s-v$KUBERNETES_VERSION-containerd-v$CONTAINERD_VERSION-etcd-v$ETCD_VERSION-coredns-v$COREDNS_VERSION-crictl-v$CRICTL_VERSION

# run_step NAME VERSION ARTIFACT FUNCTION
# Runs FUNCTION unless the stamp NAME-VERSION exists and so does ARTIFACT (a path or an image
# reference: a stamp whose artifact is gone, say after a Docker reset, builds again); logs to
# $LOGS/NAME.log. The stamp is written only after FUNCTION succeeded, so a half-built artifact
# never looks finished; the stamps of NAME's other versions go then.
# TOOLCHAIN_LIST=1: only records NAME's state in the summary (built; stale: built for other
# inputs; missing: never built, or its artifact is gone). TOOLCHAIN_FORCE="NAME...": those steps build whatever their stamp says.
run_step() {
  local name=$1 version=$2 artifact=$3 fn=$4
  local stamp=$STAMPS/$name-$version log=$LOGS/$name.log start=$SECONDS built=false
  if [ -e "$stamp" ] && artifact_exists "$artifact"; then
    built=true
  fi
  if [ "${TOOLCHAIN_LIST:-}" = 1 ]; then
    local state=missing
    if [ "$built" = true ]; then
      state=built
    elif [ ! -e "$stamp" ] && compgen -G "$STAMPS/$name-*" >/dev/null; then
      state=stale
    fi
    printf '%s\t%s\t%s\t%s\n' "$name" "$version" "$artifact" "$state" >>"$SUMMARY"
    return 0
  fi
  if [ "$built" = true ] && [[ " ${TOOLCHAIN_FORCE:-} " != *" $name "* ]]; then
    printf '== %-18s %-22s cached\n' "$name" "$version"
    printf '%s\t%s\t%s\t%s\tcached\n' "$name" "$version" "$artifact" "$(artifact_size "$artifact")" >>"$SUMMARY"
    return 0
  fi
  printf '== %-18s %-22s building (log: %s)\n' "$name" "$version" "$log"
  # Not as an `if` condition: bash ignores `set -e` inside one, and a step whose middle command
  # failed would run on and be stamped as built. In the background, the step's errexit holds.
  local status=0
  ( set -euo pipefail; "$fn" ) >"$log" 2>&1 &
  wait "$!" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "toolchain: step '$name' failed: $(tail -n 1 "$log" | cut -c1-200) (full log: $log)" >&2
    exit 1
  fi
  rm -f "$STAMPS/$name"-*
  touch "$stamp"
  printf '   %-18s done in %ss\n' "$name" "$((SECONDS - start))"
  printf '%s\t%s\t%s\t%s\t%ss\n' "$name" "$version" "$artifact" "$(artifact_size "$artifact")" "$((SECONDS - start))" >>"$SUMMARY"
}

# Whether ARTIFACT is there: a path, or an image in the Docker engine.
artifact_exists() {
  [ -e "$1" ] || docker image inspect "$1" >/dev/null 2>&1
}

# A size for the summary: bytes on disk for a path, image size for a Docker image.
artifact_size() {
  if [ -e "$1" ]; then du -sh "$1" 2>/dev/null | cut -f1
  elif docker image inspect "$1" >/dev/null 2>&1; then
    docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0fM", $1/1048576}'
  else echo "-"; fi
}

# install_atomically SOURCE TARGET: TARGET is never half-written (or busy, when it is running).
install_atomically() {
  local tmp
  tmp=$(mktemp "$(dirname "$2")/.$(basename "$2").XXXXXX")
  cp "$1" "$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$2"
}

# unpack_upstream ARCHIVE SHA256 DEST: ARCHIVE (in ../shared/upstream) unpacked under DEST once its
# sha256 is the one versions.sh records; one line saying what to do otherwise.
unpack_upstream() {
  local archive=$UPSTREAM_DIR/$1 want=$2 dest=$3 got
  if [ ! -f "$archive" ]; then
    echo "toolchain: $archive is missing: put the upstream archives of ../shared/upstream beside the project (or set KUBE_DEMO_UPSTREAM to their folder)" >&2
    return 1
  fi
  got=$(sha256sum <"$archive" | cut -c1-64)
  if [ "$got" != "$want" ]; then
    echo "toolchain: $archive has sha256 $got, toolchain/versions.sh expects $want: get the archive again from ../shared/upstream" >&2
    return 1
  fi
  run tar -xzf "$archive" -C "$dest"
}

# Logs the command before running it, so a failing step's log ends with what failed.
run() { echo "+ $*"; "$@"; }
