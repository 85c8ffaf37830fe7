#!/usr/bin/env bash
# The browser check on a real run: trains a tiny run, evaluates it with the shipped classifier,
# and renders its report.html with headless Chromium (scripts/check_report.sh).
#
# Usage: scripts/check_run_report.sh [WORK_DIR]
#   WORK_DIR defaults to a fresh temporary directory; the run is WORK_DIR/run and the
#   screenshot WORK_DIR/run/report.png.
#
# CI: run with CHECK_REPORT_REQUIRE=1 so that a missing browser fails instead of skipping.
# Takes about a minute after the release build on two cores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
WORK="$(realpath -m "${1:-$(mktemp -d)}")"
mkdir -p "$WORK"

cargo build -q --release -p gantry-cli
GANTRY="$ROOT/target/release/gantry"

cd "$WORK"
rm -rf run
"$GANTRY" train --iters 20 --dim 8 --batch-size 16 --sample-every 5 --eval-every 10 \
    --eval-samples 200 --out run
"$GANTRY" eval run --n 1000
for f in run/eval.json run/report.html run/samples/progress.gif; do
    [[ -s "$f" ]] || { echo "check_run_report: missing $WORK/$f" >&2; exit 1; }
done

"$ROOT/scripts/check_report.sh" "$WORK/run/report.html" "$WORK/run/report.png"
