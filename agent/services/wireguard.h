/* SPDX-License-Identifier: MIT */
/*
 * WireGuard tunnels' configurations, for the services backend: the files "wireguard/NAME.conf"
 * (render-wireguard.c, `wg setconf` syntax, mode 0600) applied to link NAME with wg(8), which
 * speaks generic netlink to the kernel module and the UAPI socket to wireguard-go: only the
 * peers that differ are changed (the others keep their sessions), and the keys go from a file
 * or a memfd (none on a command line). The link itself is the kernel backend's, made before
 * the services commit.
 *
 *   commit  each tunnel whose file changed: on the link last synced, only the peers that
 *           differ from the old file (lib/wgdelta.h: `wg set NAME peer KEY remove`, then
 *           `wg addconf NAME /dev/stdin` with their sections from a memfd), which spares wg
 *           reading the whole device back; otherwise, or when the [Interface] section changed,
 *           syncconf. Syncconf too of each tunnel whose link is not the one last synced (a
 *           link made again: at the agent's start, after a reboot, by an undo).
 *           On a VRRP pair, first the wait for keepalived's rules of the tunnels' mark
 *           (kernel/rule-probe.h): a peer given before them would be greeted from the router's
 *           own address.
 *           A tunnel synced whole has its listen port first bound by the agent (UDP, IPv4, IPv6):
 *           wireguard-go binds only once it has seen its link up, after syncconf returned, and
 *           its failure then reaches no one; so a port another socket holds fails the commit
 *           here, for the kernel module and wireguard-go alike.
 *   revert  after the files were put back: the tunnels are synced again at abort, once the
 *           kernel's undo has made their links again
 *
 * The state is read with `wg show NAME endpoints|latest-handshakes|transfer`, which carry
 * no secret (lib/wgshow.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intent/intent.h"
#include "lib/strbuf.h"
#include "lib/wgshow.h"
#include "plan/op.h"

#define WGSYNC_DIR "wireguard"
#define WGSYNC_SERVICE "wireguard"
#define WGSYNC_PROGRAM "/usr/bin/wg"

struct wgsync_tunnel {
	char *name;
	uint16_t listen_port; /* 0: any */
};

struct wgsync_known {
	char name[OBJ_NAME_SIZE];
	unsigned ifindex; /* of the link last synced */
};

struct wgsync {
	const char *confdir; /* the backend's */
	struct wgsync_tunnel *tunnels; /* the intent's, from prepare */
	size_t n_tunnels;
	struct wgsync_known *known;
	size_t n_known;
	bool resync; /* reverted: sync every tunnel again at abort */
	bool marked; /* a VRRP pair: keepalived's rules route the tunnels' packets (commit waits
		      * for them) */
};

/* Whether o is a tunnel's file: "wireguard/NAME.conf" of service "wireguard". */
bool wgsync_accepts(const struct object *o);
/* The intent's tunnels, for commit. 0 or -ENOMEM. */
int wgsync_prepare(struct wgsync *w, const struct intent *in);
/* After the files of pending are in place. 0, or a negative errno with wg's reason in err
 * (the tunnels synced before the failure are the caller's to put back: wgsync_revert). */
int wgsync_commit(struct wgsync *w, const struct oplist *pending, struct strbuf *err);
/* The files were put back (services revert): sync again at abort. */
void wgsync_revert(struct wgsync *w);
/* After the kernel's undo: each tunnel file in place whose link exists synced again. */
int wgsync_abort(struct wgsync *w, struct strbuf *err);
/* Every tunnel whose file is in place and whose link exists (keepalive: only those that give a
 * peer a persistent keepalive) configured afresh (wg setconf): its peers made again without
 * their sessions and without WireGuard's pace of handshake attempts (one per 5 s), so that
 * the next packet to each, or its keepalive at once, begins a handshake. For a router that
 * leaves VRRP mastership (its sessions would be stale when it is master again) and, for the
 * tunnels with keepalives, one that becomes master (as backup they kept trying handshakes
 * through the unreachable route). How many tunnels, or a negative errno with the reason in
 * err. */
int wgsync_renew(struct wgsync *w, bool keepalive, struct strbuf *err);
void wgsync_done(struct wgsync *w);

/* Tunnel NAME as it runs: its implementation ("kernel" or "wireguard-go") and its peers.
 * 0, or a negative errno with the reason in err. */
int wgsync_show(const char *name, const char **ret_impl, struct wgshow *ret, struct strbuf *err);
