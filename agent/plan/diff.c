/* SPDX-License-Identifier: MIT */
/* Desired vs observed objects: the ordered operations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "plan.h"

/* Whether the agent may delete an observed object that the intent no longer has. */
static bool object_sweepable(const struct object *o)
{
	if (o->owner)
		return false;
	switch (o->kind) {
	case OBJ_HOSTNAME:
		return false;
	case OBJ_LINK:
		return o->flags & OBJ_TUNNEL;
	case OBJ_ADDRESS:
		return !(o->flags & OBJ_MANAGEMENT);
	default:
		return true;
	}
}

/* ---- links: renames in an order the kernel accepts ---- */

/* The current names of the router's links, updated as renames are planned. */
struct names {
	const char **v;
	size_t n;
};

static bool names_has(const struct names *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i] && !strcmp(h->v[i], name))
			return true;
	return false;
}

static void names_move(struct names *h, const char *from, const char *to)
{
	size_t i;

	for (i = 0; from && i < h->n; i++)
		if (h->v[i] && !strcmp(h->v[i], from)) {
			h->v[i] = to;
			return;
		}
	for (i = 0; i < h->n; i++)
		if (!h->v[i]) {
			h->v[i] = to;
			return;
		}
}

/* Whether a link operation can run now: its target name is free, or already its own. */
static bool link_op_ready(const struct op *op, const struct names *held)
{
	const char *to = op->obj->link.name;

	if (op->old && !strcmp(op->old->link.name, to))
		return true;
	return !names_has(held, to);
}

/* Breaks a cycle of renames: op's link first takes a free temporary name. */
static int link_op_detour(struct op *op, struct names *held, const struct oplist *pending,
			  struct oplist *out, char *tmp)
{
	struct object *t;
	unsigned n;
	size_t i;
	int r;

	for (n = 0;; n++) {
		bool used = false;

		snprintf(tmp, OBJ_NAME_SIZE, "vrtmp%u", n);
		for (i = 0; i < pending->n && !used; i++)
			used = !strcmp(pending->v[i].obj->link.name, tmp);
		if (!used && !names_has(held, tmp))
			break;
	}
	t = object_dup(op->old);
	if (!t)
		return -ENOMEM;
	snprintf(t->link.name, OBJ_NAME_SIZE, "%s", tmp);
	r = object_finish(t);
	if (r >= 0)
		r = oplist_add(out, OP_REPLACE, t, op->old);
	if (r >= 0) {
		names_move(held, op->old->link.name, tmp);
		object_unref(op->old);
		op->old = object_ref(t);
	}
	object_unref(t);
	return r;
}

static int order_links(struct oplist *links, const struct objset *observed, struct oplist *out)
{
	_cleanup_free_ bool *done = NULL;
	struct names held = {0};
	/* Temporary names ("vrtmpN"): `held` points to them while links are ordered. */
	char(*tmp)[OBJ_NAME_SIZE] = NULL;
	size_t i, left = links->n, n_tmp = 0;
	const struct object *o;
	int r = 0;

	if (!links->n)
		return 0;
	done = calloc(links->n, sizeof(*done));
	held.v = calloc(objset_size(observed) + links->n, sizeof(*held.v));
	tmp = calloc(links->n, sizeof(*tmp));
	if (!done || !held.v || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	objset_foreach(observed, i, o)
		if (o->kind == OBJ_LINK)
			held.v[held.n++] = o->link.name;
	held.n += links->n;
	while (left && r >= 0) {
		bool progress = false;

		for (i = 0; i < links->n && r >= 0; i++) {
			struct op *op = &links->v[i];

			if (done[i] || !link_op_ready(op, &held))
				continue;
			r = oplist_append(out, op);
			names_move(&held, op->old ? op->old->link.name : NULL, op->obj->link.name);
			done[i] = progress = true;
			left--;
		}
		for (i = 0; !progress && r >= 0 && i < links->n; i++)
			if (!done[i]) {
				r = link_op_detour(&links->v[i], &held, links, out, tmp[n_tmp++]);
				break;
			}
	}
out:
	free(held.v);
	free(tmp);
	return r;
}

/* ---- the diff ---- */

int plan_diff(const struct objset *desired, const struct objset *observed, struct oplist *ret)
{
	struct oplist changes = {0}, links = {0}, out = {0};
	struct object *d, *o;
	size_t i;
	int r = 0, k;

	objset_foreach(desired, i, d) {
		o = objset_find(observed, d);
		if (!o)
			r = oplist_add(d->kind == OBJ_LINK ? &links : &changes, OP_CREATE, d, NULL);
		else if (o->owner || !object_matches(d, o))
			r = oplist_add(d->kind == OBJ_LINK ? &links : &changes, OP_REPLACE, d, o);
		if (r < 0)
			goto out;
	}
	/* Creates and replaces by ascending kind; links first of all but the hostname. */
	for (i = 0; i < changes.n && r >= 0; i++)
		if (changes.v[i].obj->kind == OBJ_HOSTNAME)
			r = oplist_append(&out, &changes.v[i]);
	if (r >= 0)
		r = order_links(&links, observed, &out);
	for (k = OBJ_LINK + 1; k < _OBJ_KIND_MAX && r >= 0; k++)
		for (i = 0; i < changes.n && r >= 0; i++)
			if (changes.v[i].obj->kind == (enum object_kind)k)
				r = oplist_append(&out, &changes.v[i]);
	/* Deletes by descending kind. */
	for (k = _OBJ_KIND_MAX - 1; k >= 0 && r >= 0; k--)
		objset_foreach(observed, i, o) {
			if (o->kind != (enum object_kind)k || !object_sweepable(o) ||
			    objset_find(desired, o))
				continue;
			r = oplist_add(&out, OP_DELETE, o, NULL);
			if (r < 0)
				break;
		}
out:
	oplist_done(&changes);
	oplist_done(&links);
	if (r < 0) {
		oplist_done(&out);
		return r;
	}
	*ret = out;
	return 0;
}
