#!/usr/bin/env bash
# The test command (README "Test"): installs what the tests need on a fresh Debian machine, then runs them.
# Idempotent: a machine that already has everything goes straight to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Debian packages: PostgreSQL binaries (the tests start a private server), the real AWS CLI and boto3 as clients,
# bubblewrap for sandboxes, and the build tools aws-lambda-ric's native module needs.
packages=(postgresql awscli python3-boto3 bubblewrap zip procps autoconf automake libtool cmake make g++ python3 prometheus tmux nginx openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Node Runtime Interface Client from npm, unmodified, for the `provided` runtime test (builds native code: ~5 min).
RIC=tests/.cache/ric
if [ ! -f "$RIC/node_modules/aws-lambda-ric/dist/rapid-client.node" ]; then
  echo "== building aws-lambda-ric (npm) into $RIC"
  mkdir -p "$RIC"
  [ -d /usr/include/node ] && export npm_config_nodedir=/usr
  (cd "$RIC" && npm install --no-audit --no-fund --loglevel=error aws-lambda-ric@3.3.0 >install.log 2>&1) \
    || { tail -50 "$RIC/install.log"; exit 1; }
fi

echo "== dotnet test"
dotnet test Grid.sln -c Release --logger "console;verbosity=normal" --blame-hang-timeout 10m "$@"
