#!/usr/bin/env bash
# Runs the benchmark of issue 6 (see docs/PERFORMANCE.md) from a build directory configured with
# -DBASELINR_BUILD_BENCH=ON: starts PostgreSQL and MariaDB under a temporary directory with
# scripts/test-services.sh, loads the generated table into SQLite, PostgreSQL and MariaDB (reusing
# the SQLite file when it already holds the right data), runs the driver, stops the servers always.
#
#   scripts/run-bench.sh BUILD_DIR
#   BENCH_ROWS=10000000 scripts/run-bench.sh BUILD_DIR     (default 1000000 rows)
#   BENCH_REPEAT=5 ...                                      (default 3 timed runs per variant)
#   BENCH_COMMIT=abc1234 ...                                (label of the code; default from git)
#   BENCH_TIMEOUT=1800 ...                                  (kill a profile command after N s)
#   BENCH_ENGINES=postgres,mysql ...                        (engines measured; default all three)
#
# Writes BUILD_DIR/results-<rows>.json and prints the table. Data: BUILD_DIR/data/bench-<rows>.db;
# configs, storage files and CLI logs of the last run: BUILD_DIR/work-<rows>/.
set -euo pipefail
build=${1:?usage: run-bench.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rows=${BENCH_ROWS:-1000000}
repeat=${BENCH_REPEAT:-3}
timeout=${BENCH_TIMEOUT:-0}
engines=${BENCH_ENGINES:-sqlite,postgres,mysql}
if ! [[ $rows =~ ^[1-9][0-9]*$ && $repeat =~ ^[1-9][0-9]*$ && $timeout =~ ^[0-9]+$ ]]; then
  echo "run-bench: BENCH_ROWS, BENCH_REPEAT and BENCH_TIMEOUT must be integers (rows, repeat > 0)" >&2
  exit 2
fi
engine_args=()
IFS=, read -r -a engine_list <<<"$engines"
for e in "${engine_list[@]}"; do
  case $e in
    sqlite) engine_args+=(--sqlite "$build/data/bench-$rows.db") ;;
    postgres) engine_args+=(--postgres) ;;
    mysql | mariadb) engine_args+=(--mysql) ;;
    *) echo "run-bench: BENCH_ENGINES: unknown engine '$e' (sqlite, postgres, mysql)" >&2; exit 2 ;;
  esac
done
((${#engine_args[@]} > 0)) || { echo "run-bench: BENCH_ENGINES names no engine" >&2; exit 2; }
for f in "$build/bench/bench_generate" "$build/bench/bench_driver" "$build/baselinr"; do
  [[ -x $f ]] || { echo "run-bench: $f not found; build with -DBASELINR_BUILD_BENCH=ON" >&2; exit 2; }
done

# shellcheck disable=SC1091
source "$here/services-lib.sh"
start_test_services baselinr-bench-services

# The code measured, recorded with the results (BENCH_COMMIT overrides, e.g. for an export).
commit=${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [[ -z ${BENCH_COMMIT:-} && -n $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit+uncommitted changes"
fi

"$build/bench/bench_generate" --rows "$rows" "${engine_args[@]}"
timeout_arg=()
if ((timeout > 0)); then timeout_arg=(--timeout "$timeout"); fi
"$build/bench/bench_driver" --rows "$rows" --repeat "$repeat" --commit "$commit" "${timeout_arg[@]}" \
  "${engine_args[@]}" --baselinr "$build/baselinr" \
  --work-dir "$build/work-$rows" --json "$build/results-$rows.json"
