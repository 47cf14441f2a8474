/* SPDX-License-Identifier: MIT */
/*
 * Links: a NIC (found by its current name and checked by its MAC) is renamed, given an MTU,
 * brought up or down; a WireGuard tunnel (found by its name) is also created, deleted, and
 * marked as the agent's by its device group.
 *
 * Without the kernel's WireGuard module (the link kind is refused with EOPNOTSUPP), a tunnel
 * is wireguard-go's TUN link (services/wg-userspace.h), then given its group, MTU and state
 * as a kernel tunnel is; observe knows it by its kind "tun" and the agent's group. Deleting
 * the link ends that wireguard-go (it exits when its link goes; ended if it does not).
 *
 * A replace is a sequence of single changes (name, MTU, group, up), each taken back in
 * reverse order when a later one fails, so that a failed operation changes nothing. An up
 * link is renamed as it is (Linux 6.2 and later); an older kernel refuses with EBUSY, and then
 * the link goes down around the rename and up again.
 *
 * The kernel drops the routes through a link that goes down (all but its own, which come back
 * with the link). They are kept, and put back when the link comes up again in the same apply
 * (the undo of a down, or the up after a rename on an older kernel). Its addresses stay:
 * IPv4 ones always, IPv6 ones through keep_addr_on_down (kernel_link_conf).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "services/wg-userspace.h"

#define WIREGUARD_KIND "wireguard"
#define USERSPACE_KIND "tun"
/* wireguard-go notices that its link is gone within a few hundred ms. */
#define USERSPACE_EXIT_MS 2000

static bool is_tunnel(const struct object *o)
{
	return o->flags & OBJ_TUNNEL;
}

/* The group that marks a tunnel as the agent's or not. */
static uint32_t tunnel_group(const struct object *o)
{
	return o->owner ? 0 : NETLINK_MSG_GROUP_SELF;
}

/* The link the operation is about, as it is now: a NIC by name with the MAC of the
 * operation, a tunnel by name with the WireGuard kind. */
static int find_link(struct kernel *k, const struct op *op, const char *name,
		     struct netlink_msg_link *ret, struct strbuf *err)
{
	const struct object *o = op->obj;
	char want[MAC_STRLEN], have[MAC_STRLEN];
	int r;

	r = kernel_link_get(k, name, ret);
	if (r == -ENODEV)
		return kernel_fail(op, r, err, "no link named %s", name);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot read link %s: %s", name,
				   netlink_sock_error(k->sock, r));
	if (is_tunnel(o)) {
		if (strcmp(ret->kind, WIREGUARD_KIND) &&
		    (strcmp(ret->kind, USERSPACE_KIND) || ret->group != NETLINK_MSG_GROUP_SELF))
			return kernel_fail(op, -EINVAL, err, "link %s is not a WireGuard link",
					   name);
		return 0;
	}
	if (o->link.has & OBJ_LINK_HAS_MAC &&
	    (!(ret->link.has & OBJ_LINK_HAS_MAC) || memcmp(ret->link.mac, o->link.mac, 6)))
		return kernel_fail(op, -ESTALE, err,
				   "link %s has MAC %s, not %s (it changed since it was observed)",
				   name, ret->link.has & OBJ_LINK_HAS_MAC
						 ? mac_format(ret->link.mac, have) : "none",
				   mac_format(o->link.mac, want));
	return 0;
}

struct dropping {
	struct kernel *k;
	int ifindex;
};

/* A route through the link that the kernel will drop when it goes down: kept. */
static int on_dropped(const struct nlmsghdr *nlh, void *data)
{
	struct dropping *d = data;
	struct saved s = {.kind = OBJ_LINK, .ifindex = d->ifindex};
	struct netlink_msg_route r;
	int q;

	if (netlink_msg_route_parse(nlh, &r) < 0 || r.table != RT_TABLE_MAIN ||
	    r.oif != d->ifindex || r.proto == RTPROT_KERNEL || r.flags & RTM_F_CLONED ||
	    r.type != RTN_UNICAST)
		return 0;
	s.msg = kernel_msg_dup(nlh);
	if (!s.msg)
		return -ENOMEM;
	q = kernel_save(d->k, &s);
	if (q < 0)
		free(s.msg);
	return q;
}

