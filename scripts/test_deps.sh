#!/usr/bin/env bash
# What the browser tests need beyond Python packages: Debian's Chromium (Playwright's own browser
# download does not work here) and a CJK font, so screenshots of the Chinese screens are readable.
# Installed through apt when missing and we are root; otherwise we say how.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]} for the browser tests (apt) =="
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
  exit 0
fi
echo "################################################################"
echo "# The browser tests need: ${missing[*]}"
echo "# Install them once as root:  sudo apt-get install -y ${missing[*]}"
echo "# Without them the browser tests are skipped here (CI=true fails them)."
echo "################################################################"
