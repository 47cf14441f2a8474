# shellcheck shell=bash
# A lab of router VMs under QEMU that share bridges in one network namespace
# (scripts/rolling-replace, tests/image/rolling.sh). Source it with VMLAB set to the lab's
# directory, which holds:
#   netns     the namespace's name (it exists; the lab's maker removes it)
#   bridges   the intent's interface names in bridge order: the VM's NIC i, on bridge vrbr<i>,
#             gets the MAC the intent gives the i-th name
#   NAME/     per VM: payload.iso, console.log, agent.sock (its agent's virtio-serial port),
#             run-vm.log, pid (scripts/run-vm's)
# Every VM is driven over its serial port only (vrouterctl --serial). VMLAB_ACCEL: run-vm's
# --accel (default tcg).
vmlab_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VROUTERCTL=${VROUTERCTL:-$vmlab_top/build/agent/cli/vrouterctl}
export VROUTERCTL

vmlab_ctl() { # NAME ARGS...: vrouterctl over NAME's serial port
	local n=$1
	shift
	"$VROUTERCTL" --serial "$VMLAB/$n/agent.sock" --timeout "${VMLAB_TIMEOUT:-20}" "$@"
}

# Boots NAME from IMAGE with INTENT in its boot payload, in the background.
vmlab_boot() { # NAME IMAGE INTENT
	local n=$1 d=$VMLAB/$1 macs
	mkdir -p "$d"
	macs=$(python3 -c '
import json, sys
ifs = json.load(open(sys.argv[1]))["interfaces"]
print(",".join(ifs[n]["mac"] for n in open(sys.argv[2]).read().split()))' "$3" "$VMLAB/bridges") ||
		return 1
	"$vmlab_top/scripts/mkpayload" --intent "$3" -o "$d/payload.iso" >"$d/mkpayload.log" 2>&1 ||
		{ cat "$d/mkpayload.log" >&2; return 1; }
	rm -f "$d/console.log"
	setsid "$vmlab_top/scripts/run-vm" "$2" --join "$(cat "$VMLAB/netns")" \
		--nics "$(wc -w <"$VMLAB/bridges")" --macs "$macs" --payload "$d/payload.iso" \
		--console "file:$d/console.log" --agent-socket "$d/agent.sock" \
		--accel "${VMLAB_ACCEL:-tcg}" \
		>"$d/run-vm.log" 2>&1 </dev/null &
	echo $! >"$d/pid"
}

# Ends NAME's VM (scripts/run-vm stops QEMU and removes its taps) and waits until it is gone.
vmlab_destroy() { # NAME
	local p
	p=$(cat "$VMLAB/$1/pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$VMLAB/$1/pid"
}

# One line of NAME's status: VRRP state, "ready" or the reason it is not, every group's
# virtual addresses present (True/False), the image's version. "down:WHY" when the agent did
# not answer (WHY: vrouterctl's error, spaces as _): a VM that boots, or one too busy to
# answer within 10 s (under TCG, while another VM boots on the same CPUs).
vmlab_vrrp() { # NAME
	local out err
	err=$(mktemp)
	out=$(VMLAB_TIMEOUT=10 vmlab_ctl "$1" status --json 2>"$err")
	python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    print("down:" + (open(sys.argv[2]).read().strip().splitlines() or ["no_answer"])[-1].replace(" ", "_"))
    sys.exit()
v = d.get("vrrp") or {}
g = (v.get("groups") or {}).values()
print(v.get("state"), "ready" if v.get("ready") else "not-ready:" + str(v.get("not_ready")).replace(" ", "_"),
      bool(g) and all(x["addresses_present"] for x in g), (d.get("agent") or {}).get("image_version"))' \
		"$out" "$err"
	rm -f "$err"
}
# Whether a vmlab_vrrp line names a VRRP state: not an agent that did not answer ("down:WHY")
# nor one that answered busy (no state), whose state is unknown.
vmlab_known() { # LINE
	case ${1%% *} in master | backup | fault | stop | init) return 0 ;; *) return 1 ;; esac
}