/* Keeps the routes of the main table through the link (before it goes down). */
static int keep_routes(struct kernel *k, int ifindex)
{
	struct dropping d = {k, ifindex};
	char buf[NETLINK_MSG_BUF_SIZE];

	return netlink_sock_talk(k->sock,
				 netlink_msg_route_dump(buf, AF_UNSPEC, RT_TABLE_MAIN, 0, ifindex),
				 on_dropped, &d);
}

/* Puts back the routes kept when the link went down (now that it is up), or only forgets
 * them (send false: the link did not go down after all). */
static int put_back_routes(struct kernel *k, int ifindex, bool send)
{
	size_t i = 0;
	int r = 0;

	while (i < k->n_saved) {
		struct saved *s = &k->saved[i];

		if (s->kind != OBJ_LINK || s->ifindex != ifindex || !s->msg) {
			i++;
			continue;
		}
		if (r >= 0 && send)
			r = kernel_saved_send(k, s);
		kernel_saved_drop(k, s);
	}
	return r;
}

static int link_send(struct kernel *k, int ifindex, const struct obj_link *l, unsigned what,
		     uint32_t group)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	int r;

	if (what == NETLINK_MSG_LINK_UP && !l->up && (r = keep_routes(k, ifindex)) < 0)
		return r;
	r = netlink_sock_talk(k->sock, netlink_msg_link_change(buf, ifindex, l, what, group), NULL,
			      NULL);
	if (what == NETLINK_MSG_LINK_UP && l->up && r >= 0)
		r = put_back_routes(k, ifindex, true);
	else if (what == NETLINK_MSG_LINK_UP && !l->up && r < 0)
		put_back_routes(k, ifindex, false);
	return r;
}

/* One change of a replace and how to take it back. */
struct change {
	unsigned what; /* NETLINK_MSG_LINK_* */
	struct obj_link to, back;
	uint32_t group_to, group_back;
};

/* Renames link `now` (up or not) to c->to.name. */
static int link_rename(struct kernel *k, const struct netlink_msg_link *now, const struct change *c)
{
	struct obj_link down = now->link;
	int r, up;

	r = link_send(k, now->ifindex, &c->to, NETLINK_MSG_LINK_NAME, 0);
	if (r != -EBUSY || !now->link.up)
		return r;
	down.up = false;
	r = link_send(k, now->ifindex, &down, NETLINK_MSG_LINK_UP, 0);
	if (r < 0)
		return r;
	r = link_send(k, now->ifindex, &c->to, NETLINK_MSG_LINK_NAME, 0);
	down.up = true;
	up = link_send(k, now->ifindex, &down, NETLINK_MSG_LINK_UP, 0);
	if (r >= 0 && up < 0) {
		link_send(k, now->ifindex, &c->back, NETLINK_MSG_LINK_NAME, 0);
		r = up;
	}
	return r;
}

static int change_apply(struct kernel *k, const struct netlink_msg_link *now,
			const struct change *c)
{
	if (c->what == NETLINK_MSG_LINK_NAME)
		return link_rename(k, now, c);
	return link_send(k, now->ifindex, &c->to, c->what, c->group_to);
}

/* The group a tunnel gets: the agent's, or back the one it had before the agent took it. */
static uint32_t group_to(struct kernel *k, const struct netlink_msg_link *now,
			 const struct object *o)
{
	struct saved *s = kernel_saved_find(k, OBJ_LINK, now->ifindex, NULL, 0);

	return o->owner && s ? s->group : tunnel_group(o);
}

