# Sourced by scripts/lab and scripts/test: steps whose output is kept out of the way while they
# work and shown whole, with the command, when they fail; and the one way a build directory is
# made ready.

# Runs CMD with its output in LOG. On failure prints the command and everything it printed to
# stderr, and returns its status.
vr_step() { # LOG CMD...
	local log=$1 rc=0
	shift
	mkdir -p "$(dirname "$log")"
	"$@" >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		{
			echo "FAILED (exit $rc): $*"
			cat "$log"
			echo "FAILED (exit $rc): $* (its output is above, and in $log)"
		} >&2
	fi
	return $rc
}

# Configures DIR with meson (ARGS are meson options; an existing DIR is configured again with
# them when given) and builds it. A directory that meson began and never finished configuring
# (meson-private/ but no build.ninja: a setup that failed or was stopped) is made again from
# scratch rather than taken as configured; any other directory without build.ninja is refused.
vr_build() { # DIR ARGS...
	local dir=$1
	shift
	if [ -e "$dir" ] && [ ! -f "$dir/build.ninja" ]; then
		if [ ! -d "$dir/meson-private" ]; then
			echo "$dir: not a meson build directory; remove it or name another" >&2
			return 1
		fi
		echo "$dir: never fully configured; configuring it again"
		rm -rf "$dir"
	fi
	if [ -d "$dir" ] && [ $# -eq 0 ]; then
		: # configured; ninja reconfigures it when a meson.build changed
	elif [ -d "$dir" ]; then
		vr_step "out/log/$(basename "$dir")-setup.log" meson setup --reconfigure "$dir" "$@"
	else
		vr_step "out/log/$(basename "$dir")-setup.log" meson setup "$dir" "$@"
	fi || {
		local rc=$? log=$dir/meson-logs/meson-log.txt
		# meson's own summary can hide the compiler's reason (a missing libc6-dev says only
		# "cannot compile programs"): the end of its log has it.
		[ -f "$log" ] && { echo "end of $log:"; tail -n 25 "$log"; } >&2
		return $rc
	}
	vr_step "out/log/$(basename "$dir")-ninja.log" ninja -C "$dir"
}
