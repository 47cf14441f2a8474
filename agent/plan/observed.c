/* SPDX-License-Identifier: MIT */
/* The observed state: keeping it, and normalising it against the intent's links. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "observed.h"

void observed_drop_net(struct observed *obs)
{
	size_t i;

	object_unref(obs->hostname);
	for (i = 0; i < obs->n_links; i++)
		object_unref(obs->links[i]);
	free(obs->links);
	objset_done(&obs->addrs);
	objset_done(&obs->routes);
	obs->hostname = NULL;
	obs->links = NULL;
	obs->n_links = obs->cap_links = 0;
}

void observed_done(struct observed *obs)
{
	observed_drop_net(obs);
	objset_done(&obs->nft);
	objset_done(&obs->files);
	*obs = (struct observed){0};
}

void missing_links_done(struct missing_links *m)
{
	free(m->mac);
	*m = (struct missing_links){0};
}

static int missing_links_add(struct missing_links *m, const uint8_t mac[6])
{
	uint8_t(*v)[6] = realloc(m->mac, (m->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	memcpy(v[m->n++], mac, 6);
	m->mac = v;
	return 0;
}

int observed_add_link(struct observed *obs, struct object *link)
{
	if (obs->n_links == obs->cap_links) {
		size_t cap = obs->cap_links ? obs->cap_links * 2 : 8;
		struct object **v = realloc(obs->links, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		obs->links = v;
		obs->cap_links = cap;
	}
	obs->links[obs->n_links++] = object_ref(link);
	return 0;
}

int observed_copy(const struct observed *obs, struct observed *ret)
{
	struct observed c = {0};
	size_t i;
	int r = 0;

	c.hostname = object_ref(obs->hostname);
	for (i = 0; i < obs->n_links && r >= 0; i++)
		r = observed_add_link(&c, obs->links[i]);
	if (r >= 0)
		r = objset_copy(&obs->addrs, &c.addrs);
	if (r >= 0)
		r = objset_copy(&obs->routes, &c.routes);
	if (r >= 0)
		r = objset_copy(&obs->nft, &c.nft);
	if (r >= 0)
		r = objset_copy(&obs->files, &c.files);
	if (r < 0) {
		observed_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int observed_find_link(const struct observed *obs, const char *name)
{
	size_t i;

	for (i = 0; i < obs->n_links; i++)
		if (!strcmp(obs->links[i]->link.name, name))
			return (int)i;
	return -ENOENT;
}

/* Moves the objects of set from link `from` to link `to` (to NULL: removes them), keeping
 * the order of the set. */
static int move_objects(struct objset *set, const char *from, const char *to)
{
	struct objset out = {0};
	struct object *o;
	size_t i;
	int r = 0;

	objset_foreach(set, i, o) {
		const char *dev = object_link_name(o);
		struct object *c;

		if (!dev || strcmp(dev, from)) {
			r = objset_add(&out, o);
		} else if (to) {
			c = object_dup(o);
			if (!c) {
				r = -ENOMEM;
				break;
			}
			if (c->kind == OBJ_ADDRESS)
				snprintf(c->address.ifname, OBJ_NAME_SIZE, "%s", to);
			else
				snprintf(c->route.dev, OBJ_NAME_SIZE, "%s", to);
			r = object_finish(c);
			if (r >= 0)
				r = objset_add(&out, c);
			object_unref(c);
		}
		if (r < 0)
			break;
	}
	if (r < 0) {
		objset_done(&out);
		return r;
	}
	objset_done(set);
	*set = out;
	return 0;
}

int observed_remove_link(struct observed *obs, size_t i)
{
	const char *name = obs->links[i]->link.name;
	int r;

	r = move_objects(&obs->addrs, name, NULL);
	if (r >= 0)
		r = move_objects(&obs->routes, name, NULL);
	if (r < 0)
		return r;
	object_unref(obs->links[i]);
	memmove(&obs->links[i], &obs->links[i + 1], (obs->n_links - i - 1) * sizeof(*obs->links));
	obs->n_links--;
	return 0;
}

