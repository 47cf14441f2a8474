/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "lib/cleanup.h"
#include "plan/plan.h"

struct engine {
	struct backend **backends;
	size_t n_backends;
	char *confdir;
	struct plan_cache cache; /* from one plan to the next */
};

struct engine *engine_new(struct backend **backends, size_t n, const char *confdir)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->backends = calloc(n ? n : 1, sizeof(*e->backends));
	e->confdir = strdup(confdir);
	if (!e->backends || !e->confdir) {
		free(e->backends);
		free(e->confdir);
		free(e);
		return NULL;
	}
	memcpy(e->backends, backends, n * sizeof(*backends));
	e->n_backends = n;
	return e;
}

struct engine *engine_free(struct engine *e)
{
	size_t i;

	if (!e)
		return NULL;
	for (i = 0; i < e->n_backends; i++)
		backend_free(e->backends[i]);
	free(e->backends);
	free(e->confdir);
	plan_cache_done(&e->cache);
	free(e);
	return NULL;
}

/* The backend that handles objects of kind k, or NULL. */
static struct backend *engine_backend(const struct engine *e, enum object_kind k)
{
	size_t i;

	for (i = 0; i < e->n_backends; i++)
		if (backend_handles(e->backends[i], k))
			return e->backends[i];
	return NULL;
}

/* Moves into dst the parts of src that backend b is the handler of. */
static int engine_merge(const struct engine *e, const struct backend *b, struct observed *src,
			struct observed *dst)
{
	size_t i;
	int r;

	if (engine_backend(e, OBJ_HOSTNAME) == b) {
		object_unref(dst->hostname);
		dst->hostname = TAKE_PTR(src->hostname);
	}
	if (engine_backend(e, OBJ_LINK) == b)
		for (i = 0; i < src->n_links; i++) {
			r = observed_add_link(dst, src->links[i]);
			if (r < 0)
				return r;
		}
	if (engine_backend(e, OBJ_ADDRESS) == b) {
		objset_done(&dst->addrs);
		r = objset_copy(&src->addrs, &dst->addrs);
		if (r < 0)
			return r;
	}
	if (engine_backend(e, OBJ_ROUTE) == b) {
		objset_done(&dst->routes);
		r = objset_copy(&src->routes, &dst->routes);
		if (r < 0)
			return r;
	}
	if (engine_backend(e, OBJ_FW_RULE) == b) {
		objset_done(&dst->nft);
		r = objset_copy(&src->nft, &dst->nft);
		if (r < 0)
			return r;
	}
	if (engine_backend(e, OBJ_FILE) == b) {
		objset_done(&dst->files);
		r = objset_copy(&src->files, &dst->files);
		if (r < 0)
			return r;
	}
	return 0;
}

int engine_observe(struct engine *e, struct observed *ret, struct errlist *errs)
{
	struct observed obs = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < e->n_backends && r >= 0; i++) {
		struct observed part = {0};

		r = backend_observe(e->backends[i], &part, errs);
		if (r >= 0)
			r = engine_merge(e, e->backends[i], &part, &obs);
		observed_done(&part);
	}
	if (r < 0) {
		observed_done(&obs);
		return r;
	}
	*ret = obs;
	return 0;
}

void engine_notes(struct engine *e, struct strbuf *warnings, struct strbuf *notices)
{
	size_t i;

	for (i = 0; i < e->n_backends; i++)
		backend_notes(e->backends[i], warnings, notices);
}

int engine_counters(struct engine *e, unsigned kinds, struct counterlist *ret,
		    struct strbuf *err)
{
	struct counterlist all = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < e->n_backends && r >= 0; i++) {
		struct counterlist part = {0};
		struct strbuf msg = {0};

		if (!(e->backends[i]->ops->kinds & kinds))
			continue;
		r = backend_counters(e->backends[i], &part, &msg);
		if (r < 0)
			strbuf_printf(err, "%s backend: %s", e->backends[i]->ops->name,
				      msg.len ? strbuf_str(&msg) : strerror(-r));
		else
			r = counterlist_move(&all, &part);
		counterlist_done(&part);
		strbuf_done(&msg);
	}
	if (r < 0) {
		counterlist_done(&all);
		return r;
	}
	*ret = all;
	return 0;
}

