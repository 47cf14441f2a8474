/* SPDX-License-Identifier: MIT */
/* "dhcp": per interface, a DHCPv4 pool and router advertisements / DHCPv6: the structure, the
 * cross-field rules (pools against their interface, its addresses, networks and MTU, and the
 * DNS section) and the destructor. parse-dhcp-hosts.c reads and checks the reservations. */
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "read.h"
#include "sections.h"
#include "lib/utf8.h"

#define LEASE_MIN 120
#define LEASE_MAX 31536000 /* one year */
#define LEASE_DEFAULT 3600

static const char *const pool_keys[] = {
	"ranges", "lease_seconds", "router", "dns_servers", "domain", "ntp_servers",
	"mtu",	  "static_routes", "hosts",  "ipv6",	    NULL,
};
static const char *const range_keys[] = {"start", "end", NULL};
static const char *const static_route_keys[] = {"to", "via", NULL};
static const char *const ipv6_keys[] = {"mode", "ranges", NULL};

static int read_unicast_of(struct jr *r, const struct json_t *v, int family, struct ip_addr *ret)
{
	char buf[ADDR_STRLEN];
	struct ip_addr a;

	if (read_unicast_addr(r, v, &a) < 0)
		return -1;
	if (a.family != family) {
		jr_error(r, "%s is not an %s address", addr_format(&a, buf), addr_family_name(family));
		return -1;
	}
	*ret = a;
	return 1;
}

static int read_unicast4(struct jr *r, const struct json_t *v, void *ret)
{
	return read_unicast_of(r, v, AF_INET, ret);
}

static int read_unicast6(struct jr *r, const struct json_t *v, void *ret)
{
	return read_unicast_of(r, v, AF_INET6, ret);
}

static int parse_range(struct jr *r, const struct json_t *v, read_fn fn, struct addr_range *rg)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	bool ok;

	*rg = (struct addr_range){0};
	if (!jr_object(r, v, range_keys))
		return -1;
	ok = read_member(r, v, "start", true, fn, &rg->start) > 0;
	ok = read_member(r, v, "end", true, fn, &rg->end) > 0 && ok;
	if (!ok)
		return -1;
	if (addr_cmp(&rg->start, &rg->end) > 0) {
		jr_error(r, "range %s-%s is reversed", addr_format(&rg->start, a),
			 addr_format(&rg->end, b));
		return -1;
	}
	rg->ptr = jr_ptr_dup(r);
	return 1;
}

static int parse_range4(struct jr *r, const struct json_t *v, void *ret)
{
	return parse_range(r, v, read_unicast4, ret);
}

static int parse_range6(struct jr *r, const struct json_t *v, void *ret)
{
	return parse_range(r, v, read_unicast6, ret);
}

/* Member `key` of obj: an array of at most LIMIT_SMALL distinct unicast addresses. */
static int read_addr_list(struct jr *r, const struct json_t *obj, const char *key,
			  struct ip_addr **ret, size_t *ret_n)
{
	int res = read_array(r, obj, key, false, LIMIT_SMALL, sizeof(struct ip_addr),
			     read_unicast_addr, ret, ret_n);
	size_t i, j;

	if (res <= 0)
		return res;
	for (i = 1; i < *ret_n; i++)
		for (j = 0; j < i; j++)
			if (addr_equal(&(*ret)[i], &(*ret)[j])) {
				jr_error_member(r, key, (long)i,
						"duplicate address (also at index %zu)", j);
				break;
			}
	return 1;
}

static int parse_static_route(struct jr *r, const struct json_t *v, void *ret)
{
	struct dhcp_static_route *rt = ret;
	char buf[PREFIX_STRLEN];
	bool ok;

	*rt = (struct dhcp_static_route){0};
	if (!jr_object(r, v, static_route_keys))
		return -1;
	ok = read_member(r, v, "to", true, read_prefix, &rt->to) > 0;
	if (ok && rt->to.addr.family != AF_INET) {
		jr_error_member(r, "to", -1,
				"%s is not an IPv4 prefix (DHCP option 121 carries IPv4 routes)",
				prefix_format(&rt->to, buf));
		ok = false;
	}
	ok = read_member(r, v, "via", true, read_unicast4, &rt->via) > 0 && ok;
	if (!ok)
		return -1;
	rt->ptr = jr_ptr_dup(r);
	return 1;
}

