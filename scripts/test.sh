#!/usr/bin/env bash
# The Atlas test command: bash scripts/test.sh [extra dotnet test args, e.g. --filter X]
#
# 1. starts a private PostgreSQL and Redis (scripts/services.sh; installs them
#    with apt if missing, and Chromium + ChromeDriver for the console's browser
#    tests) and exports ATLAS_TEST_* for the tests,
# 2. builds Atlas.sln (or Atlas.slnx, or else every tests/*/*.csproj) in Release,
#    then runs its test projects one at a time with a trx logger,
# 3. stops the servers (always, also on failure or Ctrl-C; with CI=true it
#    also deletes their data),
# 4. ends with exactly one line "N passed, N failed, N skipped" summed over
#    all test projects. Exit code 0 only if nothing failed and a test ran.
#
# Settings (environment):
#   ATLAS_TEST_RESULTS_DIR  where the .trx files go (default artifacts/test-results),
#                           and the console's screenshot (console.png)
#   ATLAS_TEST_KEEP_DATA=1  reuse the previous database instead of a fresh one
#   ATLAS_TEST_KEEP_SERVICES=1  leave the servers running afterwards
#   ATLAS_TEST_TIMEOUT      seconds before dotnet test is killed when CI=true
#                           (default 4500; CI gives the whole run 90 minutes)
#   ATLAS_TEST_HANG_TIMEOUT per-test hang timeout given to dotnet test
#                           (--blame-hang-timeout; default 15m; "off" to disable)
# plus those of scripts/services.sh (ATLAS_SERVICES_DIR, ...).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
SERVICES=(bash "$REPO_ROOT/scripts/services.sh")
RESULTS_DIR=${ATLAS_TEST_RESULTS_DIR:-$REPO_ROOT/artifacts/test-results}
HANG_TIMEOUT=${ATLAS_TEST_HANG_TIMEOUT:-15m}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No MSBuild worker nodes or build server left running after the tests.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

passed=0 failed=0 skipped=0
services_started=0
counted=0 # 1 once the counts above are final

section() { printf '\n== %s\n' "$*"; }

# Runs on every exit: stop the servers, then print the one final line.
# shellcheck disable=SC2317 # (invoked by the trap)
finish() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$services_started" = 1 ] && [ "${ATLAS_TEST_KEEP_SERVICES:-0}" != 1 ]; then
    if [ "${CI:-}" = true ]; then
      # CI clones are thrown away; the cluster may live outside the clone.
      section "Stopping services and deleting their data"
      "${SERVICES[@]}" clean 2>&1
    else
      section "Stopping services (data kept in ${ATLAS_SERVICES_DIR:-.services} until the next run)"
      "${SERVICES[@]}" stop 2>&1
    fi
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && [ "$counted" != 1 ]; then
    failed=1 # something broke before or outside of the tests
  fi
  if [ "$rc" -eq 0 ] && [ "$failed" -ne 0 ]; then
    rc=1
  fi
  echo
  echo "$passed passed, $failed failed, $skipped skipped"
  exit "$rc"
}
trap finish EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ------------------------------------------------------------ services ----

section "Starting services"
if [ "${ATLAS_TEST_KEEP_DATA:-0}" != 1 ]; then
  if ! "${SERVICES[@]}" clean 2>&1; then
    echo "ERROR: could not reset the services state (see above)" >&2
    exit 1
  fi
fi
services_started=1
if ! "${SERVICES[@]}" start 2>&1; then
  echo "ERROR: could not start PostgreSQL/Redis (see above)" >&2
  exit 1
fi
eval "$("${SERVICES[@]}" env)"

section "Services"
echo "PostgreSQL: $("$ATLAS_TEST_PG_BIN/postgres" --version) on 127.0.0.1:$ATLAS_TEST_PG_PORT (data: $ATLAS_TEST_PG_DATA)"
echo "Redis:      $("$ATLAS_TEST_REDIS_SERVER" --version | cut -d' ' -f1-3) on 127.0.0.1:$ATLAS_TEST_REDIS_PORT"
echo "Browser:    $("$ATLAS_TEST_CHROMEDRIVER" --version | cut -d' ' -f1-2) driving $ATLAS_TEST_CHROMIUM"
env | grep -E '^ATLAS_(TEST|SERVICES)_' | sort | sed 's/^/  /'

# --------------------------------------------------------------- tests ----

targets=()
if [ -f Atlas.sln ]; then
  targets=(Atlas.sln)
elif [ -f Atlas.slnx ]; then
  targets=(Atlas.slnx)
else
  shopt -s nullglob
  for project in tests/*/*.csproj; do
    if grep -qE 'Microsoft\.NET\.Test\.Sdk|<IsTestProject>[[:space:]]*true' "$project"; then
      targets+=("$project")
    fi
  done
  [ "${#targets[@]}" -gt 0 ] || targets=(tests/*/*.csproj)
  shopt -u nullglob
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "ERROR: no Atlas.sln, Atlas.slnx or tests/*/*.csproj to test" >&2
  exit 1
