#!/bin/bash
# The rendered configurations of every CASE/intent.json beside this script, checked by the
# daemons' own parsers:
#   dnsmasq     dnsmasq --test on vrouter.conf; each reservation file as a dhcp-host= line and
#               each DNS file as host-record= lines, through dnsmasq --test as well
#   keepalived  keepalived --config-test, in a network namespace that has the interfaces
#   conntrackd  conntrackd -C FILE -i (parses the file, then fails to reach the daemon), in a
#               network namespace that has the sync interface
#   wireguard   the `wg setconf` structure (awk) and every key through `wg pubkey`
#   swanctl     not checked here: swanctl parses its files only when connected to charon
# Any warning or error a daemon prints fails the case. A missing program fails the test
# (CI installs them); so does a missing network namespace (the checks need root).
set -u
export PATH=$PATH:/usr/sbin:/sbin
ctl=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

missing=0
for prog in dnsmasq:dnsmasq-base keepalived:keepalived conntrackd:conntrackd \
	wg:wireguard-tools unshare:util-linux ip:iproute2; do
	if ! command -v "${prog%%:*}" >/dev/null; then
		echo "FAIL: ${prog%%:*} is not installed (Debian package ${prog#*:})"
		missing=$((missing + 1))
	fi
done
if [ $missing -gt 0 ]; then
	echo "0 passed, $missing failed"
	exit 1
fi

# report CASE WHAT OUTPUT: fail the check when OUTPUT is not empty.
problems=0
report() {
	if [ -n "$3" ]; then
		echo "FAIL $1: $2:"
		printf '%s\n' "$3" | sed 's/^/    /'
		problems=$((problems + 1))
	fi
}

dnsmasq_test() {
	local out rc
	out=$(dnsmasq --test --conf-file="$1" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "dnsmasq: syntax check OK." ]; then
		printf 'exit %s\n%s\n' "$rc" "$out" | grep -v '^$'
	fi
}

