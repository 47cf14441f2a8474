/* SPDX-License-Identifier: MIT */
/*
 * A driver of the apply engine for fault-inject.sh (run it in network and UTS namespaces of
 * its own: it changes links, addresses, routes and the hostname):
 *
 *   engine-driver INTENT RECORD.json [--fail-at N]
 *   engine-driver INTENT --services CONFDIR STATEDIR [--after BASE] [--fail-at N]
 *
 * applies INTENT through the engine with the kernel backend; the kinds the kernel backend does
 * not handle (firewall, files) go to a recording backend whose state is the file RECORD.json
 * (written back after an apply), or, with --services, to the nftables backend and the
 * services backend (dnsmasq's files under CONFDIR, its pid file and leases under STATEDIR), so
 * that the engine's undo of real kernel steps (and the revert of a committed nftables batch)
 * is what this tests. With --fail-at N, the N-th step of the apply fails ("injected fault"):
 * the steps are each backend's operations, then (with --services) each backend's check, then
 * each backend's commit. --after BASE applies the intent BASE first, without a fault, in the
 * same engine (as a running agent applies one intent after another: the nftables backend then
 * knows the table it reverts to). Prints
 * "status=NAME changes=N undo_failed=0|1" and the errors; exits with the status (0 applied, 2
 * failed and undone).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/engine.h"
#include "intent/parse.h"
#include "kernel/kernel.h"
#include "nft/nft-records.h"
#include "nft/nft.h"
#include "services/services.h"
#include "lib/cleanup.h"
#include "lib/jread.h"

/* Counts the operations of every wrapped backend; the fail_at-th one fails. */
static long fail_at = -1, op_count;

struct faulty {
	struct backend b;
	struct backend *inner;
};

static struct backend *inner_of(struct backend *b)
{
	return ((struct faulty *)b)->inner;
}

static int faulty_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	return backend_observe(inner_of(b), obs, errs);
}

static int faulty_prepare(struct backend *b, const struct intent *in, struct strbuf *err)
{
	return backend_prepare(inner_of(b), in, err);
}

static int faulty_begin(struct backend *b, struct strbuf *err)
{
	return backend_begin(inner_of(b), err);
}

static bool step_fails(void)
{
	return ++op_count == fail_at;
}

static int faulty_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	if (step_fails()) {
		strbuf_append(err, "injected fault");
		return -EIO;
	}
	return backend_apply_op(inner_of(b), op, err);
}

/* Steps only with --services: the recording backend's run has no check and commits nothing. */
static bool steps_of_backends;

static bool faulty_accepts(const struct backend *b, const struct object *o)
{
	return backend_accepts(((const struct faulty *)b)->inner, o);
}

static int faulty_check(struct backend *b, struct errlist *errs)
{
	if (steps_of_backends && step_fails()) {
		errlist_add(errs, "", "%s backend: check: injected fault", b->ops->name);
		return -EIO;
	}
	return backend_check(inner_of(b), errs);
}

static int faulty_commit(struct backend *b, struct strbuf *err)
{
	if (steps_of_backends && step_fails()) {
		strbuf_append(err, "injected fault");
		return -EIO;
	}
	return backend_commit(inner_of(b), err);
}

static int faulty_revert(struct backend *b, struct strbuf *err)
{
	return backend_revert(inner_of(b), err);
}

static int faulty_abort(struct backend *b, struct strbuf *err)
{
	return backend_abort(inner_of(b), err);
}

static void faulty_free(struct backend *b)
{
	backend_free(inner_of(b));
	free((void *)b->ops);
	free(b);
}

static struct backend *faulty_new(struct backend *inner)
{
	struct backend_ops *ops = calloc(1, sizeof(*ops));
	struct faulty *f = calloc(1, sizeof(*f));

	if (!ops || !f || !inner) {
		free(ops);
		free(f);
		backend_free(inner);
		return NULL;
	}
	*ops = (struct backend_ops){
		.name = inner->ops->name,
		.kinds = inner->ops->kinds,
		.observe = faulty_observe,
		.prepare = faulty_prepare,
		.begin = faulty_begin,
		.apply_op = faulty_apply_op,
		.accepts = inner->ops->accepts ? faulty_accepts : NULL,
		.check = faulty_check,
		.commit = faulty_commit,
		.revert = faulty_revert,
		.abort = faulty_abort,
		.free = faulty_free,
	};
	f->b.ops = ops;
	f->inner = inner;
	return &f->b;
}

