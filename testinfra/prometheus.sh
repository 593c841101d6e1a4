#!/usr/bin/env bash
# testinfra/prometheus.sh start|stop|status|restart|clean|install
#
# Debian's prometheus package (prometheus + promtool), started by hand with its own config and
# storage under .testinfra/prometheus on 127.0.0.1:${LANGNGHE_PROMETHEUS_PORT:-19090}; the
# package's system service (if the init system started one on :9090) is left alone.
#
# Scrape targets for tests: write a file_sd JSON file into .testinfra/prometheus/targets/
# (e.g. [{"targets":["127.0.0.1:8080"],"labels":{"job":"langnghe"}}]); it is picked up within
# 2s. Rule files: copy *.yml into .testinfra/prometheus/rules/ and POST /-/reload.
# Scrape and evaluation interval: 2s.
set -euo pipefail
TI_NAME=prometheus
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${LANGNGHE_PROMETHEUS_PORT:-19090}"
TIMEOUT="${LANGNGHE_PROMETHEUS_TIMEOUT:-60}"
DIR="$TI_STATE/prometheus"
[[ "$PORT" == 19090 ]] || DIR="$TI_STATE/prometheus-$PORT"

install_prometheus() {
	if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
		return 0
	fi
	local sudo=()
	if [[ "$(id -u)" != 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			ti_die "prometheus/promtool are not installed, and installing needs root or password-less sudo: run 'sudo apt-get install -y prometheus'"
		fi
	fi
	command -v apt-get >/dev/null || ti_die "prometheus is not installed and apt-get is missing (not Debian?)"
	ti_log "installing Debian's prometheus package (apt-get update + install)..."
	local t0 log="$TI_STATE/apt-prometheus.log"
	t0="$(ti_now)"
	mkdir -p "$TI_STATE"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1; then
		ti_tail_log "$log" 20
		ti_die "apt-get update failed"
	fi
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >>"$log" 2>&1; then
		ti_tail_log "$log" 20
		ti_die "apt-get install prometheus failed"
	fi
	command -v prometheus >/dev/null && command -v promtool >/dev/null || ti_die "prometheus package installed but prometheus/promtool not on PATH"
	ti_log "installed in $(($(ti_now) - t0))s: $(prometheus --version 2>&1 | head -1)"
}

write_config() {
	mkdir -p "$DIR/data" "$DIR/targets" "$DIR/rules"
	cat >"$DIR/prometheus.yml" <<EOF
# Written by testinfra/prometheus.sh; regenerated on every start.
global:
  scrape_interval: 2s
  scrape_timeout: 1s
  evaluation_interval: 2s
  external_labels:
    env: langnghe-test
rule_files:
  - $DIR/rules/*.yml
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
  - job_name: langnghe
    file_sd_configs:
      - files: ["$DIR/targets/*.json", "$DIR/targets/*.yml"]
        refresh_interval: 2s
EOF
	promtool check config "$DIR/prometheus.yml" >"$DIR/promtool-check.log" 2>&1 || {
		ti_tail_log "$DIR/promtool-check.log"
		ti_die "promtool check config failed"
	}
}

ready() { curl -fsS --max-time 2 "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; }

start() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		ti_log "already running (pid $pid) on http://127.0.0.1:$PORT"
		return 0
	fi
	ti_require_free_port "$PORT" "Prometheus"
	local t0
	t0="$(ti_now)"
	install_prometheus
	write_config
	: >"$DIR/stdout.log"
	ti_log "starting $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3) on http://127.0.0.1:$PORT..."
	ti_spawn "$DIR" "$DIR/stdout.log" prometheus \
		--config.file="$DIR/prometheus.yml" \
		--storage.tsdb.path="$DIR/data" \
		--storage.tsdb.retention.time=1d \
		--web.listen-address="127.0.0.1:$PORT" \
		--web.enable-lifecycle --web.enable-admin-api
	pid="$(cat "$DIR/pid")"
	trap 'ti_stop_dir "$DIR" 10; exit 130' INT TERM
	local deadline=$(($(ti_now) + TIMEOUT))
	until ready; do
		kill -0 "$pid" 2>/dev/null || ti_fail_start "$DIR" "Prometheus exited during start-up" "$DIR/stdout.log"
		(($(ti_now) < deadline)) || ti_fail_start "$DIR" "Prometheus not ready within ${TIMEOUT}s" "$DIR/stdout.log"
		sleep 0.2
	done
	trap - INT TERM
	ti_log "ready in $(($(ti_now) - t0))s (pid $pid, promtool: $(command -v promtool))"
}

status() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		if ready; then
			echo "prometheus: running (pid $pid), http://127.0.0.1:$PORT is ready"
			return 0
		fi
		echo "prometheus: process $pid alive but http://127.0.0.1:$PORT is not ready"
		return 1
	fi
	echo "prometheus: not running"
	return 3
}

case "${1:-}" in
start) start ;;
stop) ti_stop_dir "$DIR" 20 ;;
restart)
	ti_stop_dir "$DIR" 20
	start
	;;
status) status ;;
clean)
	ti_stop_dir "$DIR" 20
	rm -rf "$DIR"
	ti_log "removed $DIR"
	;;
install) install_prometheus ;;
*)
	echo "usage: $0 start|stop|status|restart|clean|install" >&2
	exit 2
	;;
esac