/* The changes from `now` to o, in order: name, MTU, group (tunnels), up. */
static size_t link_changes(struct kernel *k, const struct netlink_msg_link *now,
			   const struct object *o, struct change c[4])
{
	size_t n = 0, i;

	if (strcmp(now->link.name, o->link.name))
		c[n++].what = NETLINK_MSG_LINK_NAME;
	if (o->link.has & OBJ_LINK_HAS_MTU && o->link.mtu != now->link.mtu)
		c[n++].what = NETLINK_MSG_LINK_MTU;
	if (is_tunnel(o) && group_to(k, now, o) != now->group)
		c[n++].what = NETLINK_MSG_LINK_GROUP;
	if (o->link.up != now->link.up)
		c[n++].what = NETLINK_MSG_LINK_UP;
	for (i = 0; i < n; i++) {
		c[i].to = now->link;
		c[i].back = now->link;
		snprintf(c[i].to.name, OBJ_NAME_SIZE, "%s", o->link.name);
		c[i].to.mtu = o->link.mtu;
		c[i].to.up = o->link.up;
		c[i].group_to = group_to(k, now, o);
		c[i].group_back = now->group;
	}
	return n;
}

static void change_fail(const struct op *op, const struct netlink_msg_link *now,
			const struct change *c, const char *why, int r, struct strbuf *err)
{
	const char *name = now->link.name;

	switch (c->what) {
	case NETLINK_MSG_LINK_NAME:
		kernel_fail(op, r, err, "cannot rename %s to %s: %s", name, c->to.name, why);
		break;
	case NETLINK_MSG_LINK_MTU:
		kernel_fail(op, r, err, "cannot set the MTU of %s to %u: %s", name, c->to.mtu, why);
		break;
	case NETLINK_MSG_LINK_GROUP:
		kernel_fail(op, r, err, "cannot set the group of %s to %u: %s", name, c->group_to,
			    why);
		break;
	default:
		kernel_fail(op, r, err, "cannot bring %s %s: %s", name, c->to.up ? "up" : "down",
			    why);
		break;
	}
}

/* A tunnel the agent takes over keeps its group, for the undo. */
static int save_group(struct kernel *k, const struct op *op, const struct netlink_msg_link *now)
{
	struct saved s = {.kind = OBJ_LINK, .ifindex = now->ifindex, .group = now->group};

	if (!is_tunnel(op->obj) || op->obj->owner || !op->old || !op->old->owner ||
	    kernel_saved_find(k, OBJ_LINK, now->ifindex, NULL, 0))
		return 0;
	return kernel_save(k, &s) < 0 ? -ENOMEM : 1;
}

static int link_replace(struct kernel *k, const struct op *op, struct strbuf *err)
{
	const struct object *o = op->obj;
	struct netlink_msg_link now;
	struct change c[4];
	struct saved *s;
	size_t n, i;
	int r, saved;

	r = find_link(k, op, op->old ? op->old->link.name : o->link.name, &now, err);
	if (r < 0)
		return r;
	/* Before any change, so that a failure changes nothing. */
	r = kernel_link_conf(k, now.ifindex, now.link.name, KERNEL_CONF_PROMOTE | KERNEL_CONF_KEEP);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot configure link %s: %s", now.link.name,
				   netlink_sock_error(k->sock, r));
	saved = save_group(k, op, &now);
	if (saved < 0)
		return kernel_fail(op, saved, err, "%s", strerror(-saved));
	n = link_changes(k, &now, o, c);
	for (i = 0; i < n && r >= 0; i++)
		r = change_apply(k, &now, &c[i]);
	s = kernel_saved_find(k, OBJ_LINK, now.ifindex, NULL, 0);
	if (r >= 0) {
		if (is_tunnel(o) && o->owner && s) /* given back */
			kernel_saved_drop(k, s);
		return 0;
	}
	change_fail(op, &now, &c[--i], netlink_sock_error(k->sock, r), r, err);
	while (i-- > 0) {
		struct change back = c[i];

		back.to = c[i].back;
		back.group_to = c[i].group_back;
		if (change_apply(k, &now, &back) < 0)
			strbuf_append(err, " (and the link could not be restored)");
	}
	if (saved > 0 && s)
		kernel_saved_drop(k, s);
	return r;
}

