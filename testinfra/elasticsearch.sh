#!/usr/bin/env bash
# testinfra/elasticsearch.sh start|stop|status|restart|clean
#
# A real Elasticsearch 8 node from Maven Central's integ-test-zip distribution
# (org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip), run with the
# machine's JDK (the zip bundles none). See testinfra/README.md for what this distribution lacks.
#
#   http       127.0.0.1:${LANGNGHE_ES_PORT:-19200}
#   transport  127.0.0.1:${LANGNGHE_ES_TRANSPORT_PORT:-http port + 100}
#   install    $LANGNGHE_CACHE/elasticsearch/<version>/elasticsearch-<version>
#   state      .testinfra/elasticsearch (or .testinfra/elasticsearch-<port> for another port):
#              config/, data/, logs/, tmp/, pid, stdout.log
#
# Environment: LANGNGHE_ES_VERSION (default 8.19.21), LANGNGHE_ES_PORT,
# LANGNGHE_ES_TRANSPORT_PORT, LANGNGHE_ES_HEAP (default 1g), LANGNGHE_ES_TIMEOUT (seconds,
# default 300), LANGNGHE_ES_ZIP (use this local copy of the zip instead of downloading; it is
# checked against Maven Central's sha1 when that is reachable), LANGNGHE_ES_SECURITY=1 (users on:
# elastic/$LANGNGHE_ES_PASSWORD, default password langnghe-test; plain HTTP), LANGNGHE_ES_SECURITY=tls
# (the same over HTTPS with a self-signed certificate in <state>/config/certs/http.crt),
# LANGNGHE_ES_EXTRA_CONFIG (a YAML file appended to the generated elasticsearch.yml; files it
# names, e.g. certificates, must sit in the state's config/ directory).
set -euo pipefail
TI_NAME=elasticsearch
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ES_VERSION="${LANGNGHE_ES_VERSION:-8.19.21}"
PORT="${LANGNGHE_ES_PORT:-19200}"
TPORT="${LANGNGHE_ES_TRANSPORT_PORT:-$((PORT + 100))}"
HEAP="${LANGNGHE_ES_HEAP:-1g}"
TIMEOUT="${LANGNGHE_ES_TIMEOUT:-300}"
DIR="$TI_STATE/elasticsearch"
[[ "$PORT" == 19200 ]] || DIR="$TI_STATE/elasticsearch-$PORT"
SECURITY="${LANGNGHE_ES_SECURITY:-0}"
ES_PASSWORD="${LANGNGHE_ES_PASSWORD:-langnghe-test}"
AUTH=()
SCHEME=http
case "$SECURITY" in
0 | "") SECURITY=0 ;;
1) AUTH=(-u "elastic:$ES_PASSWORD") ;;
tls)
	SCHEME=https
	AUTH=(-u "elastic:$ES_PASSWORD" --cacert "$DIR/config/certs/http.crt")
	;;
*) ti_die "LANGNGHE_ES_SECURITY must be 0, 1 or tls" ;;
esac
ES_URL_PATH="org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"

# Elasticsearch refuses to run as root. When this script runs as root (containers, some CI),
# the node runs as LANGNGHE_ES_USER (default nobody) via setpriv, so the install must be
# readable by that user; root's cache (under /root, mode 700) usually is not, so the unpacked
# distribution then goes to /var/tmp/langnghe-elasticsearch (still outside the repo and kept).
RUN_AS=()
ES_USER=""
if [[ "$(id -u)" == 0 ]]; then
	ES_USER="${LANGNGHE_ES_USER:-nobody}"
	id "$ES_USER" >/dev/null 2>&1 || ti_die "running as root and user $ES_USER does not exist (set LANGNGHE_ES_USER)"
	command -v setpriv >/dev/null || ti_die "running as root and setpriv (util-linux) is missing"
	RUN_AS=(setpriv "--reuid=$(id -u "$ES_USER")" "--regid=$(id -g "$ES_USER")" --clear-groups --)
fi
es_install_root() {
	if [[ -n "${LANGNGHE_ES_INSTALL_DIR:-}" ]]; then
		echo "$LANGNGHE_ES_INSTALL_DIR"
	elif [[ -n "$ES_USER" ]] && ! "${RUN_AS[@]}" test -x "$TI_CACHE" 2>/dev/null; then
		echo "/var/tmp/langnghe-elasticsearch"
	else
		echo "$TI_CACHE/elasticsearch"
	fi
}
INSTALL_BASE="$(es_install_root)/$ES_VERSION"
ES_HOME="$INSTALL_BASE/elasticsearch-$ES_VERSION"

