#!/usr/bin/env bash
# testinfra/mailpit.sh start|stop|status|restart|clean
#
# Mailpit (an SMTP server that keeps what it receives and shows it over an HTTP API), built
# from the Go module proxy: GOBIN=$LANGNGHE_CACHE/bin go install github.com/axllent/mailpit@<version>.
#
#   SMTP      127.0.0.1:${LANGNGHE_MAILPIT_SMTP_PORT:-11025}   (no auth, no TLS)
#   HTTP/API  127.0.0.1:${LANGNGHE_MAILPIT_HTTP_PORT:-18025}   (GET /api/v1/messages, DELETE /api/v1/messages)
#   binary    $LANGNGHE_CACHE/mailpit/<version>/mailpit
#   state     .testinfra/mailpit (mailpit.db, pid, stdout.log)
set -euo pipefail
TI_NAME=mailpit
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAILPIT_VERSION="${LANGNGHE_MAILPIT_VERSION:-v1.27.11}"
SMTP_PORT="${LANGNGHE_MAILPIT_SMTP_PORT:-11025}"
HTTP_PORT="${LANGNGHE_MAILPIT_HTTP_PORT:-18025}"
TIMEOUT="${LANGNGHE_MAILPIT_TIMEOUT:-30}"
DIR="$TI_STATE/mailpit"
[[ "$HTTP_PORT" == 18025 ]] || DIR="$TI_STATE/mailpit-$HTTP_PORT"
BIN_DIR="$TI_CACHE/mailpit/$MAILPIT_VERSION"
BIN="$BIN_DIR/mailpit"

install_mailpit() {
	[[ -x "$BIN" ]] && return 0
	command -v go >/dev/null || ti_die "go not found (needed for go install github.com/axllent/mailpit)"
	ti_log "building github.com/axllent/mailpit@$MAILPIT_VERSION from the Go module proxy..."
	local t0
	t0="$(ti_now)"
	mkdir -p "$BIN_DIR"
	# Outside the repo's module, so go.mod is neither read nor touched.
	(cd "$BIN_DIR" && GOBIN="$BIN_DIR" GOFLAGS=-mod=mod GO111MODULE=on go install "github.com/axllent/mailpit@$MAILPIT_VERSION") ||
		ti_die "go install github.com/axllent/mailpit@$MAILPIT_VERSION failed"
	[[ -x "$BIN" ]] || ti_die "go install produced no $BIN"
	ti_log "built in $(($(ti_now) - t0))s"
}

api_ok() { curl -fsS --max-time 2 "http://127.0.0.1:$HTTP_PORT/api/v1/info" >/dev/null 2>&1; }

start() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		ti_log "already running (pid $pid), SMTP 127.0.0.1:$SMTP_PORT, API http://127.0.0.1:$HTTP_PORT"
		return 0
	fi
	ti_require_free_port "$SMTP_PORT" "Mailpit SMTP"
	ti_require_free_port "$HTTP_PORT" "Mailpit HTTP"
	local t0
	t0="$(ti_now)"
	install_mailpit
	mkdir -p "$DIR"
	: >"$DIR/stdout.log"
	ti_log "starting Mailpit $MAILPIT_VERSION (SMTP 127.0.0.1:$SMTP_PORT, HTTP 127.0.0.1:$HTTP_PORT)..."
	ti_spawn "$DIR" "$DIR/stdout.log" "$BIN" \
		--smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$HTTP_PORT" \
		--database "$DIR/mailpit.db" --smtp-auth-accept-any --smtp-auth-allow-insecure \
		--max 5000 --disable-version-check
	pid="$(cat "$DIR/pid")"
	trap 'ti_stop_dir "$DIR" 5; exit 130' INT TERM
	local deadline=$(($(ti_now) + TIMEOUT))
	until api_ok && ti_port_open "$SMTP_PORT"; do
		kill -0 "$pid" 2>/dev/null || ti_fail_start "$DIR" "Mailpit exited during start-up" "$DIR/stdout.log"
		(($(ti_now) < deadline)) || ti_fail_start "$DIR" "Mailpit API not answering within ${TIMEOUT}s" "$DIR/stdout.log"
		sleep 0.2
	done
	trap - INT TERM
	ti_log "ready in $(($(ti_now) - t0))s (pid $pid)"
}

status() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		if api_ok; then
			echo "mailpit: running (pid $pid), API http://127.0.0.1:$HTTP_PORT answers"
			return 0
		fi
		echo "mailpit: process $pid alive but http://127.0.0.1:$HTTP_PORT does not answer"
		return 1
	fi
	echo "mailpit: not running"
	return 3
}

case "${1:-}" in
start) start ;;
stop) ti_stop_dir "$DIR" 10 ;;
restart)
	ti_stop_dir "$DIR" 10
	start
	;;
status) status ;;
clean)
	ti_stop_dir "$DIR" 10
	rm -rf "$DIR"
	ti_log "removed $DIR"
	;;
install) install_mailpit ;;
*)
	echo "usage: $0 start|stop|status|restart|clean|install" >&2
	exit 2
	;;
esac
