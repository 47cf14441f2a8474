/* SPDX-License-Identifier: MIT */
/*
 * A driver of the engine with the kernel and nftables backends, for nft-traffic.sh and
 * nft-golden.sh (run it in a network namespace of its own: it changes links, addresses,
 * routes and the firewall):
 *
 *   nft-driver plan [OPTIONS] INTENT   the operations of the intent's plan, one per line
 *   nft-driver apply [OPTIONS] INTENT...
 *                                      apply each in turn (one engine, as in the daemon);
 *                                      prints "applied CHANGES nft=B/M/E/F" for each (B
 *                                      batches, M messages, E of them element messages, F
 *                                      1 when the table was replaced whole), or the errors
 *                                      on stderr and exits with the apply status.
 *   nft-driver errmap INTENT           the intent's table plus one rule, at the pointer
 *                                      /firewall/input/rules/0, that looks up a set the
 *                                      kernel does not have, sent as one batch: prints each
 *                                      error as the backend reports it, "POINTER: message"
 *   nft-driver counters                the counters of the table's rules, one per line:
 *                                      "TAG POINTER PACKETS BYTES[ COMMENT]"; a built-in
 *                                      one "builtin NAME - PACKETS BYTES", a port forward or
 *                                      one-to-one entry "nat-rule KEY - PACKETS BYTES" (the
 *                                      backend knows no pointer of theirs)
 *
 * Options: --fail puts a backend that fails its commit between the kernel and nftables
 * backends: the nftables transaction is prepared, then dropped. --foreign puts there instead
 * a backend whose commit is another program's nftables transaction (a table made and
 * deleted): the ruleset changes between the nftables backend's observe and its commit.
 * --pause (apply): before each intent after the first, prints "ready" and waits for a line
 * on standard input (the test changes the ruleset meanwhile). --record STATE gives the
 * hostname and the service files (DHCP, VRRP, IPsec) to a recording backend whose state is
 * the JSON file STATE (it must exist; "{}" to start), written back after an apply; without
 * it they go to a recording backend that starts empty every time. --check-cache (apply): after
 * the applies, observes through the engine's nftables backend and through a new one, which
 * reads the table back, and prints "cache: used|not used, N objects as read" when both see
 * the same objects (used: the first took them from what its last commit left), else each
 * difference (exit 1). --nft-records FILE: the files of the nftables backend's records of its
 * plan objects, FILE and FILE-fw (the daemon's are in its state directory); without it, an
 * invocation finds no plan objects in a table that another one made. The hostname never reaches
 * the kernel: the namespace of the test is a network namespace only.
 */
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/engine.h"
#include "intent/parse.h"
#include "kernel/kernel.h"
#include "kernel/netlink-sock.h"
#include "lib/cleanup.h"
#include "nft/nft-compile-internal.h"
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


/* --foreign: another program's transaction (a table made and deleted) in the commit of a
 * backend placed before nftables, so that the ruleset's generation moves between the
 * nftables backend's observe and its commit. */
static int foreign_commit(struct backend *b, struct strbuf *err)
{
	static const uint16_t types[] = {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE};
	char buf[4096] = {0};
	struct netlink_sock *s = NULL;
	struct nlmsghdr *nlh;
	size_t len, i;
	uint32_t seq;
	int r;

	r = netlink_sock_open(&s, NETLINK_NETFILTER, err);
	if (r < 0)
		return r;
	seq = netlink_sock_seq(s, 4);
	nlh = nftnl_batch_begin(buf, seq++);
	len = nlh->nlmsg_len;
	for (i = 0; i < ELEMENTSOF(types); i++) {
		nlh = nftnl_nlmsg_build_hdr(buf + len, types[i], NFPROTO_INET,
					    i ? 0 : NLM_F_CREATE, seq++);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "vrouter-foreign");
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	nlh = nftnl_batch_end(buf + len, seq);
	len += nlh->nlmsg_len;
	r = netlink_sock_batch(s, buf, len, NULL, NULL);
	if (r < 0)
		strbuf_printf(err, "foreign transaction: %s", strerror(-r));
	netlink_sock_close(s);
	return r;
}

/* The backend that --fail or --foreign puts before nftables: it handles no kind; its commit
 * fails, or is another program's transaction. */
static bool inject_foreign;

static int inject_commit(struct backend *b, struct strbuf *err)
{
	return inject_foreign ? foreign_commit(b, err) : fail_commit(b, err);
}

static const struct backend_ops inject_ops = {
	.name = "injected",
	.kinds = 0,
	.observe = fail_observe,
	.begin = fail_nothing,
	.apply_op = fail_apply_op,
	.commit = inject_commit,
	.abort = fail_nothing,
	.free = fail_free,
};

static void print_error(uint32_t seq, int error, const char *msg, void *data)
{
	const char *ptr = nft_desc_batch_ptr(data, seq);

	printf("%s: %s\n", ptr ? ptr : "", msg[0] ? msg : strerror(-error));
}

