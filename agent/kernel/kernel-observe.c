/* SPDX-License-Identifier: MIT */
/*
 * Observing the kernel: the hostname, then one dump each of links, addresses and routes of
 * the main table (both families), turned into the objects of an observed state.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kernel-internal.h"
#include "kernel.h"
#include "lib/cleanup.h"

#define DUMP_TRIES 5 /* dumps interrupted by concurrent changes are read again */

/* A link of the observed state: its index and its name. */
struct link_name {
	int ifindex;
	char name[OBJ_NAME_SIZE];
};

struct observing {
	struct observed obs;
	struct link_name *links; /* sorted by ifindex once the links are read */
	size_t n_links;
};

static int link_name_cmp(const void *a, const void *b)
{
	const struct link_name *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static const char *link_name(const struct observing *w, int ifindex)
{
	struct link_name key = {.ifindex = ifindex};
	const struct link_name *l;

	if (ifindex <= 0 || !w->n_links)
		return NULL;
	l = bsearch(&key, w->links, w->n_links, sizeof(key), link_name_cmp);
	return l ? l->name : NULL;
}

/* Adds a finished object to set; a second object with the same key (two foreign routes to one
 * destination with one metric on two links, say) is left out: the first one stands for the
 * key, as the first one is what the kernel replaces. */
static int add_object(struct objset *set, struct object *o, const char *owner)
{
	int r = object_set_owner(o, owner);

	if (r >= 0)
		r = object_finish(o);
	if (r >= 0)
		r = objset_add(set, o);
	object_unref(o);
	return r == -EEXIST ? 0 : r;
}

static int observe_hostname(struct observed *obs)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	obs->hostname = object_new(OBJ_HOSTNAME);
	if (!obs->hostname || !(obs->hostname->hostname = strdup(u.nodename)))
		return -ENOMEM;
	return object_finish(obs->hostname);
}

/* NICs (a 6-byte MAC, not the loopback) and WireGuard tunnels (the module's, or wireguard-go's
 * TUN in the agent's group); nothing else. */
static int on_link(const struct nlmsghdr *nlh, void *data)
{
	struct observing *w = data;
	const char *owner = NULL;
	struct link_name *v;
	struct netlink_msg_link l;
	struct object *o;
	int r;

	if (netlink_msg_link_parse(nlh, &l) < 0)
		return -EPROTO;
	if (!strcmp(l.kind, "wireguard")) {
		l.link.has &= ~OBJ_LINK_HAS_MAC;
		owner = l.group == NETLINK_MSG_GROUP_SELF ? NULL : "foreign";
	} else if (!strcmp(l.kind, "tun") && l.group == NETLINK_MSG_GROUP_SELF) {
		/* wireguard-go's link, made the agent's (kernel-link.c); another TUN is not ours */
		l.link.has &= ~OBJ_LINK_HAS_MAC;
	} else if (!(l.link.has & OBJ_LINK_HAS_MAC) || l.type == ARPHRD_LOOPBACK) {
		return 0;
	}
	o = object_new(OBJ_LINK);
	if (!o)
		return -ENOMEM;
	o->link = l.link;
	if (!(l.link.has & OBJ_LINK_HAS_MAC))
		o->flags |= OBJ_TUNNEL;
	r = object_set_owner(o, owner);
	if (r >= 0)
		r = object_finish(o);
	if (r >= 0)
		r = observed_add_link(&w->obs, o);
	object_unref(o);
	if (r < 0)
		return r;
	v = realloc(w->links, (w->n_links + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	w->links = v;
	v[w->n_links].ifindex = l.ifindex;
	memcpy(v[w->n_links].name, l.link.name, OBJ_NAME_SIZE);
	w->n_links++;
	return 0;
}

static bool is_ipv6_link_local(const struct ip_prefix *p)
{
	return addr_is_ipv6_link_local(&p->addr);
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	struct observing *w = data;
	char buf[NETLINK_MSG_PROTO_STRLEN];
	struct netlink_msg_addr a;
	struct object *o;
	const char *name;

	if (netlink_msg_addr_parse(nlh, &a) < 0)
		return -EPROTO;
	name = link_name(w, a.ifindex);
	if (!name || (is_ipv6_link_local(&a.addr) && a.proto == IFAPROT_KERNEL_LL))
		return 0;
	o = object_new(OBJ_ADDRESS);
	if (!o)
		return -ENOMEM;
	memcpy(o->address.ifname, name, OBJ_NAME_SIZE);
	o->address.addr = a.addr;
	return add_object(&w->obs.addrs, o, netlink_msg_addr_proto_to_string(a.proto, buf));
}

/* The owner of a route: the agent's only if it carries the mark and says nothing more than
 * an obj_route can (a multipath route marked 86 by someone else is foreign: "86"). */
static const char *route_owner(const struct netlink_msg_route *r,
			       char buf[NETLINK_MSG_PROTO_STRLEN])
{
	if (r->proto == NETLINK_MSG_PROTO_SELF && r->opaque) {
		snprintf(buf, NETLINK_MSG_PROTO_STRLEN, "%u", r->proto);
		return buf;
	}
	return netlink_msg_route_proto_to_string(r->proto, buf);
}

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	struct observing *w = data;
	char buf[NETLINK_MSG_PROTO_STRLEN];
	const char *dev = NULL;
	struct netlink_msg_route r;
	struct object *o;

	if (netlink_msg_route_parse(nlh, &r) < 0)
		return -EPROTO;
	if (r.table != RT_TABLE_MAIN || r.flags & RTM_F_CLONED)
		return 0;
	if (is_ipv6_link_local(&r.route.to) && r.proto == RTPROT_KERNEL)
		return 0;
	/* A unicast route on a link left out is left out too; other types have no device
	 * (IPv6 shows its blackholes on the loopback). */
	if (r.type == RTN_UNICAST && r.oif > 0 && !(dev = link_name(w, r.oif)))
		return 0;
	o = object_new(OBJ_ROUTE);
	if (!o)
		return -ENOMEM;
	o->route = r.route;
	if (dev) {
		o->route.has |= OBJ_ROUTE_HAS_DEV;
		memcpy(o->route.dev, dev, OBJ_NAME_SIZE);
	}
	return add_object(&w->obs.routes, o, route_owner(&r, buf));
}

static void observing_done(struct observing *w)
{
	observed_done(&w->obs);
	free(w->links);
	*w = (struct observing){0};
}

/* One dump; what: "links" for the error message. */
static int dump(struct kernel *k, struct nlmsghdr *req, netlink_sock_fn fn, struct observing *w,
		const char *what, struct errlist *errs)
{
	int r = netlink_sock_talk(k->sock, req, fn, w);

	if (r < 0 && r != -EINTR)
		errlist_add(errs, "", "cannot read the %s: %s", what,
			    r == -EPROTO ? "malformed message from the kernel"
					 : netlink_sock_error(k->sock, r));
	return r;
}

static int observe_once(struct kernel *k, struct observing *w, struct errlist *errs)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	int r;

	r = observe_hostname(&w->obs);
	if (r < 0) {
		errlist_add(errs, "", "cannot read the hostname: %s", strerror(-r));
		return r;
	}
	r = dump(k, netlink_msg_link_dump(buf), on_link, w, "links", errs);
	if (r < 0)
		return r;
	if (w->n_links) /* qsort's array may not be NULL, even empty */
		qsort(w->links, w->n_links, sizeof(*w->links), link_name_cmp);
	r = dump(k, netlink_msg_addr_dump(buf, AF_UNSPEC, 0), on_addr, w, "addresses", errs);
	if (r >= 0)
		r = dump(k, netlink_msg_route_dump(buf, AF_UNSPEC, RT_TABLE_MAIN, 0, 0), on_route,
			 w, "routes", errs);
	return r;
}

