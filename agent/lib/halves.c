/* SPDX-License-Identifier: MIT */
/* Work on a long list in two halves at once (halves.h). */
#include <pthread.h>

#include "halves.h"

struct half {
	halves_fn fn;
	void *data;
	size_t from, to;
};

static void *half_run(void *data)
{
	struct half *h = data;

	h->fn(h->data, h->from, h->to);
	return NULL;
}

bool halves_run(size_t n, size_t min, halves_fn fn, void *first, void *second)
{
	struct half h = {fn, second, n / 2, n};
	pthread_t t;

	if (n < min || n < 2 || pthread_create(&t, NULL, half_run, &h) != 0) {
		fn(first, 0, n);
		return false;
	}
	fn(first, 0, n / 2);
	pthread_join(t, NULL);
	return true;
}
