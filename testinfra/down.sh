#!/usr/bin/env bash
# testinfra/down.sh [--clean] [components...]   (default: all six)
#
# Stops the components (whole process groups, waiting for them to exit) and removes
# .testinfra/env. With --clean also deletes their state (data, logs) under .testinfra/;
# downloads in the cache are kept.
set -euo pipefail
TI_NAME=down
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action=stop
if [[ "${1:-}" == --clean ]]; then
	action=clean
	shift
fi
want=("$@")
((${#want[@]})) || want=(prometheus mailpit es-fault es-tls elasticsearch kafka)
rc=0
for c in "${want[@]}"; do
	[[ "$c" == es ]] && c=elasticsearch
	"$TI_DIR/$c.sh" "$action" || rc=1
done
if (($# == 0)); then
	rm -f "$TI_STATE/env"
else
	"$TI_DIR/env.sh" >/dev/null
fi
exit "$rc"
