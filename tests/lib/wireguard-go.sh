# Sourced by the WireGuard tests: the far end's wireguard-go, configured by hand (wg setconf of
# the test's own file, not the agent's renderer), in a mount namespace with a /run of its own
# (wireguard-go's UAPI socket is under /var/run/wireguard).
#
#   vr_hand_wg NS LINK CONF ADDRESS ROUTE
#                        wireguard-go for LINK in namespace NS (newns), configured from CONF,
#                        with ADDRESS on the link and a route to ROUTE through it; the PID of
#                        the shell that holds its mount namespace in vr_hand_wg_pid (and in the
#                        caller's holders)
#   vr_in_hand_wg CMD... CMD in its namespaces (wg show LINK ...)
vr_hand_wg() {
	nsenter $(ns_of "$1") unshare --mount -- sh -c '
		mount -t tmpfs -o mode=755 tmpfs /run &&
		wireguard-go "$1" >/dev/null 2>&1 &&
		wg setconf "$1" "$2" &&
		ip addr add "$3" dev "$1" && ip link set dev "$1" up &&
		ip route add "$4" dev "$1" && exec sleep 3600' sh "$2" "$3" "$4" "$5" &
	vr_hand_wg_pid=$!
	holders+=($vr_hand_wg_pid)
}
# (--root and --wd: under a chroot, as tests/fresh runs the suite, entering a mount namespace
# would otherwise leave it.)
vr_in_hand_wg() {
	nsenter --net=/proc/$vr_hand_wg_pid/ns/net --mount=/proc/$vr_hand_wg_pid/ns/mnt \
		--root=/proc/$vr_hand_wg_pid/root --wd="$PWD" "$@"
}
