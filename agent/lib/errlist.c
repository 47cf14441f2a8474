/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "strbuf.h"

/* Room for one more entry: false (oom set) when there is none. */
static bool grow(struct errlist *l)
{
	size_t cap = l->cap ? l->cap * 2 : 16;
	struct errlist_entry *v = realloc(l->v, cap * sizeof(*v));

	if (!v) {
		l->oom = 1;
		return false;
	}
	l->v = v;
	l->cap = cap;
	return true;
}

static void errlist_vadd(struct errlist *l, const char *pointer, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void errlist_add(struct errlist *l, const char *pointer, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(l, pointer, fmt, ap);
	va_end(ap);
}

void errlist_add_at(struct errlist *l, const char *base, const char *suffix, const char *fmt, ...)
{
	struct strbuf p = {0};
	va_list ap;

	strbuf_printf(&p, "%s%s", base, suffix);
	va_start(ap, fmt);
	errlist_vadd(l, strbuf_str(&p), fmt, ap);
	va_end(ap);
	strbuf_done(&p);
}

void errlist_add_member(struct errlist *l, const char *base, const char *key, long index,
			const char *fmt, ...)
{
	struct strbuf p = {0};
	va_list ap;

	strbuf_append(&p, base);
	if (key)
		strbuf_printf(&p, "/%s", key);
	if (index >= 0)
		strbuf_printf(&p, "/%ld", index);
	va_start(ap, fmt);
	errlist_vadd(l, strbuf_str(&p), fmt, ap);
	va_end(ap);
	strbuf_done(&p);
}

static void errlist_vadd(struct errlist *l, const char *pointer, const char *fmt, va_list ap)
{
	struct strbuf msg = {0};
	struct errlist_entry *e;

	if (l->n >= ERRLIST_MAX) {
		l->dropped++;
		return;
	}
	if (l->n == l->cap && !grow(l))
		return;
	strbuf_vprintf(&msg, fmt, ap);
	e = &l->v[l->n];
	*e = (struct errlist_entry){
		.pointer = strdup(pointer),
		.message = strbuf_steal(&msg),
		.seq = l->n,
	};
	if (!e->pointer || !e->message) {
		free(e->pointer);
		free(e->message);
		l->oom = 1;
		return;
	}
	l->n++;
}

static int errlist_entry_cmp(const void *a, const void *b)
{
	const struct errlist_entry *x = a, *y = b;
	size_t i;

	for (i = 0; i < x->n_position && i < y->n_position; i++)
		if (x->position[i] != y->position[i])
			return x->position[i] < y->position[i] ? -1 : 1;
	if (x->n_position != y->n_position)
		return x->n_position < y->n_position ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void errlist_sort(struct errlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), errlist_entry_cmp);
}

void errlist_print(const struct errlist *l, FILE *f)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fprintf(f, "%s: %s\n", l->v[i].pointer, l->v[i].message);
	if (l->dropped)
		fprintf(f, ": %zu more errors not shown\n", l->dropped);
	if (l->oom)
		fprintf(f, ": out of memory while collecting errors\n");
}

void errlist_done(struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].pointer);
		free(l->v[i].message);
		free(l->v[i].position);
	}
	free(l->v);
	*l = (struct errlist){0};
}
