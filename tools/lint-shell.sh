#!/usr/bin/env bash
# Runs shellcheck over every shell script in the repository: the *.sh files and the scripts without
# an extension that start with a sh or bash shebang. Files a script sources are followed (-x)
# through their `# shellcheck source=` directives, which name paths from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tools/lint-needs.sh
. tools/lint-needs.sh
needs_tool lint:shell shellcheck "install it (Debian: apt-get install shellcheck)"

scripts=()
while IFS= read -r -d '' file; do
  case $file in
    *.sh) scripts+=("$file") ;;
    *) if [ -f "$file" ] && head -n1 "$file" | grep -qE '^#!.*[/ ](ba)?sh( |$)'; then scripts+=("$file"); fi ;;
  esac
done < <(git ls-files -z)

status=0
shellcheck -x "${scripts[@]}" || status=1
[ "$status" -eq 0 ] && echo "lint:shell: ${#scripts[@]} scripts, no findings"
exit "$status"
