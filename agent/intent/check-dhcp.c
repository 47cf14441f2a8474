/* SPDX-License-Identifier: MIT */
/* "dhcp", the cross-field rules: pools against their interface (addresses, networks, MTU),
 * the DNS section, and reservations unique across every pool. */
#include <stdlib.h>
#include <string.h>

#include "sections.h"

/* The first network of the interface that holds a (IPv6 link-local ones do not count). */
static const struct ip_prefix *iface_network(const struct iface *ifc, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < ifc->n_addrs; i++)
		if (!addr_is_ipv6_link_local(&ifc->addrs[i].addr) && prefix_contains(&ifc->addrs[i], a))
			return &ifc->addrs[i];
	return NULL;
}

static bool addr_in_range(const struct addr_range *rg, const struct ip_addr *a)
{
	return a->family == rg->start.family && addr_cmp(&rg->start, a) <= 0 &&
	       addr_cmp(a, &rg->end) <= 0;
}

/* Whether the interface has an address of the family (len != 0: of that prefix length). */
static bool iface_has(const struct iface *ifc, int family, unsigned len)
{
	size_t i;

	for (i = 0; i < ifc->n_addrs; i++)
		if (ifc->addrs[i].addr.family == family &&
		    !addr_is_ipv6_link_local(&ifc->addrs[i].addr) && (!len || ifc->addrs[i].len == len))
			return true;
	return false;
}

/* Whether a is a usable host address on a network of the interface; reports otherwise. */
static bool check_on_iface(struct errlist *errs, const struct iface *ifc,
			   const struct ip_addr *a, const char *ptr, const char *suffix)
{
	char buf[ADDR_STRLEN], nbuf[PREFIX_STRLEN];
	const struct ip_prefix *net = iface_network(ifc, a);
	struct ip_prefix host, n;

	if (!net) {
		errlist_add_at(errs, ptr, suffix, "%s is outside the networks of interface \"%s\"",
			       addr_format(a, buf), ifc->name);
		return false;
	}
	host = (struct ip_prefix){.addr = *a, .len = net->len};
	if (prefix_is_network_or_broadcast(&host)) {
		n = prefix_network(net);
		errlist_add_at(errs, ptr, suffix, "%s is the %s address of %s", addr_format(a, buf),
			       addr_equal(&n.addr, a) ? "network" : "broadcast",
			       prefix_format(&n, nbuf));
		return false;
	}
	return true;
}

/* The first address of the interface (its own or a VRRP virtual one) inside rg, or NULL. */
static const struct ip_addr *range_owned_addr(const struct intent *in, const struct iface *ifc,
					      const struct addr_range *rg)
{
	size_t i, j;

	for (i = 0; i < ifc->n_addrs; i++)
		if (addr_in_range(rg, &ifc->addrs[i].addr))
			return &ifc->addrs[i].addr;
	for (i = 0; i < in->vrrp.n_groups; i++) {
		const struct vrrp_group *g = &in->vrrp.groups[i];

		if (strcmp(g->interface, ifc->name))
			continue;
		for (j = 0; j < g->n_vips; j++)
			if (addr_in_range(rg, &g->vips[j].addr))
				return &g->vips[j].addr;
	}
	return NULL;
}

/* Ranges of one family: ends on the interface, in one of its networks, no overlaps. */
static void check_ranges(const struct intent *in, struct errlist *errs, const struct iface *ifc,
			 const struct addr_range *v, size_t n)
{
	const struct ip_addr *own;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN], d[ADDR_STRLEN];
	char nbuf[PREFIX_STRLEN];
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct addr_range *rg = &v[i];
		const struct ip_prefix *net = NULL;
		bool ok;

		ok = check_on_iface(errs, ifc, &rg->start, rg->ptr, "/start");
		ok = check_on_iface(errs, ifc, &rg->end, rg->ptr, "/end") && ok;
		if (!ok)
			continue;
		for (j = 0; j < ifc->n_addrs && !net; j++)
			if (prefix_contains(&ifc->addrs[j], &rg->start) &&
			    prefix_contains(&ifc->addrs[j], &rg->end))
				net = &ifc->addrs[j];
		addr_format(&rg->start, a);
		addr_format(&rg->end, b);
		if (!net) {
			errlist_add_at(errs, rg->ptr, "",
				       "range %s-%s spans two networks of interface \"%s\"", a, b,
				       ifc->name);
			continue;
		}
		if (net->addr.family == AF_INET6 && net->len < 64) {
			struct ip_prefix nn = prefix_network(net);

			errlist_add_at(errs, rg->ptr, "",
				       "range %s-%s is in %s: DHCPv6 ranges need a network "
				       "of /64 or longer",
				       a, b, prefix_format(&nn, nbuf));
		}
		own = range_owned_addr(in, ifc, rg);
		if (own)
			errlist_add_at(errs, rg->ptr, "",
				       "range %s-%s contains %s, an address of interface \"%s\"", a,
				       b, addr_format(own, c), ifc->name);
		for (j = 0; j < i; j++)
			if (addr_cmp(&rg->start, &v[j].end) <= 0 &&
			    addr_cmp(&v[j].start, &rg->end) <= 0) {
				errlist_add_at(errs, rg->ptr, "",
					       "range %s-%s overlaps range %s-%s (%s)", a, b,
					       addr_format(&v[j].start, c),
					       addr_format(&v[j].end, d), v[j].ptr);
				break;
			}
	}
}