/* Puts the parts of the kernel backend (hostname, links, addresses, routes) into obs, in
 * place of what they held; the parts of other backends stay. */
static void take_parts(struct observed *obs, struct observing *w)
{
	observed_drop_net(obs);
	obs->hostname = w->obs.hostname;
	obs->links = w->obs.links;
	obs->n_links = w->obs.n_links;
	obs->cap_links = w->obs.cap_links;
	obs->addrs = w->obs.addrs;
	obs->routes = w->obs.routes;
	free(w->links);
	*w = (struct observing){0};
}

int kernel_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	struct kernel *k = (struct kernel *)b;
	struct observing w = {0};
	struct strbuf err = {0};
	int r, tries;

	r = kernel_sock(k, &err);
	if (r < 0) {
		errlist_add(errs, "", "%s", strbuf_str(&err));
		strbuf_done(&err);
		return r;
	}
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		r = observe_once(k, &w, errs);
		if (r != -EINTR)
			break;
		observing_done(&w);
	}
	if (r == -EINTR)
		errlist_add(errs, "", "the links, addresses and routes kept changing while read");
	if (r < 0) {
		observing_done(&w);
		return r;
	}
	take_parts(obs, &w);
	return 0;
}

/* ---- counters for status ---- */

static int on_link_counters(const struct nlmsghdr *nlh, void *data)
{
	struct counterlist *list = data;
	struct counter *c;
	struct netlink_msg_link l;

	if (netlink_msg_link_parse(nlh, &l) < 0)
		return -EPROTO;
	if (l.type == ARPHRD_LOOPBACK || !l.has_stats)
		return 0;
	c = counterlist_push(list, OBJ_LINK, l.link.name, strlen(l.link.name));
	if (!c)
		return -ENOMEM;
	c->rx = (struct counts){l.rx_packets, l.rx_bytes, l.rx_errors, l.rx_dropped};
	c->tx = (struct counts){l.tx_packets, l.tx_bytes, l.tx_errors, l.tx_dropped};
	return 0;
}

int kernel_counters(struct backend *b, struct counterlist *list, struct strbuf *err)
{
	struct kernel *k = (struct kernel *)b;
	char buf[NETLINK_MSG_BUF_SIZE];
	int r;

	r = kernel_sock(k, err);
	if (r < 0)
		return r;
	r = netlink_sock_talk(k->sock, netlink_msg_link_dump(buf), on_link_counters, list);
	if (r < 0) {
		strbuf_printf(err, "cannot read the links: %s", netlink_sock_error(k->sock, r));
		return r;
	}
	list->kinds |= BACKEND_KIND(OBJ_LINK);
	return 0;
}
