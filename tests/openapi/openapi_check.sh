#!/usr/bin/env bash
# openapi_check.sh SOURCE_DIR CACHE_DIR CHECKER
# Lints openapi.yaml with Redocly CLI (recommended-strict: warnings fail),
# bundles it to JSON and runs CHECKER (test_openapi_routes.c) on it.
set -euo pipefail
src=$1; cache=$2; checker=$3
# Redocly CLI 2.x needs Node.js >= 20.19; Debian 12's own nodejs is 18, on
# which the 1.x line (same rules, same config) runs.
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);
  console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$node_ok" = 1 ]; then version=2.77.0; else version=1.34.5; fi
mkdir -p "$cache"
command -v npm >/dev/null && command -v npx >/dev/null ||
  { echo "npm/npx not found: run scripts/install-deps.sh" >&2; exit 1; }
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
installed=$(node -p "require('$cache/node_modules/@redocly/cli/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
  (cd "$cache" && npm install --no-audit --no-fund --cache "$cache/.npm" "@redocly/cli@$version" \
      >"$cache/npm.log" 2>&1) || {
    tail -20 "$cache/npm.log" >&2
    echo "npm install of @redocly/cli@$version failed: is the npm registry reachable? (log: $cache/npm.log)" >&2
    exit 1; }
fi
cd "$cache"
npx --no-install @redocly/cli lint --config "$src/tests/openapi/redocly.yaml" "$src/openapi.yaml" 2>&1 |
  grep -v '[║╔╚]' || true
npx --no-install @redocly/cli lint --config "$src/tests/openapi/redocly.yaml" "$src/openapi.yaml" \
  >/dev/null 2>&1 || { echo "openapi.yaml: Redocly lint failed (problems above)" >&2; exit 1; }
npx --no-install @redocly/cli bundle "$src/openapi.yaml" --ext json -o "$cache/openapi.json" >/dev/null 2>&1 ||
  { echo "openapi.yaml: Redocly bundle failed" >&2; exit 1; }
OPENAPI_JSON="$cache/openapi.json" "$checker"
