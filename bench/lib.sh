# Sourced by bench/firewall.sh, bench/change.sh and bench/flows.sh: a router namespace whose
# NICs carry the intent's MACs (their peers up in a second namespace), and a vrouterd in it (in
# its own UTS namespace). The caller sets prefix (its namespaces' prefix), tmp (its scratch directory) and
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

start_agent() { # NAME VROUTERD [DIR: its socket agent.sock, state/ and etc/; default $tmp]
	local d=${3:-$tmp}
	rm -rf "$d/state" "$d/etc" "$d/agent.sock"
	mkdir -p "$d/state" "$d/etc"
	ip netns exec "$prefix-$1" unshare --uts "$2" --backend kernel \
		--socket "$d/agent.sock" --serial none --state-dir "$d/state" \
		--confdir "$d/etc" --payload "$tmp/no-payload.json" >>"$tmp/vrouterd.log" 2>&1 &
	agent_pid=$!
	for _ in $(seq 100); do
		[ -S "$d/agent.sock" ] && return 0
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
