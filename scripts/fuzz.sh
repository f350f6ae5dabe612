#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang++ in build-fuzz/ and runs each for SECONDS
# (default 60) on a copy of its seed corpus in fuzz/corpus/<target>/, so the checked-in seeds
# never change. Fails when any target crashes; the crashing input is kept in build-fuzz/artifacts/.
#
#   ./scripts/fuzz.sh           # every target, 60 s each
#   ./scripts/fuzz.sh 300       # every target, 300 s each
#   ./scripts/fuzz.sh 60 fuzz_names fuzz_audit_verify
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_names fuzz_request_parsing fuzz_audit_verify fuzz_refs fuzz_share)
build_dir=build-fuzz

./scripts/setup-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++ -DSVAULT_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"

work="$(mktemp -d /tmp/svault-fuzz-XXXXXX)"
trap 'rm -rf "$work"' EXIT
artifacts="$PWD/$build_dir/artifacts"
mkdir -p "$artifacts"

failed=()
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp -r "fuzz/corpus/$target/." "$corpus/"
  echo "fuzz: $target for ${seconds}s"
  if ! "$build_dir/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts/$target-" "$corpus" 2>"$work/$target.log"; then
    failed+=("$target")
    tail -n 60 "$work/$target.log"
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb):' \
    "$work/$target.log" | sed "s/^/fuzz: $target /" || true
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts)"
  exit 1
fi
echo "fuzz: no crashes"
