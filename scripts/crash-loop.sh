#!/usr/bin/env bash
# The long crash loop: test/crash/kill-9.test.ts with many more cycles (CRASH_CYCLES, default 200).
# Any CRASH_* variable passes through: CRASH_SEED replays a failed run's choices; CRASH_WRITERS,
# CRASH_UPLOAD_MIB and CRASH_RECHECK size it. Its data (a few GiB at 200 cycles) lives in $TMPDIR and is
# removed at the end. The last line repeats the loop's summary: cycles, commits attempted, acknowledged, lost.
set -euo pipefail
cd "$(dirname "$0")/.."

export CRASH_CYCLES="${CRASH_CYCLES:-200}"
npm run build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
npx vitest run test/crash/kill-9.test.ts --reporter=default 2>&1 | tee "$log" || status=$?
grep -a -o 'crash loop (seed.*' "$log" | tail -n 1 || echo 'crash loop: no summary line (see the output above)'
exit "$status"
