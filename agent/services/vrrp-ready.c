/* SPDX-License-Identifier: MIT */
/* Whether the router is ready for a planned handover, from the looks at its sync link
 * (vrrp.h). Pure. */
#include <stdio.h>
#include <string.h>

#include "vrrp.h"

bool vrrp_acked_since(const struct vrrp_sync_stats *a, const struct vrrp_sync_stats *b)
{
	uint32_t d = b->oldest_seq - a->newest_seq;

	return !b->unacknowledged || (a->unacknowledged && d > 0 && d < 0x80000000u);
}

void vrrp_sync_look(struct vrrp_sync_seen *seen, const struct vrrp_sync_stats *st,
		    uint64_t now_ms, const char *now_iso)
{
	if (!seen->has_base) {
		seen->has_base = true;
		seen->base = *st;
		seen->base_ms = now_ms;
		return;
	}
	if (now_ms - seen->base_ms < VRRP_LOOK_WINDOW_MS)
		return;
	seen->measured = true;
	/* packets_received starts again from 0 when conntrackd is restarted: a change either
	 * way is traffic from the peer. */
	if (st->packets_received != seen->base.packets_received) {
		seen->heard_ms = now_ms;
		snprintf(seen->heard_iso, sizeof(seen->heard_iso), "%s", now_iso);
	}
	if (vrrp_acked_since(&seen->base, st))
		seen->acked_ms = now_ms;
	seen->base = *st;
	seen->base_ms = now_ms;
}

const char *vrrp_not_ready(enum vrrp_state state, bool has_sync, const struct vrrp_sync_seen *seen,
			   uint64_t now_ms)
{
	if (state != VRRP_MASTER && state != VRRP_BACKUP)
		return "this router is neither master nor backup";
	if (!has_sync)
		return "no connection sync (vrrp.sync), or conntrackd does not answer";
	if (!seen->measured)
		return "the sync link is being measured: look again in a second";
	if (!seen->heard_ms || now_ms - seen->heard_ms > VRRP_READY_STALE_MS)
		return "the peer is not heard on the sync link";
	/* What a backup sends is control messages only: the acknowledgements that matter are
	 * the backup's, of the master's connection states. */
	if (state == VRRP_MASTER &&
	    (!seen->acked_ms || now_ms - seen->acked_ms > VRRP_READY_STALE_MS))
		return "the peer does not acknowledge the connection states sent to it";
	return NULL;
}
