/* SPDX-License-Identifier: MIT */
/* A large JSON text parsed on two threads (jsplit.h). */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsplit.h"
#include "lib/cleanup.h"
#include "lib/jtext.h"
#include "lib/worker.h"

/* Containers descended to find the one to cut. */
#define DEPTH_MAX 16
/* The moved members nest at most this deep: with the DEPTH_MAX containers around them, still
 * within jansson's limit (2048), so that one call would not refuse what the halves accept. */
#define MOVED_DEPTH_MAX 2000

/* Where the text is cut: the members of the container at path, from the one starting at
 * rest_start, go to the second part. */
struct cut {
	struct jtext_step path[DEPTH_MAX];
	size_t depth;
	bool array;
	const char *keep_end;	/* after the value of the last member kept */
	const char *rest_start; /* the first moved member: its key's quote, or the element */
	const char *rest_end;	/* after the value of the container's last member */
};

/* Where a member starts: its key's quote (an element: its value). */
static const char *member_start(const struct jtext_member *m)
{
	return m->key ? m->key - 1 : m->value;
}

/* The cut of text (len bytes): true when found. The container it cuts is the deepest that
 * holds half of the text (jtext_deepest, one walk); its members (a second walk, of it alone)
 * are cut where the members after the cut are nearest to half of the text. */
static bool find_cut(const char *text, size_t len, struct cut *c)
{
	_cleanup_free_ struct jtext_member *m = NULL;
	const char *open, *end, *at;
	size_t n, n_m, k, d;

	if (jtext_deepest(text, len, len / 2, DEPTH_MAX - 1, c->path, &c->depth, &open, &n) < 0 ||
	    jtext_members(open, n, *open == '[', &m, &n_m) < 0 || n_m < 2)
		return false;
	/* The second part: from the first member that starts after the place that leaves half
	 * of the text after it within this container (or the one before if nearer). */
	end = m[n_m - 1].value + m[n_m - 1].value_len;
	at = end - (end - open > (ptrdiff_t)(len / 2) ? (ptrdiff_t)(len / 2) : end - open);
	for (k = 1; k < n_m - 1 && member_start(&m[k]) < at; k++)
		;
	if (k > 1 && member_start(&m[k]) - at > at - member_start(&m[k - 1]))
		k--;
	for (d = k; d < n_m; d++)
		if (m[d].depth > MOVED_DEPTH_MAX)
			return false;
	c->array = *open == '[';
	c->keep_end = m[k - 1].value + m[k - 1].value_len;
	c->rest_start = member_start(&m[k]);
	c->rest_end = end;
	return true;
}

struct also {
	void (*fn)(void *data);
	void *data;
	atomic_flag taken;
};

struct part {
	char *text;
	size_t len, flags;
	json_t *value;
	struct also *also;
};

static void also_run(struct also *a)
{
	if (a->fn && !atomic_flag_test_and_set(&a->taken))
		a->fn(a->data);
}

static void parse_part(void *data)
{
	struct part *p = data;

	p->value = json_loadb(p->text, p->len, p->flags, NULL);
	also_run(p->also);
}

/* The container the cut is in, within the first part's tree. */
static json_t *container_at(json_t *root, const struct cut *c)
{
	json_t *v = root;
	size_t i;

	for (i = 0; v && i < c->depth; i++)
		v = c->path[i].key ? json_object_getn(v, c->path[i].key, c->path[i].key_len)
				   : json_array_get(v, c->path[i].index);
	return v;
}

/* The second part's members appended to the first's container: false when a key is in both
 * (the caller then parses the text in one call, which refuses it) or memory ran out. */
static bool join(json_t *into, json_t *rest, bool array)
{
	const char *key;
	json_t *value;

	if (array)
		return json_is_array(into) && json_array_extend(into, rest) == 0;
	if (!json_is_object(into))
		return false;
	json_object_foreach(rest, key, value)
	{
		if (json_object_get(into, key) || json_object_set(into, key, value) < 0)
			return false;
	}
	return true;
}

json_t *jsplit_loadb(const char *text, size_t len, size_t flags, size_t min)
{
	return jsplit_loadb_also(text, len, flags, min, NULL, NULL);
}

json_t *jsplit_loadb_also(const char *text, size_t len, size_t flags, size_t min,
			  void (*also)(void *data), void *data)
{
	struct also a = {also, data, ATOMIC_FLAG_INIT};
	struct part first = {.flags = flags, .also = &a}, rest = {.flags = flags, .also = &a};
	json_t *ret = NULL;
	struct cut c;
	bool threaded;
	size_t keep, tail;

	/* Without JSON_REJECT_DUPLICATES, a key twice keeps its last value: the container the
	 * cut found in the first could be thrown away. */
	if (len < min || len < 2 || !(flags & JSON_REJECT_DUPLICATES) || !find_cut(text, len, &c)) {
		ret = json_loadb(text, len, flags, NULL);
		also_run(&a);
		return ret;
	}
	keep = (size_t)(c.keep_end - text);
	tail = len - (size_t)(c.rest_end - text);
	first.len = keep + tail;
	rest.len = (size_t)(c.rest_end - c.rest_start) + 2;
	first.text = malloc(first.len);
	rest.text = malloc(rest.len);
	if (!first.text || !rest.text) {
		also_run(&a);
		goto out;
	}
	memcpy(first.text, text, keep);
	memcpy(first.text + keep, c.rest_end, tail);
	rest.text[0] = c.array ? '[' : '{';
	memcpy(rest.text + 1, c.rest_start, rest.len - 2);
	rest.text[rest.len - 1] = c.array ? ']' : '}';
	threaded = worker_submit(parse_part, &rest);
	parse_part(&first);
	if (threaded)
		worker_wait();
	else
		parse_part(&rest);
	if (first.value && rest.value) {
		if (join(container_at(first.value, &c), rest.value, c.array))
			ret = json_incref(first.value);
		else /* a key in both parts, or out of memory: one call says which */
			ret = json_loadb(text, len, flags, NULL);
	}
out:
	json_decref(first.value);
	json_decref(rest.value);
	free(first.text);
	free(rest.text);
	return ret;
}
