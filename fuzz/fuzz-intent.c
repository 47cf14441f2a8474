/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: parse + validate an intent, then plan and render it. A valid intent is
 * read a second time against the first (intent_load_tree_from), from a tree that keeps some of
 * the first tree's top-level values (chosen by the input's bytes) and copies the others, as
 * the daemon does with a request's unchanged members: it must be valid too and plan to
 * nothing over what the first applied (fuzz-plan.c); then it is rendered after the first is
 * gone (the sections it shares are its references). A duplicate key or a number out of range
 * that jansson refuses must be found at a pointer (jr_error_locate).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "intent/parse.h"
#include "lib/jread.h"
#include "render/render.h"

/* A copy of root whose members are root's own values, or deep copies where bit i of mask
 * (i: the member's place) is set. */
static json_t *fuzz_mixed_copy(json_t *root, unsigned mask)
{
	json_t *copy = json_object(), *v;
	const char *key;
	unsigned i = 0;

	if (!copy)
		return NULL;
	json_object_foreach(root, key, v) {
		json_t *w = (mask >> (i++ % 32)) & 1 ? json_deep_copy(v) : json_incref(v);

		if (!w || json_object_set_new(copy, key, w) < 0) {
			json_decref(copy);
			return NULL;
		}
	}
	return copy;
}

/* Whether the text with the number that ends at end replaced by 0 reads on past the 0: the
 * number stood where a value goes. */
static bool fuzz_number_is_value(const char *text, size_t size, size_t end)
{
	char *copy = malloc(size ? size : 1);
	size_t i = end;
	json_error_t e;
	json_t *v;

	if (!copy)
		abort();
	memcpy(copy, text, size);
	while (i > 0 && strchr("0123456789.eE+-", text[i - 1]) && text[i - 1])
		i--;
	copy[i] = '0';
	memset(copy + i + 1, ' ', end - i - 1);
	v = json_loadb(copy, size, JSON_REJECT_DUPLICATES, &e);
	free(copy);
	json_decref(v);
	return v || (size_t)e.position > i + 1;
}

/* Every duplicate key jansson refuses is located, and a number out of range exactly when it
 * stands where a value goes. */
static void fuzz_locate(const char *text, size_t size)
{
	char *pointer = NULL, *message = NULL;
	json_error_t e;
	json_t *v = json_loadb(text, size, JSON_REJECT_DUPLICATES, &e);
	bool want;
	int r;

	if (v) {
		json_decref(v);
		return;
	}
	if (json_error_code(&e) == json_error_duplicate_key)
		want = true;
	else if (json_error_code(&e) == json_error_numeric_overflow)
		want = fuzz_number_is_value(text, size, (size_t)e.position);
	else
		return;
	r = jr_error_locate(text, size, &e, &pointer, &message);
	if (r != (want ? 1 : 0)) {
		fprintf(stderr, "jansson's error %s: %s\n", want ? "not located" : "located",
			e.text);
		abort();
	}
	free(pointer);
	free(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = {0};
	struct intent *in = NULL, *again = NULL;
	struct rendered rd = {0};
	json_t *root = NULL, *copy = NULL;
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < size; i++)
		mask = mask * 31 + data[i];
	fuzz_locate((const char *)data, size);
	if (jr_load(&errs, (const char *)data, size, &root) == 0 &&
	    intent_load_tree(root, &in, &errs) == 0) {
		if (render_services(in, "/etc/vrouter", &rd) == 0)
			rendered_done(&rd);
		copy = fuzz_mixed_copy(root, mask);
		if (copy && intent_load_tree_from(copy, root, in, &again, &errs) < 0) {
			fprintf(stderr, "a valid intent read against itself is invalid: %s %s\n",
				errs.n ? errs.v[0].pointer : "", errs.n ? errs.v[0].message : "");
			abort();
		}
		fuzz_plan(in, again ? again : in);
		if (again) {
			in = intent_free(in);
			if (render_services(again, "/etc/vrouter", &rd) == 0)
				rendered_done(&rd);
		}
		intent_free(again);
		intent_free(in);
	}
	json_decref(copy);
	jr_unref(root);
	errlist_done(&errs);
	return 0;
}