/* wireguard-go's link, made the agent's as the kernel's would be: group, MTU, up. */
static int tunnel_create_userspace(struct kernel *k, const struct op *op, struct strbuf *err)
{
	const struct obj_link *l = &op->obj->link;
	char buf[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_link now = {.ifindex = 0};
	struct strbuf why = {0};
	int r;

	if (!wgu_available())
		return kernel_fail(op, -EOPNOTSUPP, err,
				   "cannot create WireGuard link %s: the kernel has no WireGuard "
				   "module and %s is not installed",
				   l->name, WGU_PROGRAM);
	r = wgu_start(l->name, &why);
	if (r < 0) {
		kernel_fail(op, r, err, "cannot create WireGuard link %s: %s", l->name,
			    strbuf_str(&why));
		strbuf_done(&why);
		return r;
	}
	r = kernel_link_get(k, l->name, &now);
	if (r >= 0)
		r = link_send(k, now.ifindex, l, NETLINK_MSG_LINK_GROUP, tunnel_group(op->obj));
	if (r >= 0 && l->has & OBJ_LINK_HAS_MTU)
		r = link_send(k, now.ifindex, l, NETLINK_MSG_LINK_MTU, 0);
	if (r >= 0 && l->up)
		r = link_send(k, now.ifindex, l, NETLINK_MSG_LINK_UP, 0);
	if (r < 0) {
		kernel_fail(op, r, err, "cannot set up wireguard-go's link %s: %s", l->name,
			    netlink_sock_error(k->sock, r));
		if (now.ifindex > 0) {
			int pidfd = wgu_pidfd(l->name);

			netlink_sock_talk(k->sock, netlink_msg_link_delete(buf, now.ifindex), NULL,
					  NULL);
			wgu_reap(pidfd, USERSPACE_EXIT_MS);
		}
	}
	return r;
}

static int tunnel_create(struct kernel *k, const struct op *op, struct strbuf *err)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	int r;

	r = netlink_sock_talk(
	    k->sock,
	    netlink_msg_link_create(buf, &op->obj->link, WIREGUARD_KIND, tunnel_group(op->obj)),
	    NULL, NULL);
	if (r == -EOPNOTSUPP)
		return tunnel_create_userspace(k, op, err);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot create WireGuard link %s: %s",
				   op->obj->link.name, netlink_sock_error(k->sock, r));
	return 0;
}

static int tunnel_delete(struct kernel *k, const struct op *op, struct strbuf *err)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_link now;
	int r, pidfd = -1;

	r = find_link(k, op, op->obj->link.name, &now, err);
	if (r < 0)
		return r;
	if (!op->obj->owner && now.group != NETLINK_MSG_GROUP_SELF)
		return kernel_fail(op, -EPERM, err, "link %s is not the agent's (group %u)",
				   now.link.name, now.group);
	if (!strcmp(now.kind, USERSPACE_KIND))
		pidfd = wgu_pidfd(now.link.name);
	r = netlink_sock_talk(k->sock, netlink_msg_link_delete(buf, now.ifindex), NULL, NULL);
	if (r < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return kernel_fail(op, r, err, "cannot delete link %s: %s", now.link.name,
				   netlink_sock_error(k->sock, r));
	}
	r = wgu_reap(pidfd, USERSPACE_EXIT_MS);
	if (r < 0)
		return kernel_fail(op, r, err, "link %s deleted, but its wireguard-go did not end: %s",
				   now.link.name, strerror(-r));
	return 0;
}

int kernel_link_apply(struct kernel *k, const struct op *op, struct strbuf *err)
{
	if (op->type == OP_REPLACE)
		return link_replace(k, op, err);
	if (!is_tunnel(op->obj))
		return kernel_fail(op, -EOPNOTSUPP, err,
				   "a NIC is found by its MAC, never created or deleted");
	return op->type == OP_CREATE ? tunnel_create(k, op, err) : tunnel_delete(k, op, err);
}
