#!/usr/bin/env bash
# testinfra/es-fault.sh start|stop|status|restart|clean
#
# A private Elasticsearch node for the stop/start fault test
# (indexer/fault_test.go, TestFaultElasticsearchStopped), which stops and restarts the node
# it is given: it must never be the shared one on 19200. elasticsearch.sh on its own port
# and state directory, security off, heap 512m (the test restarts it with the same heap).
#
#   http       127.0.0.1:${LANGNGHE_ES_FAULT_PORT:-19230}
set -euo pipefail
TI_NAME=es-fault
export LANGNGHE_ES_PORT="${LANGNGHE_ES_FAULT_PORT:-19230}"
export LANGNGHE_ES_SECURITY=0
export LANGNGHE_ES_HEAP=512m
exec "$(dirname "${BASH_SOURCE[0]}")/elasticsearch.sh" "$@"
