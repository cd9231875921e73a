#!/usr/bin/env bash
# Runs every test of a configured build directory against real servers:
# starts PostgreSQL and MariaDB (scripts/test-services.sh), runs CTest, stops them always.
set -euo pipefail
build=${1:?usage: run-tests.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$here/services-lib.sh"
start_test_services baselinr-services
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A skipped test is a failure: ctest reports skips, and we refuse them.
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --no-tests=error 2>&1 | tee "$build/ctest.log"
status=${PIPESTATUS[0]}
if grep -qE '\*\*\*Skipped|Not Run' "$build/ctest.log"; then
  echo "run-tests: some tests were skipped or not run; that is a failure" >&2
  exit 1
fi
exit "$status"
