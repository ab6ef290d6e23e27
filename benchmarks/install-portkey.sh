#!/usr/bin/env bash
# Installs Portkey's open-source AI gateway (npm @portkey-ai/gateway) into
# benchmarks/target/portkey for the outage harness's Portkey lane and the footprint harness.
# Needs node (20+) and npm; nothing is installed globally and nothing here is committed.
#   benchmarks/install-portkey.sh [version]     (default 1.15.2)
set -euo pipefail
VERSION="${1:-1.15.2}"
cd "$(dirname "$0")"
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "node and npm are needed to install the Portkey gateway; the Portkey lane will be skipped" >&2
  exit 1
fi
mkdir -p target/portkey
cd target/portkey
[ -f package.json ] || echo '{"name":"portkey-lane","private":true}' > package.json
npm install --no-audit --no-fund --save-exact "@portkey-ai/gateway@${VERSION}"
ENTRY="node_modules/@portkey-ai/gateway/build/start-server.js"
test -f "$ENTRY"
echo "Portkey gateway $(node -p "require('./node_modules/@portkey-ai/gateway/package.json').version") installed: $(pwd)/$ENTRY"