static void parse_static_routes(struct jr *r, const struct json_t *v, struct dhcp_pool *pool)
{
	char buf[PREFIX_STRLEN];
	size_t i, j;
	int res;

	res = read_array(r, v, "static_routes", false, LIMIT_SMALL,
			 sizeof(struct dhcp_static_route), parse_static_route, &pool->static_routes,
			 &pool->n_static_routes);
	if (res == 0)
		return;
	pool->has |= DHCP_HAS_STATIC_ROUTES;
	if (res < 0)
		return;
	for (i = 1; i < pool->n_static_routes; i++)
		for (j = 0; j < i; j++) {
			const struct ip_prefix *a = &pool->static_routes[i].to;
			const struct ip_prefix *b = &pool->static_routes[j].to;

			if (a->len == b->len && addr_equal(&a->addr, &b->addr)) {
				size_t m = jr_push_key(r, "static_routes");

				jr_push_index(r, i);
				jr_push_key(r, "to");
				jr_error(r, "duplicate route to %s (also at index %zu)",
					 prefix_format(a, buf), j);
				jr_pop(r, m);
				break;
			}
		}
}

static void parse_ipv6(struct jr *r, const struct json_t *v, struct dhcp_pool *pool)
{
	const struct json_t *ranges;
	const char *mode = NULL;
	int m = -1;

	pool->ipv6_ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, ipv6_keys))
		return;
	if (jr_require(r, v, "mode")) {
		size_t mark = jr_push_key(r, "mode");

		if (jr_string_ref(r, jr_member(v, "mode"), &mode) > 0) {
			m = dhcp6_mode_from_string(mode);
			if (m < 0)
				jr_error(r,
					 "unknown mode \"%.*s\" (expected slaac, stateless or "
					 "stateful)",
					 UTF8_CUT(mode, 32));
		}
		jr_pop(r, mark);
	}
	if (m >= 0) {
		pool->ipv6_mode = (enum dhcp6_mode)m;
		pool->has |= DHCP_HAS_IPV6;
	}
	ranges = jr_member(v, "ranges");
	if (m >= 0 && m != DHCP6_STATEFUL) {
		if (ranges)
			jr_error_member(r, "ranges", -1,
					"\"ranges\" is only for mode \"stateful\" (mode "
					"\"%s\" hands out no addresses)",
					mode);
		return;
	}
	if (!ranges) {
		if (m == DHCP6_STATEFUL)
			jr_error(r, "mode \"stateful\" needs \"ranges\"");
		return;
	}
	if (read_array(r, v, "ranges", false, LIMIT_LIST, sizeof(struct addr_range), parse_range6,
		       &pool->ipv6_ranges, &pool->n_ipv6_ranges) > 0 &&
	    pool->n_ipv6_ranges == 0)
		jr_error_member(r, "ranges", -1, "must not be empty");
}

/* Whether a member is absent or an empty array or object (not: of another type). */
static bool member_is_empty(const struct json_t *m)
{
	return !m || ((jr_is_array(m) || jr_is_object(m)) && jr_size(m) == 0);
}

static void parse_pool(struct jr *r, const char *name, const struct json_t *v,
		       struct dhcp_pool *pool)
{
	const struct json_t *ranges, *hosts, *ipv6;
	int64_t i;

	pool->interface = strdup(name);
	pool->ptr = jr_ptr_dup(r);
	pool->lease_seconds = LEASE_DEFAULT;
	if (!jr_object(r, v, pool_keys))
		return;
	if (read_array(r, v, "ranges", false, LIMIT_LIST, sizeof(struct addr_range), parse_range4,
		       &pool->ranges, &pool->n_ranges) != 0)
		pool->has |= DHCP_HAS_RANGES;
	if (jr_int(r, v, "lease_seconds", false, LEASE_MIN, LEASE_MAX, &i) > 0) {
		pool->lease_seconds = (uint32_t)i;
		pool->has |= DHCP_HAS_LEASE;
	}
	if (read_member(r, v, "router", false, read_unicast4, &pool->router) > 0)
		pool->has |= DHCP_HAS_ROUTER;
	if (read_addr_list(r, v, "dns_servers", &pool->dns_servers, &pool->n_dns_servers) != 0)
		pool->has |= DHCP_HAS_DNS_SERVERS;
	if (read_member(r, v, "domain", false, read_dns_name, &pool->domain) > 0)
		pool->has |= DHCP_HAS_DOMAIN;
	if (read_addr_list(r, v, "ntp_servers", &pool->ntp_servers, &pool->n_ntp_servers) != 0)
		pool->has |= DHCP_HAS_NTP_SERVERS;
	if (jr_int(r, v, "mtu", false, 68, 65535, &i) > 0) {
		pool->mtu = (uint32_t)i;
		pool->has |= DHCP_HAS_MTU;
	}
	parse_static_routes(r, v, pool);
	hosts = jr_member(v, "hosts");
	if (hosts) {
		size_t mark = jr_push_key(r, "hosts");

		parse_dhcp_hosts(r, hosts, pool);
		jr_pop(r, mark);
	}
	ipv6 = jr_member(v, "ipv6");
	if (ipv6) {
		size_t mark = jr_push_key(r, "ipv6");

		parse_ipv6(r, ipv6, pool);
		jr_pop(r, mark);
	}
	ranges = jr_member(v, "ranges");
	if (member_is_empty(ranges) && member_is_empty(hosts) && !ipv6)
		jr_error(r, "the pool serves nothing: it needs \"ranges\", \"hosts\" or \"ipv6\"");
}

