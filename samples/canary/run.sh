#!/usr/bin/env bash
# A canary release with the grid CLI: v1 live, then 10% of traffic to v2, then promote v2.
# Needs a configured grid (`grid dev` in another terminal is enough). Run from anywhere:
#   samples/canary/run.sh                       # uses `grid` from PATH
#   GRID="dotnet src/Grid.Cli/bin/Release/net10.0/grid.dll" samples/canary/run.sh
set -euo pipefail
read -r -a grid <<< "${GRID:-grid}"
name="${1:-shop}"
invokes="${INVOKES:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

write_version() {   # the function's code: it answers with its own version label
  cat > "$work/app.py" <<PY
def handler(event, context):
    return {"release": "$1", "version": context.function_version}
PY
}

split() {           # invoke the alias N times and count which version answered
  for _ in $(seq "$invokes"); do
    "${grid[@]}" invoke "$name" --qualifier live --payload '{}' </dev/null
    echo
  done | sed -n 's/.*"release": "\([^"]*\)".*/\1/p' | sort | uniq -c
}

step "deploy v1 and publish it as version 1"
write_version v1
"${grid[@]}" deploy "$work" --name "$name" --runtime python3.11 --handler app.handler --publish

step "alias live -> 1"
"${grid[@]}" alias set "$name" live 1

step "deploy v2 and publish it as version 2"
write_version v2
"${grid[@]}" deploy "$work" --name "$name" --publish

step "canary: live -> 1, 10% to 2"
"${grid[@]}" alias set "$name" live 1 --weight 2=0.1
"${grid[@]}" alias list "$name"

step "$invokes invokes of $name:live (expect about 10% v2)"
split

step "promote: live -> 2 (the split is cleared)"
"${grid[@]}" alias set "$name" live 2
split

step "roll back would be one command: grid alias set $name live 1"