int observed_rename_link(struct observed *obs, size_t i, const char *name)
{
	struct object *c = object_dup(obs->links[i]);
	int r;

	if (!c)
		return -ENOMEM;
	snprintf(c->link.name, OBJ_NAME_SIZE, "%s", name);
	r = object_finish(c);
	if (r >= 0)
		r = move_objects(&obs->addrs, obs->links[i]->link.name, name);
	if (r >= 0)
		r = move_objects(&obs->routes, obs->links[i]->link.name, name);
	if (r < 0) {
		object_unref(c);
		return r;
	}
	object_unref(obs->links[i]);
	obs->links[i] = c;
	return 0;
}

/* ---- normalisation ---- */

/* A link of the router as the plan sees it: its current name and, if the intent knows it,
 * the desired link. */
struct link_entry {
	const char *name;
	const struct object *link;    /* the observed link */
	const struct object *desired; /* NULL: an own tunnel the intent dropped */
};

static int link_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link_entry *)a)->name, ((const struct link_entry *)b)->name);
}

static const struct link_entry *link_entry_find(const struct link_entry *v, size_t n,
						const char *name)
{
	struct link_entry k = {.name = name};

	return n ? bsearch(&k, v, n, sizeof(*v), link_entry_cmp) : NULL;
}

static const char *desired_name(const struct link_entry *e)
{
	return e->desired ? e->desired->link.name : e->name;
}

/* Reports desired links without an observed link (in missing too, when given) and desired
 * names held by links outside the intent (`others`, the links the plan leaves alone). 0 or
 * -ENOMEM. */
static int check_links(const struct objset *desired, const struct link_entry *others,
		       size_t n_others, const struct objset *seen, struct missing_links *missing,
		       struct errlist *errs)
{
	struct strbuf p = {0};
	const struct object *d;
	size_t i;
	int r = 0;

	objset_foreach(desired, i, d) {
		const struct link_entry *e;
		char mac[MAC_STRLEN];

		if (d->kind != OBJ_LINK)
			continue;
		if (!(d->flags & OBJ_TUNNEL) && !objset_get(seen, OBJ_LINK, d->key)) {
			strbuf_printf(&p, "%s/mac", d->ptr);
			errlist_add(errs, strbuf_str(&p), "no link with MAC %s on this router",
				    d->key);
			strbuf_truncate(&p, 0);
			if (missing && r >= 0)
				r = missing_links_add(missing, d->link.mac);
		}
		e = link_entry_find(others, n_others, d->link.name);
		if (!e)
			continue;
		if (e->link->link.has & OBJ_LINK_HAS_MAC)
			errlist_add(errs, d->ptr,
				    "name \"%s\" is taken by link %s, which is not in the intent",
				    d->link.name, mac_format(e->link->link.mac, mac));
		else
			errlist_add(errs, d->ptr,
				    "name \"%s\" is taken by a tunnel that is not in the intent",
				    d->link.name);
	}
	strbuf_done(&p);
	return r;
}

/* Sorts the router's links into those of the plan (known) and the rest (others). */
static int sort_links(const struct observed *obs, const struct objset *desired,
		      struct link_entry *known, size_t *n_known, struct link_entry *others,
		      size_t *n_others, struct objset *seen, struct errlist *errs)
{
	struct strbuf p = {0};
	size_t i;
	int r;

	for (i = 0; i < obs->n_links; i++) {
		const struct object *l = obs->links[i];
		const struct object *d = objset_get(desired, OBJ_LINK, l->key);
		const struct object *twin;

		if (!d) {
			if (l->flags & OBJ_TUNNEL && !l->owner)
				known[(*n_known)++] = (struct link_entry){l->link.name, l, NULL};
			others[(*n_others)++] = (struct link_entry){l->link.name, l, NULL};
			continue;
		}
		twin = objset_get(seen, OBJ_LINK, l->key);
		if (twin) {
			strbuf_printf(&p, "%s/mac", d->ptr);
			errlist_add(errs, strbuf_str(&p),
				    "MAC %s is on two links, \"%s\" and \"%s\"", l->key,
				    twin->link.name, l->link.name);
			strbuf_truncate(&p, 0);
			continue;
		}
		r = objset_add(seen, (struct object *)l);
		if (r < 0) {
			strbuf_done(&p);
			return r;
		}
		known[(*n_known)++] = (struct link_entry){l->link.name, l, d};
	}
	strbuf_done(&p);
	qsort(known, *n_known, sizeof(*known), link_entry_cmp);
	qsort(others, *n_others, sizeof(*others), link_entry_cmp);
	return 0;
}