check_dnsmasq() {
	local name=$1 root=$2 f addr names
	report "$name" "dnsmasq --test dnsmasq/vrouter.conf" \
		"$(dnsmasq_test "$root/dnsmasq/vrouter.conf")"
	for f in "$root"/dnsmasq/hosts/*; do
		[ -e "$f" ] || continue
		sed 's/^/dhcp-host=/' "$f" >"$tmp/host.conf"
		report "$name" "${f#"$root"/} as dhcp-host" "$(dnsmasq_test "$tmp/host.conf")"
	done
	for f in "$root"/dnsmasq/dns/* "$root"/dnsmasq/records/*; do
		[ -e "$f" ] || continue
		: >"$tmp/dns.conf"
		while read -r addr names; do
			[ -n "$names" ] || { report "$name" "${f#"$root"/}" "no name for $addr"; continue; }
			[[ $names =~ ^[a-z0-9.\ -]+$ ]] ||
				report "$name" "${f#"$root"/}" "bad host name in \"$names\""
			# host-record checks the names, address= the address.
			echo "host-record=${names// /,},$addr" >>"$tmp/dns.conf"
			echo "address=/${names%% *}/$addr" >>"$tmp/dns.conf"
		done <"$f"
		report "$name" "${f#"$root"/} as host-record" "$(dnsmasq_test "$tmp/dns.conf")"
	done
}

# In a new network namespace: a veth for each interface name given first, then the command;
# in a mount namespace with a /run of its own that has /run/vrouter, as a router has
# (keepalived 2.3 refuses a tracked file whose directory is missing).
in_netns() {
	# shellcheck disable=SC2016 # the script expands its own arguments
	unshare -n -m bash -c '
		mount -t tmpfs -o mode=755 tmpfs /run && mkdir /run/vrouter || exit 96
		n=0
		while [ "$1" != -- ]; do
			ip link add "$1" type veth peer name "vrt-peer$n" || exit 97
			n=$((n + 1))
			shift
		done
		shift
		"$@"' _ "$@"
}

check_keepalived() {
	local name=$1 conf=$2/keepalived/keepalived.conf out rc
	local -a ifaces
	mapfile -t ifaces < <(awk '$1 == "interface" { print $2 } $2 == "dev" { print $3 }' \
		"$conf" | sort -u)
	out=$(in_netns "${ifaces[@]}" -- keepalived --config-test -l -f "$conf" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || out=$(printf 'exit %s\n%s' "$rc" "$out")
	report "$name" "keepalived --config-test" "$out"
}

check_conntrackd() {
	local name=$1 conf=$2/conntrackd/conntrackd.conf out
	local -a ifaces
	mapfile -t ifaces < <(awk '$1 == "Interface" { print $2 }' "$conf" | sort -u)
	out=$(in_netns "${ifaces[@]}" -- conntrackd -C "$conf" -i 2>&1)
	# With a valid file, the only complaint is that no daemon runs.
	report "$name" "conntrackd -C FILE -i" \
		"$(printf '%s\n' "$out" | grep -v "ERROR\] can't connect: is conntrackd running?")"
}

check_wireguard() {
	local name=$1 f=$2 key
	report "$name" "${f##*/} structure" "$(awk '
		/^#/ || /^$/ { next }
		/^\[Interface\]$/ { if (sect != "") print NR ": [Interface] not first"; sect = "i"; next }
		/^\[Peer\]$/ { if (sect == "") print NR ": [Peer] before [Interface]"; sect = "p"
			npeer++; next }
		!/^[A-Za-z]+ = / { print NR ": not KEY = VALUE: " $0; next }
		sect == "i" && $1 == "PrivateKey" { keys++; next }
		sect == "i" && $1 == "ListenPort" && $3 ~ /^[0-9]+$/ && $3 >= 1 && $3 <= 65535 { next }
		sect == "i" && $1 == "FwMark" && $3 ~ /^0x[0-9a-f]+$/ { next }
		sect == "p" && ($1 == "PublicKey" || $1 == "PresharedKey") { keys++; next }
		sect == "p" && $1 == "Endpoint" && $3 ~ /^([0-9.]+|\[[0-9a-f:]+\]):[0-9]+$/ { next }
		sect == "p" && $1 == "AllowedIPs" { next }
		sect == "p" && $1 == "PersistentKeepalive" && $3 ~ /^[0-9]+$/ && $3 <= 65535 { next }
		{ print NR ": unexpected line in this section: " $0 }
		END { if (sect == "") print "no [Interface]" }' "$f")"
	while read -r key; do
		if ! printf '%s\n' "$key" | wg pubkey >/dev/null 2>&1; then
			report "$name" "${f##*/}" "wg pubkey rejects a key"
		fi
	done < <(awk '$1 ~ /Key$/ { print $3 }' "$f")
	report "$name" "${f##*/} AllowedIPs" "$(awk '$1 == "AllowedIPs" {
		sub(/^AllowedIPs = /, ""); n = split($0, v, ", ")
		for (i = 1; i <= n; i++)
			if (v[i] !~ /^([0-9.]+\/[0-9]+|[0-9a-f:]+\/[0-9]+)$/) print "bad prefix " v[i] }' "$f")"
}

for case in "$dir"/*/; do
	case=${case%/}
	name=${case##*/}
	[ -f "$case/intent.json" ] || continue
	root=$tmp/$name
	# The files name each other by absolute path: render them where they are checked.
	if ! out=$("$ctl" render "$case/intent.json" "$root" --confdir "$root" 2>&1); then
		echo "FAIL $name: vrouterctl render failed:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fail=$((fail + 1))
		continue
	fi
	problems=0
	[ -f "$root/dnsmasq/vrouter.conf" ] && check_dnsmasq "$name" "$root"
	[ -f "$root/keepalived/keepalived.conf" ] && check_keepalived "$name" "$root"
	[ -f "$root/conntrackd/conntrackd.conf" ] && check_conntrackd "$name" "$root"
	for f in "$root"/wireguard/*.conf; do
		[ -e "$f" ] && check_wireguard "$name" "$f"
	done
	if [ $problems -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
[ $((pass + fail)) -ge 1 ] || { echo "no test case in $dir"; exit 1; }
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
