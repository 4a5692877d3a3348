#!/usr/bin/env bash
# Builds and runs every test: doctest unit tests, the conformance suite and
# the end-to-end HTTP tests, on the ASan+UBSan build by default
# (DC_TEST_PRESET=debug|release|sanitize). Idempotent; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) shares its cache across clones in other folders:
# paths under the checkout are hashed relative to it, and the folder itself is not.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
./scripts/install-deps.sh test
if ! command -v node >/dev/null; then
  echo "test.sh: node (20 or later) is required for the conformance and end-to-end suites" >&2
  exit 1
fi
# The npm side (adapter, Convex emulator): exact versions from the committed lockfile.
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck -w adapter
npm run --silent build -w adapter
npm run --silent typecheck -w client/ts
npm run --silent build -w client/ts
preset="${DC_TEST_PRESET:-sanitize}"
build_started=$SECONDS
cmake --preset "$preset" -DDC_TESTS=ON >/dev/null
cmake --build --preset "$preset"
build_seconds=$((SECONDS - build_started))
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Verbose: the suites print what they checked (case counts, the crash test's write counts).
# The log feeds the summary below: one line per suite with its count and seconds.
log="build/$preset/ctest.log"
tests_started=$SECONDS
status=0
# Two suites at a time (DC_TEST_JOBS): they share nothing, and each waits on
# servers and sockets part of the time.
ctest --preset "$preset" --parallel "${DC_TEST_JOBS:-2}" --output-on-failure --verbose 2>&1 | tee "$log" || status=$?
echo
echo "== test.sh: $preset build ${build_seconds} s, suites $((SECONDS - tests_started)) s"
node scripts/suite_summary.mjs "$log" || true
exit "$status"