/* A copy of an address or route moved to the intent's name of its link. */
static int add_renamed(struct objset *ret, const struct object *o, const struct link_entry *e)
{
	struct object *c = object_dup(o);
	int r;

	if (!c)
		return -ENOMEM;
	if (c->kind == OBJ_ADDRESS) {
		snprintf(c->address.ifname, OBJ_NAME_SIZE, "%s", desired_name(e));
		if (e->desired)
			c->flags |= e->desired->flags & OBJ_MANAGEMENT;
	} else {
		snprintf(c->route.dev, OBJ_NAME_SIZE, "%s", desired_name(e));
	}
	r = object_finish(c);
	if (r >= 0)
		r = objset_add(ret, c);
	object_unref(c);
	return r;
}

static int add_all(struct objset *ret, const struct objset *s)
{
	struct object *o;
	size_t i;
	int r;

	r = objset_reserve(ret, objset_size(s));
	if (r < 0)
		return r;
	objset_foreach(s, i, o) {
		r = objset_add(ret, o);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_normalised(const struct observed *obs, const struct link_entry *known,
			  size_t n_known, struct objset *ret)
{
	const struct link_entry *e;
	struct object *o;
	size_t i;
	int r = 0;

	if (obs->hostname)
		r = objset_add(ret, obs->hostname);
	for (i = 0; i < obs->n_links && r >= 0; i++)
		if (link_entry_find(known, n_known, obs->links[i]->link.name))
			r = objset_add(ret, obs->links[i]);
	objset_foreach(&obs->addrs, i, o) {
		e = link_entry_find(known, n_known, o->address.ifname);
		if (e && r >= 0)
			r = add_renamed(ret, o, e);
	}
	objset_foreach(&obs->routes, i, o) {
		if (r < 0)
			break;
		if (!(o->route.has & OBJ_ROUTE_HAS_DEV))
			r = objset_add(ret, o);
		else if ((e = link_entry_find(known, n_known, o->route.dev)))
			r = add_renamed(ret, o, e);
	}
	if (r >= 0)
		r = add_all(ret, &obs->nft);
	if (r >= 0)
		r = add_all(ret, &obs->files);
	return r;
}

int observed_objects(const struct observed *obs, const struct objset *desired,
		     struct objset *ret, struct missing_links *missing, struct errlist *errs)
{
	_cleanup_free_ struct link_entry *known = NULL, *others = NULL;
	struct objset seen = {0}, out = {0};
	size_t n_known = 0, n_others = 0, before = errs->n;
	int r;

	known = calloc(obs->n_links + 1, sizeof(*known));
	others = calloc(obs->n_links + 1, sizeof(*others));
	if (!known || !others)
		return -ENOMEM;
	r = sort_links(obs, desired, known, &n_known, others, &n_others, &seen, errs);
	if (r >= 0)
		r = check_links(desired, others, n_others, &seen, missing, errs);
	objset_done(&seen);
	if (r < 0)
		return r;
	if (errs->n != before || errs->oom)
		return -EINVAL;
	r = add_normalised(obs, known, n_known, &out);
	if (r < 0) {
		objset_done(&out);
		return r;
	}
	*ret = out;
	return 0;
}
