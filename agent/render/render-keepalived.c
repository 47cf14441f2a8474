/* SPDX-License-Identifier: MIT */
/*
 * keepalived: one VRRPv3 instance per group, all in one sync group so that they move
 * together. keepalived/keepalived.conf, reloaded with SIGHUP.
 *
 * Every instance starts as BACKUP and, unless "preempt", never takes mastership back from a
 * peer that has it (nopreempt). State changes run the notify hook, which keeps conntrackd
 * in step (its commit and flush on mastership changes).
 */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "render-internal.h"

#define VRRP_NOTIFY "/usr/lib/vrouter/vrrp-notify"

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

static void render_notify(struct strbuf *b)
{
	static const char *const states[] = {"master", "backup", "fault", "stop"};
	size_t i;

	for (i = 0; i < ELEMENTSOF(states); i++)
		strbuf_printf(b, "\tnotify_%s \"" VRRP_NOTIFY " %s\"\n", states[i], states[i]);
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

static void render_instance(struct strbuf *b, const struct intent *in, const struct vrrp_group *g,
			    bool notify)
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
	render_vips(b, g);
	if (notify)
		render_notify(b);
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
	/* The notify hook needs root (it drives conntrackd); only root may write it. */
	strbuf_append(&b, "\tscript_user root\n\tenable_script_security\n}\n");
	/* keepalived refuses a sync group of one instance: that instance notifies itself. */
	if (vr->n_groups > 1) {
		strbuf_append(&b, "\nvrrp_sync_group VROUTER {\n\tgroup {\n");
		for (i = 0; i < vr->n_groups; i++)
			strbuf_printf(&b, "\t\t%s\n", vr->groups[i].name);
		strbuf_append(&b, "\t}\n");
		render_notify(&b);
		strbuf_append(&b, "}\n");
	}
	for (i = 0; i < vr->n_groups; i++)
		render_instance(&b, in, &vr->groups[i], vr->n_groups == 1);
	return rendered_add(out, &b, 0644, "keepalived", CHANGE_RELOAD, vr->ptr ? vr->ptr : "/vrrp",
			    "keepalived/keepalived.conf");
}
