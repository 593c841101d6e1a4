#!/bin/sh
# Reproduces the scikit-learn peer of issue 6 on the dev splits. The venv lives outside
# the repository (PEER_VENV, default /tmp/langnghe-peer-venv) and is never committed.
# Usage: classifier/peer/run.sh [dataset ...]   from the repository root.
set -e
VENV=${PEER_VENV:-/tmp/langnghe-peer-venv}
DATA=${DATA:-../shared/data}
if [ ! -x "$VENV/bin/python" ]; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q scikit-learn
fi
exec "$VENV/bin/python" "$(dirname "$0")/peer.py" "$DATA" "$@"
