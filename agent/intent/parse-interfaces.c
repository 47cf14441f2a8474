/* SPDX-License-Identifier: MIT */
/* "interfaces": the router's links, found by MAC. */
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "sections.h"

static const char *const iface_keys[] = {
	"mac", "addresses", "mtu", "enabled", "management", NULL,
};

struct addr_index {
	const struct ip_addr *addr;
	size_t index;
};

static int addr_index_cmp(const void *x, const void *y)
{
	const struct addr_index *a = x, *b = y;
	int c = addr_cmp(a->addr, b->addr);

	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* One address twice on an interface (whatever the lengths): each repeat names the first. */
static void check_duplicate_addrs(struct jr *r, const struct iface *ifc)
{
	struct addr_index *v;
	size_t i, first = 0;

	if (ifc->n_addrs < 2)
		return;
	v = calloc(ifc->n_addrs, sizeof(*v));
	if (!v) {
		jr_error(r, "out of memory");
		return;
	}
	for (i = 0; i < ifc->n_addrs; i++)
		v[i] = (struct addr_index){.addr = &ifc->addrs[i].addr, .index = i};
	qsort(v, ifc->n_addrs, sizeof(*v), addr_index_cmp);
	for (i = 1; i < ifc->n_addrs; i++) {
		if (addr_equal(v[i].addr, v[first].addr))
			jr_error_member(r, "addresses", (long)v[i].index,
					"duplicate address (also at index %zu)", v[first].index);
		else
			first = i;
	}
	free(v);
}

/* An MTU below 1280 on a link with an IPv6 address: the kernel would drop the address. */
static void check_mtu_ipv6(struct jr *r, const struct iface *ifc)
{
	char buf[PREFIX_STRLEN];
	size_t i;

	if (ifc->mtu >= MTU_MIN_IPV6)
		return;
	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].addr.family == AF_INET6) {
			jr_error_member(r, "mtu", -1,
					"mtu %u is below %d, the minimum for IPv6 (address %s)",
					ifc->mtu, MTU_MIN_IPV6, prefix_format(&ifc->addrs[i], buf));
			return;
		}
}

static void parse_iface(struct jr *r, const char *name, const struct json_t *v,
			struct iface *ifc)
{
	int64_t mtu;
	ifc->name = strdup(name);
	ifc->ptr = jr_ptr_dup(r);
	ifc->enabled = true;
	if (!jr_object(r, v, iface_keys))
		return;
	read_member(r, v, "mac", true, read_mac, ifc->mac);
	if (read_array(r, v, "addresses", false, LIMIT_LIST, sizeof(struct ip_prefix),
		       read_iface_addr, &ifc->addrs, &ifc->n_addrs) > 0) {
		ifc->has |= IFACE_HAS_ADDRESSES;
		check_duplicate_addrs(r, ifc);
	}
	if (jr_int(r, v, "mtu", false, 68, 65535, &mtu) > 0) {
		ifc->mtu = (uint32_t)mtu;
		ifc->has |= IFACE_HAS_MTU;
		check_mtu_ipv6(r, ifc);
	}
	if (jr_bool(r, v, "enabled", false, &ifc->enabled) > 0)
		ifc->has |= IFACE_HAS_ENABLED;
	if (jr_bool(r, v, "management", false, &ifc->management) > 0)
		ifc->has |= IFACE_HAS_MANAGEMENT;
}

void parse_interfaces(struct jr *r, const struct json_t *v, struct intent *in)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	if (jr_size(v) == 0) {
		jr_error(r, "a router needs at least one interface");
		return;
	}
	in->ifaces = calloc(jr_size(v), sizeof(*in->ifaces));
	if (!in->ifaces) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_iface(r, key, val, &in->ifaces[in->n_ifaces++]);
		jr_pop(r, mark);
	}
}

/* One interface address, by its network, for the overlap sweep. */
struct net_entry {
	struct ip_prefix net;
	size_t iface;
	size_t addr;
};

static int net_entry_cmp(const void *x, const void *y)
{
	const struct net_entry *a = x, *b = y;
	int c = addr_cmp(&a->net.addr, &b->net.addr);

	if (c)
		return c;
	if (a->net.len != b->net.len)
		return a->net.len < b->net.len ? -1 : 1; /* the container first */
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void report_overlap(const struct intent *in, struct errlist *errs,
			   const struct net_entry *x, const struct net_entry *y)
{
	const struct net_entry *later = x->iface > y->iface ? x : y;
	const struct net_entry *other = later == x ? y : x;
	const struct iface *a = &in->ifaces[later->iface], *b = &in->ifaces[other->iface];
	char p[PREFIX_STRLEN], q[PREFIX_STRLEN];

	errlist_add_member(errs, a->ptr, "addresses", (long)later->addr,
			   "%s overlaps %s of interface \"%s\"",
			   prefix_format(&a->addrs[later->addr], p),
			   prefix_format(&b->addrs[other->addr], q), b->name);
}

/*
 * Networks of different interfaces must not overlap (link-local ones exist once per link).
 * Two prefixes overlap only when one contains the other: sorted by network address, container
 * first, a sweep keeps the stack of the prefixes that contain the current one (at most one
 * per length), so the check costs n log n.
 */
static void check_overlaps(const struct intent *in, struct errlist *errs)
{
	struct net_entry *v, *stack[129];
	size_t i, j, n = 0, depth = 0, total = 0;

	for (i = 0; i < in->n_ifaces; i++)
		total += in->ifaces[i].n_addrs;
	if (total < 2)
		return;
	v = calloc(total, sizeof(*v));
	if (!v) {
		errs->oom = 1;
		return;
	}
	for (i = 0; i < in->n_ifaces; i++)
		for (j = 0; j < in->ifaces[i].n_addrs; j++)
			if (!addr_is_link_local(&in->ifaces[i].addrs[j].addr))
				v[n++] = (struct net_entry){
					.net = prefix_network(&in->ifaces[i].addrs[j]),
					.iface = i,
					.addr = j,
				};
	qsort(v, n, sizeof(*v), net_entry_cmp);
	for (i = 0; i < n; i++) {
		while (depth && !prefix_contains(&stack[depth - 1]->net, &v[i].net.addr))
			depth--;
		for (j = 0; j < depth; j++)
			if (stack[j]->iface != v[i].iface)
				report_overlap(in, errs, stack[j], &v[i]);
		/* Equal networks of one interface stack once: the stack stays <= 129 deep. */
		if (!depth || stack[depth - 1]->net.len != v[i].net.len)
			stack[depth++] = &v[i];
	}
	free(v);
}

void check_interfaces(const struct intent *in, struct errlist *errs)
{
	size_t i, j;

	for (i = 0; i < in->n_ifaces; i++)
		for (j = 0; j < i; j++)
			if (!memcmp(in->ifaces[i].mac, in->ifaces[j].mac, 6)) {
				char mac[MAC_STRLEN];

				errlist_add_at(errs, in->ifaces[i].ptr, "/mac",
					       "MAC %s is also the MAC of interface \"%s\"",
					       mac_format(in->ifaces[i].mac, mac),
					       in->ifaces[j].name);
			}
	check_overlaps(in, errs);
}

void free_interfaces(struct intent *in)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++) {
		free(in->ifaces[i].name);
		free(in->ifaces[i].ptr);
		free(in->ifaces[i].addrs);
	}
	free(in->ifaces);
}
