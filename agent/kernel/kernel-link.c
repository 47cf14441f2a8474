/* SPDX-License-Identifier: MIT */
/*
 * Links: a NIC (found by its current name and checked by its MAC) is renamed, given an MTU,
 * brought up or down; a WireGuard tunnel (found by its name) is also created, deleted, and
 * marked as the agent's by its device group.
 *
 * A replace is a sequence of single changes (name, MTU, group, up), each taken back in
 * reverse order when a later one fails, so that a failed operation changes nothing. An up
 * link is renamed as it is (Linux 6.2 and later); an older kernel refuses with EBUSY, and then
 * the link goes down around the rename and up again (that kernel drops the routes through it).
 */
#include <errno.h>
#include <string.h>

#include "kernel-internal.h"

#define WIREGUARD_KIND "wireguard"

static bool is_tunnel(const struct object *o)
{
	return o->flags & OBJ_TUNNEL;
}

/* The group that marks a tunnel as the agent's or not. */
static uint32_t tunnel_group(const struct object *o)
{
	return o->owner ? 0 : KMSG_GROUP_SELF;
}

/* The link the operation is about, as it is now: a NIC by name with the MAC of the
 * operation, a tunnel by name with the WireGuard kind. */
static int find_link(struct kernel *k, const struct op *op, const char *name,
		     struct kmsg_link *ret, struct strbuf *err)
{
	const struct object *o = op->obj;
	char want[MAC_STRLEN], have[MAC_STRLEN];
	int r;

