/* SPDX-License-Identifier: MIT */
/* The heaps kept ready (heap.h). */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "heap.h"
#include "lib/worker.h"
#include "log.h"

#define WARM_CHUNK (64 << 10) /* under the size glibc maps on its own */
#define PAGE 4096	      /* the smallest page: each is written at least once */

/* *(size_t *)bytes of the calling thread's heap allocated in chunks, each page written
 * (volatile: neither turned into a calloc, which leaves fresh pages untouched, nor left out
 * before the free), and freed; the chunks are chained by their first word. */
static void warm_thread(void *bytes)
{
	size_t n = *(const size_t *)bytes / WARM_CHUNK, off;
	void *last = NULL;

	while (n--) {
		volatile char *v = malloc(WARM_CHUNK);

		if (!v)
			break;
		for (off = 0; off < WARM_CHUNK; off += PAGE)
			v[off] = 1;
		*(void *volatile *)v = last;
		last = (void *)v;
	}
	while (last) {
		void *prev = *(void **)last;

		free(last);
		last = prev;
	}
}

int heap_setup(unsigned mib)
{
	if (!mib)
		return 0;
	if (!mallopt(M_TOP_PAD, (int)((size_t)mib << 20))) {
		log_warn("cannot set the heap's growth step (M_TOP_PAD)");
		return -ENOTSUP;
	}
	return 0;
}

void heap_warm(unsigned mib)
{
	size_t bytes = (size_t)mib << 20;

	if (!mib)
		return;
	if (worker_submit(warm_thread, &bytes)) {
		warm_thread(&bytes);
		worker_wait();
	} else {
		warm_thread(&bytes);
	}
}
