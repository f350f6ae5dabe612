#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds everything, and runs every test (unit and
# integration: the integration tests start the real binary on free ports of 127.0.0.1 and stop
# it afterwards).
#
#   ./scripts/test.sh              # the suite
#   ./scripts/test.sh --sanitize   # the same suite under AddressSanitizer + UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-test
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DSVAULT_SANITIZE=ON)
fi

./scripts/setup-deps.sh
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j2 --timeout 600
