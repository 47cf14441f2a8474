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
 *
 * WireGuard tunnels run on the master only, speaking from the virtual addresses, so that their
 * peers keep one endpoint whichever router is master and a backup with the same keys says
 * nothing. Their packets carry RENDER_WG_FWMARK (render-wireguard.c), routed by rules that
 * keepalived holds:
 *
 *   always        fwmark -> table RENDER_WG_TABLE           (pref RENDER_WG_PREF_VIP)
 *                 fwmark -> unreachable                      (pref RENDER_WG_PREF_QUIET)
 *   as master     fwmark -> main                             (pref RENDER_WG_PREF_MASTER)
 *                 in the table, per group (the first of its interface and family): its
 *                 interface's networks and the intent's routes through it, from the group's
 *                 first virtual address
 *
 * On the master a tunnel's packet leaves from the virtual address of its way out (or, past
 * the groups' interfaces, as the main table says); on a backup or in fault it is unreachable.
 * keepalived changes them with the state, without the agent: kill -9 of the agent changes
 * nothing.
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

/* Whether the intent has WireGuard tunnels to route by their mark. */
static bool wg_follows(const struct intent *in)
{
	return in->vpn.n_wireguard > 0;
}

/* The interface a route leaves through: its own, or the one whose network holds its gateway
 * (NULL: none, or a route without a gateway through a tunnel). */
static const char *route_iface(const struct intent *in, const struct route *rt)
{
	size_t i, j;

	if (rt->interface)
		return rt->interface;
	if (!(rt->has & ROUTE_HAS_VIA))
		return NULL;
	for (i = 0; i < in->n_ifaces; i++)
		for (j = 0; j < in->ifaces[i].n_addrs; j++)
			if (prefix_contains(&in->ifaces[i].addrs[j], &rt->via))
				return in->ifaces[i].name;
	return NULL;
}

/* The master's routes of the marked packets through the group's interface, from the group's
 * first virtual address: for the first group of its interface and family only. */
static void render_wg_routes(struct strbuf *b, const struct intent *in, const struct vrrp_group *g)
{
	const struct ip_prefix *vip = &g->vips[0];
	int family = vip->addr.family;
	char src[ADDR_STRLEN], p[PREFIX_STRLEN], a[ADDR_STRLEN];
	const struct iface *ifc = intent_iface(in, g->interface);
	size_t i;

	if (render_vip(in, g->interface, family) != vip || !ifc)
		return;
	addr_format(&vip->addr, src);
	strbuf_append(b, "\tvirtual_routes {\n");
	for (i = 0; i < ifc->n_addrs; i++) {
		struct ip_prefix net = prefix_network(&ifc->addrs[i]);

		if (net.addr.family != family || render_addr_is_link_local(&net.addr))
			continue;
		strbuf_printf(b, "\t\tsrc %s to %s dev %s table %u no_track\n", src,
			      prefix_format(&net, p), g->interface, RENDER_WG_TABLE);
	}
	for (i = 0; i < in->routes->n; i++) {
		const struct route *rt = &in->routes->v[i];
		const char *dev = route_iface(in, rt);

		if (rt->to.addr.family != family || !(rt->has & ROUTE_HAS_VIA) || !dev ||
		    strcmp(dev, g->interface))
			continue;
		strbuf_printf(b, "\t\tsrc %s to %s via %s dev %s table %u no_track\n", src,
			      prefix_format(&rt->to, p), addr_format(&rt->via, a), g->interface,
			      RENDER_WG_TABLE);
	}
	strbuf_append(b, "\t}\n");
}

/* The master's rule: marked packets past the table go as the main table says. */
static void render_wg_master_rules(struct strbuf *b)
{
	strbuf_append(b, "\tvirtual_rules {\n");
	strbuf_printf(b, "\t\tfrom all fwmark %#x table main preference %u no_track\n",
		      RENDER_WG_FWMARK, RENDER_WG_PREF_MASTER);
	strbuf_printf(b, "\t\tfrom all fwmark %#x table main preference %u inet6 no_track\n",
		      RENDER_WG_FWMARK, RENDER_WG_PREF_MASTER);
	strbuf_append(b, "\t}\n");
}

static void render_wg_static_rules(struct strbuf *b)
{
	static const char *const family[] = {"", " inet6"};
	size_t i;

	strbuf_append(b, "\nstatic_rules {\n");
	for (i = 0; i < 2; i++) {
		strbuf_printf(b, "\tfrom all fwmark %#x table %u preference %u%s\n",
			      RENDER_WG_FWMARK, RENDER_WG_TABLE, RENDER_WG_PREF_VIP, family[i]);
		strbuf_printf(b, "\tfrom all fwmark %#x unreachable preference %u%s\n",
			      RENDER_WG_FWMARK, RENDER_WG_PREF_QUIET, family[i]);
	}
	strbuf_append(b, "}\n");
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
	if (wg_follows(in)) {
		render_wg_routes(b, in, g);
		if (g == &in->vrrp.groups[0])
			render_wg_master_rules(b);
	}
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
	if (wg_follows(in))
		render_wg_static_rules(&b);
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
