/* SPDX-License-Identifier: MIT */
/* Two intent documents compared by JSON Pointer (proto-history.h: proto_diff). Pure. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "proto-history.h"
#include "proto-internal.h"
#include "proto.h"

/* The walk over a and b, with their redacted copies ra and rb beside (the same shape: the
 * redaction replaces strings in place), so that what is shown of a value is its redacted
 * copy's. */
struct diff {
	json_t *changes;
	struct strbuf path;
	bool ok;
};

static void diff_add(struct diff *d, const char *op, const json_t *old, const json_t *new)
{
	json_t *c = json_object();

	if (!c) {
		d->ok = false;
		return;
	}
	proto_put(c, "op", json_string(op), &d->ok);
	proto_put(c, "pointer", proto_answer_string(d->path.len ? d->path.s : ""), &d->ok);
	if (old)
		proto_put(c, "old", json_deep_copy(old), &d->ok);
	if (new)
		proto_put(c, "new", json_deep_copy(new), &d->ok);
	if (json_array_append_new(d->changes, c) < 0)
		d->ok = false;
}

/* Appends "/" and key, escaped as RFC 6901 says (~ as ~0, / as ~1). */
static void path_push_key(struct diff *d, const char *key)
{
	if (strbuf_append(&d->path, "/") < 0)
		d->ok = false;
	for (; *key; key++) {
		int r = *key == '~'   ? strbuf_append(&d->path, "~0")
			: *key == '/' ? strbuf_append(&d->path, "~1")
				      : strbuf_append_n(&d->path, key, 1);

		if (r < 0)
			d->ok = false;
	}
}

static void diff_value(struct diff *d, const json_t *a, const json_t *b, const json_t *ra,
		       const json_t *rb);

static int key_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void diff_object(struct diff *d, const json_t *a, const json_t *b, const json_t *ra,
			const json_t *rb)
{
	size_t n = 0, i, at = d->path.len;
	const char **keys = calloc(json_object_size(a) + json_object_size(b) + 1, sizeof(*keys));
	const char *key;
	json_t *v;

	if (!keys) {
		d->ok = false;
		return;
	}
	json_object_foreach((json_t *)a, key, v) keys[n++] = key;
	json_object_foreach((json_t *)b, key, v) if (!json_object_get(a, key)) keys[n++] = key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n && d->ok; i++) {
		path_push_key(d, keys[i]);
		diff_value(d, json_object_get(a, keys[i]), json_object_get(b, keys[i]),
			   json_object_get(ra, keys[i]), json_object_get(rb, keys[i]));
		strbuf_truncate(&d->path, at);
	}
	free(keys);
}

static void diff_array(struct diff *d, const json_t *a, const json_t *b, const json_t *ra,
		       const json_t *rb)
{
	size_t n =
	    json_array_size(a) > json_array_size(b) ? json_array_size(a) : json_array_size(b);
	size_t i, at = d->path.len;

	for (i = 0; i < n && d->ok; i++) {
		if (strbuf_printf(&d->path, "/%zu", i) < 0)
			d->ok = false;
		diff_value(d, json_array_get(a, i), json_array_get(b, i), json_array_get(ra, i),
			   json_array_get(rb, i));
		strbuf_truncate(&d->path, at);
	}
}

/* a or b NULL: the value is only in the other. */
static void diff_value(struct diff *d, const json_t *a, const json_t *b, const json_t *ra,
		       const json_t *rb)
{
	if (!a)
		diff_add(d, "added", NULL, rb);
	else if (!b)
		diff_add(d, "removed", ra, NULL);
	else if (json_is_object(a) && json_is_object(b))
		diff_object(d, a, b, ra, rb);
	else if (json_is_array(a) && json_is_array(b))
		diff_array(d, a, b, ra, rb);
	else if (!json_equal(a, b))
		diff_add(d, "changed", ra, rb);
}

json_t *proto_diff(const json_t *a, const json_t *b)
{
	_cleanup_json_ json_t *ra = json_deep_copy(a), *rb = json_deep_copy(b);
	struct diff d = {.changes = json_array(), .ok = true};

	if (!ra || !rb || !d.changes) {
		json_decref(d.changes);
		return NULL;
	}
	proto_document_redact(ra);
	proto_document_redact(rb);
	diff_value(&d, a, b, ra, rb);
	strbuf_done(&d.path);
	if (!d.ok) {
		json_decref(d.changes);
		return NULL;
	}
	return d.changes;
}
