#!/usr/bin/env bash
# testinfra/kafka.sh start|stop|status|restart|clean
#
# A real Apache Kafka broker in KRaft mode (one process, broker+controller) from the Maven
# Central jars org.apache.kafka:kafka_2.13, logging through log4j2.
#
#   listener   127.0.0.1:${LANGNGHE_KAFKA_PORT:-19092}
#   controller 127.0.0.1:${LANGNGHE_KAFKA_CONTROLLER_PORT:-19093}
#   jars       $LANGNGHE_CACHE/kafka/<version>-<pom hash>/libs   (default ~/.cache/langnghe)
#   state      .testinfra/kafka (data/, logs/, server.properties, pid, stdout.log)
#
# Environment: LANGNGHE_KAFKA_VERSION (default 4.1.1), LANGNGHE_KAFKA_PORT,
# LANGNGHE_KAFKA_CONTROLLER_PORT, LANGNGHE_KAFKA_HEAP (default 512m),
# LANGNGHE_KAFKA_TIMEOUT (readiness timeout in seconds, default 180).
set -euo pipefail
TI_NAME=kafka
# shellcheck source=testinfra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${LANGNGHE_KAFKA_VERSION:-4.1.1}"
PORT="${LANGNGHE_KAFKA_PORT:-19092}"
CPORT="${LANGNGHE_KAFKA_CONTROLLER_PORT:-19093}"
HEAP="${LANGNGHE_KAFKA_HEAP:-512m}"
TIMEOUT="${LANGNGHE_KAFKA_TIMEOUT:-180}"
DIR="$TI_STATE/kafka"
[[ "$PORT" == 19092 ]] || DIR="$TI_STATE/kafka-$PORT"
POM="$TI_DIR/kafka/pom.xml"

libs_dir() {
	local h
	h="$(sha1sum <"$POM" | cut -c1-10)"
	echo "$TI_CACHE/kafka/$KAFKA_VERSION-$h/libs"
}

