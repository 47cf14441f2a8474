/* SPDX-License-Identifier: MIT */
/* "vrrp": redundancy with a peer router (VRRPv3 groups that move together, conntrack sync). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "read.h"
#include "sections.h"

#define VRRP_PRIORITY_DEFAULT 100
#define VRRP_ADVERT_DEFAULT 1000
#define VRRP_ADVERT_MIN 10
#define VRRP_ADVERT_MAX 40950 /* VRRPv3: 12 bits of centiseconds */

static const char *const vrrp_keys[] = {
	"priority", "advert_interval_ms", "preempt", "groups", "sync", NULL,
};
static const char *const group_keys[] = {
	"interface", "vrid", "virtual_addresses", "unicast_peers", NULL,
};
static const char *const sync_keys[] = {"interface", "peer", NULL};

static void parse_group(struct jr *r, const char *name, const struct json_t *v,
			struct vrrp_group *g)
{
	char x[PREFIX_STRLEN], y[ADDR_STRLEN];
	int family = 0;
	size_t i, j;
	int64_t n;

	g->name = strdup(name);
	g->ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, group_keys))
		return;
	read_member(r, v, "interface", true, read_name, &g->interface);
	if (jr_int(r, v, "vrid", true, 1, 255, &n) > 0)
		g->vrid = (uint8_t)n;
	if (read_array(r, v, "virtual_addresses", true, LIMIT_SMALL, sizeof(struct ip_prefix),
		       read_iface_addr, &g->vips, &g->n_vips) > 0) {
		if (g->n_vips == 0)
			jr_error_member(r, "virtual_addresses", -1, "must not be empty");
		else
			family = g->vips[0].addr.family;
		for (i = 1; i < g->n_vips; i++) {
			if (g->vips[i].addr.family != family) {
				jr_error_member(r, "virtual_addresses", (long)i,
					     "%s is %s but the group's first virtual address is %s "
					     "(one address family per group)",
					     prefix_format(&g->vips[i], x),
					     addr_family_name(g->vips[i].addr.family), addr_family_name(family));
				continue;
			}
			for (j = 0; j < i; j++)
				if (addr_equal(&g->vips[i].addr, &g->vips[j].addr)) {
					jr_error_member(r, "virtual_addresses", (long)i,
						     "duplicate address (also at index %zu)", j);
					break;
				}
		}
	}
	if (read_array(r, v, "unicast_peers", false, LIMIT_SMALL, sizeof(struct ip_addr),
		       read_unicast_addr, &g->unicast_peers, &g->n_unicast_peers) <= 0)
		return;
	for (i = 0; i < g->n_unicast_peers; i++) {
		const struct ip_addr *a = &g->unicast_peers[i];

		if (family && a->family != family) {
			jr_error_member(r, "unicast_peers", (long)i,
				     "%s is %s but the group's virtual addresses are %s",
				     addr_format(a, y), addr_family_name(a->family), addr_family_name(family));
			continue;
		}
		for (j = 0; j < i; j++)
			if (addr_equal(a, &g->unicast_peers[j])) {
				jr_error_member(r, "unicast_peers", (long)i,
					     "duplicate address (also at index %zu)", j);
				break;
			}
	}
}

static void parse_groups(struct jr *r, const struct json_t *v, struct vrrp *vr)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	if (jr_size(v) == 0) {
		jr_error(r, "at least one group is required");
		return;
	}
	vr->groups = calloc(jr_size(v), sizeof(*vr->groups));
	if (!vr->groups) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_group(r, key, val, &vr->groups[vr->n_groups++]);
		jr_pop(r, mark);
	}
}

static void parse_sync(struct jr *r, const struct json_t *v, struct vrrp *vr)
{
	vr->sync_ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, sync_keys))
		return;
	read_member(r, v, "interface", true, read_name, &vr->sync_interface);
	read_member(r, v, "peer", true, read_unicast_addr, &vr->sync_peer);
}

void parse_vrrp(struct jr *r, const struct json_t *v, struct intent *in)
{
	struct vrrp *vr = &in->vrrp;
	const struct json_t *m;
	size_t mark;
	int64_t n;

	vr->present = true;
	vr->ptr = jr_ptr_dup(r);
	vr->priority = VRRP_PRIORITY_DEFAULT;
	vr->advert_interval_ms = VRRP_ADVERT_DEFAULT;
	if (!jr_object(r, v, vrrp_keys))
		return;
	if (jr_int(r, v, "priority", false, 1, 254, &n) > 0) {
		vr->priority = (uint8_t)n;
		vr->has |= VRRP_HAS_PRIORITY;
	}
	if (jr_int(r, v, "advert_interval_ms", false, VRRP_ADVERT_MIN, VRRP_ADVERT_MAX, &n) > 0) {
		if (n % 10)
			jr_error_member(r, "advert_interval_ms", -1,
				     "advert_interval_ms %lld is not a multiple of 10", (long long)n);
		vr->advert_interval_ms = (uint32_t)n;
		vr->has |= VRRP_HAS_ADVERT;
	}
	if (jr_bool(r, v, "preempt", false, &vr->preempt) > 0)
		vr->has |= VRRP_HAS_PREEMPT;
	m = jr_member(v, "groups");
	if (!m) {
		jr_error(r, "missing required key \"groups\"");
	} else {
		mark = jr_push_key(r, "groups");
		parse_groups(r, m, vr);
		jr_pop(r, mark);
	}
	m = jr_member(v, "sync");
	if (m) {
		vr->has |= VRRP_HAS_SYNC;
		mark = jr_push_key(r, "sync");
		parse_sync(r, m, vr);
		jr_pop(r, mark);
	}
}

/* ---- cross-field checks ---- */

