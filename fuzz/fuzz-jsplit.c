/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the parse on two threads (proto/jsplit.c), differential. The input is a
 * JSON text, cut wherever the cut would go however short it is (min 0), and parsed with the
 * flags the agent uses and without them: the value must be the one json_loadb() returns, with
 * its keys in the same order, or NULL when that is NULL.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jsplit.h"
#include "fuzz.h"

static void fail(const char *what)
{
	fprintf(stderr, "jsplit: %s\n", what);
	abort();
}

/* Equal values with the keys in the same order: the same compact text. */
static bool same(const json_t *a, const json_t *b)
{
	const size_t f = JSON_COMPACT | JSON_ENCODE_ANY;
	char *x = json_dumps(a, f), *y = json_dumps(b, f);
	bool ret = x && y && !strcmp(x, y) && json_equal(a, b);

	free(x);
	free(y);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t flags[] = {JSON_REJECT_DUPLICATES,
				       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, 0};
	const char *text = (const char *)data;
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
		json_t *one = json_loadb(text, size, flags[i], NULL);
		json_t *two = jsplit_loadb(text, size, flags[i], 0);

		if (!one != !two)
			fail(one ? "a text json_loadb reads is refused"
				 : "a text json_loadb refuses is read");
		if (one && !same(one, two))
			fail("another value than json_loadb's");
		json_decref(one);
		json_decref(two);
	}
	return 0;
}