fetch_jars() {
	local libs
	libs="$(libs_dir)"
	if [[ -f "$libs/.complete" ]]; then
		return 0
	fi
	command -v mvn >/dev/null || ti_die "mvn not found (Maven 3.8+ is needed to fetch the Kafka jars)"
	ti_log "downloading jars (org.apache.kafka:kafka_2.13:$KAFKA_VERSION + log4j2) with Maven..."
	local t0 tmp
	t0="$(ti_now)"
	tmp="$libs.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if ! mvn -q -B -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
		rm -rf "$tmp"
		ti_die "mvn dependency:copy-dependencies failed"
	fi
	[[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; ti_die "kafka_2.13-$KAFKA_VERSION.jar missing after Maven"; }
	touch "$tmp/.complete"
	rm -rf "$libs"
	mv "$tmp" "$libs"
	ti_log "jars ready in $(($(ti_now) - t0))s ($(ls "$libs" | wc -l) jars in $libs)"
}

waitkafka_bin() {
	# Build the readiness checker once per source change; go's build cache makes reruns cheap.
	local src="$TI_DIR/cmd/waitkafka/main.go" h bin
	h="$(sha1sum "$src" | cut -c1-10)"
	bin="$TI_CACHE/bin/waitkafka-$h"
	if [[ ! -x "$bin" ]]; then
		command -v go >/dev/null || ti_die "go not found (needed to build testinfra/cmd/waitkafka)"
		mkdir -p "$TI_CACHE/bin"
		(cd "$TI_ROOT" && go build -o "$bin.tmp.$$" ./testinfra/cmd/waitkafka) || ti_die "building waitkafka failed"
		mv -f "$bin.tmp.$$" "$bin"
	fi
	echo "$bin"
}

java_cmd() {
	local jh
	jh="$(ti_java_home)"
	echo "$jh/bin/java"
}

start() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		ti_log "already running (pid $pid) on 127.0.0.1:$PORT"
		return 0
	fi
	ti_require_free_port "$PORT" "Kafka listener"
	ti_require_free_port "$CPORT" "Kafka controller"
	local t0
	t0="$(ti_now)"
	fetch_jars
	local libs java wait
	libs="$(libs_dir)"
	java="$(java_cmd)"
	wait="$(waitkafka_bin)"
	mkdir -p "$DIR/data" "$DIR/logs"
	sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" -e "s|@DATA_DIR@|$DIR/data|g" \
		"$TI_DIR/kafka/server.properties.in" >"$DIR/server.properties"

	local jvm=(-Xms256m "-Xmx$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
		-Djava.awt.headless=true
		"-Dlog4j2.configurationFile=$TI_DIR/kafka/log4j2.xml" "-Dkafka.logs.dir=$DIR/logs"
		-cp "$libs/*")

	if [[ ! -f "$DIR/data/meta.properties" ]]; then
		local cid
		# A Kafka cluster id is 16 random bytes, base64url without padding.
		cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
		ti_log "formatting storage (cluster id $cid)..."
		if ! (cd "$DIR" && "$java" "${jvm[@]}" kafka.tools.StorageTool format \
			--cluster-id "$cid" --config "$DIR/server.properties" >"$DIR/format.log" 2>&1); then
			ti_tail_log "$DIR/format.log"
			ti_die "kafka-storage format failed"
		fi
	fi

	ti_log "starting Kafka $KAFKA_VERSION (KRaft, broker+controller) on 127.0.0.1:$PORT..."
	: >"$DIR/stdout.log"
	ti_spawn "$DIR" "$DIR/stdout.log" "$java" "${jvm[@]}" kafka.Kafka "$DIR/server.properties"
	pid="$(cat "$DIR/pid")"
	trap 'ti_stop_dir "$DIR" 10; exit 130' INT TERM
	# Wait for the JVM to open the port (fail fast if it dies), then for the protocol check.
	local deadline=$(($(ti_now) + TIMEOUT))
	while ! ti_port_open "$PORT"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			ti_fail_start "$DIR" "Kafka exited during start-up" "$DIR/stdout.log" "$DIR/logs/server.log"
		fi
		if (($(ti_now) >= deadline)); then
			ti_fail_start "$DIR" "Kafka did not open 127.0.0.1:$PORT within ${TIMEOUT}s" "$DIR/stdout.log" "$DIR/logs/server.log"
		fi
		sleep 0.25
	done
	local left=$((deadline - $(ti_now)))
	((left > 5)) || left=5
	if ! "$wait" -q -addr "127.0.0.1:$PORT" -timeout "${left}s"; then
		ti_fail_start "$DIR" "Kafka did not answer ApiVersions/Metadata/CreateTopics within ${TIMEOUT}s" "$DIR/stdout.log" "$DIR/logs/server.log"
	fi
	trap - INT TERM
	ti_log "ready in $(($(ti_now) - t0))s (pid $pid, bootstrap 127.0.0.1:$PORT, logs $DIR/logs)"
}

status() {
	local pid
	if pid="$(ti_pid_of "$DIR")"; then
		if "$(waitkafka_bin)" -q -no-probe -addr "127.0.0.1:$PORT" -timeout 5s 2>/dev/null; then
			echo "kafka: running (pid $pid), 127.0.0.1:$PORT answers"
			return 0
		fi
		echo "kafka: process $pid alive but 127.0.0.1:$PORT does not answer"
		return 1
	fi
	echo "kafka: not running"
	return 3
}

case "${1:-}" in
start) start ;;
stop) ti_stop_dir "$DIR" 30 ;;
restart)
	ti_stop_dir "$DIR" 30
	start
	;;
status) status ;;
clean)
	ti_stop_dir "$DIR" 30
	rm -rf "$DIR"
	ti_log "removed $DIR"
	;;
fetch) fetch_jars ;;
*)
	echo "usage: $0 start|stop|status|restart|clean|fetch" >&2
	exit 2
	;;
esac
