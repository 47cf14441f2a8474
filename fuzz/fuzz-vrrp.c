/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: what the agent reads from the VRRP daemons (services/vrrp.c):
 * keepalived's FIFO lines, fed in pieces of any size, and conntrackd's figures. The input is
 * FIFO-TEXT NUL STATS NUL RSQUEUE. Invariants: the router's state is one the lines can give,
 * every group has a name, and the figures parse without reading out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "services/vrrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vrrp_watch w;
	struct strbuf log = {0};
	struct vrrp_sync_stats st;
	char *copy = malloc(size + 2), *stats, *rsq;
	size_t i, step, fifo_len;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = copy[size + 1] = '\0';
	fifo_len = strnlen(copy, size);
	w = (struct vrrp_watch){.fd = -1};
	step = size ? (data[0] % 13) + 1 : 1;
	for (i = 0; i < fifo_len; i += step)
		vrrp_watch_feed(&w, copy + i, i + step < fifo_len ? step : fifo_len - i, &log);
	if (w.state >= _VRRP_STATE_MAX || w.n_groups > VRRP_GROUPS_MAX)
		abort();
	for (i = 0; i < w.n_groups; i++)
		if (!w.groups[i].name[0] || w.groups[i].state >= _VRRP_STATE_MAX)
			abort();
	/* copy[size] and copy[size + 1] are NUL: both stay within the copy. */
	stats = copy + fifo_len + (fifo_len < size);
	rsq = stats + strlen(stats) + 1;
	vrrp_sync_stats_parse(stats, rsq, &st);
	strbuf_done(&log);
	free(copy);
	return 0;
}
