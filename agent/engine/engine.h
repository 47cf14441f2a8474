/* SPDX-License-Identifier: MIT */
/*
 * The apply engine: observe, plan, apply, and undo on failure. Either the whole plan is in
 * effect afterwards or the router is back in the observed state.
 *
 * The engine owns an ordered list of backends; each object kind is handled by the first
 * backend that claims it (and accepts the object). An intent whose plan needs an object that
 * no backend takes is refused before anything is touched (status APPLY_FAILED): the agent
 * never pretends to apply what it cannot.
 *
 * An apply: observe, plan, every backend's prepare and begin, the operations in plan order
 * (the kernel's applied at once, the others queued), every backend's check (nothing is
 * committed yet), then every backend's commit in the list's order (nftables, then the
 * services with their health check). A failure anywhere reverts the backends already
 * committed, in reverse order, undoes the applied operations and aborts every backend.
 *
 * The engine does no I/O of its own (everything goes through the backends) and does not
 * log; the caller logs the result once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "intent/intent.h"
#include "lib/errlist.h"
#include "plan/backend.h"
#include "plan/op.h"

/* The exit codes of the spec ("The agent's answer"), defined here only: an apply's status, the
 * "exit" of the agent's answers and vrouterctl's exit status (cli.h adds vrouterctl's own). */
enum apply_status {
	APPLY_OK = 0,	   /* applied, or nothing to do */
	APPLY_INVALID = 1, /* the intent is invalid: nothing changed */
	APPLY_FAILED = 2,  /* a step failed; the applied steps were undone */
	APPLY_STALE = 3,   /* generation older than the applied one: nothing changed */
};

struct apply_result {
	enum apply_status status;
	size_t changes;	    /* operations performed and kept */
	double duration_ms; /* observe + plan + apply (+ undo) */
	/* INVALID: the intent's errors. FAILED: the failing step at the JSON Pointer of the
	 * intent element it came from, "<operation>: <system message>"; then one entry per
	 * inverse operation that failed too (the router may then differ from before). */
	struct errlist errs;
	bool undo_failed;
	/* FAILED because the router did not keep what the apply did (see engine_apply): the
	 * operations were undone, but what the kernel dropped on its own may stay dropped. */
	bool not_kept;
};

struct engine;

/* Takes ownership of the backends (freed with the engine). confdir: see render_services. */
struct engine *engine_new(struct backend **backends, size_t n, const char *confdir);
struct engine *engine_free(struct engine *e);

/* The router as the backends observe it: each part (hostname, links, addresses, routes, the
 * firewall's objects, files) from the first backend that handles its kind. 0, or a negative
 * errno with the errors reported (*ret untouched). */
int engine_observe(struct engine *e, struct observed *ret, struct errlist *errs);

/* What the backends count of their objects (backend_ops.counters), from each backend that
 * counts and handles one of kinds (BACKEND_KIND() bits; ~0u: all), in the engine's order. 0,
 * or a negative errno with "BACKEND backend: reason" in err (*ret untouched). */
int engine_counters(struct engine *e, unsigned kinds, struct counterlist *ret,
		    struct strbuf *err);

/* What the backends found and did on their own since they were last asked (backend_ops.notes),
 * appended in the engine's order. */
void engine_notes(struct engine *e, struct strbuf *warnings, struct strbuf *notices);

/* Observes through every backend and plans the intent. 0, -EINVAL (errors reported: the
 * observed state, or a plan error at the intent's pointers), or another negative errno.
 * missing (NULL: not wanted): see plan_build. */
int engine_plan(struct engine *e, const struct intent *in, struct oplist *ret,
		struct missing_links *missing, struct errlist *errs);

/* Observes, plans and applies. When the plan had kernel operations, the router is observed
 * and planned again after the commits: the kernel drops objects on its own as a consequence
 * of some operations, and an apply is done only when nothing is left to do. Anything left is
 * a failed apply (not_kept), each object the router did not keep named at its pointer, and
 * undone like any other failure. Returns 0 with res filled (whatever the status), or a
 * negative errno when not even the result could be built (out of memory). */
int engine_apply(struct engine *e, const struct intent *in, struct apply_result *res);

void apply_result_done(struct apply_result *res);
const char *apply_status_to_string(enum apply_status s);
