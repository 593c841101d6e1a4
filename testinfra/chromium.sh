#!/usr/bin/env bash
# Installs Debian's chromium for the web UI's browser tests (web/browser_test.go, driven
# by chromedp). Nothing to start or stop: the tests launch it headless themselves.
set -euo pipefail
TI_NAME=chromium
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -x /usr/bin/chromium ]] && exit 0
sudo=()
if [[ "$(id -u)" != 0 ]]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		ti_log "chromium is not installed and installing needs root: browser tests will skip (sudo apt-get install -y chromium)"
		exit 0
	fi
fi
command -v apt-get >/dev/null || { ti_log "chromium missing and no apt-get: browser tests will skip"; exit 0; }
mkdir -p "$TI_STATE"
log="$TI_STATE/apt-chromium.log"
ti_log "installing Debian's chromium package for the browser tests..."
if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
	! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$log" 2>&1; then
	ti_tail_log "$log" 20
	ti_die "apt-get install chromium failed"
fi