fi

# Number of test projects a target should produce results for.
count_test_projects() {
  local target=$1 project count=0
  case "$target" in
    *.csproj) echo 1; return ;;
  esac
  while IFS= read -r project; do
    project=${project//\\//}
    if [ -f "$project" ] && grep -qE 'Microsoft\.NET\.Test\.Sdk|<IsTestProject>[[:space:]]*true' "$project"; then
      count=$((count + 1))
    fi
  done < <(dotnet sln "$target" list 2>/dev/null | grep -E '\.csproj[[:space:]]*$' || true)
  echo "$count"
}

# No LogFileName: with a solution every test project would write the same
# file and only the last one would survive. The default names are unique.
# Test projects run one at a time: outage tests stop and restart the shared PostgreSQL and Redis.
test_args=(-c Release --logger trx --no-build -m:1)
if [ "$HANG_TIMEOUT" != off ]; then
  test_args+=(--blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none)
fi
runner=()
if [ "${CI:-}" = true ]; then
  # Still print a summary if the run hangs: CI kills everything at 90 minutes.
  runner=(timeout --kill-after=30 "${ATLAS_TEST_TIMEOUT:-4500}")
fi

attr() {
  local v
  v=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2")
  echo "${v:-0}"
}

# Sums the .trx files under $1 into t_passed/t_failed/t_skipped/t_files.
# A result file whose run did not complete (e.g. the test host crashed) but
# that reports no failed test counts as 1 failed.
sum_trx() {
  local trx counters p f s outcome name
  t_passed=0 t_failed=0 t_skipped=0 t_files=0
  while IFS= read -r -d '' trx; do
    t_files=$((t_files + 1))
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
    if [ -z "$counters" ]; then
      echo "  $(basename "$trx"): no counters, counted as 1 failed"
      t_failed=$((t_failed + 1))
      continue
    fi
    p=$(attr passed "$counters")
    f=$(($(attr failed "$counters") + $(attr error "$counters") + $(attr timeout "$counters") + $(attr aborted "$counters")))
    s=$(grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$trx" | wc -l || true)
    outcome=$(grep -o '<ResultSummary outcome="[A-Za-z]*"' "$trx" | head -n 1 | sed 's/.*outcome="\(.*\)"/\1/' || true)
    name=$(grep -o '<UnitTest name="[^"]*" storage="[^"]*"' "$trx" | head -n 1 | sed 's/.*storage="\([^"]*\)"/\1/' || true)
    name=$(basename "${name:-$trx}")
    if [ "$f" -eq 0 ] && [ "$outcome" != Completed ]; then
      echo "  $name: run outcome '$outcome' without a failed test (aborted/crashed?), counted as 1 failed"
      f=1
    fi
    echo "  $name: $p passed, $f failed, $s skipped"
    t_passed=$((t_passed + p))
    t_failed=$((t_failed + f))
    t_skipped=$((t_skipped + s))
  done < <(find "$1" -name '*.trx' -print0 | sort -z)
}

rm -rf "$RESULTS_DIR"
# Tests that save files beside their results (the console's screenshot) put them here.
mkdir -p "$RESULTS_DIR"
ATLAS_TEST_RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)
export ATLAS_TEST_RESULTS_DIR
index=0
for target in "${targets[@]}"; do
  index=$((index + 1))
  dir=$RESULTS_DIR/$index-$(basename "$target")
  section "dotnet build $target -c Release"
  dotnet build "$target" -c Release -nologo -clp:ErrorsOnly || echo "ERROR: the build failed; test projects without results count as failed" >&2

  section "dotnet test $target ${test_args[*]} $*"
  rc=0
  "${runner[@]}" dotnet test "$target" "${test_args[@]}" --results-directory "$dir" "$@" || rc=$?
  [ "$rc" -ne 124 ] || echo "ERROR: dotnet test timed out after ${ATLAS_TEST_TIMEOUT:-4500}s" >&2

  section "Results of $target ($dir)"
  mkdir -p "$dir"
  sum_trx "$dir"
  if [ "$rc" -ne 0 ]; then
    # Test projects without a result file did not build or did not run.
    missing=$(($(count_test_projects "$target") - t_files))
    if [ "$missing" -gt 0 ]; then
      echo "  $missing test project(s) without results (build failure?), counted as failed"
      t_failed=$((t_failed + missing))
    fi
    if [ "$t_failed" -eq 0 ]; then
      echo "  dotnet test exited with $rc but no test failed: counted as 1 failed"
      t_failed=1
    fi
  fi
  passed=$((passed + t_passed))
  failed=$((failed + t_failed))
  skipped=$((skipped + t_skipped))
done
counted=1

if [ "$failed" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "ERROR: no test ran" >&2
  exit 1
fi
[ "$failed" -eq 0 ] || exit 1
exit 0
