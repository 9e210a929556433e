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
# shellcheck disable=SC2034 # built by steps/node-binaries.sh, read by steps/node-image.sh and steps/kubectl.sh
NODE_BINARIES=$NODE_WORK/bin-k8s-v$KUBERNETES_VERSION-containerd-v$CONTAINERD_VERSION-etcd-v$ETCD_VERSION-coredns-v$COREDNS_VERSION-crictl-v$CRICTL_VERSION
# shellcheck disable=SC2034 # built by steps/node-rootfs.sh, read by steps/node-image.sh
NODE_ROOTFS=$NODE_WORK/rootfs-$NODE_IMAGE_SUITE-kind-v$KIND_VERSION.tar.gz
# shellcheck disable=SC2034 # static inputs of the node-* steps (see its README)
NODE_DIR=$TOOLCHAIN_DIR/node-image

# run_step NAME LABEL ARTIFACT FUNCTION [INPUT...]
# Runs FUNCTION unless NAME's stamp for these inputs exists and so does ARTIFACT (a path or an
# image reference: a stamp whose artifact is gone, say after a Docker reset, builds again); logs
# to $LOGS/NAME.log. LABEL names the versions the step builds; each INPUT is a file or folder of
# the project the step reads (its own script among them), STEP:ARTIFACT, the artifact another
# step built, or =VALUE, a value it depends on (an archive's digest). The stamp is NAME-LABEL-HASH, HASH over the inputs' contents and the artifacts'
# identities (an image's ID, a file's size and time), so an edited script or Go source rebuilds
# the step, and a rebuilt artifact rebuilds the steps that read it; nothing else. A step whose
# input artifact is not there is refused with the step to run first. The stamp is written only
# after FUNCTION succeeded, so a half-built artifact never looks finished; NAME's other stamps
# go then.
# TOOLCHAIN_LIST=1: only records NAME's state in the summary (built; stale: built for other
# inputs; missing: never built, or its artifact is gone). TOOLCHAIN_FORCE="NAME...": those steps
# build whatever their stamp says.
run_step() {
  local name=$1 label=$2 artifact=$3 fn=$4
  shift 4
  local version log=$LOGS/$name.log start=$SECONDS built=false input producer
  version=$label-$(inputs_hash "$@")
  local stamp=$STAMPS/$name-$version
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
    printf '== %-18s %-22s cached\n' "$name" "$label"
    printf '%s\t%s\t%s\t%s\tcached\n' "$name" "$version" "$artifact" "$(artifact_size "$artifact")" >>"$SUMMARY"
    return 0
  fi
  for input in "$@"; do
    producer=${input%%:*}
    if [ "${input:0:1}" != = ] && [ "$producer" != "$input" ] && ! artifact_exists "${input#*:}"; then
      echo "toolchain: step '$name' needs ${input#*:}, which step '$producer' builds: npm run toolchain -- $producer $name" >&2
      exit 1
    fi
  done
  printf '== %-18s %-22s building (log: %s)\n' "$name" "$label" "$log"
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
  # The inputs once more: what FUNCTION read is what the stamp says (an artifact rebuilt by a
  # step of the same run is read after it, as the steps run in order).
  touch "$STAMPS/$name-$label-$(inputs_hash "$@")"
  printf '   %-18s done in %ss\n' "$name" "$((SECONDS - start))"
  printf '%s\t%s\t%s\t%s\t%ss\n' "$name" "$version" "$artifact" "$(artifact_size "$artifact")" "$((SECONDS - start))" >>"$SUMMARY"
}

# inputs_hash INPUT...: 12 hex digits over the inputs as run_step takes them: a project file or
# folder by its contents (names, modes and bytes; not times), STEP:ARTIFACT by artifact_id,
# =VALUE as it is.
inputs_hash() {
  local input
  for input in "$@"; do
    if [ "${input:0:1}" = = ]; then
      printf '%s\n' "$input"
    elif [ "${input%%:*}" != "$input" ]; then
      printf '%s %s\n' "$input" "$(artifact_id "${input#*:}")"
    else
      [ -e "$PROJECT_DIR/$input" ] || { echo "toolchain: the input $input is not in the project" >&2; return 1; }
      printf '%s\n' "$input"
      (cd "$PROJECT_DIR" && tar -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner "$input")
    fi
  done | sha256sum | cut -c1-12
}

# What changes when an artifact is built again: an image's ID; a file's or a folder's files'
# sizes and modification times (the binaries are hundreds of MB: not read whole).
artifact_id() {
  if [ -e "$1" ]; then
    find "$1" -type f -printf '%P %s %T@\n' | sort
  else
    docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || echo absent
  fi
}

# on_exit COMMAND: runs COMMAND when the step ends, however it ends (run_step runs each step in
# a subshell), after the commands registered before it.
on_exit() {
  _on_exit+=("$1")
  trap _run_on_exit EXIT
}
_on_exit=()
_run_on_exit() {
  local command
  for command in "${_on_exit[@]}"; do
    eval "$command"
  done
}

# scratch_dir DIR: DIR made empty now, and removed when the step ends. A fixed path (not
# mktemp) keeps Go's build cache warm across rebuilds.
scratch_dir() {
  rm -rf "$1" && mkdir -p "$1"
  on_exit "rm -rf $(printf %q "$1")"
}

# image_ids IMAGE...: the IDs of those that exist, one per line, to hand to prune_replaced
# after a rebuild (mapfile -t ids < <(image_ids ...)).
image_ids() {
  local image
  for image in "$@"; do
    docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true
  done
}

# prune_replaced ID...: removes each image that lost its last tag to a rebuild, so reruns leave
# no untagged images behind; one still tagged, or in use, stays.
prune_replaced() {
  local id
  for id in "$@"; do
    [ -n "$(docker image inspect -f '{{.RepoTags}}' "$id" 2>/dev/null | tr -d '[]')" ] || docker rmi "$id" >/dev/null 2>&1 || true
  done
}

# plugin_installed NAME VERSION: whether PULUMI_HOME's plugin cache has that resource plugin.
plugin_installed() {
  pulumi plugin ls --json 2>/dev/null |
    jq -e --arg n "$1" --arg v "$2" 'any(.[]; .name == $n and .kind == "resource" and .version == $v)' >/dev/null
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
