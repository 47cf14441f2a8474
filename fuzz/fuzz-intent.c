/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: parse + validate an intent, then plan and render it. A valid intent is
 * read a second time against the first (intent_load_tree_from), from a tree that keeps some of
 * the first tree's top-level values (chosen by the input's bytes) and copies the others, as
 * the daemon does with a request's unchanged members: it must be valid too and plan to
 * nothing over what the first applied (fuzz-plan.c); then it takes the shared sections over
 * (intent_adopt) and is rendered after the first is gone.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
			intent_adopt(again, in);
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
