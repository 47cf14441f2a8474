/* SPDX-License-Identifier: MIT */
/*
 * Addresses and routes of the main table, marked with the agent's protocol number.
 *
 *   create   NLM_F_CREATE|NLM_F_EXCL. When something the observed state did not show holds
 *            the place (an address or route on a link the plan left out, a route the kernel
 *            made for an address), it is kept and replaced (an IPv6 address of another
 *            length: deleted, then ours added); deleting ours puts it back.
 *   replace  NLM_F_CREATE|NLM_F_REPLACE, which also moves ownership (the kernel rewrites
 *            IFA_PROTO and rtm_protocol in place). Taking over a foreign object keeps its
 *            dump; giving it back (the inverse) sends that dump again, so that it comes back
 *            exactly: protocol, lifetimes, flags, preferred source, nexthops.
 *   delete   RTM_DELADDR, or RTM_DELROUTE matching protocol, gateway, device and metric.
 *
 * Before the first address operation on a link, the link gets promote_secondaries (IPv4)
 * or keep_addr_on_down (IPv6): see kernel_link_conf().
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-internal.h"

/* ---- finding one object in a dump ---- */

struct finding {
	enum object_kind kind;
	int ifindex;
	const struct ip_prefix *p;
	uint32_t metric;
	struct nlmsghdr *msg; /* a copy of the first match */
	struct ip_prefix found;
};

static int on_candidate(const struct nlmsghdr *nlh, void *data)
{
	struct finding *f = data;
	struct netlink_msg_route r;
	struct netlink_msg_addr a;

	if (f->msg)
		return 0;
	if (f->kind == OBJ_ADDRESS) {
		if (netlink_msg_addr_parse(nlh, &a) < 0 || a.ifindex != f->ifindex ||
		    !addr_equal(&a.addr.addr, &f->p->addr) ||
		    (a.addr.addr.family == AF_INET && a.addr.len != f->p->len))
			return 0;
		f->found = a.addr;
	} else {
		if (netlink_msg_route_parse(nlh, &r) < 0 || r.table != RT_TABLE_MAIN ||
		    r.flags & RTM_F_CLONED || r.tos || r.src_len || r.route.metric != f->metric ||
		    r.route.to.len != f->p->len || !addr_equal(&r.route.to.addr, &f->p->addr))
			return 0;
		f->found = r.route.to;
	}
	f->msg = kernel_msg_dup(nlh);
	return f->msg ? 0 : -ENOMEM;
}