void parse_dhcp(struct jr *r, const struct json_t *v, struct intent *in)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST) || jr_size(v) == 0)
		return;
	in->dhcp->v = calloc(jr_size(v), sizeof(*in->dhcp->v));
	if (!in->dhcp->v) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_pool(r, key, val, &in->dhcp->v[in->dhcp->n++]);
		jr_pop(r, mark);
	}
}

/* ---- cross-field rules ---- */

/* The first network of the interface that holds a (IPv6 link-local ones do not count). */
static const struct ip_prefix *iface_network(const struct iface *ifc, const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < ifc->n_addrs; i++)
		if (!addr_is_ipv6_link_local(&ifc->addrs[i].addr) &&
		    prefix_contains(&ifc->addrs[i], a))
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
		    !addr_is_ipv6_link_local(&ifc->addrs[i].addr) &&
		    (!len || ifc->addrs[i].len == len))
			return true;
	return false;
}

/* Whether a is a usable host address on a network of the interface; reports otherwise. */
static bool check_on_iface(struct errlist *errs, const struct iface *ifc, const struct ip_addr *a,
			   const char *ptr, const char *suffix)
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
static void check_host_addr(const struct intent *in, struct errlist *errs, const struct iface *ifc,
			    const struct dhcp_host *h, const struct ip_addr *a)
{
	char buf[ADDR_STRLEN];

	if (!check_on_iface(errs, ifc, a, h->ptr, "/address"))
		return;
	if (intent_iface_owns_addr(in, ifc->name, a))
		errlist_add_at(errs, h->ptr, "/address", "%s is an address of interface \"%s\"",
			       addr_format(a, buf), ifc->name);
}

static void check_pool_v4(const struct intent *in, struct errlist *errs, const struct iface *ifc,
			  const struct dhcp_pool *pool)
{
	bool needed = pool->n_ranges || pool->has & DHCP_HAS_ROUTER || pool->n_static_routes;
	size_t i;

	for (i = 0; i < pool->n_hosts; i++)
		if (pool->hosts[i].has & DHCP_HOST_HAS_V4)
			needed = true;
	if (!needed)
		return;
	if (!iface_has(ifc, AF_INET, 0)) {
		errlist_add_at(errs, pool->ptr, "", "interface \"%s\" has no IPv4 address",
			       ifc->name);
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

static void check_pool_v6(const struct intent *in, struct errlist *errs, const struct iface *ifc,
			  const struct dhcp_pool *pool)
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

static void check_pool(const struct intent *in, struct errlist *errs, const struct dhcp_pool *pool)
{
	const struct iface *ifc = intent_iface(in, pool->interface);

	if (!ifc) {
		if (intent_has_link(in, pool->interface))
			errlist_add_at(errs, pool->ptr, "",
				       "\"%s\" is a tunnel: DHCP serves interfaces only",
				       pool->interface);
		else
			errlist_add_at(errs, pool->ptr, "", "unknown interface \"%s\"",
				       pool->interface);
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

void check_dhcp(const struct intent *in, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < in->dhcp->n; i++)
		check_pool(in, errs, &in->dhcp->v[i]);
	check_dhcp_hosts(in, errs);
}

/* ---- memory ---- */

static void ranges_free(struct addr_range *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].ptr);
	free(v);
}

void free_dhcp(struct dhcp *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		struct dhcp_pool *pool = &s->v[i];

		free(pool->interface);
		free(pool->ptr);
		ranges_free(pool->ranges, pool->n_ranges);
		free(pool->dns_servers);
		free(pool->domain);
		free(pool->ntp_servers);
		for (j = 0; j < pool->n_static_routes; j++)
			free(pool->static_routes[j].ptr);
		free(pool->static_routes);
		for (j = 0; j < pool->n_hosts; j++) {
			free(pool->hosts[j].name);
			free(pool->hosts[j].ptr);
		}
		free(pool->hosts);
		free(pool->ipv6_ptr);
		ranges_free(pool->ipv6_ranges, pool->n_ipv6_ranges);
	}
	free(s->v);
	free(s);
}
