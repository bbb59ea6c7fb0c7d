#!/usr/bin/env bash
# The whole MiAudit test suite: installs prerequisites when missing, builds in Release, runs every test project,
# and ends with one plain line: "tests: N passed, M failed". Exit code 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tests/install-prerequisites.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }

results=TestResults
rm -rf "$results"
# A hung test is killed after 8 minutes (and counted as failed) rather than eating CI's 90; the whole run is capped too.
timeout --signal=TERM --kill-after=60 60m \
  dotnet test MiAudit.sln -c Release --results-directory "$results" --logger "trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 8m --blame-hang-dump-type none "$@"
status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(echo "$counters" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  e=$(echo "$counters" | grep -o ' error="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done

# Name the failures last, where a truncated CI log still shows them (dotnet prints them mid-run).
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); failing = 1; printed = 0 }
    failing && /<Message>/ { sub(/.*<Message>/, ""); sub(/<\/Message>.*/, ""); print "FAILED " name ": " substr($0, 1, 400); printed = 1; failing = 0 }
    failing && /<\/UnitTestResult>/ { if (!printed) print "FAILED " name; failing = 0 }
  ' "$trx"
done

# A build break or a crashed test host fails the run even when no test was counted as failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