/* The kernel's object of that identity, kept in s. 0, -ENOENT, or another error. */
static int find_object(struct kernel *k, enum object_kind kind, int ifindex,
		       const struct ip_prefix *p, uint32_t metric, uint8_t proto, struct saved *s)
{
	struct finding f = {.kind = kind, .ifindex = ifindex, .p = p, .metric = metric};
	char buf[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *req;
	int r;

	if (kind == OBJ_ADDRESS)
		req = netlink_msg_addr_dump(buf, p->addr.family, ifindex);
	else
		req = netlink_msg_route_dump(buf, p->addr.family, RT_TABLE_MAIN, proto, 0);
	r = netlink_sock_talk(k->sock, req, on_candidate, &f);
	if (r >= 0 && !f.msg)
		r = -ENOENT;
	if (r < 0) {
		free(f.msg);
		return r;
	}
	*s = (struct saved){.kind = kind, .ifindex = ifindex, .p = f.found, .metric = metric,
			    .msg = f.msg};
	return 0;
}

/* Keeps s for the undo, before the change that displaces its object. 1 kept, 0 nothing to
 * keep (no message), or -ENOMEM. */
static int keep(struct kernel *k, struct saved *s)
{
	if (!s->msg)
		return 0;
	if (kernel_save(k, s) < 0) {
		free(s->msg);
		return -ENOMEM;
	}
	return 1;
}

/* Forgets what keep() kept: the change failed. Returns r. */
static int unkeep(struct kernel *k, int kept, int r)
{
	if (kept > 0)
		kernel_saved_drop(k, &k->saved[k->n_saved - 1]);
	return r;
}

/* Puts back what the object of this identity displaced, if anything. */
static int restore(struct kernel *k, enum object_kind kind, int ifindex,
		   const struct ip_prefix *p, uint32_t metric)
{
	struct saved *s = kernel_saved_find(k, kind, ifindex, p, metric);
	int r;

	if (!s)
		return 0;
	r = kernel_saved_send(k, s);
	if (r >= 0)
		kernel_saved_drop(k, s);
	return r;
}

/* ---- addresses ---- */

static int addr_send(struct kernel *k, uint16_t type, uint16_t flags,
		     const struct netlink_msg_addr *a)
{
	char buf[NETLINK_MSG_BUF_SIZE];

	return netlink_sock_talk(k->sock, netlink_msg_addr_build(buf, type, flags, a), NULL, NULL);
}

/* Something holds the address: keep it, and put ours in its place. */
static int addr_displace(struct kernel *k, const struct netlink_msg_addr *a)
{
	struct netlink_msg_addr old = *a;
	struct saved s;
	int r, kept;

	r = find_object(k, OBJ_ADDRESS, a->ifindex, &a->addr, 0, 0, &s);
	if (r < 0)
		return r == -ENOENT ? -EEXIST : r;
	kept = keep(k, &s);
	if (kept < 0)
		return kept;
	if (s.p.len == a->addr.len)
		return unkeep(k, kept, addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a));
	/* IPv6, another length: the kernel does not change the length in place. */
	old.addr = s.p;
	r = addr_send(k, RTM_DELADDR, 0, &old);
	if (r >= 0) {
		r = addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a);
		if (r < 0)
			kernel_saved_send(k, &s);
	}
	return r < 0 ? unkeep(k, kept, r) : 0;
}

/* Takes over a foreign address (keeping it for the undo), gives one back, or just sets it. */
static int addr_replace(struct kernel *k, const struct op *op, const struct netlink_msg_addr *a)
{
	struct saved s = {.msg = NULL};
	int r, kept;

	if (op->obj->owner) {
		if (kernel_saved_find(k, OBJ_ADDRESS, a->ifindex, &a->addr, 0))
			return restore(k, OBJ_ADDRESS, a->ifindex, &a->addr, 0);
		return addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a);
	}
	if (op->old && op->old->owner &&
	    !kernel_saved_find(k, OBJ_ADDRESS, a->ifindex, &a->addr, 0)) {
		r = find_object(k, OBJ_ADDRESS, a->ifindex, &a->addr, 0, 0, &s);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	kept = keep(k, &s);
	if (kept < 0)
		return kept;
	r = addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, a);
	return r < 0 ? unkeep(k, kept, r) : 0;
}

int kernel_addr_apply(struct kernel *k, const struct op *op, struct strbuf *err)
{
	const struct object *o = op->obj;
	struct netlink_msg_addr a = {.addr = o->address.addr, .proto = NETLINK_MSG_PROTO_SELF};
	unsigned conf;
	int r;

	a.ifindex = kernel_ifindex(k, o->address.ifname);
	if (a.ifindex == -ENODEV)
		return kernel_fail(op, a.ifindex, err, "no link named %s", o->address.ifname);
	if (a.ifindex < 0)
		return kernel_fail(op, a.ifindex, err, "cannot read link %s: %s", o->address.ifname,
				   netlink_sock_error(k->sock, a.ifindex));
	if (o->owner) {
		r = netlink_msg_addr_proto_from_string(o->owner);
		if (r < 0)
			return kernel_fail(op, r, err, "unknown address protocol \"%s\"", o->owner);
		a.proto = (uint8_t)r;
	}
	conf = a.addr.addr.family == AF_INET ? KERNEL_CONF_PROMOTE : KERNEL_CONF_KEEP;
	r = kernel_link_conf(k, a.ifindex, o->address.ifname, conf);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot configure link %s: %s", o->address.ifname,
				   netlink_sock_error(k->sock, r));
	switch (op->type) {
	case OP_CREATE:
		r = addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &a);
		if (r == -EEXIST && !o->owner)
			r = addr_displace(k, &a);
		break;
	case OP_DELETE:
		r = addr_send(k, RTM_DELADDR, 0, &a);
		if (r >= 0 && (r = restore(k, OBJ_ADDRESS, a.ifindex, &a.addr, 0)) < 0)
			addr_send(k, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &a);
		break;
	default:
		r = addr_replace(k, op, &a);
		break;
	}
	if (r < 0)
		return kernel_fail(op, r, err, "%s", netlink_sock_error(k->sock, r));
	return 0;
}