install_es() {
	if [[ -f "$INSTALL_BASE/.complete" && -x "$ES_HOME/bin/elasticsearch" ]]; then
		return 0
	fi
	local zip="$TI_CACHE/downloads/elasticsearch-$ES_VERSION.zip" t0
	t0="$(ti_now)"
	if [[ ! -f "$zip" ]]; then
		if [[ -n "${LANGNGHE_ES_ZIP:-}" ]]; then
			ti_log "copying $LANGNGHE_ES_ZIP (LANGNGHE_ES_ZIP)..."
			mkdir -p "$(dirname "$zip")"
			cp "$LANGNGHE_ES_ZIP" "$zip.part.$$"
			local want
			if want="$(curl -fsSL "$TI_MAVEN_REPO/$ES_URL_PATH.sha1" 2>/dev/null)"; then
				[[ "$(sha1sum "$zip.part.$$" | cut -d' ' -f1)" == "${want%% *}" ]] || {
					rm -f "$zip.part.$$"
					ti_die "LANGNGHE_ES_ZIP does not match Maven Central's sha1"
				}
			fi
			mv -f "$zip.part.$$" "$zip"
		else
			ti_log "downloading $TI_MAVEN_REPO/$ES_URL_PATH (~100 MB)..."
			ti_download "$TI_MAVEN_REPO/$ES_URL_PATH" "$zip"
		fi
	fi
	ti_log "unpacking into $INSTALL_BASE..."
	command -v unzip >/dev/null || ti_die "unzip not found (apt-get install unzip)"
	local tmp="$INSTALL_BASE.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	unzip -q "$zip" -d "$tmp" || { rm -rf "$tmp"; ti_die "unzip failed (corrupt download? remove $zip)"; }
	[[ -x "$tmp/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] || { rm -rf "$tmp"; ti_die "zip has no elasticsearch-$ES_VERSION/bin/elasticsearch"; }
	touch "$tmp/.complete"
	rm -rf "$INSTALL_BASE"
	mv "$tmp" "$INSTALL_BASE"
	ti_log "installed in $(($(ti_now) - t0))s; modules: $(ls "$ES_HOME/modules" | tr '\n' ' ')"
}

write_config() {
	mkdir -p "$DIR/config" "$DIR/data" "$DIR/logs" "$DIR/tmp"
	# The distribution's jvm.options and log4j2.properties, our own elasticsearch.yml.
	cp -f "$ES_HOME/config/jvm.options" "$ES_HOME/config/log4j2.properties" "$DIR/config/"
	# File realm and file roles (only used with LANGNGHE_ES_SECURITY=1; kept if present so users
	# added with bin/elasticsearch-users survive a restart).
	local f
	for f in users users_roles roles.yml role_mapping.yml; do
		[[ -e "$DIR/config/$f" ]] || cp "$ES_HOME/config/$f" "$DIR/config/"
	done
	mkdir -p "$DIR/config/jvm.options.d"
	cat >"$DIR/config/jvm.options.d/langnghe.options" <<EOF
-Xms$HEAP
-Xmx$HEAP
EOF
	cat >"$DIR/config/elasticsearch.yml" <<EOF
# Written by testinfra/elasticsearch.sh; regenerated on every start.
cluster.name: langnghe-test
node.name: langnghe-test-$PORT
path.data: $DIR/data
path.logs: $DIR/logs
network.host: 127.0.0.1
http.port: $PORT
transport.port: $TPORT
discovery.type: single-node
$(security_settings)
# Tests delete indices by wildcard between runs.
action.destructive_requires_name: false
# A nearly full CI disk must not turn the test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
	if [[ -n "${LANGNGHE_ES_EXTRA_CONFIG:-}" ]]; then
		{
			echo "# from LANGNGHE_ES_EXTRA_CONFIG=$LANGNGHE_ES_EXTRA_CONFIG"
			cat "$LANGNGHE_ES_EXTRA_CONFIG"
		} >>"$DIR/config/elasticsearch.yml"
	fi
	if [[ -n "$ES_USER" ]]; then
		chown -R "$ES_USER:$(id -gn "$ES_USER")" "$DIR/config" "$DIR/data" "$DIR/logs" "$DIR/tmp"
	fi
}

security_settings() {
	if [[ "$SECURITY" == 1 ]]; then
		cat <<EOF2
# LANGNGHE_ES_SECURITY=1: users and roles on (basic license), plain HTTP (no TLS certificates).
xpack.security.enabled: true
xpack.security.http.ssl.enabled: false
xpack.security.transport.ssl.enabled: false
xpack.security.enrollment.enabled: false
EOF2
	elif [[ "$SECURITY" == tls ]]; then
		cat <<EOF2
# LANGNGHE_ES_SECURITY=tls: users and roles on, HTTPS with a self-signed certificate
# (config/certs/http.crt, made by openssl; give it to clients as the CA).
xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.certificate: certs/http.crt
xpack.security.http.ssl.key: certs/http.key
xpack.security.transport.ssl.enabled: false
xpack.security.enrollment.enabled: false
EOF2
	else
		cat <<EOF2
# Plain HTTP, no users: integration tests talk to it like a dev cluster.
xpack.security.enabled: false
EOF2
	fi
}

# The elastic superuser's password is set through the keystore's bootstrap.password.
write_keystore() {
	[[ "$SECURITY" != 0 ]] || return 0
	if [[ "$SECURITY" == tls && ! -f "$DIR/config/certs/http.crt" ]]; then
		command -v openssl >/dev/null || ti_die "LANGNGHE_ES_SECURITY=tls needs openssl"
		mkdir -p "$DIR/config/certs"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
			-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
			-keyout "$DIR/config/certs/http.key" -out "$DIR/config/certs/http.crt" 2>/dev/null ||
			ti_die "openssl could not make a certificate"
		[[ -z "$ES_USER" ]] || chown -R "$ES_USER:$(id -gn "$ES_USER")" "$DIR/config/certs"
	fi
	rm -f "$DIR/config/elasticsearch.keystore"
	ES_JAVA_HOME="$(ti_java_home)" ES_PATH_CONF="$DIR/config" "$ES_HOME/bin/elasticsearch-keystore" create -s >/dev/null
	printf '%s' "$ES_PASSWORD" | ES_JAVA_HOME="$(ti_java_home)" ES_PATH_CONF="$DIR/config" \
		"$ES_HOME/bin/elasticsearch-keystore" add -x -s bootstrap.password >/dev/null
	if [[ -n "$ES_USER" ]]; then
		chown "$ES_USER:$(id -gn "$ES_USER")" "$DIR/config/elasticsearch.keystore"
	fi
}

health() {
	curl -fsS "${AUTH[@]}" --max-time "${2:-5}" "$SCHEME://127.0.0.1:$PORT/_cluster/health?wait_for_status=yellow&timeout=${1:-1s}" 2>/dev/null
}

start() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		ti_log "already running (pid $pid) on $SCHEME://127.0.0.1:$PORT"
		return 0
	fi
	ti_require_free_port "$PORT" "Elasticsearch http"
	ti_require_free_port "$TPORT" "Elasticsearch transport"
	local t0
	t0="$(ti_now)"
	install_es
	write_config
	write_keystore
	local jh
	jh="$(ti_java_home)"
	ti_log "starting Elasticsearch $ES_VERSION on $SCHEME://127.0.0.1:$PORT (heap $HEAP, java $jh${ES_USER:+, as user $ES_USER})..."
	: >"$DIR/stdout.log"
	local home="$HOME"
	[[ -z "$ES_USER" ]] || home="$DIR/tmp"
	HOME="$home" ES_JAVA_HOME="$jh" ES_PATH_CONF="$DIR/config" ES_TMPDIR="$DIR/tmp" ES_JAVA_OPTS="${LANGNGHE_ES_JAVA_OPTS:-}" \
		ti_spawn "$DIR" "$DIR/stdout.log" "${RUN_AS[@]}" "$ES_HOME/bin/elasticsearch"
	pid="$(cat "$DIR/pid")"
	trap 'ti_stop_dir "$DIR" 10; exit 130' INT TERM
	local deadline=$(($(ti_now) + TIMEOUT)) out
	while :; do
		if out="$(health 1s 5)" && [[ "$out" == *'"status":"green"'* || "$out" == *'"status":"yellow"'* ]]; then
			break
		fi
		if ! ti_group_alive "$pid"; then
			ti_fail_start "$DIR" "Elasticsearch exited during start-up" "$DIR/stdout.log" "$DIR/logs/langnghe-test.log"
		fi
		if (($(ti_now) >= deadline)); then
			ti_fail_start "$DIR" "Elasticsearch not healthy (yellow) within ${TIMEOUT}s" "$DIR/stdout.log" "$DIR/logs/langnghe-test.log"
		fi
		sleep 0.5
	done
	trap - INT TERM
	ti_log "ready in $(($(ti_now) - t0))s (pid $pid, $SCHEME://127.0.0.1:$PORT, logs $DIR/logs)"
}

status() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		if health 0s 5 >/dev/null; then
			echo "elasticsearch: running (pid $pid), $SCHEME://127.0.0.1:$PORT is yellow or green"
			return 0
		fi
		echo "elasticsearch: process $pid alive but $SCHEME://127.0.0.1:$PORT is not healthy"
		return 1
	fi
	echo "elasticsearch: not running"
	return 3
}

case "${1:-}" in
start) start ;;
stop) ti_stop_dir "$DIR" 60 ;;
restart)
	ti_stop_dir "$DIR" 60
	start
	;;
status) status ;;
clean)
	ti_stop_dir "$DIR" 60
	rm -rf "$DIR"
	ti_log "removed $DIR"
	;;
install) install_es ;;
*)
	echo "usage: $0 start|stop|status|restart|clean|install" >&2
	exit 2
	;;
esac
