#!/usr/bin/env bash
# Renders a gantry report.html with headless Chromium and checks that the screenshot shows a
# real page (expected size, many colours, enough non-background pixels).
#
# Usage: scripts/check_report.sh [REPORT_HTML] [SCREENSHOT_PNG]
#   Without REPORT_HTML, a demo report is generated from synthetic data first
#   (cargo run -p gantry-eval --example demo_report).
#   SCREENSHOT_PNG defaults to report.png next to the report.
#
# Chromium (Debian package `chromium`) is installed with apt-get when missing and the script
# runs as root; otherwise the check is skipped with exit code 0, or fails with exit code 2 when
# CHECK_REPORT_REQUIRE=1 (use that in CI images that must have a browser).
set -euo pipefail

cd "$(dirname "$0")/.."
WIDTH=1280
HEIGHT=2000

skip() {
    echo "check_report: SKIPPED: $*" >&2
    if [[ "${CHECK_REPORT_REQUIRE:-0}" == "1" ]]; then
        exit 2
    fi
    exit 0
}

find_browser() {
    for name in chromium chromium-browser google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

BROWSER="$(find_browser || true)"
if [[ -z "$BROWSER" ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        echo "check_report: installing chromium with apt-get" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 \
            || skip "apt-get could not install chromium"
        BROWSER="$(find_browser)" || skip "chromium installed but not on PATH"
    else
        skip "no chromium found, and not root with apt-get to install it"
    fi
fi

if [[ $# -ge 1 ]]; then
    REPORT="$(realpath "$1")"
else
    DEMO_DIR="$(mktemp -d)"
    cargo run -q -p gantry-eval --example demo_report -- "$DEMO_DIR"
    REPORT="$DEMO_DIR/report.html"
fi
[[ -f "$REPORT" ]] || { echo "check_report: no such file: $REPORT" >&2; exit 1; }
SHOT="$(realpath -m "${2:-$(dirname "$REPORT")/report.png}")"
rm -f "$SHOT"

PROFILE="$(mktemp -d)"
trap 'rm -rf "$PROFILE"' EXIT
echo "check_report: rendering $REPORT with $BROWSER" >&2
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --hide-scrollbars --screenshot="$SHOT" \
    --window-size="$WIDTH,$HEIGHT" "file://$REPORT" >/dev/null 2>"$PROFILE/browser.log" \
    || { cat "$PROFILE/browser.log" >&2; echo "check_report: chromium failed" >&2; exit 1; }
[[ -s "$SHOT" ]] || { cat "$PROFILE/browser.log" >&2; echo "check_report: no screenshot" >&2; exit 1; }

cargo run -q -p gantry-eval --example check_screenshot -- "$SHOT" "$WIDTH" "$HEIGHT"
echo "check_report: screenshot at $SHOT"