/* ---- routes ---- */

static int route_send(struct kernel *k, uint16_t type, uint16_t flags,
		      const struct netlink_msg_route *r)
{
	char buf[NETLINK_MSG_BUF_SIZE];

	return netlink_sock_talk(k->sock, netlink_msg_route_build(buf, type, flags, r), NULL, NULL);
}

/* Something holds the route's place: keep it, and put ours there. */
static int route_displace(struct kernel *k, const struct netlink_msg_route *rt)
{
	struct saved s;
	int r, kept;

	r = find_object(k, OBJ_ROUTE, 0, &rt->route.to, rt->route.metric, 0, &s);
	if (r < 0)
		return r == -ENOENT ? -EEXIST : r;
	kept = keep(k, &s);
	if (kept < 0)
		return kept;
	r = route_send(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, rt);
	return r < 0 ? unkeep(k, kept, r) : 0;
}

/* Takes over a foreign route (keeping it for the undo), gives one back, or just sets it. */
static int route_replace(struct kernel *k, const struct op *op, const struct netlink_msg_route *rt)
{
	const struct ip_prefix *to = &rt->route.to;
	uint32_t metric = rt->route.metric;
	struct saved s = {.msg = NULL};
	int r, proto, kept;

	if (op->obj->owner) {
		if (kernel_saved_find(k, OBJ_ROUTE, 0, to, metric))
			return restore(k, OBJ_ROUTE, 0, to, metric);
		return route_send(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, rt);
	}
	if (op->old && op->old->owner && !kernel_saved_find(k, OBJ_ROUTE, 0, to, metric)) {
		proto = netlink_msg_route_proto_from_string(op->old->owner);
		r = find_object(k, OBJ_ROUTE, 0, to, metric, proto < 0 ? 0 : (uint8_t)proto, &s);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	kept = keep(k, &s);
	if (kept < 0)
		return kept;
	r = route_send(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, rt);
	return r < 0 ? unkeep(k, kept, r) : 0;
}

int kernel_route_apply(struct kernel *k, const struct op *op, struct strbuf *err)
{
	const struct object *o = op->obj;
	struct netlink_msg_route rt = {
	    .route = o->route, .table = RT_TABLE_MAIN, .proto = NETLINK_MSG_PROTO_SELF};
	int r;

	if (o->route.has & OBJ_ROUTE_HAS_DEV) {
		rt.oif = kernel_ifindex(k, o->route.dev);
		if (rt.oif == -ENODEV)
			return kernel_fail(op, rt.oif, err, "no link named %s", o->route.dev);
		if (rt.oif < 0)
			return kernel_fail(op, rt.oif, err, "cannot read link %s: %s", o->route.dev,
					   netlink_sock_error(k->sock, rt.oif));
	}
	if (o->owner) {
		r = netlink_msg_route_proto_from_string(o->owner);
		if (r < 0)
			return kernel_fail(op, r, err, "unknown route protocol \"%s\"", o->owner);
		rt.proto = (uint8_t)r;
	}
	switch (op->type) {
	case OP_CREATE:
		r = route_send(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt);
		if (r == -EEXIST && !o->owner)
			r = route_displace(k, &rt);
		break;
	case OP_DELETE:
		r = route_send(k, RTM_DELROUTE, 0, &rt);
		if (r >= 0 && (r = restore(k, OBJ_ROUTE, 0, &rt.route.to, rt.route.metric)) < 0)
			route_send(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt);
		break;
	default:
		r = route_replace(k, op, &rt);
		break;
	}
	if (r < 0)
		return kernel_fail(op, r, err, "%s", netlink_sock_error(k->sock, r));
	return 0;
}
