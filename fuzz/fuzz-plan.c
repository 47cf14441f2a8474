/* SPDX-License-Identifier: MIT */
/*
 * The plan part of the intent harness: a router whose NICs carry the intent's MACs (under
 * kernel names eth0...) is planned, the plan applied to the recording backend, and planned
 * again with the same intent read another way (sharing sections with the first), through the
 * planner's cache as the engine plans (a shared firewall's objects kept from the first plan)
 * and without it. Both must be empty (idempotence; the shared sections, and the objects kept
 * for them, are what reading them gives); anything else is a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan/backend.h"
#include "plan/plan.h"

static int fuzz_add_nics(const struct intent *in, struct observed *obs)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++) {
		struct object *link = object_new(OBJ_LINK);
		int r;

		if (!link)
			return -1;
		link->link.has = OBJ_LINK_HAS_MAC | OBJ_LINK_HAS_MTU;
		memcpy(link->link.mac, in->ifaces[i].mac, 6);
		snprintf(link->link.name, sizeof(link->link.name), "eth%u", (unsigned)i);
		link->link.mtu = 1500;
		r = object_finish(link);
		if (r >= 0)
			r = observed_add_link(obs, link);
		object_unref(link);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Plans in against the backend's state and applies the plan; returns the number of
 * operations, or a negative errno. */
static int fuzz_plan_apply(const struct intent *in, struct plan_cache *cache, struct backend *b)
{
	struct observed obs = {0};
	struct errlist errs = {0};
	struct oplist ops = {0};
	struct strbuf err = {0};
	int r;
	size_t i;

	r = backend_observe(b, &obs, &errs);
	if (r >= 0)
		r = plan_build(in, &obs, "/etc/vrouter", cache, &ops, NULL, &errs);
	if (r >= 0)
		r = backend_begin(b, &err);
	for (i = 0; r >= 0 && i < ops.n; i++)
		r = backend_apply_op(b, &ops.v[i], &err);
	if (r >= 0)
		r = backend_commit(b, &err);
	if (r >= 0)
		r = (int)ops.n;
	strbuf_done(&err);
	oplist_done(&ops);
	errlist_done(&errs);
	observed_done(&obs);
	return r;
}

void fuzz_plan(const struct intent *in, const struct intent *again)
{
	struct backend *b = backend_record_new(NULL, NULL);
	struct plan_cache cache = {0};
	int first, second, uncached;

	if (!b)
		return;
	if (fuzz_add_nics(in, backend_record_state(b)) == 0) {
		first = fuzz_plan_apply(in, &cache, b);
		if (first >= 0) {
			second = fuzz_plan_apply(again, &cache, b);
			uncached = fuzz_plan_apply(again, NULL, b);
			if (second != 0 || uncached != 0) {
				fprintf(stderr,
					"second plan of the same intent: %d operations (%d without "
					"the planner's cache)\n",
					second, uncached);
				abort();
			}
		}
	}
	plan_cache_done(&cache);
	backend_free(b);
}
