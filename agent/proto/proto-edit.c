/* SPDX-License-Identifier: MIT */
/*
 * `vrouterctl edit`'s JSON: the text an operator edits, made from the persisted intent, and
 * the check that the persisted intent is the one the agent has in effect (its secrets are in
 * the file only: show redacts them).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "proto.h"

static inline void edit_json_unrefp(json_t **v)
{
	json_decref(*v);
}
#define _cleanup_json_ _cleanup_(edit_json_unrefp)

int proto_edit_text(const char *doc, size_t len, char **ret, size_t *ret_len,
		    int64_t *ret_generation)
{
	_cleanup_json_ json_t *root = NULL;
	json_t *gen;
	json_int_t next;
	char *text, *t;
	size_t n;

	if (proto_document_load(doc, len, &root) < 0 || !json_is_object(root))
		return -EINVAL;
	gen = json_object_get(root, "generation");
	if (!json_is_integer(gen) || json_integer_value(gen) < 1)
		return -EINVAL;
	if (json_integer_value(gen) == INT64_MAX)
		return -ERANGE;
	next = json_integer_value(gen) + 1;
	/* In place: the member keeps its place in the document. */
	if (json_integer_set(gen, next) < 0)
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(2));
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	/* An editor expects a final newline; json_dumps leaves none. */
	t = realloc(text, n + 2);
	if (!t) {
		free(text);
		return -ENOMEM;
	}
	text = t;
	text[n++] = '\n';
	text[n] = '\0';
	*ret = text;
	*ret_len = n;
	*ret_generation = next;
	return 0;
}

bool proto_edit_is_shown(const char *doc, size_t len, const char *shown)
{
	_cleanup_json_ json_t *root = NULL, *want = NULL;

	if (proto_document_load(doc, len, &root) < 0)
		return false;
	want = json_loads(shown, JSON_DECODE_ANY, NULL);
	if (!want)
		return false;
	proto_document_redact(root);
	return json_equal(root, want);
}
