#!/usr/bin/env bash
# testinfra/env.sh: (re)write .testinfra/env with export lines for the components that are
# running now, and print it. up.sh calls it; it is also handy after starting one script by hand.
set -euo pipefail
TI_NAME="env"
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$TI_STATE"
tmp="$TI_STATE/env.tmp.$$"
{
	echo "# Written by testinfra/env.sh $(date -u +%Y-%m-%dT%H:%M:%SZ); components running at that time."
	if "$TI_DIR/kafka.sh" status >/dev/null 2>&1; then
		echo "export LANGNGHE_TEST_KAFKA=127.0.0.1:${LANGNGHE_KAFKA_PORT:-19092}"
	fi
	if "$TI_DIR/elasticsearch.sh" status >/dev/null 2>&1; then
		echo "export LANGNGHE_TEST_ES=http://127.0.0.1:${LANGNGHE_ES_PORT:-19200}"
	fi
	if "$TI_DIR/es-tls.sh" status >/dev/null 2>&1; then
		tls_port="${LANGNGHE_ES_TLS_PORT:-19211}"
		echo "export LANGNGHE_TEST_ES_TLS=https://127.0.0.1:$tls_port"
		echo "export LANGNGHE_TEST_ES_CACERT=$TI_STATE/elasticsearch-$tls_port/config/certs/http.crt"
		echo "export LANGNGHE_TEST_ES_PASSWORD=${LANGNGHE_ES_PASSWORD:-langnghe-test}"
	fi
	if "$TI_DIR/es-fault.sh" status >/dev/null 2>&1; then
		echo "export LANGNGHE_TEST_ES_FAULT_PORT=${LANGNGHE_ES_FAULT_PORT:-19230}"
	fi
	if "$TI_DIR/mailpit.sh" status >/dev/null 2>&1; then
		echo "export LANGNGHE_TEST_SMTP=127.0.0.1:${LANGNGHE_MAILPIT_SMTP_PORT:-11025}"
		echo "export LANGNGHE_TEST_MAILPIT=http://127.0.0.1:${LANGNGHE_MAILPIT_HTTP_PORT:-18025}"
	fi
	if "$TI_DIR/prometheus.sh" status >/dev/null 2>&1; then
		echo "export LANGNGHE_TEST_PROMETHEUS=http://127.0.0.1:${LANGNGHE_PROMETHEUS_PORT:-19090}"
	fi
} >"$tmp"
mv -f "$tmp" "$TI_STATE/env"
cat "$TI_STATE/env"
