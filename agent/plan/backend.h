/* SPDX-License-Identifier: MIT */
/*
 * The one boundary between the pure core and the router. Everything the agent reads from or
 * does to the system goes through a backend:
 *
 *   record   (backend-record.c) a JSON state file in, one text line per operation out; for
 *            `vrouterctl plan`, dry runs and golden tests
 *   kernel   (kernel/backend-kernel.c) links, addresses, routes, hostname over rtnetlink
 *   nftables (nft/backend-nft.c) fw-set, fw-element, fw-chain, fw-rule, nat-rule: one
 *            transaction
 *   services (services/backend-services.c) the files of the daemons it drives (dnsmasq,
 *            keepalived, conntrackd), the daemons themselves, WireGuard tunnels' files
 *
 * An object of a kind that no backend accepts (today: strongSwan's files) is refused before
 * anything is touched (engine.h).
 *
 * An apply is: observe (every backend fills its part of one struct observed), plan, then
 * begin on every backend, apply_op for each operation in plan order (on the backend of its
 * kind), check on every backend, commit on every backend in the engine's order. Backends
 * without transactions (rtnetlink, record) apply each operation at once; a transactional
 * backend (nftables, services) queues in apply_op and makes the change in commit, all of it
 * or nothing. When a step fails, the caller reverts the backends already committed (in
 * reverse order), undoes the operations already applied with op_inverse(), in reverse order,
 * then calls abort on every backend, which drops what is still queued (abort itself never
 * undoes what was applied).
 *
 * Errors: observe and check report into an error list (pointers into what they read, or the
 * intent's); apply_op/commit/revert/abort return a negative errno and append the system's
 * own message (the kernel's extended ACK, a daemon's output) to err. Backends do not log:
 * what they did on their own, the daemon takes from them (notes) and logs.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "counter.h"
#include "intent/intent.h"
#include "lib/errlist.h"
#include "lib/strbuf.h"
#include "observed.h"
#include "op.h"

struct backend;

struct backend_ops {
	const char *name;
	unsigned kinds; /* BACKEND_KIND(k) of each object kind it handles */
	/* Optional (NULL: all of them): whether it takes this object of one of its kinds. */
	bool (*accepts)(const struct backend *b, const struct object *o);
	/* Fills obs (the parts of its kinds). 0, or negative errno with errors reported. */
	int (*observe)(struct backend *b, struct observed *obs, struct errlist *errs);
	/* Optional (NULL: none): called before begin with the intent being applied, for a
	 * backend that builds its transaction from the typed model rather than from the
	 * operations' text (nftables compiles the firewall section into one batch). */
	int (*prepare)(struct backend *b, const struct intent *in, struct strbuf *err);
	int (*begin)(struct backend *b, struct strbuf *err);
	int (*apply_op)(struct backend *b, const struct op *op, struct strbuf *err);
	/* Optional (NULL: nothing to check): after every operation went through apply_op and
	 * before any backend commits, checks what is queued (a daemon's own checker on the
	 * staged files). A refusal is reported at the intent's pointer where it can be. */
	int (*check)(struct backend *b, struct errlist *errs);
	int (*commit)(struct backend *b, struct strbuf *err);
	/* Optional (NULL: its commit changes nothing by itself; the inverse operations undo
	 * what apply_op did): after a successful commit, puts back what the router had before
	 * it, when a later step of the same apply fails. */
	int (*revert)(struct backend *b, struct strbuf *err);
	/* Drops what is queued since begin (nothing for a backend without transactions). */
	int (*abort)(struct backend *b, struct strbuf *err);
	/* Optional (NULL: counts nothing): appends to list what the backend counts of its
	 * objects as they are now (the kernel: each link's traffic; nftables: what each intent
	 * rule matched), and marks each kind it counts in list->kinds. 0, or a negative errno
	 * with the reason in err. */
	int (*counters)(struct backend *b, struct counterlist *list, struct strbuf *err);
	/* Optional (NULL: none): appends what the backend found and did on its own since it
	 * was last asked, one line each, for the daemon's log, and forgets it: warnings (a
	 * damaged file of its own set aside) and notices (a file of an older agent read). */
	void (*notes)(struct backend *b, struct strbuf *warnings, struct strbuf *notices);
	void (*free)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
};

#define BACKEND_KIND(k) (1u << (k))

static inline bool backend_handles(const struct backend *b, enum object_kind k)
{
	return b->ops->kinds & BACKEND_KIND(k);
}

static inline bool backend_accepts(const struct backend *b, const struct object *o)
{
	return backend_handles(b, o->kind) && (!b->ops->accepts || b->ops->accepts(b, o));
}

static inline int backend_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	return b->ops->observe(b, obs, errs);
}

static inline int backend_prepare(struct backend *b, const struct intent *in,
				  struct strbuf *err)
{
	return b->ops->prepare ? b->ops->prepare(b, in, err) : 0;
}

static inline int backend_begin(struct backend *b, struct strbuf *err)
{
	return b->ops->begin(b, err);
}

static inline int backend_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	return b->ops->apply_op(b, op, err);
}

static inline int backend_commit(struct backend *b, struct strbuf *err)
{
	return b->ops->commit(b, err);
}

static inline int backend_check(struct backend *b, struct errlist *errs)
{
	return b->ops->check ? b->ops->check(b, errs) : 0;
}

static inline int backend_revert(struct backend *b, struct strbuf *err)
{
	return b->ops->revert ? b->ops->revert(b, err) : 0;
}

static inline int backend_abort(struct backend *b, struct strbuf *err)
{
	return b->ops->abort(b, err);
}

/* See backend_ops.counters; a backend without the op appends nothing. */
static inline int backend_counters(struct backend *b, struct counterlist *list, struct strbuf *err)
{
	return b->ops->counters ? b->ops->counters(b, list, err) : 0;
}

/* See backend_ops.notes; a backend without the op appends nothing. */
static inline void backend_notes(struct backend *b, struct strbuf *warnings,
				 struct strbuf *notices)
{
	if (b->ops->notes)
		b->ops->notes(b, warnings, notices);
}

/* Accepts NULL; returns NULL. */
static inline struct backend *backend_free(struct backend *b)
{
	if (b)
		b->ops->free(b);
	return NULL;
}

/*
 * The recording backend. observe reads the JSON state at state_path (NULL: a router with
 * nothing observed); apply_op writes the operation's line to log (NULL: nowhere) and applies
 * it to its state in memory, as the kernel would (a renamed link takes its addresses and
 * routes along; a deleted link takes them away). It has no transactions: begin, commit and
 * abort do nothing.
 */
struct backend *backend_record_new(const char *state_path, FILE *log);
/* The recording backend's state (read by observe, changed by apply_op). */
struct observed *backend_record_state(struct backend *b);
/* Writes the state as JSON to path (mode 0600: file contents may hold secrets). */
int backend_record_write_state(struct backend *b, const char *path, struct strbuf *err);