static int errmap(const struct intent *in)
{
	struct nft_desc_set missing = {.name = (char *)"nosuch", .id = 999999};
	struct strbuf err = {0};
	struct nft_desc_batch batch;
	struct netlink_sock *s = NULL;
	struct nft_desc *d = NULL;
	struct nft_desc_rule *rule;
	int r;

	r = nft_compile_compile(in, NULL, &d, NULL);
	if (r >= 0) {
		rule = nft_desc_rule(d, "input", "fw-rule input/0", "/firewall/input/rules/0");
		nft_compile_load_addr(rule, AF_INET, true);
		nft_desc_lookup(rule, &missing, (uint32_t)NFT_REG32_00, 0, false);
		r = nft_desc_oom(d);
	}
	if (r >= 0)
		r = netlink_sock_open(&s, NETLINK_NETFILTER, &err);
	if (r >= 0)
		r = nft_desc_batch_full(d, NULL, netlink_sock_seq(s, 100000), 0, &batch);
	if (r >= 0) {
		r = netlink_sock_batch(s, batch.buf, batch.len, print_error, &batch);
		nft_desc_batch_done(&batch);
	}
	netlink_sock_close(s);
	nft_desc_free(d);
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

/* The recording backend, for the hostname and the service files only: its operations with
 * fewer kinds (the original ones are put back to write its state). */
static struct backend_ops files_ops;
static const struct backend_ops *record_ops;

static struct backend *files_new(const char *state)
{
	struct backend *b = backend_record_new(state, NULL);

	if (!b)
		return NULL;
	record_ops = b->ops;
	files_ops = *b->ops;
	files_ops.kinds = BACKEND_KIND(OBJ_HOSTNAME) | BACKEND_KIND(OBJ_FILE);
	b->ops = &files_ops;
	return b;
}

static int files_write(struct backend *b, const char *state, struct strbuf *err)
{
	int r;

	b->ops = record_ops;
	r = backend_record_write_state(b, state, err);
	b->ops = &files_ops;
	return r;
}

static int counters(void)
{
	struct backend *b = backend_nft_new(NULL, NULL);
	struct strbuf err = {0};
	struct counterlist v = {0};
	size_t i;
	int r;

	if (!b)
		return 1;
	r = backend_counters(b, &v, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", strbuf_str(&err));
	for (i = 0; r >= 0 && i < v.n; i++) {
		const struct counter *c = &v.v[i];

		printf("%s %s %s %" PRIu64 " %" PRIu64 "%s%s\n",
		       c->builtin ? "builtin" : object_kind_to_string(c->kind), c->name,
		       c->pointer ? c->pointer : "-", c->rx.packets, c->rx.bytes,
		       c->comment ? " " : "", c->comment ? c->comment : "");
	}
	counterlist_done(&v);
	strbuf_done(&err);
	backend_free(b);
	return r < 0;
}

static int plan(struct engine *e, const struct intent *in)
{
	struct oplist ops = {0};
	struct errlist errs = {0};
	struct strbuf line = {0};
	size_t i;
	int r;

	r = engine_plan(e, in, &ops, NULL, &errs);
	for (i = 0; r >= 0 && i < ops.n; i++) {
		strbuf_truncate(&line, 0);
		op_format(&ops.v[i], &line);
		printf("%s\n", strbuf_str(&line));
	}
	if (r < 0)
		errlist_print(&errs, stderr);
	strbuf_done(&line);
	oplist_done(&ops);
	errlist_done(&errs);
	return r < 0;
}

static int apply(struct engine *e, const struct intent *in, struct backend *nft,
		 struct backend *files, const char *state)
{
	struct apply_result res;
	struct nft_commit_stats st;
	struct strbuf err = {0};
	int status = 0;

	if (engine_apply(e, in, &res) < 0)
		return 1;
	if (res.status == APPLY_OK) {
		backend_nft_last_commit(nft, &st);
		printf("applied %zu nft=%zu/%zu/%zu/%d\n", res.changes, st.batches, st.messages,
		       st.elem_msgs, st.full);
		if (state && files_write(files, state, &err) < 0) {
			fprintf(stderr, "%s: %s\n", state, strbuf_str(&err));
			status = 1;
		}
	} else {
		errlist_print(&res.errs, stderr);
		status = (int)res.status;
	}
	strbuf_done(&err);
	apply_result_done(&res);
	return status;
}

/* Whether the nftables backend's view of the table, kept from its last commit (observe takes
 * it instead of reading the table back while no transaction came since), is what a new
 * backend reads from the kernel. */
static int check_cache(struct backend *nft, const char *records, const char *records_fw)
{
	struct backend *fresh = backend_nft_new(records, records_fw);
	struct observed a = {0}, b = {0};
	struct errlist errs = {0};
	const struct object *o, *p;
	size_t i, n_diff = 0;
	bool cached;
	int r;

	if (!fresh)
		return 1;
	r = backend_observe(nft, &a, &errs);
	cached = backend_nft_last_observe_cached(nft);
	if (r >= 0)
		r = backend_observe(fresh, &b, &errs);
	if (r < 0)
		errlist_print(&errs, stderr);
	objset_foreach(&a.nft, i, o) {
		p = r < 0 ? NULL : objset_get(&b.nft, o->kind, o->key);
		if (r >= 0 && (!p || strcmp(p->attrs, o->attrs)) && ++n_diff)
			printf("cache: %s %s %s, read: %s\n", object_kind_to_string(o->kind), o->key,
			       o->attrs, p ? p->attrs : "(none)");
	}
	objset_foreach(&b.nft, i, o)
		if (r >= 0 && !objset_get(&a.nft, o->kind, o->key) && ++n_diff)
			printf("cache: (none), read: %s %s %s\n", object_kind_to_string(o->kind),
			       o->key, o->attrs);
	if (r >= 0 && !n_diff)
		printf("cache: %s, %zu objects as read\n", cached ? "used" : "not used",
		       objset_size(&a.nft));
	observed_done(&a);
	observed_done(&b);
	errlist_done(&errs);
	backend_free(fresh);
	return r < 0 || n_diff;
}

static int usage(void)
{
	fprintf(stderr, "usage: nft-driver plan [--record STATE] [--nft-records FILE] INTENT\n"
			"       nft-driver apply [--fail|--foreign] [--record STATE] [--pause]\n"
			"                        [--nft-records FILE]\n"
			"                        [--check-cache] INTENT...\n"
			"       nft-driver errmap INTENT\n"
			"       nft-driver counters\n");
	return 64;
}

int main(int argc, char **argv)
{
	struct backend *backends[4], *files, *nft;
	const char *cmd = argc > 1 ? argv[1] : "", *state = NULL, *records = NULL;
	_cleanup_free_ char *records_fw = NULL;
	_cleanup_free_ const char **paths = calloc(argc > 2 ? (size_t)argc : 1, sizeof(*paths));
	struct intent *in = NULL;
	bool fail = false, foreign = false, check = false, pause = false;
	size_t n = 0, n_paths = 0, k;
	struct engine *e;
	int i, status = 0;

	if (!paths)
		return 1;
	if (!strcmp(cmd, "counters"))
		return argc == 2 ? counters() : usage();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--fail"))
			fail = true;
		else if (!strcmp(argv[i], "--foreign"))
			foreign = true;
		else if (!strcmp(argv[i], "--pause"))
			pause = true;
		else if (!strcmp(argv[i], "--check-cache"))
			check = true;
		else if (!strcmp(argv[i], "--record") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(argv[i], "--nft-records") && i + 1 < argc)
			records = argv[++i];
		else if (argv[i][0] != '-')
			paths[n_paths++] = argv[i];
		else
			return usage();
	}
	if (!n_paths || (strcmp(cmd, "plan") && strcmp(cmd, "apply") && strcmp(cmd, "errmap")) ||
	    (strcmp(cmd, "apply") && (n_paths > 1 || check || pause || fail || foreign)) ||
	    (fail && foreign))
		return usage();
	if (!strcmp(cmd, "errmap")) {
		if (load(paths[0], &in) < 0)
			return 1;
		status = errmap(in);
		intent_free(in);
		return status;
	}
	/* The engine gives each kind to the first backend that claims it; nftables last. */
	backends[n++] = files = files_new(state);
	backends[n++] = backend_kernel_new();
	if (fail || foreign) {
		inject_foreign = foreign;
		backends[n] = calloc(1, sizeof(struct backend));
		if (backends[n])
			backends[n]->ops = &inject_ops;
		n++;
	}
	if (records && asprintf(&records_fw, "%s-fw", records) < 0) {
		records_fw = NULL;
		return 1;
	}
	backends[n++] = nft = backend_nft_new(records, records_fw);
	for (i = 0; i < (int)n; i++)
		if (!backends[i]) {
			while (n--)
				backend_free(backends[n]);
			return 1;
		}
	e = engine_new(backends, n, "/nonexistent");
	if (!e)
		return 1;
	/* One engine for all the intents: from the second on, observe may take the table from
	 * what the commit before left (the daemon's case). */
	for (k = 0; k < n_paths && !status; k++) {
		if (pause && k) {
			char line[16];

			printf("ready\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin))
				break;
		}
		if (load(paths[k], &in) < 0) {
			status = 1;
			break;
		}
		if (!strcmp(cmd, "plan"))
			status = plan(e, in);
		else
			status = apply(e, in, nft, files, state);
		in = intent_free(in);
	}
	if (check && !status)
		status = check_cache(nft, records, records_fw);
	engine_free(e);
	return status;
}
