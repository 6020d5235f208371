#!/usr/bin/env bash
# Installs a pinned n8n once into <repo>/.n8n-e2e/n8n (gitignored). Idempotent: skips when present.
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.41.1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DIR="${N8N_E2E_DIR:-$ROOT/.n8n-e2e}/n8n"
NODE_BIN_DIR="$ROOT/node_modules/.bin"   # Node 24 pinned as a root devDependency
export PATH="$NODE_BIN_DIR:$PATH"
if [ -f "$DIR/.installed-$N8N_VERSION" ]; then echo "n8n $N8N_VERSION already installed in $DIR"; exit 0; fi
mkdir -p "$DIR"
cd "$DIR"
[ -f package.json ] || echo '{"name":"n8n-e2e","private":true}' > package.json
echo "node $(node --version); installing n8n@$N8N_VERSION into $DIR"
start=$(date +%s)
npm install --no-audit --no-fund --ignore-scripts --save-exact "n8n@$N8N_VERSION"
mid=$(date +%s)
npm rebuild sqlite3 isolated-vm
end=$(date +%s)
echo "install $((mid-start))s, rebuild $((end-mid))s"
touch ".installed-$N8N_VERSION"
