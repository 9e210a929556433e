# shellcheck shell=bash
# Sourced by the lint scripts that run a tool beside Node (tools/lint-shell.sh, tools/lint-go.sh).

# needs_tool LINT TOOL HOW: returns when TOOL is on PATH. Otherwise ends the lint with one line
# that names TOOL and HOW to get it: skipped (exit 0), so that a clone with Node alone passes
# `npm test`; failed (exit 1) under CI=true, where every lint must run.
needs_tool() {
  local lint=$1 tool=$2 how=$3
  if command -v "$tool" >/dev/null; then
    return 0
  fi
  if [ "${CI:-}" = true ]; then
    echo "$lint: $tool is not installed, and CI=true runs every lint: $how" >&2
    exit 1
  fi
  echo "$lint skipped: $tool is not installed: $how"
  exit 0
}
