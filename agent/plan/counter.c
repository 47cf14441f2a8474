/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

static int counterlist_reserve(struct counterlist *l, size_t more)
{
	struct counter *v;
	size_t cap = l->cap ? l->cap : 16;

	if (l->n + more <= l->cap)
		return 0;
	while (cap < l->n + more)
		cap *= 2;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

struct counter *counterlist_push(struct counterlist *l, enum object_kind kind, const char *name,
				 size_t len)
{
	struct counter *c;
	char *s;

	if (counterlist_reserve(l, 1) < 0)
		return NULL;
	s = strndup(name, len);
	if (!s)
		return NULL;
	c = &l->v[l->n++];
	*c = (struct counter){.kind = kind, .name = s};
	return c;
}

int counterlist_take(struct counterlist *l, struct counter *c)
{
	if (counterlist_reserve(l, 1) < 0)
		return -ENOMEM;
	l->v[l->n++] = *c;
	*c = (struct counter){0};
	return 0;
}

int counterlist_move(struct counterlist *dst, struct counterlist *src)
{
	if (counterlist_reserve(dst, src->n) < 0)
		return -ENOMEM;
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	dst->kinds |= src->kinds;
	free(src->v);
	*src = (struct counterlist){0};
	return 0;
}

void counterlist_done(struct counterlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].pointer);
		free(l->v[i].comment);
	}
	free(l->v);
	*l = (struct counterlist){0};
}
