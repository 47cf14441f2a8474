/* SPDX-License-Identifier: MIT */
/* "routes": static routes. */
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "read.h"
#include "sections.h"

static const char *const route_keys[] = {"to", "via", "interface", "metric", NULL};

static int parse_route(struct jr *r, const struct json_t *v, void *ret)
{
	struct route *rt = ret;
	size_t errors = r->errs->n;
	int64_t metric;

	if (!jr_object(r, v, route_keys))
		return -1;
	read_member(r, v, "to", true, read_prefix, &rt->to);
	if (read_member(r, v, "via", false, read_addr, &rt->via) > 0)
		rt->has |= ROUTE_HAS_VIA;
	if (read_member(r, v, "interface", false, read_name, &rt->interface) > 0)
		rt->has |= ROUTE_HAS_INTERFACE;
	if (jr_int(r, v, "metric", false, 0, UINT32_MAX, &metric) > 0) {
		rt->metric = (uint32_t)metric;
		rt->has |= ROUTE_HAS_METRIC;
	}
	if (!(rt->has & (ROUTE_HAS_VIA | ROUTE_HAS_INTERFACE)))
		jr_error(r, "a route needs \"via\", \"interface\" or both");
	if (rt->has & ROUTE_HAS_VIA && jr_member(v, "to") && rt->to.addr.family &&
	    rt->via.family != rt->to.addr.family) {
		size_t m = jr_push_key(r, "via");

		jr_error(r, "gateway and destination are of different address families");
		jr_pop(r, m);
	} else if (rt->has & ROUTE_HAS_VIA &&
		   (addr_is_unspecified(&rt->via) || addr_is_multicast(&rt->via))) {
		size_t m = jr_push_key(r, "via");

		jr_error(r, "a gateway must be a unicast address");
		jr_pop(r, m);
	}
	rt->ptr = jr_ptr_dup(r);
	return r->errs->n == errors ? 1 : -1;
}

void parse_routes(struct jr *r, const struct json_t *v, struct intent *in)
{
	if (read_array_value(r, v, LIMIT_MANY, sizeof(struct route), parse_route, &in->routes->v,
			     &in->routes->n) >= 0)
		in->has |= INTENT_HAS_ROUTES;
}

/* Whether the gateway is on the network of an address of the interface (any interface when
 * name is NULL). */
static bool gateway_on_link(const struct intent *in, const char *name, const struct ip_addr *gw)
{
	size_t i, j;

	for (i = 0; i < in->n_ifaces; i++) {
		const struct iface *ifc = &in->ifaces[i];

		if (name && strcmp(ifc->name, name))
			continue;
		for (j = 0; j < ifc->n_addrs; j++)
			if (prefix_contains(&ifc->addrs[j], gw))
				return true;
	}
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *wg = &in->vpn.wireguard[i];

		if (name && strcmp(wg->name, name))
			continue;
		for (j = 0; j < wg->n_addrs; j++)
			if (prefix_contains(&wg->addrs[j], gw))
				return true;
	}
	return false;
}

/* The metric as the kernel keeps it: it stores an IPv6 metric of 0 as 1024. */
static uint32_t route_metric(const struct route *rt)
{
	return rt->to.addr.family == AF_INET6 && rt->metric == 0 ? 1024 : rt->metric;
}

static int route_key_cmp(const void *x, const void *y)
{
	const struct route *a = *(const struct route *const *)x, *b = *(const struct route *const *)y;
	int c = addr_cmp(&a->to.addr, &b->to.addr);

	if (c)
		return c;
	if (a->to.len != b->to.len)
		return a->to.len < b->to.len ? -1 : 1;
	if (route_metric(a) != route_metric(b))
		return route_metric(a) < route_metric(b) ? -1 : 1;
	return a < b ? -1 : a > b; /* document order */
}

/* Routes with the same identity (to, metric): each one after the first names the first.
 * Sorted, so that the largest intent costs n log n, not n². */
static void check_route_duplicates(const struct intent *in, struct errlist *errs)
{
	const struct route **v;
	size_t i, first = 0;

	if (in->routes->n < 2)
		return;
	v = calloc(in->routes->n, sizeof(*v));
	if (!v) {
		errs->oom = 1;
		return;
	}
	for (i = 0; i < in->routes->n; i++)
		v[i] = &in->routes->v[i];
	qsort(v, in->routes->n, sizeof(*v), route_key_cmp);
	for (i = 1; i < in->routes->n; i++) {
		if (addr_equal(&v[i]->to.addr, &v[first]->to.addr) &&
		    v[i]->to.len == v[first]->to.len && route_metric(v[i]) == route_metric(v[first]))
			errlist_add_at(errs, v[i]->ptr, "/to",
				       "duplicate route: same \"to\" and \"metric\" as %s%s",
				       v[first]->ptr,
				       v[i]->metric != v[first]->metric
					       ? " (the kernel stores an IPv6 metric of 0 as 1024)"
					       : "");
		else
			first = i;
	}
	free(v);
}

void check_routes(const struct intent *in, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < in->routes->n; i++) {
		const struct route *rt = &in->routes->v[i];
		const char *dev = rt->has & ROUTE_HAS_INTERFACE ? rt->interface : NULL;
		char buf[ADDR_STRLEN];

		if (dev && !intent_iface(in, dev) && !intent_wg(in, dev))
			errlist_add_at(errs, rt->ptr, "/interface", "unknown interface \"%s\"", dev);
		else if (!(rt->has & ROUTE_HAS_VIA))
			continue;
		else if (addr_is_ipv6_link_local(&rt->via) && !dev)
			errlist_add_at(errs, rt->ptr, "/via",
				       "a link-local gateway needs \"interface\"");
		else if (!addr_is_ipv6_link_local(&rt->via) && !gateway_on_link(in, dev, &rt->via))
			errlist_add_at(errs, rt->ptr, "/via", "gateway %s is not on the network of %s",
				       addr_format(&rt->via, buf),
				       dev ? "that interface" : "any interface");
	}
	check_route_duplicates(in, errs);
}

void free_routes(struct routes *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].interface);
		free(s->v[i].ptr);
	}
	free(s->v);
	free(s);
}
