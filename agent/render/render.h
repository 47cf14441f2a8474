/* SPDX-License-Identifier: MIT */
/*
 * Rendering of the service configurations (dnsmasq, keepalived, conntrackd, strongSwan,
 * WireGuard) from the intent. Pure: text in memory, no file is touched. The plan engine
 * turns each rendered file into a desired "file" object; a backend writes it (temporary
 * file, fsync, rename) and applies the change class.
 */
#pragma once

#include <stddef.h>

#include "intent/intent.h"

/* conntrackd's sync port (FTFW over UDP on vrrp.sync's link): written in its configuration,
 * admitted by the firewall from the sync peer. */
#define RENDER_CONNTRACKD_PORT 3780

/* The runtime files of the VRRP daemons, named in their configurations and used by the
 * services backend (agent/services/vrrp.c): a tmpfs directory, so a reboot starts afresh. */
#define RENDER_RUN_DIR "/run/vrouter"
#define RENDER_CONNTRACKD_CTL RENDER_RUN_DIR "/conntrackd.ctl"
#define RENDER_CONNTRACKD_LOCK RENDER_RUN_DIR "/conntrackd.lock"
/* keepalived writes each VRRP transition there ("INSTANCE \"web\" MASTER 150"). */
#define RENDER_VRRP_FIFO RENDER_RUN_DIR "/vrrp.fifo"
/* Added to every group's priority (keepalived's track_file, weight 1): 0 normally; -253 holds
 * the router at priority 1 (backup after a handover); -254 puts it in fault, which makes a
 * master hand over at once (it sends priority 0). */
#define RENDER_VRRP_HOLD RENDER_RUN_DIR "/vrrp-hold"
/* A dhcp-hostsfile directory of dnsmasq with VRRP: while the router is not master it holds a
 * line that makes dnsmasq ignore every client but the reserved ones (DHCP follows mastership;
 * a reserved client gets the same address from either router). */
#define RENDER_DHCP_STANDBY_DIR RENDER_RUN_DIR "/dhcp-standby"

/* charon's VICI socket (swanctl --uri, status), and the file its strongswan.conf includes in
 * its plugins section, written by the agent before charon starts: kernel-libipsec where the
 * kernel has no ESP (agent/services/svc-charon.c). */
#define RENDER_CHARON_VICI RENDER_RUN_DIR "/charon.vici"
#define RENDER_CHARON_PLUGINS RENDER_RUN_DIR "/charon-plugins.conf"
/* Beside charon's files (relative to the configuration directory): the IPsec tunnels whose
 * local address is a VRRP virtual address, one line each, "NAME initiate" or "NAME respond",
 * after '#' comment lines. charon does not start them; the agent does as master, and closes
 * their SAs otherwise (agent/services/vrrp-ipsec.c). */
#define RENDER_IPSEC_FOLLOW "strongswan/follow-vrrp"

/* WireGuard on a VRRP pair: the tunnels' packets carry this firewall mark (their files' FwMark),
 * and keepalived routes them by rules of these preferences: to RENDER_WG_TABLE (routes through
 * the groups' interfaces from their virtual addresses, the master's only), then on the master
 * to the main table, then unreachable (render-keepalived.c). */
#define RENDER_WG_FWMARK 0x7672
#define RENDER_WG_TABLE 86
#define RENDER_WG_PREF_VIP 86
#define RENDER_WG_PREF_MASTER 87
#define RENDER_WG_PREF_QUIET 88

/* What a daemon needs when its file changes. */
enum change_class {
	CHANGE_NONE,	/* read on demand (a watched directory): nothing to do */
	CHANGE_RELOAD,	/* reload in place (SIGHUP, swanctl --load-conns, wg) */
	CHANGE_RESTART, /* the daemon must restart */
	_CHANGE_CLASS_MAX,
};

struct rendered_file {
	char *path;	 /* relative to the agent's configuration directory, e.g.
			  * "dnsmasq/vrouter.conf"; unique */
	char *content;
	unsigned mode;	 /* 0644, or 0600 for files holding secrets */
	const char *service; /* "dnsmasq", "keepalived", "conntrackd", "strongswan",
			      * "wireguard" */
	enum change_class change;
	char *ptr;	 /* JSON Pointer of the intent element the file comes from */
};

struct rendered {
	struct rendered_file *files;
	size_t n;
};

/* Render every service file the intent needs (none for absent sections), in a stable
 * order. confdir is the absolute directory the files will live in (files refer to each
 * other by absolute path), e.g. "/etc/vrouter". Returns 0 or -ENOMEM (out left empty). */
int render_services(const struct intent *in, const char *confdir, struct rendered *out);
void rendered_done(struct rendered *r);
const char *change_class_to_string(enum change_class c);