/* The desired objects of in and their plan against the router observed now. */
static int engine_plan_desired(struct engine *e, const struct intent *in,
			       struct objset *desired, struct oplist *ret,
			       struct missing_links *missing, struct errlist *errs)
{
	struct observed obs = {0};
	int r;

	r = engine_observe(e, &obs, errs);
	if (r >= 0)
		r = plan_desired(in, e->confdir, &e->cache, desired, errs);
	if (r >= 0)
		r = plan_against(desired, &obs, ret, missing, errs);
	observed_done(&obs);
	return r;
}

int engine_plan(struct engine *e, const struct intent *in, struct oplist *ret,
		struct missing_links *missing, struct errlist *errs)
{
	struct objset desired = {0};
	int r;

	r = engine_plan_desired(e, in, &desired, ret, missing, errs);
	objset_done(&desired);
	return r;
}

static double engine_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* "<operation>: <message>" at the pointer of the operation's intent element. */
static void engine_report(struct errlist *errs, const struct op *op, const char *what,
			  const struct strbuf *msg)
{
	struct strbuf line = {0};

	op_format(op, &line);
	errlist_add(errs, op->obj->ptr ? op->obj->ptr : "", "%s%s: %s", what, strbuf_str(&line),
		    msg->len ? strbuf_str(msg) : "failed");
	strbuf_done(&line);
}

/* The backend that takes object o, or NULL. */
static struct backend *engine_backend_of(const struct engine *e, const struct object *o)
{
	size_t i;

	for (i = 0; i < e->n_backends; i++)
		if (backend_handles(e->backends[i], o->kind))
			return backend_accepts(e->backends[i], o) ? e->backends[i] : NULL;
	return NULL;
}

/* Reverts the committed backends [0..n) in reverse order. */
static void engine_revert(struct engine *e, size_t n, struct apply_result *res)
{
	struct strbuf err = {0};

	while (n-- > 0) {
		if (backend_revert(e->backends[n], &err) < 0) {
			errlist_add(&res->errs, "", "%s backend: revert failed: %s",
				    e->backends[n]->ops->name, err.len ? strbuf_str(&err) : "failed");
			res->undo_failed = true;
		}
		strbuf_truncate(&err, 0);
	}
	strbuf_done(&err);
}

/* Undoes ops[0..n) in reverse order, then aborts every backend. */
static void engine_undo(struct engine *e, const struct oplist *ops, size_t n,
			struct apply_result *res)
{
	struct strbuf err = {0};
	size_t i;

	while (n-- > 0) {
		struct op inv;

		if (op_inverse(&ops->v[n], &inv) < 0) {
			res->undo_failed = true;
			continue;
		}
		if (backend_apply_op(engine_backend(e, inv.obj->kind), &inv, &err) < 0) {
			engine_report(&res->errs, &inv, "undo failed: ", &err);
			res->undo_failed = true;
		}
		strbuf_truncate(&err, 0);
		op_done(&inv);
	}
	for (i = 0; i < e->n_backends; i++) {
		if (backend_abort(e->backends[i], &err) < 0)
			res->undo_failed = true;
		strbuf_truncate(&err, 0);
	}
	strbuf_done(&err);
}

/* Whether ops change the kernel's links, addresses, routes or hostname. */
static bool touches_kernel(const struct oplist *ops)
{
	size_t i;

	for (i = 0; i < ops->n; i++)
		switch (ops->v[i].obj->kind) {
		case OBJ_HOSTNAME:
		case OBJ_LINK:
		case OBJ_ADDRESS:
		case OBJ_ROUTE:
			return true;
		default:
			break;
		}
	return false;
}

/* The desired objects planned again against the router after an apply: 0 when nothing is
 * left to do, else -EIO with each object left named in res->errs (or the plan's own errors). */
static int engine_verify(struct engine *e, const struct objset *desired,
			 struct apply_result *res)
{
	struct observed obs = {0};
	struct oplist again = {0};
	struct strbuf line = {0};
	size_t i;
	int r;

	r = engine_observe(e, &obs, &res->errs);
	if (r >= 0)
		r = plan_against(desired, &obs, &again, NULL, &res->errs);
	observed_done(&obs);
	for (i = 0; r >= 0 && i < again.n; i++) {
		const struct op *op = &again.v[i];

		strbuf_truncate(&line, 0);
		op_format(op, &line);
		errlist_add(&res->errs, op->obj->ptr ? op->obj->ptr : "",
			    "not kept by the router after the apply (still to do: %s)",
			    strbuf_str(&line));
	}
	if (r >= 0 && again.n)
		r = -EIO;
	strbuf_done(&line);
	oplist_done(&again);
	return r;
}

