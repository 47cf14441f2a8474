# Sourced by the tests that run vrouterd on the real kernel (after tests/lib/netns.sh): the
# pass/fail tally, and the agent started, asked and stopped. The caller sets $vrouterd, $ctl
# (the programs) and $tmp (its directory: agent.sock, state/, etc/, payload.json, log).
passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "ok   $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1"
}

pid=
# Starts vrouterd with extra arguments, under the umask of its unit (systemd/vrouterd.service);
# returns once it answers `status` (1: it did not).
start() { # EXTRA-ARGS...
	(umask 0077 && exec "$vrouterd" --backend kernel --socket "$tmp/agent.sock" \
		--state-dir "$tmp/state" --confdir "$tmp/etc" --payload "$tmp/payload.json" \
		--serial none "$@" 2>>"$tmp/log") &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$tmp/agent.sock" ] && ctl status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# SIGTERM, and vrouterd's exit code.
stop() {
	kill "$pid" && wait "$pid"
	local rc=$?
	pid=
	return $rc
}
ctl() {
	"$ctl" --socket "$tmp/agent.sock" "$@"
}
