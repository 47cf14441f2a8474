/* SPDX-License-Identifier: MIT */
/*
 * conntrackd: replication of the connection tracking table to the VRRP peer ("vrrp.sync").
 * conntrackd/conntrackd.conf, read at start only (restart).
 *
 * FTFW over UDP on the sync link, with the external cache disabled: replicated entries go
 * straight into the backup's kernel table, so they are in place the moment it becomes master
 * (with the default external cache, a TCP flow through SNAT does not reliably survive a
 * failover: the new master's stack can reset it before the state is committed). Traffic to or from the router itself is not
 * replicated: only forwarded connections are worth it.
 */
#include <errno.h>
#include <stdlib.h>

#include "render-internal.h"


static const char *family_key(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* The router's own addresses (each once, in address order): conntrackd leaves their flows out.
 * Link-local addresses are all covered by fe80::/10. */
static int render_filter(struct strbuf *b, const struct intent *in)
{
	struct owned_addrs owned;
	char buf[ADDR_STRLEN];
	size_t i;

	if (intent_owned_addrs(in, &owned) < 0)
		return -ENOMEM;
	strbuf_append(b, "\tFilter From Userspace {\n\t\tAddress Ignore {\n");
	strbuf_append(b, "\t\t\tIPv4_address 127.0.0.0/8\n\t\t\tIPv6_address ::1\n");
	strbuf_append(b, "\t\t\tIPv6_address fe80::/10\n");
	for (i = 0; i < owned.n; i++) {
		const struct ip_addr *a = &owned.v[i].a;

		if (render_addr_is_link_local(a) || (i && addr_equal(&owned.v[i - 1].a, a)))
			continue;
		strbuf_printf(b, "\t\t\t%s_address %s\n", family_key(a->family),
			      addr_format(a, buf));
	}
	strbuf_append(b, "\t\t}\n\t}\n");
	owned_addrs_done(&owned);
	return 0;
}

int render_conntrackd(const struct intent *in, struct rendered *out)
{
	const struct vrrp *vr = &in->vrrp;
	int family = vr->sync_peer.family;
	const struct ip_prefix *local;
	struct strbuf b = {0};
	char a[ADDR_STRLEN];
	int r;

	if (!vr->present || !(vr->has & VRRP_HAS_SYNC))
		return 0;
	local = render_iface_addr(in, vr->sync_interface, family);
	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "Sync {\n\tMode FTFW {\n\t\tDisableExternalCache On\n");
	strbuf_append(&b, "\t\tStartupResync On\n\t}\n");
	strbuf_append(&b, "\tUDP {\n");
	/* Towards a link-local peer the socket binds to the interface only. */
	if (local && !render_addr_is_link_local(&vr->sync_peer))
		strbuf_printf(&b, "\t\t%s_address %s\n", family_key(family),
			      addr_format(&local->addr, a));
	strbuf_printf(&b, "\t\t%s_Destination_Address %s\n", family_key(family),
		      addr_format(&vr->sync_peer, a));
	strbuf_printf(&b, "\t\tPort %u\n", RENDER_CONNTRACKD_PORT);
	strbuf_printf(&b, "\t\tInterface %s\n", vr->sync_interface);
	strbuf_append(&b, "\t\tSndSocketBuffer 1249280\n\t\tRcvSocketBuffer 1249280\n");
	strbuf_append(&b, "\t\tChecksum On\n\t}\n}\n\n");
	strbuf_append(&b, "General {\n\tLogFile Off\n\tSyslog On\n");
	strbuf_append(&b, "\tLockFile " RENDER_CONNTRACKD_LOCK "\n");
	strbuf_append(&b, "\tUNIX {\n\t\tPath " RENDER_CONNTRACKD_CTL "\n\t}\n");
	strbuf_append(&b, "\tNetlinkBufferSize 2097152\n\tNetlinkBufferSizeMaxGrowth 8388608\n");
	r = render_filter(&b, in);
	if (r < 0) {
		strbuf_done(&b);
		return r;
	}
	strbuf_append(&b, "}\n");
	return rendered_add(out, &b, 0644, "conntrackd", CHANGE_RESTART,
			    vr->sync_ptr ? vr->sync_ptr : "/vrrp/sync",
			    "conntrackd/conntrackd.conf");
}
