/* SPDX-License-Identifier: MIT */
/*
 * A set of objects keyed by (kind, key): hashed look-up, insertion order kept (the order of
 * the intent for desired objects, of the state for observed ones). The set holds one
 * reference to each object.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "object.h"

struct objset_slot {
	uint32_t pos;  /* 0 empty, OBJSET_GONE removed, else position in v + 1 */
	uint32_t hash; /* of the object's kind and key: most misses need no look at it */
};

struct objset {
	struct object **v; /* insertion order; NULL where an object was removed */
	size_t n;	   /* used slots of v */
	size_t cap;
	size_t n_live;
	struct objset_slot *index; /* open addressing, at most half full */
	size_t index_cap;
};

/* Adds o (takes a new reference). -EEXIST when an object with its kind and key is there. */
int objset_add(struct objset *s, struct object *o);
/* Adds o, or puts it in the place of the object with its kind and key. */
int objset_put(struct objset *s, struct object *o);
struct object *objset_get(const struct objset *s, enum object_kind kind, const char *key);
/* The object of o's kind and key (o's hash is kept in o: the cheaper look-up). */
struct object *objset_find(const struct objset *s, struct object *o);
/* Removes (and unrefs) the object of that kind and key; -ENOENT if absent. */
int objset_remove(struct objset *s, enum object_kind kind, const char *key);
/* Makes room for n more objects, so that adding them grows nothing. 0 or -ENOMEM. */
int objset_reserve(struct objset *s, size_t n);
/* Another set holding the same objects, in the same order. */
int objset_copy(const struct objset *s, struct objset *ret);
/* Another set holding twin(o) for each object o of s, in the same order: twin returns a new
 * reference to an object of o's kind and key (NULL: out of memory). No object is hashed again.
 * 0 or -ENOMEM. */
int objset_copy_as(const struct objset *s, struct object *(*twin)(struct object *o),
		   struct objset *ret);
size_t objset_size(const struct objset *s);
void objset_done(struct objset *s);

#define objset_foreach(s, i, o)                                                                    \
	for ((i) = 0; (i) < (s)->n; (i)++)                                                         \
		if (((o) = (s)->v[i]))
