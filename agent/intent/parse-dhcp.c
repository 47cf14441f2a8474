/* SPDX-License-Identifier: MIT */
/* "dhcp": per interface, a DHCPv4 pool, reservations, and router advertisements / DHCPv6.
 * The structure and the destructor; check-dhcp.c has the cross-field rules. */
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "sections.h"

#define LEASE_MIN 120
#define LEASE_MAX 31536000 /* one year */
#define LEASE_DEFAULT 3600

static const char *const pool_keys[] = {
	"ranges", "lease_seconds", "router", "dns_servers", "domain", "ntp_servers",
	"mtu",	  "static_routes", "hosts",  "ipv6",	    NULL,
};
static const char *const range_keys[] = {"start", "end", NULL};
static const char *const static_route_keys[] = {"to", "via", NULL};
static const char *const host_keys[] = {"mac", "address", NULL};
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

/* One address of a reservation: at most one per family. */
static void parse_host_addr(struct jr *r, const struct json_t *v, struct dhcp_host *h)
{
	char buf[ADDR_STRLEN];
	struct ip_addr a;
	unsigned bit;

	if (read_unicast_addr(r, v, &a) < 0)
		return;
	bit = a.family == AF_INET ? DHCP_HOST_HAS_V4 : DHCP_HOST_HAS_V6;
	if (h->has & bit) {
		jr_error(r, "%s is a second %s address: a host has at most one of each family",
			 addr_format(&a, buf), addr_family_name(a.family));
		return;
	}
	h->has |= bit;
	if (a.family == AF_INET)
		h->v4 = a;
	else
		h->v6 = a;
}

static void parse_host(struct jr *r, const char *name, const struct json_t *v,
		       struct dhcp_host *h)
{
	const struct json_t *addr;
	size_t mark, i;

	h->name = strdup(name);
	h->ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, host_keys))
		return;
	read_member(r, v, "mac", true, read_mac, h->mac);
	if (!jr_require(r, v, "address"))
		return;
	addr = jr_member(v, "address");
	mark = jr_push_key(r, "address");
	if (jr_is_array(addr)) {
		if (jr_size(addr) == 0)
			jr_error(r, "must not be empty");
		else if (jr_size(addr) > 2)
			jr_error(r,
				 "%zu addresses: a host has at most one IPv4 and one IPv6 address",
				 jr_size(addr));
		else
			for (i = 0; i < jr_size(addr); i++) {
				size_t m = jr_push_index(r, i);

				parse_host_addr(r, jr_at(addr, i), h);
				jr_pop(r, m);
			}
	} else if (jr_is_string(addr)) {
		parse_host_addr(r, addr, h);
	} else {
		jr_error(r, "expected an address or an array of addresses, got %s",
			 jr_type_name(addr));
	}
	jr_pop(r, mark);
}

static void parse_hosts(struct jr *r, const struct json_t *v, struct dhcp_pool *pool)
{
	const struct json_t *val;
	const char *key;

	pool->has |= DHCP_HAS_HOSTS;
	if (!jr_map(r, v, LIMIT_MANY) || jr_size(v) == 0)
		return;
	pool->hosts = calloc(jr_size(v), sizeof(*pool->hosts));
	if (!pool->hosts) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_host(r, key, val, &pool->hosts[pool->n_hosts++]);
		jr_pop(r, mark);
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
				jr_error(r, "unknown mode \"%.32s\" (expected slaac, stateless or "
					    "stateful)",
					 mode);
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

		parse_hosts(r, hosts, pool);
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
	in->dhcp = calloc(jr_size(v), sizeof(*in->dhcp));
	if (!in->dhcp) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_pool(r, key, val, &in->dhcp[in->n_dhcp++]);
		jr_pop(r, mark);
	}
}

/* ---- memory ---- */

static void ranges_free(struct addr_range *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].ptr);
	free(v);
}

void free_dhcp(struct intent *in)
{
	size_t i, j;

	for (i = 0; i < in->n_dhcp; i++) {
		struct dhcp_pool *pool = &in->dhcp[i];

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
	free(in->dhcp);
}