/* A reservation's address: on the interface, and not the interface's own. */
static void check_host_addr(const struct intent *in, struct errlist *errs,
			    const struct iface *ifc, const struct dhcp_host *h,
			    const struct ip_addr *a)
{
	char buf[ADDR_STRLEN];

	if (!check_on_iface(errs, ifc, a, h->ptr, "/address"))
		return;
	if (intent_iface_owns_addr(in, ifc->name, a))
		errlist_add_at(errs, h->ptr, "/address", "%s is an address of interface \"%s\"",
			       addr_format(a, buf), ifc->name);
}

static void check_pool_v4(const struct intent *in, struct errlist *errs,
			  const struct iface *ifc, const struct dhcp_pool *pool)
{
	bool needed = pool->n_ranges || pool->has & DHCP_HAS_ROUTER || pool->n_static_routes;
	size_t i;

	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V4)
			needed = true;
	if (!needed)
		return;
	if (!iface_has(ifc, AF_INET, 0)) {
		errlist_add_at(errs, pool->ptr, "", "interface \"%s\" has no IPv4 address", ifc->name);
		return;
	}
	check_ranges(in, errs, ifc, pool->ranges, pool->n_ranges);
	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V4)
			check_host_addr(in, errs, ifc, &pool->hosts[i], &pool->hosts[i].v4);
	if (pool->has & DHCP_HAS_ROUTER && !intent_iface_owns_addr(in, ifc->name, &pool->router))
		check_on_iface(errs, ifc, &pool->router, pool->ptr, "/router");
	for (i = 0; i < pool->n_static_routes; i++)
		check_on_iface(errs, ifc, &pool->static_routes[i].via, pool->static_routes[i].ptr,
			       "/via");
}

static void check_pool_v6(const struct intent *in, struct errlist *errs,
			  const struct iface *ifc, const struct dhcp_pool *pool)
{
	bool stateful = pool->has & DHCP_HAS_IPV6 && pool->ipv6_mode == DHCP6_STATEFUL;
	char buf[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V6 && !stateful)
			errlist_add_at(errs, pool->hosts[i].ptr, "/address",
				       "IPv6 reservation %s needs "
				       "\"ipv6\": {\"mode\": \"stateful\"}",
				       addr_format(&pool->hosts[i].v6, buf));
	if (!(pool->has & DHCP_HAS_IPV6))
		return;
	if (!iface_has(ifc, AF_INET6, 0)) {
		errlist_add_at(errs, pool->ipv6_ptr, "",
			       "interface \"%s\" has no IPv6 address "
			       "(link-local ones do not count)",
			       ifc->name);
		return;
	}
	if (!stateful) {
		if (!iface_has(ifc, AF_INET6, 64))
			errlist_add_at(errs, pool->ipv6_ptr, "/mode",
				       "mode \"%s\" needs a /64 IPv6 address on interface "
				       "\"%s\" (SLAAC works on /64 networks only)",
				       dhcp6_mode_to_string(pool->ipv6_mode), ifc->name);
		return;
	}
	check_ranges(in, errs, ifc, pool->ipv6_ranges, pool->n_ipv6_ranges);
	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V6)
			check_host_addr(in, errs, ifc, &pool->hosts[i], &pool->hosts[i].v6);
}

static bool dns_listens_on(const struct dns *dns, const char *name)
{
	size_t i;

	for (i = 0; i < dns->n_listen; i++)
		if (!strcmp(dns->listen[i], name))
			return true;
	return false;
}

