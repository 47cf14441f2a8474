/* SPDX-License-Identifier: MIT */
/* The agent's drift (drift.h): the watch of the kernel objects, checks and repairs, and the
 * supervision of the daemons that runs beside them (agent_supervise()). */
#include <string.h>
#include <time.h>

#include "agent-internal.h"
#include "drift.h"
#include "kernel/kernel-watch.h"
#include "lib/cleanup.h"
#include "log.h"
#include "nft/nft-desc.h"
#include "services/services.h"
#include "store.h"

/* The kernel objects are watched with the kernel backend; a watch that cannot be set up is
 * logged and shown in status (drift is then found by applies of the intent in effect only). */
void agent_watch_open(struct agent *a, const struct agent_config *cfg)
{
	struct strbuf err = {0};

	if (strcmp(cfg->backend, "kernel")) {
		a->watch_error = strdup("the recording backend has no kernel objects to watch");
		return;
	}
	if (kernel_watch_open(&a->watch, NFT_DESC_TABLE, &err) < 0) {
		a->watch_error = strdup(err.len ? strbuf_str(&err) : "out of memory");
		log_warn("drift is not watched: %s", a->watch_error ? a->watch_error : "");
	}
	strbuf_done(&err);
}

static uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* After each of the agent's own applies: the events it caused are read and dropped (they are
 * not drift), and the pending check with them. An apply of an intent (not a repair) ends the
 * hold of a repeated drift. */
void agent_watch_drain(struct agent *a, enum status_origin origin)
{
	if (a->watch)
		kernel_watch_read(a->watch);
	drift_forget(&a->drift);
	if (origin != ORIGIN_DRIFT)
		drift_applied(&a->drift);
}

/* One line for a drift: its objects (the first few) by pointer and operation, and what is
 * done about it. */
static void agent_drift_log(struct agent *a, const struct oplist *ops, const char *what)
{
	struct strbuf line = {0};
	size_t i;

	for (i = 0; i < ops->n && i < 4; i++) {
		const char *ptr = ops->v[i].obj->ptr ? ops->v[i].obj->ptr : "";

		strbuf_printf(&line, "%s%s%s", i ? "; " : "", ptr, *ptr ? " " : "");
		op_format(&ops->v[i], &line);
	}
	if (ops->n > i)
		strbuf_printf(&line, "; %zu more", ops->n - i);
	log_warn("drift from generation %lld, %zu object%s: %s; %s",
		 (long long)store_generation(a->store), ops->n, ops->n == 1 ? "" : "s",
		 strbuf_str(&line), what);
	strbuf_done(&line);
}

/* Whether the router is known to be at the intent in effect without observing it: the watch
 * works, none of the events it has queued may concern the agent's objects, and the last apply
 * or check found the router there (drift.h, "verified"). */
static bool agent_router_verified(struct agent *a)
{
	if (!a->watch)
		return false;
	if (kernel_watch_read(a->watch) != 0)
		drift_event(&a->drift, agent_now_ms());
	return a->drift.verified;
}

/* The intent in effect planned against the router: the drift in *ops (none: empty), recorded
 * and logged when found by an apply. 0 or negative errno (errors in errs). */
int agent_drift_plan(struct agent *a, const struct intent *in, enum status_origin origin,
		     struct oplist *ops, struct errlist *errs)
{
	enum drift_action act;
	bool is_new;
	int r;

	if (agent_router_verified(a))
		return 0;
	r = engine_plan(a->engine, in, ops, NULL, errs);
	if (r >= 0 && !ops->n)
		drift_verified(&a->drift, true);
	if (r < 0 || !ops->n || origin == ORIGIN_DRIFT)
		return r;
	if (drift_found(&a->drift, ops, false, agent_now_ms(), status_now_iso8601(), &is_new,
			&act) < 0)
		log_warn("out of memory: a drift is not recorded");
	else if (is_new)
		agent_drift_log(a, ops, "repaired by the apply of the intent in effect");
	return 0;
}