int engine_apply(struct engine *e, const struct intent *in, struct apply_result *res)
{
	struct objset desired = {0};
	struct oplist ops = {0};
	struct strbuf err = {0};
	struct timespec start;
	size_t i, applied = 0;
	int r;

	*res = (struct apply_result){0};
	clock_gettime(CLOCK_MONOTONIC, &start);
	r = engine_plan_desired(e, in, &desired, &ops, NULL, &res->errs);
	if (r < 0) {
		res->status = APPLY_FAILED;
		goto out;
	}
	/* Refuse what no backend can apply, before touching anything. */
	for (i = 0; i < ops.n; i++)
		if (!engine_backend_of(e, ops.v[i].obj)) {
			const struct object *o = ops.v[i].obj;
			struct strbuf msg = {0};

			if (o->kind == OBJ_FILE && o->file.service)
				strbuf_printf(&msg, "this agent has no backend for %s files yet",
					      o->file.service);
			else
				strbuf_printf(&msg, "this agent has no backend for %s objects yet",
					      object_kind_to_string(o->kind));
			engine_report(&res->errs, &ops.v[i], "", &msg);
			strbuf_done(&msg);
			res->status = APPLY_FAILED;
			goto out;
		}
	for (i = 0; i < e->n_backends; i++) {
		r = backend_prepare(e->backends[i], in, &err);
		if (r >= 0)
			r = backend_begin(e->backends[i], &err);
		if (r < 0) {
			errlist_add(&res->errs, "", "%s backend: %s", e->backends[i]->ops->name,
				    strbuf_str(&err));
			engine_undo(e, &ops, 0, res);
			res->status = APPLY_FAILED;
			goto out;
		}
	}
	for (applied = 0; applied < ops.n; applied++) {
		const struct op *op = &ops.v[applied];

		r = backend_apply_op(engine_backend(e, op->obj->kind), op, &err);
		if (r < 0) {
			engine_report(&res->errs, op, "", &err);
			engine_undo(e, &ops, applied, res);
			res->status = APPLY_FAILED;
			goto out;
		}
	}
	/* Every backend checks what it holds before any of them commits. */
	for (i = 0; i < e->n_backends; i++) {
		size_t before = res->errs.n;

		r = backend_check(e->backends[i], &res->errs);
		if (r < 0) {
			if (res->errs.n == before)
				errlist_add(&res->errs, "", "%s backend: check failed: %s",
					    e->backends[i]->ops->name, strerror(-r));
			engine_undo(e, &ops, applied, res);
			res->status = APPLY_FAILED;
			goto out;
		}
	}
	/* In the backends' order (nftables, then services): a failed commit takes back its own
	 * part, and the backends committed before it are reverted. */
	for (i = 0; i < e->n_backends; i++) {
		r = backend_commit(e->backends[i], &err);
		if (r < 0) {
			errlist_add(&res->errs, "", "%s backend: commit failed: %s",
				    e->backends[i]->ops->name, strbuf_str(&err));
			engine_revert(e, i, res);
			engine_undo(e, &ops, applied, res);
			res->status = APPLY_FAILED;
			goto out;
		}
	}
	if (touches_kernel(&ops) && engine_verify(e, &desired, res) < 0) {
		res->not_kept = true;
		engine_revert(e, e->n_backends, res);
		engine_undo(e, &ops, applied, res);
		res->status = APPLY_FAILED;
		goto out;
	}
	res->status = APPLY_OK;
	res->changes = ops.n;
out:
	res->duration_ms = engine_ms_since(&start);
	strbuf_done(&err);
	oplist_done(&ops);
	objset_done(&desired);
	return res->errs.oom ? -ENOMEM : 0;
}

void apply_result_done(struct apply_result *res)
{
	errlist_done(&res->errs);
}

const char *apply_status_to_string(enum apply_status s)
{
	static const char *const names[] = {
		[APPLY_OK] = "applied",
		[APPLY_INVALID] = "invalid",
		[APPLY_FAILED] = "failed",
		[APPLY_STALE] = "stale",
	};

	return (size_t)s < ELEMENTSOF(names) ? names[s] : NULL;
}
