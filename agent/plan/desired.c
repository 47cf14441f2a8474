/* SPDX-License-Identifier: MIT */
/* The intent's desired objects: hostname, links, addresses, routes, files (and, through
 * desired-fw.c, the firewall and NAT). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "desired.h"

/* The kernel stores an IPv6 route of metric 0 with its default user metric. */
#define IP6_METRIC_DEFAULT 1024

/* Finishes o and adds it to set; the set keeps the only reference. Two intent elements that
 * make the same object are an error at the later one. */
static int desired_add(struct objset *set, struct object *o, struct errlist *errs)
{
	const struct object *twin;
	int r;

	if (!o)
		return -ENOMEM;
	r = object_finish(o);
	if (r >= 0)
		r = objset_add(set, o);
	if (r == -EEXIST) {
		const char *at = o->ptr ? o->ptr : "";

		twin = objset_get(set, o->kind, o->key);
		if (o->kind == OBJ_ROUTE && o->route.to.addr.family == AF_INET6)
			errlist_add(errs, at, "same route as %s (the kernel stores %s)", twin->ptr,
				    "an IPv6 metric of 0 as 1024");
		else
			errlist_add(errs, at, "same %s as %s", object_kind_to_string(o->kind),
				    twin->ptr);
		r = 0;
	}
	object_unref(o);
	return r;
}

static struct object *new_at(enum object_kind kind, const char *ptr)
{
	struct object *o = object_new(kind);

	if (o && object_set_ptr(o, ptr) < 0)
		return object_unref(o);
	return o;
}

static struct object *new_link(const char *name, const char *ptr, bool has_mtu, uint32_t mtu,
			       bool up)
{
	struct object *o = new_at(OBJ_LINK, ptr);

	if (!o)
		return NULL;
	snprintf(o->link.name, OBJ_NAME_SIZE, "%s", name);
	if (has_mtu) {
		o->link.has |= OBJ_LINK_HAS_MTU;
		o->link.mtu = mtu;
	}
	o->link.up = up;
	return o;
}

static int desired_addresses(struct objset *set, const char *ifname, const char *ptr,
			     const struct ip_prefix *addrs, size_t n, unsigned flags,
			     struct errlist *errs)
{
	struct strbuf p = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < n && r >= 0; i++) {
		struct object *o;

		strbuf_printf(&p, "%s/addresses/%zu", ptr, i);
		o = new_at(OBJ_ADDRESS, strbuf_str(&p));
		strbuf_truncate(&p, 0);
		if (o) {
			snprintf(o->address.ifname, OBJ_NAME_SIZE, "%s", ifname);
			o->address.addr = addrs[i];
			o->flags |= flags;
		}
		r = desired_add(set, o, errs);
	}
	strbuf_done(&p);
	return r;
}

static int desired_links(const struct intent *in, struct objset *set, struct errlist *errs)
{
	size_t i;
	int r = 0;

	for (i = 0; i < in->n_ifaces && r >= 0; i++) {
		const struct iface *ifc = &in->ifaces[i];
		struct object *o = new_link(ifc->name, ifc->ptr, ifc->has & IFACE_HAS_MTU, ifc->mtu,
					    ifc->enabled);

		if (o) {
			o->link.has |= OBJ_LINK_HAS_MAC;
			memcpy(o->link.mac, ifc->mac, 6);
			if (ifc->management)
				o->flags |= OBJ_MANAGEMENT;
		}
		r = desired_add(set, o, errs);
	}
	for (i = 0; i < in->vpn.n_wireguard && r >= 0; i++) {
		const struct wg_tunnel *wg = &in->vpn.wireguard[i];
		struct object *o = new_link(wg->name, wg->ptr, wg->has & WG_HAS_MTU, wg->mtu, true);

		if (o)
			o->flags |= OBJ_TUNNEL;
		r = desired_add(set, o, errs);
	}
	return r;
}

static int desired_all_addresses(const struct intent *in, struct objset *set,
				 struct errlist *errs)
{
	size_t i;
	int r = 0;

	for (i = 0; i < in->n_ifaces && r >= 0; i++) {
		const struct iface *ifc = &in->ifaces[i];

		r = desired_addresses(set, ifc->name, ifc->ptr, ifc->addrs, ifc->n_addrs,
				      ifc->management ? OBJ_MANAGEMENT : 0, errs);
	}
	for (i = 0; i < in->vpn.n_wireguard && r >= 0; i++) {
		const struct wg_tunnel *wg = &in->vpn.wireguard[i];

		r = desired_addresses(set, wg->name, wg->ptr, wg->addrs, wg->n_addrs, 0, errs);
	}
	return r;
}

