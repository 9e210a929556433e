#!/usr/bin/env bash
# Runs shellcheck over every shell script in the repository: the *.sh files and the scripts without
# an extension that start with a sh or bash shebang. Files a script sources are followed (-x)
# through their `# shellcheck source=` directives, which name paths from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null; then
  echo "lint:shell: shellcheck is not installed (Debian: apt-get install shellcheck)" >&2
  exit 1
fi

scripts=()
while IFS= read -r -d '' file; do
  case $file in
    *.sh) scripts+=("$file") ;;
    *) if [ -f "$file" ] && head -n1 "$file" | grep -qE '^#!.*[/ ](ba)?sh( |$)'; then scripts+=("$file"); fi ;;
  esac
done < <(git ls-files -z)

# toolchain/steps/node-image.sh is being reworked elsewhere: it is checked like the rest, except
# for the findings it had when this lint started (listed in the report of issue 14), and for its
# missing shell directive. Drop this exception once the file is fixed.
node_image=toolchain/steps/node-image.sh
others=()
for script in "${scripts[@]}"; do
  [ "$script" = "$node_image" ] || others+=("$script")
done

status=0
shellcheck -x "${others[@]}" || status=1
if [ -f "$node_image" ]; then
  shellcheck -x --shell=bash --exclude=SC2013,SC2046,SC2064,SC2115 "$node_image" || status=1
fi
[ "$status" -eq 0 ] && echo "lint:shell: ${#scripts[@]} scripts, no findings"
exit "$status"
