#!/usr/bin/env bash
# testinfra/es-tls.sh start|stop|status|restart|clean
#
# A second Elasticsearch node for the TLS and authentication tests
# (store/elasticsearch/security_test.go): elasticsearch.sh with users on and HTTPS with a
# self-signed certificate, on its own port and state directory, heap 512m.
#
#   https      127.0.0.1:${LANGNGHE_ES_TLS_PORT:-19211}, user elastic / $LANGNGHE_ES_PASSWORD
#              (default langnghe-test)
#   CA         .testinfra/elasticsearch-<port>/config/certs/http.crt
set -euo pipefail
TI_NAME=es-tls
export LANGNGHE_ES_PORT="${LANGNGHE_ES_TLS_PORT:-19211}"
export LANGNGHE_ES_SECURITY=tls
export LANGNGHE_ES_HEAP="${LANGNGHE_ES_TLS_HEAP:-512m}"
exec "$(dirname "${BASH_SOURCE[0]}")/elasticsearch.sh" "$@"
