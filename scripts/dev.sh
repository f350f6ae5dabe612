#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds svault, and starts it in dev mode on the embedded
# SQLite store. Dev mode auto-initialises, auto-unseals, prints the root token once and writes
# it to DATA/root.token. NOT for production: the unseal key sits beside the data.
#
#   ./scripts/dev.sh                 # data in ./.svault-dev, listening on 127.0.0.1:8200
#   SVAULT_DEV_DATA=/tmp/v ./scripts/dev.sh --listen 127.0.0.1:8300
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSVAULT_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target svault -j"$(nproc)"

data="${SVAULT_DEV_DATA:-$PWD/.svault-dev}"
echo "svault: dev mode, data in $data (delete it to start over)"
exec ./build-release/src/svault server --dev --data "$data" "$@"
