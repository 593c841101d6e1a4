#!/usr/bin/env bash
# testinfra/up.sh [kafka] [elasticsearch] [es-tls] [es-fault] [mailpit] [prometheus]   (default: all six)
#
# Starts the named components (each is idempotent: one already running is left as it is),
# then writes .testinfra/env with an export line for every component that is running:
#
#   LANGNGHE_TEST_KAFKA=127.0.0.1:19092          LANGNGHE_TEST_ES=http://127.0.0.1:19200
#   LANGNGHE_TEST_SMTP=127.0.0.1:11025           LANGNGHE_TEST_MAILPIT=http://127.0.0.1:18025
#   LANGNGHE_TEST_PROMETHEUS=http://127.0.0.1:19090
#   LANGNGHE_TEST_ES_TLS=https://127.0.0.1:19211 (+ _CACERT, _PASSWORD)   LANGNGHE_TEST_ES_FAULT_PORT=19230
#
# es-tls and es-fault are two more Elasticsearch nodes (512m heap each): HTTPS with users for
# the TLS tests, and a private node the fault test stops and starts.
#
# Use:  testinfra/up.sh && . .testinfra/env && go test ./...   then testinfra/down.sh
# If a component fails to start, the ones this run started are stopped again and it exits 1.
set -euo pipefail
TI_NAME=up
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL=(kafka elasticsearch es-tls es-fault mailpit prometheus)
want=("$@")
((${#want[@]})) || want=("${ALL[@]}")
for c in "${want[@]}"; do
	case "$c" in
	kafka | elasticsearch | es-tls | es-fault | mailpit | prometheus) ;;
	es) ;;
	*) ti_die "unknown component '$c' (want: ${ALL[*]})" ;;
	esac
done

started=()
cleanup_started() {
	local c
	for c in "${started[@]}"; do
		"$TI_DIR/$c.sh" stop || true
	done
}
trap 'ti_log "interrupted"; cleanup_started; exit 130' INT TERM

t0="$(ti_now)"
for c in "${want[@]}"; do
	[[ "$c" == es ]] && c=elasticsearch
	if "$TI_DIR/$c.sh" status >/dev/null 2>&1; then
		ti_log "$c already running"
		continue
	fi
	if ! "$TI_DIR/$c.sh" start; then
		ti_log "$c failed to start; stopping what this run started"
		cleanup_started
		exit 1
	fi
	started+=("$c")
done
trap - INT TERM

"$TI_DIR/chromium.sh" # the web UI's browser tests (not a service: nothing to stop)
"$TI_DIR/env.sh"
ti_log "all up in $(($(ti_now) - t0))s; now run: . $TI_STATE/env"
