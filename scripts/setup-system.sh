#!/usr/bin/env bash
# System tools the test suite uses that pip cannot provide: poppler-utils (pdftotext, pdffonts,
# pdftoppm) to check rendered reports. Installed from Debian's packages when missing and when we
# are root; otherwise the tests that need them skip with a clear reason.
set -u
if command -v pdftotext >/dev/null 2>&1 && command -v pdffonts >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils) >/dev/null 2>&1 \
    || echo "warning: poppler-utils could not be installed; PDF checks will be skipped" >&2
else
  echo "warning: poppler-utils missing and not root; PDF checks will be skipped" >&2
fi
exit 0
