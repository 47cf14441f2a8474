/* SPDX-License-Identifier: MIT */
/*
 * A driver of the engine with the kernel and nftables backends, for nft-traffic.sh (run it in
 * a network namespace of its own: it changes links, addresses, routes and the firewall):
 *
 *   nft-driver plan INTENT             the operations of the intent's plan, one per line
 *   nft-driver apply [--fail] INTENT   apply it; prints "applied CHANGES nft=B/M/E/F" (B
 *                                      batches, M messages, E of them element messages, F
 *                                      1 when the table was replaced whole), or the errors
 *                                      on stderr and exits with the apply status. --fail puts
 *                                      a backend that fails its commit between the kernel and
 *                                      nftables backends: the nftables transaction is
 *                                      prepared, then dropped.
 *   nft-driver errmap INTENT           the intent's table plus one rule, at the pointer
 *                                      /firewall/input/rules/0, that looks up a set the
 *                                      kernel does not have, sent as one batch: prints each
 *                                      error as the backend reports it, "POINTER: message"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/engine.h"
#include "intent/parse.h"
#include "kernel/kernel.h"
#include "lib/cleanup.h"
#include "nft/nft-compile-internal.h"
#include "nft/nft-sock.h"
#include "nft/nft.h"

static int fail_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	return 0;
}

static int fail_nothing(struct backend *b, struct strbuf *err)
{
	return 0;
}

static int fail_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	return 0;
}

static int fail_commit(struct backend *b, struct strbuf *err)
{
	strbuf_printf(err, "injected failure");
	return -EIO;
}

static void fail_free(struct backend *b)
{
	free(b);
}

static const struct backend_ops fail_ops = {
	.name = "failing",
	.kinds = 0,
	.observe = fail_observe,
	.begin = fail_nothing,
	.apply_op = fail_apply_op,
	.commit = fail_commit,
	.abort = fail_nothing,
	.free = fail_free,
};

static void print_error(uint32_t seq, int error, const char *msg, void *data)
{
	const char *ptr = nftd_batch_ptr(data, seq);

	printf("%s: %s\n", ptr ? ptr : "", msg[0] ? msg : strerror(-error));
}

static int errmap(const struct intent *in)
{
	struct nftd_set missing = {.name = (char *)"nosuch", .id = 999999};
	struct strbuf err = {0};
	struct nftd_batch batch;
	struct nsock *s = NULL;
	struct nftd *d = NULL;
	struct nftd_rule *rule;
	int r;

	r = nftc_compile(in, &d);
	if (r >= 0) {
		rule = nftd_rule(d, "input", "fw-rule input/0", "/firewall/input/rules/0");
		nftc_load_addr(rule, AF_INET, true);
		nftd_lookup(rule, &missing, (uint32_t)NFT_REG32_00, 0, false);
		r = nftd_oom(d);
	}
	if (r >= 0)
		r = nsock_open(&s, &err);
	if (r >= 0)
		r = nftd_batch_full(d, nsock_seq(s, 100000), &batch);
	if (r >= 0) {
		r = nsock_batch(s, batch.buf, batch.len, print_error, &batch);
		nftd_batch_done(&batch);
	}
	nsock_close(s);
	nftd_free(d);
	strbuf_done(&err);
	return r < 0 ? 0 : 1; /* the batch must fail */
}

static int load(const char *path, struct intent **ret)
{
	_cleanup_free_ char *buf = NULL;
	struct errlist errs = {0};
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "re");
	int r;

	if (!f) {
		fprintf(stderr, "error: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	do {
		if (len + 4096 > cap) {
			char *v = realloc(buf, cap = 2 * cap + 4096);

			if (!v) {
				fclose(f);
				return -ENOMEM;
			}
			buf = v;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	r = intent_load(buf, len, ret, &errs);
	if (r < 0)
		errlist_print(&errs, stderr);
	errlist_done(&errs);
	return r;
}

int main(int argc, char **argv)
{
	struct backend *backends[3];
	struct intent *in = NULL;
	struct engine *e;
	bool fail = false, plan;
	size_t n = 0;
	int r, status = 0;

	if (argc >= 3 && !strcmp(argv[2], "--fail")) {
		fail = true;
		argv[2] = argv[1];
		argv++;
		argc--;
	}
	if (argc != 3 || (strcmp(argv[1], "plan") && strcmp(argv[1], "apply") &&
			  strcmp(argv[1], "errmap"))) {
		fprintf(stderr, "usage: nft-driver plan|apply|errmap [--fail] INTENT\n");
		return 64;
	}
	plan = !strcmp(argv[1], "plan");
	if (load(argv[2], &in) < 0)
		return 1;
	if (!strcmp(argv[1], "errmap")) {
		status = errmap(in);
		intent_free(in);
		return status;
	}
	backends[n++] = backend_kernel_new();
	if (fail) {
		backends[n] = calloc(1, sizeof(struct backend));
		if (backends[n])
			backends[n]->ops = &fail_ops;
		n++;
	}
	backends[n++] = backend_nft_new();
	e = engine_new(backends, n, "/nonexistent");
	if (!e) {
		intent_free(in);
		return 1;
	}
	if (plan) {
		struct oplist ops = {0};
		struct errlist errs = {0};
		struct strbuf line = {0};
		size_t i;

		r = engine_plan(e, in, &ops, &errs);
		for (i = 0; r >= 0 && i < ops.n; i++) {
			strbuf_truncate(&line, 0);
			op_format(&ops.v[i], &line);
			printf("%s\n", strbuf_str(&line));
		}
		if (r < 0)
			errlist_print(&errs, stderr);
		status = r < 0;
		strbuf_done(&line);
		oplist_done(&ops);
		errlist_done(&errs);
	} else {
		struct apply_result res;
		struct nft_commit_stats st;

		r = engine_apply(e, in, &res);
		if (r < 0) {
			status = 1;
		} else if (res.status == APPLY_OK) {
			backend_nft_last_commit(backends[n - 1], &st);
			printf("applied %zu nft=%zu/%zu/%zu/%d\n", res.changes, st.batches,
			       st.messages, st.elem_msgs, st.full);
		} else {
			errlist_print(&res.errs, stderr);
			status = (int)res.status;
		}
		if (r >= 0)
			apply_result_done(&res);
	}
	engine_free(e);
	intent_free(in);
	return status;
}