/* Whether address a is on the network of an address of interface ifc. */
static bool iface_has_network(const struct iface *ifc, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < ifc->n_addrs; i++)
		if (prefix_contains(&ifc->addrs[i], a))
			return true;
	return false;
}

/* Whether prefix p (a virtual address with its length) lies within a network of ifc. */
static bool iface_has_subnet(const struct iface *ifc, const struct ip_prefix *p)
{
	size_t i;

	for (i = 0; i < ifc->n_addrs; i++)
		if (prefix_contains(&ifc->addrs[i], &p->addr) && p->len >= ifc->addrs[i].len)
			return true;
	return false;
}

/* The interface or tunnel that has address a as one of its own addresses, or NULL. */
static const char *addr_owner(const struct intent *in, const struct ip_addr *a)
{
	size_t i, j;

	for (i = 0; i < in->n_ifaces; i++)
		for (j = 0; j < in->ifaces[i].n_addrs; j++)
			if (addr_equal(&in->ifaces[i].addrs[j].addr, a))
				return in->ifaces[i].name;
	for (i = 0; i < in->vpn.n_wireguard; i++)
		for (j = 0; j < in->vpn.wireguard[i].n_addrs; j++)
			if (addr_equal(&in->vpn.wireguard[i].addrs[j].addr, a))
				return in->vpn.wireguard[i].name;
	return NULL;
}

static void check_vips(const struct intent *in, size_t gi, const struct iface *ifc,
		       struct errlist *errs)
{
	const struct vrrp_group *g = &in->vrrp.groups[gi];
	char x[PREFIX_STRLEN];
	size_t i, j, k;

	for (k = 0; k < g->n_vips; k++) {
		const struct ip_prefix *vip = &g->vips[k];
		const char *owner = addr_owner(in, &vip->addr);
		bool dup = false;

		if (owner) {
			errlist_add_member(errs, g->ptr, "virtual_addresses", (long)k,
				   "%s is already an address of interface \"%s\"",
				   prefix_format(vip, x), owner);
			continue;
		}
		for (i = 0; i < gi && !dup; i++) {
			const struct vrrp_group *o = &in->vrrp.groups[i];

			for (j = 0; j < o->n_vips && !dup; j++)
				if (addr_equal(&o->vips[j].addr, &vip->addr)) {
					errlist_add_member(errs, g->ptr, "virtual_addresses", (long)k,
						   "%s is also a virtual address of group \"%s\"",
						   prefix_format(vip, x), o->name);
					dup = true;
				}
		}
		if (!dup && ifc && !addr_is_ipv6_link_local(&vip->addr) && !iface_has_subnet(ifc, vip))
			errlist_add_member(errs, g->ptr, "virtual_addresses", (long)k,
				   "%s is not within a network of interface \"%s\"",
				   prefix_format(vip, x), ifc->name);
	}
}

/* A peer router's address: on the network of the link to it, and not one of ours. */
static void check_peer(const struct intent *in, const struct iface *ifc, const struct ip_addr *a,
		       const char *ptr, const char *key, long index, struct errlist *errs)
{
	char buf[ADDR_STRLEN];

	if (intent_owns_addr(in, a))
		errlist_add_member(errs, ptr, key, index, "%s is an address of this router",
			   addr_format(a, buf));
	else if (ifc && !addr_is_ipv6_link_local(a) && !iface_has_network(ifc, a))
		errlist_add_member(errs, ptr, key, index, "%s is not on the network of interface \"%s\"",
			   addr_format(a, buf), ifc->name);
}

void check_vrrp(const struct intent *in, struct errlist *errs)
{
	const struct vrrp *vr = &in->vrrp;
	const struct iface *ifc;
	size_t i, j;

	for (i = 0; i < vr->n_groups; i++) {
		const struct vrrp_group *g = &vr->groups[i];

		ifc = intent_iface(in, g->interface);
		if (!ifc)
			errlist_add_member(errs, g->ptr, "interface", -1, "unknown interface \"%s\"",
				   g->interface);
		/* VRRPv3 keeps separate VRID spaces for IPv4 and IPv6 (RFC 5798, 7.3). */
		for (j = 0; j < i; j++) {
			const struct vrrp_group *o = &vr->groups[j];

			if (o->vrid == g->vrid && !strcmp(o->interface, g->interface) &&
			    o->vips[0].addr.family == g->vips[0].addr.family) {
				errlist_add_member(errs, g->ptr, "vrid", -1,
					   "vrid %u is also used by group \"%s\" on interface \"%s\"",
					   g->vrid, o->name, g->interface);
				break;
			}
		}
		check_vips(in, i, ifc, errs);
		for (j = 0; j < g->n_unicast_peers; j++)
			check_peer(in, ifc, &g->unicast_peers[j], g->ptr, "unicast_peers", (long)j,
				   errs);
	}
	if (!(vr->has & VRRP_HAS_SYNC))
		return;
	ifc = intent_iface(in, vr->sync_interface);
	if (!ifc)
		errlist_add_member(errs, vr->sync_ptr, "interface", -1, "unknown interface \"%s\"",
			   vr->sync_interface);
	check_peer(in, ifc, &vr->sync_peer, vr->sync_ptr, "peer", -1, errs);
}

void free_vrrp(struct intent *in)
{
	struct vrrp *vr = &in->vrrp;
	size_t i;

	for (i = 0; i < vr->n_groups; i++) {
		free(vr->groups[i].name);
		free(vr->groups[i].ptr);
		free(vr->groups[i].interface);
		free(vr->groups[i].vips);
		free(vr->groups[i].unicast_peers);
	}
	free(vr->groups);
	free(vr->ptr);
	free(vr->sync_ptr);
	free(vr->sync_interface);
	*vr = (struct vrrp){0};
}
