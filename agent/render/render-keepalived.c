/* SPDX-License-Identifier: MIT */
/*
 * keepalived: one VRRPv3 instance per group, all in one sync group so that they move
 * together. keepalived/keepalived.conf, reloaded with SIGHUP.
 *
 * Every instance starts as BACKUP and, unless "preempt", never takes mastership back from a
 * peer that has it (nopreempt). keepalived writes each state change to a FIFO that the agent
 * reads (no script in between: agent/services/vrrp.c acts on them, conntrackd included).
 * Every instance tracks the hold file (render.h), through which the agent hands over and
 * then holds the router as backup; and its own interface (keepalived's default: a link down
 * is a fault, and the sync group follows).
 */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "render-internal.h"

#define HOLD_TRACK "vrouter_hold"

/* The advertisement interval in seconds as keepalived reads it: 100 ms -> "0.1". */
static void advert_format(uint32_t ms, char buf[16])
{
	size_t n;

	snprintf(buf, 16, "%u.%03u", ms / 1000, ms % 1000);
	n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

/* A group's addresses are of one family (the parser checks it), as are its peers: VRRPv3
 * runs one instance per family. */
static void render_vips(struct strbuf *b, const struct vrrp_group *g)
{
	char p[PREFIX_STRLEN];
	size_t i;

	strbuf_append(b, "\tvirtual_ipaddress {\n");
	for (i = 0; i < g->n_vips; i++)
		strbuf_printf(b, "\t\t%s dev %s\n", prefix_format(&g->vips[i], p), g->interface);
	strbuf_append(b, "\t}\n");
}

static void render_unicast(struct strbuf *b, const struct intent *in, const struct vrrp_group *g)
{
	const struct ip_prefix *src;
	char a[ADDR_STRLEN];
	size_t i;

	if (!g->n_unicast_peers)
		return;
	src = render_iface_addr(in, g->interface, g->unicast_peers[0].family);
	/* Towards a link-local peer the kernel's link-local address is the source. */
	if (src && !render_addr_is_link_local(&g->unicast_peers[0]))
		strbuf_printf(b, "\tunicast_src_ip %s\n", addr_format(&src->addr, a));
	strbuf_append(b, "\tunicast_peer {\n");
	for (i = 0; i < g->n_unicast_peers; i++)
		strbuf_printf(b, "\t\t%s\n", addr_format(&g->unicast_peers[i], a));
	strbuf_append(b, "\t}\n");
}

static void render_instance(struct strbuf *b, const struct intent *in, const struct vrrp_group *g)
{
	const struct vrrp *vr = &in->vrrp;
	char advert[16];

	advert_format(vr->advert_interval_ms, advert);
	strbuf_printf(b, "\nvrrp_instance %s {\n", g->name);
	strbuf_append(b, "\tstate BACKUP\n");
	strbuf_printf(b, "\tinterface %s\n", g->interface);
	strbuf_printf(b, "\tvirtual_router_id %u\n", g->vrid);
	strbuf_printf(b, "\tpriority %u\n", vr->priority);
	strbuf_printf(b, "\tadvert_int %s\n", advert);
	if (!vr->preempt)
		strbuf_append(b, "\tnopreempt\n");
	render_unicast(b, in, g);
	strbuf_append(b, "\ttrack_file {\n\t\t" HOLD_TRACK "\n\t}\n");
	render_vips(b, g);
	strbuf_append(b, "}\n");
}

int render_keepalived(const struct intent *in, struct rendered *out)
{
	const struct vrrp *vr = &in->vrrp;
	struct strbuf b = {0};
	size_t i;

	if (!vr->present || !vr->n_groups)
		return 0;
	strbuf_append(&b, RENDER_HEADER);
	strbuf_append(&b, "global_defs {\n");
	strbuf_printf(&b, "\trouter_id %s\n",
		      in->has & INTENT_HAS_HOSTNAME ? in->hostname : "vrouter");
	strbuf_append(&b, "\tvrrp_version 3\n");
	strbuf_append(&b, "\tvrrp_notify_fifo " RENDER_VRRP_FIFO "\n");
	/* Interfaces may not exist yet when the configuration is checked (the apply that
	 * renames them), or come and go: an instance whose link is missing is in fault. */
	strbuf_append(&b, "\tdynamic_interfaces\n}\n");
	strbuf_append(&b, "\ntrack_file " HOLD_TRACK " {\n\tfile \"" RENDER_VRRP_HOLD "\"\n");
	strbuf_append(&b, "\tweight 1\n\tinit_file 0\n}\n");
	/* keepalived refuses a sync group of one instance. */
	if (vr->n_groups > 1) {
		strbuf_append(&b, "\nvrrp_sync_group VROUTER {\n\tgroup {\n");
		for (i = 0; i < vr->n_groups; i++)
			strbuf_printf(&b, "\t\t%s\n", vr->groups[i].name);
		/* The hold's weight applies to the group (by default a tracked weight in a sync
		 * group is refused). */
		strbuf_append(&b, "\t}\n\tsync_group_tracking_weight\n}\n");
	}
	for (i = 0; i < vr->n_groups; i++)
		render_instance(&b, in, &vr->groups[i]);
	return rendered_add(out, &b, 0644, "keepalived", CHANGE_RELOAD, vr->ptr ? vr->ptr : "/vrrp",
			    "keepalived/keepalived.conf");
}