/* The drift's repair (the apply of the intent in effect) ended with res. */
void agent_drift_repaired(struct agent *a, enum status_origin origin,
			  const struct apply_result *res)
{
	bool ok = res->status == APPLY_OK;

	drift_repaired(&a->drift, ok, origin == ORIGIN_DRIFT ? "watch" : "apply",
		       status_now_iso8601(),
		       ok ? NULL : res->errs.n ? res->errs.v[0].message : "failed");
	if (ok)
		log_notice("drift repaired by the %s: %zu changes in %.1f ms",
			   origin == ORIGIN_DRIFT ? "watch" : "apply of the intent in effect",
			   res->changes, res->duration_ms);
	else
		log_err("drift not repaired: %s", res->errs.n ? res->errs.v[0].message : "failed");
}

/* A check of the intent in effect against the router, as `plan` does; drift found is
 * repaired through agent_apply() (the normal path: same undo, same atomicity), or reported. */
static void agent_drift_check(struct agent *a)
{
	_cleanup_free_ char *answer = NULL;
	struct errlist errs = {0};
	struct oplist ops = {0};
	enum drift_action act = DRIFT_ACT_REPORT;
	const struct intent *in;
	bool is_new, ok, changed;
	int r;

	if (!a->in_effect || !(in = agent_model(a)))
		return; /* an intent not in effect is planned in full by its next apply */
	r = engine_plan(a->engine, in, &ops, NULL, &errs);
	if (r >= 0 && !ops.n)
		drift_verified(&a->drift, true);
	if (drift_check_result(&a->drift, r >= 0 ? NULL : errs.n ? errs.v[0].message : strerror(-r),
			       &changed) < 0)
		log_warn("out of memory: a drift check's result is not recorded");
	else if (r < 0 && changed)
		log_warn("drift check of generation %lld failed: %s (logged again when the reason "
			 "changes)",
			 (long long)store_generation(a->store), a->drift.check_error);
	else if (r >= 0 && changed)
		log_notice("drift checks of generation %lld work again",
			   (long long)store_generation(a->store));
	if (r < 0 || !ops.n)
		goto out;
	if (drift_found(&a->drift, &ops, true, agent_now_ms(), status_now_iso8601(), &is_new,
			&act) < 0)
		log_warn("out of memory: a drift is not recorded");
	else if (act == DRIFT_ACT_REPAIR)
		agent_drift_log(a, &ops, "repairing");
	else if (is_new && act == DRIFT_ACT_REPORT)
		agent_drift_log(a, &ops, "reported only (--drift=report)");
	else if (is_new)
		agent_drift_log(a, &ops, "held: the same objects were repaired 3 times within 10 s "
					 "(another actor changes them); reported only until the "
					 "next apply");
	if (act == DRIFT_ACT_REPAIR)
		answer = agent_apply(a, NULL, in, &(struct agent_doc){.tree = a->applied_doc},
				     ORIGIN_DRIFT, &ok);
out:
	oplist_done(&ops);
	errlist_done(&errs);
}

/* The watch: its events, then the check once due. The ms until the next check. */
static uint64_t agent_drift_run(struct agent *a)
{
	int r;

	if (!a->watch)
		return UINT64_MAX;
	r = kernel_watch_read(a->watch);
	if (r < 0)
		log_warn("drift watch: cannot read events: %s", strerror(-r));
	if (r != 0)
		drift_event(&a->drift, agent_now_ms());
	if (drift_take_due(&a->drift, agent_now_ms()))
		agent_drift_check(a);
	return drift_timeout(&a->drift, agent_now_ms());
}

uint64_t agent_supervise(struct agent *a)
{
	struct strbuf log = {0};
	uint64_t next = UINT64_MAX, drift;

	if (a->services) {
		next = backend_services_supervise(a->services, &log);
		agent_log_lines(&log, true);
		strbuf_done(&log);
		agent_log_notes(a);
	}
	drift = agent_drift_run(a);
	return drift < next ? drift : next;
}

size_t agent_supervise_fds(struct agent *a, int *ret, size_t max)
{
	size_t n = kernel_watch_fds(a->watch, ret, max);

	return n + (a->services ? backend_services_fds(a->services, ret + n, max - n) : 0);
}
