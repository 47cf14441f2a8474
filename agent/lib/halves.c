/* SPDX-License-Identifier: MIT */
/* Work on a long list in two halves at once (halves.h). */
#include "halves.h"
#include "worker.h"

struct half {
	halves_fn fn;
	void *data;
	size_t from, to;
};

static void half_run(void *data)
{
	struct half *h = data;

	h->fn(h->data, h->from, h->to);
}

bool halves_run(size_t n, size_t min, halves_fn fn, void *first, void *second)
{
	struct half h = {fn, second, n / 2, n};

	if (n < min || n < 2 || !worker_submit(half_run, &h)) {
		fn(first, 0, n);
		return false;
	}
	fn(first, 0, n / 2);
	worker_wait();
	return true;
}
