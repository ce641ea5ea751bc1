#!/usr/bin/env bash
# Installs every build, test and runtime dependency on Debian 12.
# Idempotent; needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ca-certificates curl git \
  libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev libssl-dev libpq-dev libcmocka-dev \
  postgresql postgresql-client procps >/dev/null
# Node.js and npm: the OpenAPI linter and JupiterOne's SDK CLI run from npm.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# kubectl validates the Kubernetes manifests client-side.
if ! command -v kubectl >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null || true
fi