static void check_pool(const struct intent *in, struct errlist *errs,
		       const struct dhcp_pool *pool)
{
	const struct iface *ifc = intent_iface(in, pool->interface);

	if (!ifc) {
		if (intent_has_link(in, pool->interface))
			errlist_add_at(errs, pool->ptr, "",
				       "\"%s\" is a tunnel: DHCP serves interfaces only",
				       pool->interface);
		else
			errlist_add_at(errs, pool->ptr, "", "unknown interface \"%s\"", pool->interface);
		return;
	}
	check_pool_v4(in, errs, ifc, pool);
	check_pool_v6(in, errs, ifc, pool);
	if (pool->has & DHCP_HAS_MTU && ifc->has & IFACE_HAS_MTU && pool->mtu > ifc->mtu)
		errlist_add_at(errs, pool->ptr, "/mtu",
			       "mtu %u is larger than the mtu %u of interface \"%s\"", pool->mtu,
			       ifc->mtu, ifc->name);
	if (in->dns.has & DNS_HAS_LISTEN && !(pool->has & DHCP_HAS_DNS_SERVERS) &&
	    !dns_listens_on(&in->dns, pool->interface))
		errlist_add_at(errs, pool->ptr, "",
			       "clients would get this router as DNS server, but /dns/listen "
			       "does not include \"%s\": set \"dns_servers\" or listen on \"%s\"",
			       pool->interface, pool->interface);
}

/* Reservations of every pool, for the uniqueness rules. */
enum host_key { HOST_KEY_NAME, HOST_KEY_MAC, HOST_KEY_V4, HOST_KEY_V6 };

struct host_ref {
	const struct dhcp_pool *pool;
	const struct dhcp_host *host;
	size_t seq; /* document order */
};

static int host_key_cmp(const struct dhcp_host *a, const struct dhcp_host *b, enum host_key k)
{
	switch (k) {
	case HOST_KEY_NAME:
		return strcmp(a->name, b->name);
	case HOST_KEY_MAC:
		return memcmp(a->mac, b->mac, 6);
	case HOST_KEY_V4:
		return addr_cmp(&a->v4, &b->v4);
	case HOST_KEY_V6:
		return addr_cmp(&a->v6, &b->v6);
	}
	return 0;
}

static int host_ref_cmp(const void *x, const void *y, void *key)
{
	const struct host_ref *a = x, *b = y;
	int c = host_key_cmp(a->host, b->host, *(enum host_key *)key);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts refs by key and reports each reservation whose key an earlier one has. */
static void check_unique(struct errlist *errs, struct host_ref *refs, size_t n, enum host_key k)
{
	char buf[ADDR_STRLEN > MAC_STRLEN ? ADDR_STRLEN : MAC_STRLEN];
	size_t i, first = 0;

	qsort_r(refs, n, sizeof(*refs), host_ref_cmp, &k);
	for (i = 1; i < n; i++) {
		const struct dhcp_host *h = refs[i].host, *o = refs[first].host;

		if (host_key_cmp(h, o, k)) {
			first = i;
			continue;
		}
		switch (k) {
		case HOST_KEY_NAME:
			errlist_add_at(errs, h->ptr, "",
				       "host name \"%s\" is also used on interface \"%s\" (%s)",
				       h->name, refs[first].pool->interface, o->ptr);
			break;
		case HOST_KEY_MAC:
			errlist_add_at(errs, h->ptr, "/mac", "MAC %s is also reserved for \"%s\" (%s)",
				       mac_format(h->mac, buf), o->name, o->ptr);
			break;
		case HOST_KEY_V4:
		case HOST_KEY_V6:
			errlist_add_at(errs, h->ptr, "/address",
				       "%s is also reserved for \"%s\" (%s)",
				       addr_format(k == HOST_KEY_V4 ? &h->v4 : &h->v6, buf),
				       o->name, o->ptr);
			break;
		}
	}
}

static void check_hosts(const struct intent *in, struct errlist *errs)
{
	static const unsigned need[] = {
		[HOST_KEY_NAME] = 0,
		[HOST_KEY_MAC] = 0,
		[HOST_KEY_V4] = DHCP_HOST_HAS_V4,
		[HOST_KEY_V6] = DHCP_HOST_HAS_V6,
	};
	struct host_ref *refs;
	size_t total = 0, i, j, n;
	unsigned k;

	for (i = 0; i < in->n_dhcp; i++)
		total += in->dhcp[i].n_hosts;
	if (total < 2)
		return;
	refs = calloc(total, sizeof(*refs));
	if (!refs) {
		errs->oom = 1;
		return;
	}
	for (k = HOST_KEY_NAME; k <= HOST_KEY_V6; k++) {
		n = 0;
		for (i = 0; i < in->n_dhcp; i++)
			for (j = 0; j < in->dhcp[i].n_hosts; j++) {
				const struct dhcp_host *h = &in->dhcp[i].hosts[j];

				if ((h->has & need[k]) != need[k])
					continue;
				refs[n].pool = &in->dhcp[i];
				refs[n].host = h;
				refs[n].seq = n;
				n++;
			}
		check_unique(errs, refs, n, (enum host_key)k);
	}
	free(refs);
}

void check_dhcp(const struct intent *in, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < in->n_dhcp; i++)
		check_pool(in, errs, &in->dhcp[i]);
	check_hosts(in, errs);
}
