#!/usr/bin/env bash
# The printed records (PDF) embed a CJK font from the system: fonts-wqy-microhei (or zenhei, or
# Noto CJK), or the file named by RECORD_FONT. Installed through apt when missing and we are root;
# otherwise we say how (without it the PDF endpoints answer 503 and say so in Chinese).
set -euo pipefail
for font in "${RECORD_FONT:-}" /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
            /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; do
  [ -n "$font" ] && [ -f "$font" ] && exit 0
done
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing fonts-wqy-microhei for the printed records (apt) =="
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends fonts-wqy-microhei >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends fonts-wqy-microhei >/dev/null; }
  exit 0
fi
echo "################################################################"
echo "# The printed records (PDF) need a CJK font: sudo apt-get install -y fonts-wqy-microhei"
echo "# (or set RECORD_FONT=/path/to/font.ttf|.ttc). Without it the PDF downloads answer 503."
echo "################################################################"
