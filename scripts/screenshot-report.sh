#!/usr/bin/env bash
# Renders an HTML report (any self-contained page: `mloop profile --html`, `mloop eval --html`)
# to a PNG with headless Chromium, to look at it without a browser.
#
#   scripts/screenshot-report.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT] [FROM]
#
# Defaults: OUT = REPORT.png beside the report, 1280 x 4000 pixels (the page is cut at HEIGHT);
# FROM > 0 starts the picture that many pixels down the page (to look at a long page in parts).
# Needs `chromium` (Debian: apt-get install chromium) or google-chrome on the PATH.
set -euo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
html=$1
out=${2:-${html%.html}.png}
width=${3:-1280}
height=${4:-4000}
from=${5:-0}
[[ -f $html ]] || { echo "error: no such file: $html" >&2; exit 1; }

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
[[ -n $browser ]] || { echo "error: chromium is not installed" >&2; exit 1; }

abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
case $out in /*) ;; *) out=$PWD/$out ;; esac
# A throw-away profile directory, so that the run leaves nothing behind and never talks to a
# running browser.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
if [[ $from =~ ^[0-9]+$ && $from -gt 0 ]]; then
  # A copy of the page moved up by FROM pixels.
  shifted=$profile/page.html
  sed "0,/<head>/s||<head><style>html{margin-top:-${from}px}</style>|" "$html" >"$shifted"
  abs=$shifted
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$out" --window-size="$width,$height" "file://$abs" >/dev/null 2>&1
[[ -s $out ]] || { echo "error: $browser wrote no screenshot" >&2; exit 1; }
echo "$out"
