#!/usr/bin/env bash
# validate_manifests.sh SOURCE_DIR CACHE_DIR
# Fails (exit 1) with a message naming the manifest and the problem.
set -euo pipefail
src=$1; cache=$2
mkdir -p "$cache"

command -v kubectl >/dev/null || { echo "kubectl not found: run scripts/install-deps.sh" >&2; exit 1; }
rendered="$cache/rendered.yaml"
kubectl kustomize "$src/deploy/kubernetes" >"$rendered" 2>"$cache/kustomize.err" || {
  cat "$cache/kustomize.err" >&2; echo "kustomize build of deploy/kubernetes failed" >&2; exit 1; }

if [ ! -d "$cache/node_modules/kubernetes-models" ] || [ ! -d "$cache/node_modules/yaml" ]; then
  (cd "$cache" && npm install --silent --no-audit --no-fund kubernetes-models@5 yaml@2 >/dev/null 2>"$cache/npm.err") || {
    cat "$cache/npm.err" >&2; echo "npm install of the validator failed (is the npm registry reachable?)" >&2; exit 1; }
fi
cp "$src/tests/deploy/validate_manifests.mjs" "$cache/validate.mjs"
node "$cache/validate.mjs" "$rendered" "$src/deploy/kubernetes/secret.example.yaml"

# Dockerfile: multi-stage, slim runtime, non-root, and every COPY source exists.
df="$src/deploy/Dockerfile"
[ "$(grep -c '^FROM ' "$df")" -ge 2 ] || { echo "Dockerfile: expected a multi-stage build" >&2; exit 1; }
grep -q '^FROM debian:12-slim' "$df" || { echo "Dockerfile: runtime stage must be debian:12-slim" >&2; exit 1; }
user=$(grep '^USER ' "$df" | tail -1 | awk '{print $2}')
case "$user" in ""|root|0|0:*) echo "Dockerfile: final USER must be non-root (got '$user')" >&2; exit 1 ;; esac
grep '^COPY ' "$df" | grep -v -- '--from=' | awk '{for(i=2;i<NF;i++) print $i}' | while read -r path; do
  [ -e "$src/$path" ] || { echo "Dockerfile: COPY source '$path' does not exist in the repository" >&2; exit 1; }
done
echo "deploy manifests and Dockerfile: OK"
