# Sourced by the IPsec tests: the far end's charon, configured by hand (not by the agent's
# renderer): kernel-libipsec (userspace ESP, whatever the kernel has), the plugins a peer with
# pre-shared keys needs, its VICI socket DIR/vici, a /run of its own.
#
#   vr_hand_charon DIR ENTER...  charon in the network namespace that the command ENTER...
#                                enters (nsenter ..., ip netns exec NS); its output in
#                                DIR/out, its PID in vr_hand_charon_pid; 0 once its VICI
#                                socket is there (10 s at most)
#   vr_hand_swanctl DIR ARGS...  swanctl against it
vr_hand_charon() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cat >"$dir/strongswan.conf" <<EOS
charon {
	load = random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	plugins {
		vici {
			socket = unix://$dir/vici
		}
	}
}
EOS
	"$@" unshare --mount -- sh -c 'mount -t tmpfs -o mode=755 tmpfs /run && exec env STRONGSWAN_CONF="$1" /usr/lib/ipsec/charon' sh \
		"$dir/strongswan.conf" >"$dir/out" 2>&1 &
	vr_hand_charon_pid=$!
	for _ in $(seq 100); do
		[ -S "$dir/vici" ] && return 0
		sleep 0.1
	done
	return 1
}

vr_hand_swanctl() {
	local dir=$1
	shift
	swanctl "$@" --uri "unix://$dir/vici"
}
