#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (never `playwright install`,
# which downloads its own browser). Installs it when we may; says what to do otherwise.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: install it (Debian: sudo apt-get install chromium) and rerun." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q chromium >/dev/null
