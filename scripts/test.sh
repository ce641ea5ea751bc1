#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   installs dependencies, builds twice (plain, and AddressSanitizer +
#   UndefinedBehaviorSanitizer), starts a private PostgreSQL, runs every test
#   in both builds, stops PostgreSQL.
# Options: --no-install (skip apt), --quick (plain build only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
install=1; builds="build build-asan"
for a in "$@"; do
  case "$a" in
    --no-install) install=0 ;;
    --quick) builds="build" ;;
    *) echo "unknown option $a" >&2; exit 64 ;;
  esac
done
[ "$install" = 1 ] && scripts/install-deps.sh

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
if [[ " $builds " == *" build-asan "* ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DAI_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
fi

pgdir=$(mktemp -d /tmp/ai-test-pg.XXXXXX)
chmod 755 "$pgdir"
cleanup() { scripts/pg.sh stop "$pgdir/pg" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
export DATABASE_URL=$(scripts/pg.sh start "$pgdir/pg")
export AI_PG_DIR="$pgdir/pg"   # tests that restart PostgreSQL use scripts/pg.sh with it
echo "PostgreSQL for tests: $DATABASE_URL"

status=0
for b in $builds; do
  # Tests labelled npm exercise Node tools (OpenAPI lint, manifest schemas,
  # JupiterOne's SDK CLI) rather than our C code: run them once, in the plain build.
  extra=""
  [ "$b" = build-asan ] && extra="-LE npm"
  echo "== ctest ($b)"
  (cd "$b" && ctest --output-on-failure -j"$jobs" --timeout 600 $extra) || status=1
done
exit $status