static int desired_routes(const struct intent *in, struct objset *set, struct errlist *errs)
{
	size_t i;
	int r = 0;

	for (i = 0; i < in->routes->n && r >= 0; i++) {
		const struct route *rt = &in->routes->v[i];
		struct object *o = new_at(OBJ_ROUTE, rt->ptr);

		if (o) {
			o->route.to = rt->to;
			o->route.metric = rt->metric;
			if (rt->to.addr.family == AF_INET6 && rt->metric == 0)
				o->route.metric = IP6_METRIC_DEFAULT;
			if (rt->has & ROUTE_HAS_VIA) {
				o->route.has |= OBJ_ROUTE_HAS_VIA;
				o->route.via = rt->via;
			}
			if (rt->has & ROUTE_HAS_INTERFACE) {
				o->route.has |= OBJ_ROUTE_HAS_DEV;
				snprintf(o->route.dev, OBJ_NAME_SIZE, "%s", rt->interface);
			}
		}
		r = desired_add(set, o, errs);
	}
	return r;
}

/* Whether the intent's own routes have a route to p (the operator's route wins). */
static bool routes_have(const struct intent *in, const struct ip_prefix *p)
{
	size_t i;

	for (i = 0; i < in->routes->n; i++)
		if (in->routes->v[i].to.len == p->len &&
		    addr_equal(&in->routes->v[i].to.addr, &p->addr))
			return true;
	return false;
}

/* A route through the tunnel to each peer's allowed IPs, as wg-quick makes them; none for a
 * /0, which would take the router's own default route (and the tunnel's packets to its
 * endpoints with it): a default route through a tunnel is the operator's to write. */
static int desired_tunnel_routes(const struct intent *in, struct objset *set,
				 struct errlist *errs)
{
	struct strbuf p = {0};
	size_t i, j, k;
	int r = 0;

	for (i = 0; i < in->vpn.n_wireguard && r >= 0; i++) {
		const struct wg_tunnel *wg = &in->vpn.wireguard[i];

		for (j = 0; j < wg->n_peers && r >= 0; j++) {
			const struct wg_peer *peer = &wg->peers[j];

			for (k = 0; k < peer->n_allowed_ips && r >= 0; k++) {
				struct ip_prefix to = prefix_network(&peer->allowed_ips[k]);
				struct object *o;

				if (!to.len || routes_have(in, &to))
					continue;
				strbuf_printf(&p, "%s/allowed_ips/%zu", peer->ptr, k);
				o = new_at(OBJ_ROUTE, strbuf_str(&p));
				strbuf_truncate(&p, 0);
				if (o) {
					o->route.to = to;
					if (to.addr.family == AF_INET6)
						o->route.metric = IP6_METRIC_DEFAULT;
					o->route.has |= OBJ_ROUTE_HAS_DEV;
					snprintf(o->route.dev, OBJ_NAME_SIZE, "%s", wg->name);
				}
				r = desired_add(set, o, errs);
			}
		}
	}
	strbuf_done(&p);
	return r;
}

static int desired_hostname(const struct intent *in, struct objset *set, struct errlist *errs)
{
	struct object *o;

	if (!(in->has & INTENT_HAS_HOSTNAME))
		return 0;
	o = new_at(OBJ_HOSTNAME, "/hostname");
	if (o && !(o->hostname = strdup(in->hostname)))
		o = object_unref(o);
	return desired_add(set, o, errs);
}

static int desired_files(const struct rendered *files, struct objset *set, struct errlist *errs)
{
	size_t i;
	int r = 0;

	for (i = 0; i < files->n && r >= 0; i++) {
		const struct rendered_file *f = &files->files[i];
		struct object *o = new_at(OBJ_FILE, f->ptr);

		if (o) {
			o->key = strdup(f->path);
			o->file.size = strlen(f->content);
			o->file.content = strdup(f->content);
			o->file.mode = f->mode;
			o->file.service = f->service ? strdup(f->service) : NULL;
			o->file.change = f->change;
			if (!o->key || !o->file.content || (f->service && !o->file.service))
				o = object_unref(o);
		}
		r = desired_add(set, o, errs);
	}
	return r;
}

int desired_build(const struct intent *in, const struct rendered *files,
		  struct plan_cache *cache, struct objset *ret, struct errlist *errs)
{
	struct objset set = {0};
	size_t before = errs->n;
	int r;

	r = desired_hostname(in, &set, errs);
	if (r >= 0)
		r = desired_links(in, &set, errs);
	if (r >= 0)
		r = desired_all_addresses(in, &set, errs);
	if (r >= 0)
		r = desired_routes(in, &set, errs);
	if (r >= 0)
		r = desired_tunnel_routes(in, &set, errs);
	if (r >= 0)
		r = plan_cache_firewall(cache, in, &set);
	if (r >= 0)
		r = desired_nat(in, &set);
	if (r >= 0)
		r = desired_files(files, &set, errs);
	if (r >= 0 && (errs->n != before || errs->oom))
		r = -EINVAL;
	if (r < 0) {
		objset_done(&set);
		return r;
	}
	*ret = set;
	return 0;
}