static struct intent *load_intent(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	_cleanup_free_ char *buf = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;
	size_t len;

	if (!f)
		return NULL;
	buf = malloc(JR_DOCUMENT_MAX + 1);
	if (!buf)
		return NULL;
	len = fread(buf, 1, JR_DOCUMENT_MAX + 1, f);
	if (intent_load(buf, len, &in, &errs) < 0)
		errlist_print(&errs, stderr);
	errlist_done(&errs);
	return in;
}

int main(int argc, char **argv)
{
	struct backend *backends[3];
	const char *confdir = "/etc/vrouter";
	struct apply_result res;
	size_t n = 2, i;
	struct engine *e;
	struct intent *in, *base = NULL;
	int r, next = 3;

	if (argc >= 5 && !strcmp(argv[2], "--services")) {
		steps_of_backends = true;
		confdir = argv[3];
		next = 5;
		if (argc >= 7 && !strcmp(argv[5], "--after")) {
			base = load_intent(argv[6]);
			if (!base)
				return 1;
			next = 7;
		}
	}
	if (argc == next + 2 && !strcmp(argv[next], "--fail-at"))
		fail_at = strtol(argv[next + 1], NULL, 10);
	else if (argc != next) {
		fprintf(stderr, "usage: engine-driver INTENT RECORD.json|--services CONFDIR STATEDIR "
				"[--fail-at N]\n");
		return 64;
	}
	in = load_intent(argv[1]);
	if (!in)
		return 1;
	/* The kernel first: the engine gives each kind to the first backend that claims it. */
	backends[0] = faulty_new(backend_kernel_new());
	if (steps_of_backends) {
		char records[4096], records_fw[4096];

		/* The nftables backend's records in the state directory, as the agent keeps them
		 * (its store makes the directory). */
		if (mkdir(argv[4], 0700) < 0 && errno != EEXIST) {
			perror(argv[4]);
			return 1;
		}
		snprintf(records, sizeof(records), "%s/%s", argv[4], NFT_RECORDS_FILE);
		snprintf(records_fw, sizeof(records_fw), "%s/%s", argv[4], NFT_RECORDS_FILE_FW);
		backends[1] = faulty_new(backend_nft_new(records, records_fw));
		backends[2] = faulty_new(backend_services_new(argv[3], argv[4]));
		n = 3;
	} else {
		backends[1] = faulty_new(backend_record_new(argv[2], NULL));
	}
	e = engine_new(backends, n, confdir);
	for (i = 0; i < n; i++)
		if (!backends[i])
			e = engine_free(e);
	if (!e) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (base) {
		long fault = fail_at;

		fail_at = -1;
		r = engine_apply(e, base, &res);
		if (r < 0 || res.status != APPLY_OK) {
			printf("base: status=%s\n", apply_status_to_string(res.status));
			errlist_print(&res.errs, stdout);
			return 1;
		}
		apply_result_done(&res);
		intent_free(base);
		fail_at = fault;
		op_count = 0;
	}
	r = engine_apply(e, in, &res);
	if (r < 0) {
		fprintf(stderr, "engine_apply: %s\n", strerror(-r));
		return 1;
	}
	if (res.status == APPLY_OK && !steps_of_backends) {
		struct strbuf err = {0};

		if (backend_record_write_state(inner_of(backends[1]), argv[2], &err) < 0)
			fprintf(stderr, "%s: %s\n", argv[2], strbuf_str(&err));
		strbuf_done(&err);
	}
	printf("status=%s changes=%zu undo_failed=%d\n", apply_status_to_string(res.status),
	       res.changes, res.undo_failed);
	errlist_print(&res.errs, stdout);
	r = (int)res.status;
	apply_result_done(&res);
	engine_free(e);
	intent_free(in);
	return r;
}
