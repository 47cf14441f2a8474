/* SPDX-License-Identifier: MIT */
/* The planner's cache: the firewall's desired objects, by section (plan.h). */
#include <errno.h>
#include <stdlib.h>

#include "desired.h"

void plan_cache_done(struct plan_cache *c)
{
	size_t i;

	c->firewall = firewall_unref(c->firewall);
	for (i = 0; i < c->n_objects; i++)
		object_unref(c->objects[i]);
	free(c->objects);
	c->objects = NULL;
	c->n_objects = 0;
}

/* Keeps the objects set got from place `from` on, with a reference to their section. Only
 * when the set has no removed place, which growing it could have moved them over. */
static void keep(struct plan_cache *c, const struct intent *in, const struct objset *set,
		 size_t from)
{
	size_t i;

	if (set->n != set->n_live || from > set->n)
		return;
	c->objects = malloc((set->n - from + 1) * sizeof(*c->objects));
	if (!c->objects)
		return;
	for (i = from; i < set->n; i++)
		c->objects[c->n_objects++] = object_ref(set->v[i]);
	c->firewall = firewall_ref(in->firewall);
}

int plan_cache_firewall(struct plan_cache *c, const struct intent *in, struct objset *set)
{
	size_t from = set->n, i;
	int r;

	if (c && c->firewall == in->firewall) {
		r = objset_reserve(set, c->n_objects);
		for (i = 0; i < c->n_objects && r >= 0; i++)
			r = objset_add(set, c->objects[i]);
		return r;
	}
	if (c)
		plan_cache_done(c);
	r = desired_firewall(in, set);
	if (r >= 0 && c)
		keep(c, in, set, from);
	return r;
}