	r = kernel_link_get(k, name, ret);
	if (r == -ENODEV)
		return kernel_fail(op, r, err, "no link named %s", name);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot read link %s: %s", name,
				   ksock_error(k->sock, r));
	if (is_tunnel(o)) {
		if (strcmp(ret->kind, WIREGUARD_KIND))
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

static int link_send(struct kernel *k, int ifindex, const struct obj_link *l, unsigned what,
		     uint32_t group)
{
	char buf[KMSG_BUF_SIZE];

	return ksock_talk(k->sock, kmsg_link_change(buf, ifindex, l, what, group), NULL, NULL);
}

/* One change of a replace and how to take it back. */
struct change {
	unsigned what;
	struct obj_link to, back;
	uint32_t group_to, group_back;
	const char *what_text;
};

/* Renames link `now` (up or not) to c->to.name. */
static int link_rename(struct kernel *k, const struct kmsg_link *now, const struct change *c)
{
	struct obj_link down = now->link;
	int r, up;

	r = link_send(k, now->ifindex, &c->to, KMSG_LINK_NAME, 0);
	if (r != -EBUSY || !now->link.up)
		return r;
	down.up = false;
	r = link_send(k, now->ifindex, &down, KMSG_LINK_UP, 0);
	if (r < 0)
		return r;
	r = link_send(k, now->ifindex, &c->to, KMSG_LINK_NAME, 0);
	down.up = true;
	up = link_send(k, now->ifindex, &down, KMSG_LINK_UP, 0);
	if (r >= 0 && up < 0) {
		link_send(k, now->ifindex, &c->back, KMSG_LINK_NAME, 0);
		r = up;
	}
	return r;
}

static int change_apply(struct kernel *k, const struct kmsg_link *now, const struct change *c)
{
	if (c->what == KMSG_LINK_NAME)
		return link_rename(k, now, c);
	return link_send(k, now->ifindex, &c->to, c->what, c->group_to);
}

/* The changes from `now` to o, in order: name, MTU, group (tunnels), up. */
static size_t link_changes(struct kernel *k, const struct kmsg_link *now, const struct object *o,
			   struct change c[4])
{
	size_t n = 0, i;

	if (strcmp(now->link.name, o->link.name))
		c[n++] = (struct change){.what = KMSG_LINK_NAME, .what_text = "rename to"};
	if (o->link.has & OBJ_LINK_HAS_MTU && o->link.mtu != now->link.mtu)
		c[n++] = (struct change){.what = KMSG_LINK_MTU, .what_text = "set the MTU to"};
	if (is_tunnel(o) && tunnel_group(o) != now->group) {
		struct saved *s = kernel_saved_find(k, OBJ_LINK, now->ifindex, NULL, 0);

		c[n] = (struct change){.what = KMSG_LINK_GROUP, .what_text = "set the group to"};
		c[n].group_back = now->group;
		c[n].group_to = o->owner && s ? s->group : tunnel_group(o);
		n++;
	}
	if (o->link.up != now->link.up)
		c[n++] = (struct change){.what = KMSG_LINK_UP, .what_text = "set up to"};
	for (i = 0; i < n; i++) {
		c[i].to = now->link;
		c[i].back = now->link;
		snprintf(c[i].to.name, OBJ_NAME_SIZE, "%s", o->link.name);
		c[i].to.mtu = o->link.mtu;
		c[i].to.up = o->link.up;
	}
	return n;
}

static void change_text(const struct change *c, struct strbuf *b)
{
	strbuf_printf(b, "cannot %s ", c->what_text);
	switch (c->what) {
	case KMSG_LINK_NAME:
		strbuf_printf(b, "%s", c->to.name);
		break;
	case KMSG_LINK_MTU:
		strbuf_printf(b, "%u", c->to.mtu);
		break;
	case KMSG_LINK_GROUP:
		strbuf_printf(b, "%u", c->group_to);
		break;
	default:
		strbuf_printf(b, "%s", c->to.up ? "true" : "false");
		break;
	}
}

static int link_replace(struct kernel *k, const struct op *op, struct strbuf *err)
{
	const struct object *o = op->obj;
	struct strbuf text = {0};
	struct kmsg_link now;
	struct change c[4];
	size_t n, i;
	int r;

	r = find_link(k, op, op->old ? op->old->link.name : o->link.name, &now, err);
	if (r < 0)
		return r;
	/* Before any change, so that a failure changes nothing. */
	if (!is_tunnel(o) && (r = kernel_promote(k, now.ifindex)) < 0)
		return kernel_fail(op, r, err, "cannot set promote_secondaries on %s: %s",
				   now.link.name, ksock_error(k->sock, r));
	n = link_changes(k, &now, o, c);
	for (i = 0; i < n; i++) {
		r = change_apply(k, &now, &c[i]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		change_text(&c[i], &text);
		kernel_fail(op, r, err, "%s: %s", strbuf_str(&text), ksock_error(k->sock, r));
		strbuf_done(&text);
		while (i-- > 0) {
			struct change back = c[i];

			back.to = c[i].back;
			back.group_to = c[i].group_back;
			if (change_apply(k, &now, &back) < 0)
				strbuf_append(err, " (and the link could not be restored)");
		}
		return r;
	}
	if (is_tunnel(o) && !o->owner && op->old && op->old->owner &&
	    !kernel_saved_find(k, OBJ_LINK, now.ifindex, NULL, 0)) {
		struct saved s = {.kind = OBJ_LINK, .ifindex = now.ifindex, .group = now.group};

		r = kernel_save(k, &s);
	} else if (is_tunnel(o) && o->owner) {
		struct saved *s = kernel_saved_find(k, OBJ_LINK, now.ifindex, NULL, 0);

		if (s)
			kernel_saved_drop(k, s);
	}
	return r;
}

static int tunnel_create(struct kernel *k, const struct op *op, struct strbuf *err)
{
	char buf[KMSG_BUF_SIZE];
	int r;

	r = ksock_talk(k->sock,
		       kmsg_link_create(buf, &op->obj->link, WIREGUARD_KIND,
					tunnel_group(op->obj)),
		       NULL, NULL);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot create WireGuard link %s: %s",
				   op->obj->link.name, ksock_error(k->sock, r));
	return 0;
}

static int tunnel_delete(struct kernel *k, const struct op *op, struct strbuf *err)
{
	char buf[KMSG_BUF_SIZE];
	struct kmsg_link now;
	int r;

	r = find_link(k, op, op->obj->link.name, &now, err);
	if (r < 0)
		return r;
	if (!op->obj->owner && now.group != KMSG_GROUP_SELF)
		return kernel_fail(op, -EPERM, err, "link %s is not the agent's (group %u)",
				   now.link.name, now.group);
	r = ksock_talk(k->sock, kmsg_link_delete(buf, now.ifindex), NULL, NULL);
	if (r < 0)
		return kernel_fail(op, r, err, "cannot delete link %s: %s", now.link.name,
				   ksock_error(k->sock, r));
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
