/* SPDX-License-Identifier: MIT */
/*
 * The agent busy: what `status` answers while a long piece of work runs (an apply, a request
 * being read), through the hook the server sets (server-standin.c answers it on a thread of
 * its own). Busy spans nest: the hook hears only the outermost begin and end.
 */
#include <stdlib.h>
#include <string.h>

#include "agent-internal.h"
#include "store.h"

void agent_set_busy_hook(struct agent *a, const struct agent_busy_hook *hook)
{
	a->busy = hook ? *hook : (struct agent_busy_hook){0};
}

/* What the agent knows without asking the router, and what it is busy with: status's brief
 * answer. 0 or -ENOMEM. */
static int agent_status_brief(struct agent *a, enum status_origin origin,
			      struct proto_status *ret)
{
	int r = status_brief(&a->status, a->store, a->in_effect, ret);

	if (r < 0)
		return r;
	ret->busy_since = status_now_iso8601();
	ret->busy_origin = strdup(status_origin_to_string(origin));
	if (!ret->busy_since || !ret->busy_origin || agent_status_records(a, ret) < 0 ||
	    drift_status(&a->drift, a->watch_error, &ret->drift) < 0) {
		proto_status_done(ret);
		return -ENOMEM;
	}
	return 0;
}

void agent_busy_begin(struct agent *a, enum status_origin origin)
{
	struct proto_status brief;
	char *why = NULL;

	if (a->busy_depth++ || !a->busy.begin)
		return;
	/* Out of memory: nobody is answered meanwhile; the requests wait for the end. */
	if (agent_status_brief(a, origin, &brief) < 0)
		return;
	if (store_error(a->store) && !(why = strdup(store_error(a->store)))) {
		proto_status_done(&brief);
		return;
	}
	a->busy_open = true;
	a->busy.begin(a->busy.ctx, &brief, why);
}

void agent_busy_end(struct agent *a)
{
	if (--a->busy_depth || !a->busy_open)
		return;
	a->busy_open = false;
	a->busy.end(a->busy.ctx);
}
