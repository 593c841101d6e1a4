# shellcheck shell=bash
# Shared helpers for the testinfra/*.sh scripts. Source it; do not run it.
#
# Layout:
#   downloads and installs: ${LANGNGHE_CACHE:-$HOME/.cache/langnghe}   (outside the repo, kept between runs)
#   runtime state:          <repo>/.testinfra/<component>/             (gitignored; data, logs, pid files)
#
# Every daemon is started in its own session (setsid), so its pid is also its process group id,
# and "stop" kills the whole group (the JVM and anything it forked), then waits for it to go.
# Every daemon carries LANGNGHE_TESTINFRA_OWNER=<its state directory> in its environment; that
# is how a pid file is checked against pid reuse (bin/elasticsearch changes its cwd, so the
# working directory cannot serve).

TI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TI_ROOT="$(cd "$TI_DIR/.." && pwd)"
TI_STATE="${LANGNGHE_TESTINFRA_DIR:-$TI_ROOT/.testinfra}"
TI_CACHE="${LANGNGHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/langnghe}"
TI_MAVEN_REPO="${LANGNGHE_MAVEN_REPO:-https://repo1.maven.org/maven2}"

ti_log() { printf '%s: %s\n' "${TI_NAME:-testinfra}" "$*" >&2; }
ti_die() { printf '%s: ERROR: %s\n' "${TI_NAME:-testinfra}" "$*" >&2; exit 1; }

# ti_pid_of DIR -> prints the pid recorded in DIR/pid if that process is alive and is ours.
ti_pid_of() {
	local dir="$1" pid
	[[ -f "$dir/pid" ]] || return 1
	pid="$(cat "$dir/pid" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	ti_proc_is_ours "$pid" "$dir" || return 1 # pid was reused by an unrelated process
	echo "$pid"
}

# ti_owner DIR -> the marker value for DIR (its physical path).
ti_owner() { (cd "$1" && pwd -P); }

# ti_proc_is_ours PID DIR: the process carries our marker for DIR in its environment.
ti_proc_is_ours() {
	local want env
	want="LANGNGHE_TESTINFRA_OWNER=$(ti_owner "$2")"
	env="$(tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null)" || return 1
	grep -qxF -- "$want" <<<"$env"
}

# ti_group_alive PGID -> true while any process of the group exists.
ti_group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# ti_spawn DIR LOGFILE CMD... : start CMD in its own session with cwd DIR, record its pid in DIR/pid.
ti_spawn() {
	local dir="$1" logfile="$2"
	shift 2
	mkdir -p "$dir"
	local owner
	owner="$(ti_owner "$dir")"
	# setsid does not fork when its caller is not a group leader (true for a background job of
	# a non-interactive shell), so $! is the session and process-group leader.
	(cd "$dir" && LANGNGHE_TESTINFRA_OWNER="$owner" exec setsid "$@" >>"$logfile" 2>&1 </dev/null) &
	local pid=$!
	echo "$pid" >"$dir/pid"
	# If setsid did fork after all, find the real leader by session id.
	sleep 0.2
	if ! ti_group_alive "$pid"; then
		local sid
		sid="$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
		if [[ -n "$sid" && "$sid" != "$pid" ]]; then
			echo "$sid" >"$dir/pid"
		fi
	fi
}

# ti_stop_dir DIR [GRACE_SECONDS]: TERM the process group recorded in DIR/pid, wait, then KILL.
ti_stop_dir() {
	local dir="$1" grace="${2:-30}" pid i
	if ! pid="$(ti_pid_of "$dir")"; then
		# The leader may be gone while children of its group live on; the group id is the old pid.
		if [[ -f "$dir/pid" ]]; then
			pid="$(cat "$dir/pid")"
			if [[ "$pid" =~ ^[0-9]+$ ]] && ti_group_alive "$pid" && ti_group_is_ours "$pid" "$dir"; then
				:
			else
				rm -f "$dir/pid"
				return 0
			fi
		else
			return 0
		fi
	fi
	ti_log "stopping (process group $pid)..."
	kill -TERM -- "-$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		ti_group_alive "$pid" || break
		sleep 0.1
	done
	if ti_group_alive "$pid"; then
		ti_log "still running after ${grace}s, sending KILL"
		kill -KILL -- "-$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			ti_group_alive "$pid" || break
			sleep 0.1
		done
	fi
	if ti_group_alive "$pid"; then
		ti_die "process group $pid did not exit"
	fi
	rm -f "$dir/pid"
	ti_log "stopped"
}

# ti_group_is_ours PGID DIR: some member of the group carries our marker for DIR.
ti_group_is_ours() {
	local p
	for p in $(pgrep -g "$1" 2>/dev/null || true); do
		ti_proc_is_ours "$p" "$2" && return 0
	done
	return 1
}

# ti_port_open PORT -> true when something accepts TCP connections on 127.0.0.1:PORT.
ti_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ti_require_free_port PORT WHAT
ti_require_free_port() {
	if ti_port_open "$1"; then
		ti_die "127.0.0.1:$1 ($2) is already in use by another process; stop it or pick another port"
	fi
}

# ti_tail_log FILE [LINES]: print the tail of a log to stderr, indented.
ti_tail_log() {
	local f="$1" n="${2:-40}"
	if [[ -s "$f" ]]; then
		printf '%s: ---- last %s lines of %s ----\n' "${TI_NAME:-testinfra}" "$n" "$f" >&2
		tail -n "$n" "$f" | sed 's/^/    /' >&2
		printf '%s: ----\n' "${TI_NAME:-testinfra}" >&2
	fi
}

# ti_fail_start DIR MSG LOGS...: stop what was started, show logs, exit non-zero.
ti_fail_start() {
	local dir="$1" msg="$2"
	shift 2
	local f
	for f in "$@"; do ti_tail_log "$f"; done
	ti_stop_dir "$dir" 10 || true
	ti_die "$msg"
}

# ti_download URL DEST: download with curl to DEST (atomic), verifying Maven's .sha1 if present.
ti_download() {
	local url="$1" dest="$2" tmp sum
	mkdir -p "$(dirname "$dest")"
	tmp="$dest.part.$$"
	if ! curl -fSL --retry 3 --connect-timeout 20 -o "$tmp" "$url"; then
		rm -f "$tmp"
		ti_die "download failed: $url"
	fi
	if sum="$(curl -fsSL --retry 3 "$url.sha1" 2>/dev/null)"; then
		sum="${sum%% *}"
		if [[ "$(sha1sum "$tmp" | cut -d' ' -f1)" != "$sum" ]]; then
			rm -f "$tmp"
			ti_die "sha1 mismatch for $url"
		fi
	fi
	mv -f "$tmp" "$dest"
}

# ti_java_home: a JDK for the JVM components (JAVA_HOME, else the java on PATH).
ti_java_home() {
	if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
		echo "$JAVA_HOME"
		return
	fi
	local j
	j="$(command -v java)" || ti_die "no java on PATH and JAVA_HOME unset (need Java 17+)"
	j="$(readlink -f "$j")"
	echo "${j%/bin/java}"
}

ti_now() { date +%s; }
