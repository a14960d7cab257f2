#!/usr/bin/env bash
# Builds arca twice (warnings as errors; then with AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs the whole test suite on each build.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${ARCA_TEST_JOBS:-2}
for variant in release sanitize; do
	dir=build/test-$variant
	flags=(-DARCA_WERROR=ON)
	[ "$variant" = sanitize ] && flags+=(-DARCA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
	echo "== $variant build ($dir)"
	cmake -S . -B "$dir" "${flags[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "== $variant tests"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		ctest --test-dir "$dir" --output-on-failure -j"$jobs"
done
