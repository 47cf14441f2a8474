/* SPDX-License-Identifier: MIT */
/* A hashed, ordered set of objects keyed by (kind, key). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "objset.h"

#define OBJSET_GONE UINT32_MAX

static uint32_t objset_hash(enum object_kind kind, const char *key)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)kind;

	for (; *key; key++) {
		h ^= (uint8_t)*key;
		h *= 1099511628211ull;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* An object's hash, computed once (its key does not change while it is in a set). */
static uint32_t objset_object_hash(struct object *o)
{
	if (!o->hashed) {
		o->hash = objset_hash(o->kind, o->key);
		o->hashed = true;
	}
	return o->hash;
}

/* The index slot of (kind, key), or of the place to insert it (*found tells which). */
static size_t objset_slot(const struct objset *s, enum object_kind kind, const char *key,
			  uint32_t hash, bool *found)
{
	size_t mask = s->index_cap - 1, i = hash & mask, free_slot = SIZE_MAX;

	for (;; i = (i + 1) & mask) {
		const struct objset_slot *e = &s->index[i];
		const struct object *o;

		if (e->pos == 0) {
			*found = false;
			return free_slot != SIZE_MAX ? free_slot : i;
		}
		if (e->pos == OBJSET_GONE) {
			if (free_slot == SIZE_MAX)
				free_slot = i;
			continue;
		}
		if (e->hash != hash)
			continue;
		o = s->v[e->pos - 1];
		if (o->kind == kind && !strcmp(o->key, key)) {
			*found = true;
			return i;
		}
	}
}

/* Compacts v (drops removed slots) and rebuilds the index for at least `want` objects, with
 * the hashes the old index holds. */
static int objset_rehash(struct objset *s, size_t want)
{
	size_t cap = 16, i, j, mask;
	struct objset_slot *index;
	uint32_t *moved = NULL;

	while (cap < want * 2)
		cap *= 2;
	if (want >= OBJSET_GONE / 2)
		return -ENOMEM;
	index = calloc(cap, sizeof(*index));
	if (s->n)
		moved = malloc(s->n * sizeof(*moved));
	if (!index || (s->n && !moved)) {
		free(index);
		free(moved);
		return -ENOMEM;
	}
	for (i = 0, j = 0; i < s->n; i++)
		if (s->v[i]) {
			moved[i] = (uint32_t)j;
			s->v[j++] = s->v[i];
		}
	mask = cap - 1;
	for (i = 0; i < s->index_cap; i++) {
		const struct objset_slot *e = &s->index[i];
		size_t k;

		if (e->pos == 0 || e->pos == OBJSET_GONE)
			continue;
		for (k = e->hash & mask; index[k].pos; k = (k + 1) & mask)
			;
		index[k] = (struct objset_slot){moved[e->pos - 1] + 1, e->hash};
	}
	free(moved);
	free(s->index);
	s->index = index;
	s->index_cap = cap;
	s->n = j;
	return 0;
}

static int objset_grow(struct objset *s)
{
	int r;

	/* Keep the index at most half full, counting removed slots. */
	if ((s->n + 1) * 2 > s->index_cap) {
		r = objset_rehash(s, s->n_live + 1);
		if (r < 0)
			return r;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct object **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	return 0;
}

int objset_reserve(struct objset *s, size_t n)
{
	size_t want = s->n + n, cap;
	struct object **v;
	int r;

	if ((want + 1) * 2 > s->index_cap) {
		r = objset_rehash(s, s->n_live + n + 1);
		if (r < 0)
			return r;
		want = s->n + n;
	}
	if (want <= s->cap)
		return 0;
	for (cap = s->cap ? s->cap : 16; cap < want; cap *= 2)
		;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

static int objset_insert(struct objset *s, struct object *o, bool replace)
{
	uint32_t hash = objset_object_hash(o);
	size_t slot;
	bool found;
	int r;

	r = objset_grow(s);
	if (r < 0)
		return r;
	slot = objset_slot(s, o->kind, o->key, hash, &found);
	if (found) {
		size_t pos = s->index[slot].pos - 1;

		if (!replace)
			return -EEXIST;
		object_ref(o);
		object_unref(s->v[pos]);
		s->v[pos] = o;
		return 0;
	}
	s->v[s->n] = object_ref(o);
	s->index[slot] = (struct objset_slot){(uint32_t)++s->n, hash};
	s->n_live++;
	return 0;
}

int objset_add(struct objset *s, struct object *o)
{
	return objset_insert(s, o, false);
}

int objset_put(struct objset *s, struct object *o)
{
	return objset_insert(s, o, true);
}

static struct object *objset_lookup(const struct objset *s, enum object_kind kind, const char *key,
				    uint32_t hash)
{
	size_t slot;
	bool found;

	if (!s->index_cap)
		return NULL;
	slot = objset_slot(s, kind, key, hash, &found);
	return found ? s->v[s->index[slot].pos - 1] : NULL;
}

struct object *objset_get(const struct objset *s, enum object_kind kind, const char *key)
{
	return objset_lookup(s, kind, key, objset_hash(kind, key));
}

struct object *objset_find(const struct objset *s, struct object *o)
{
	return objset_lookup(s, o->kind, o->key, objset_object_hash(o));
}

int objset_remove(struct objset *s, enum object_kind kind, const char *key)
{
	size_t slot, pos;
	bool found;

	if (!s->index_cap)
		return -ENOENT;
	slot = objset_slot(s, kind, key, objset_hash(kind, key), &found);
	if (!found)
		return -ENOENT;
	pos = s->index[slot].pos - 1;
	s->index[slot].pos = OBJSET_GONE;
	object_unref(s->v[pos]);
	s->v[pos] = NULL;
	s->n_live--;
	return 0;
}

int objset_copy(const struct objset *s, struct objset *ret)
{
	struct objset c = {0};
	size_t i;

	/* The same arrays, removed places and all: no object is hashed again. */
	if (s->cap) {
		c.v = malloc(s->cap * sizeof(*c.v));
		c.index = malloc(s->index_cap * sizeof(*c.index));
		if (!c.v || !c.index) {
			free(c.v);
			free(c.index);
			return -ENOMEM;
		}
		memcpy(c.v, s->v, s->n * sizeof(*c.v));
		memcpy(c.index, s->index, s->index_cap * sizeof(*c.index));
		c.n = s->n;
		c.cap = s->cap;
		c.n_live = s->n_live;
		c.index_cap = s->index_cap;
		for (i = 0; i < c.n; i++)
			if (c.v[i])
				object_ref(c.v[i]);
	}
	*ret = c;
	return 0;
}

int objset_copy_as(const struct objset *s, struct object *(*twin)(struct object *o),
		   struct objset *ret)
{
	struct objset c;
	struct object *t;
	size_t i;
	int r;

	r = objset_copy(s, &c);
	for (i = 0; r >= 0 && i < c.n; i++) {
		if (!c.v[i])
			continue;
		t = twin(c.v[i]);
		if (!t) {
			objset_done(&c);
			return -ENOMEM;
		}
		object_unref(c.v[i]);
		c.v[i] = t;
	}
	if (r >= 0)
		*ret = c;
	return r;
}

size_t objset_size(const struct objset *s)
{
	return s->n_live;
}

void objset_done(struct objset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		object_unref(s->v[i]);
	free(s->v);
	free(s->index);
	*s = (struct objset){0};
}
