# Sourced by bench/firewall.sh and bench/change.sh: a router namespace whose NICs carry the
# intent's MACs (their peers up in a second namespace), and a vrouterd in it (in its own UTS
# namespace). The caller sets prefix (its namespaces' prefix), tmp (its scratch directory) and
# nics (lines "NAME MAC"); start_agent sets agent_pid, which the caller's cleanup also ends.

make_router() { # NAME
	local r=$prefix-$1 p=$prefix-$1-peer line
	ip netns add "$r"
	ip netns add "$p"
	ip -n "$r" link set lo up
	for line in "${nics[@]}"; do
		set -- $line
		ip -n "$r" link add "$1" address "$2" type veth peer name "p-$1" netns "$p"
		ip -n "$p" link set "p-$1" up
	done
}

remove_router() { # NAME
	ip netns del "$prefix-$1"
	ip netns del "$prefix-$1-peer" 2>/dev/null || true
}

start_agent() { # NAME VROUTERD
	rm -rf "$tmp/state" "$tmp/etc" "$tmp/agent.sock"
	mkdir -p "$tmp/state" "$tmp/etc"
	ip netns exec "$prefix-$1" unshare --uts "$2" --backend kernel \
		--socket "$tmp/agent.sock" --serial none --state-dir "$tmp/state" \
		--confdir "$tmp/etc" --payload "$tmp/no-payload.json" >>"$tmp/vrouterd.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$tmp/agent.sock" ] && return 0
		sleep 0.05
	done
	echo "$0: vrouterd did not start" >&2
	cat "$tmp/vrouterd.log" >&2
	exit 1
}

stop_agent() {
	kill "$agent_pid"
	wait "$agent_pid" 2>/dev/null || true
	agent_pid=
}
