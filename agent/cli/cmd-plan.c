/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl plan FILE|- --observed STATE.json [--write-state OUT.json] [--confdir DIR]:
 * print the operations an apply would do, one per line on stdout, and "N operations" on
 * stderr. The plan goes to the recording backend, which prints each operation and, with
 * --write-state, writes the state after them. No root, no agent.
 *
 * Exit: 0 planned (possibly nothing), 1 invalid intent, 2 no plan against this state
 * (errors as "POINTER: message", pointers into the intent, or "STATE#POINTER: message" for
 * the state file), 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "plan/backend.h"
#include "plan/plan.h"

#define CONFDIR_DEFAULT "/etc/vrouter"

struct plan_args {
	const char *intent;
	const char *observed;
	const char *write_state;
	const char *confdir;
};

static int plan_usage(void)
{
	fprintf(stderr, "usage: vrouterctl plan FILE|- --observed STATE.json "
			"[--write-state OUT.json] [--confdir DIR]\n");
	return EXIT_USAGE;
}

/* Parses the arguments; prints what is wrong and returns -1 on a usage error. */
static int plan_parse_args(int argc, char **argv, struct plan_args *a)
{
	static const struct option options[] = {
		{"observed", required_argument, NULL, 'o'},
		{"write-state", required_argument, NULL, 'w'},
		{"confdir", required_argument, NULL, 'c'},
		{},
	};
	int c;

	*a = (struct plan_args){.confdir = CONFDIR_DEFAULT};
	optind = 0; /* GNU getopt, from the start: FILE may come before or after the options */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->observed = optarg;
			break;
		case 'w':
			a->write_state = optarg;
			break;
		case 'c':
			a->confdir = optarg;
			break;
		case ':':
			fprintf(stderr, "vrouterctl: option \"%s\" needs an argument\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "vrouterctl: unknown option \"%s\"\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		a->intent = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "vrouterctl: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (!a->intent || !a->observed)
		return -1;
	if (a->confdir[0] != '/') {
		fprintf(stderr, "vrouterctl: --confdir needs an absolute directory, got \"%s\"\n",
			a->confdir);
		return -1;
	}
	return 0;
}

/* Errors of the state file: "STATE#POINTER: message" ("STATE: message" for the document). */
static void print_state_errors(const char *path, const struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s%s%s: %s\n", path, errs->v[i].pointer[0] ? "#" : "",
			errs->v[i].pointer, errs->v[i].message);
	if (errs->dropped)
		fprintf(stderr, "%s: %zu more errors not shown\n", path, errs->dropped);
	if (errs->oom)
		fprintf(stderr, "%s: out of memory while collecting errors\n", path);
}

static struct intent *plan_load_intent(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;
	size_t len;
	int r;

	if (cli_read_input(path, JR_DOCUMENT_MAX, &buf, &len) < 0)
		return NULL;
	r = intent_load(buf, len, &in, &errs);
	if (r < 0) {
		if (errs.n == 0)
			fprintf(stderr, ": %s\n", strerror(-r));
		errlist_print(&errs, stderr);
	}
	errlist_done(&errs);
	return r < 0 ? NULL : in;
}

/* Sends the plan through the backend, which prints each operation. */
static int plan_apply(struct backend *b, const struct oplist *ops)
{
	struct strbuf err = {0};
	size_t i;
	int r;

	r = backend_begin(b, &err);
	for (i = 0; i < ops->n && r >= 0; i++)
		r = backend_apply_op(b, &ops->v[i], &err);
	if (r >= 0)
		r = backend_commit(b, &err);
	if (r < 0) {
		fprintf(stderr, "vrouterctl: %s\n", err.len ? strbuf_str(&err) : strerror(-r));
		backend_abort(b, &err);
	}
	strbuf_done(&err);
	return r;
}

static int plan_run(const struct plan_args *a, struct intent *in, struct backend *b)
{
	struct observed obs = {0};
	struct errlist errs = {0};
	struct oplist ops = {0};
	struct strbuf err = {0};
	int r, ret = APPLY_FAILED;

	r = backend_observe(b, &obs, &errs);
	if (r < 0) {
		print_state_errors(a->observed, &errs);
		goto out;
	}
	r = plan_build(in, &obs, a->confdir, NULL, &ops, NULL, &errs);
	if (r < 0) {
		if (errs.n == 0)
			fprintf(stderr, "vrouterctl: %s\n", strerror(-r));
		errlist_print(&errs, stderr);
		goto out;
	}
	if (plan_apply(b, &ops) < 0)
		goto out;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vrouterctl: cannot write the plan\n");
		goto out;
	}
	fprintf(stderr, "%zu operation%s\n", ops.n, ops.n == 1 ? "" : "s");
	if (a->write_state && backend_record_write_state(b, a->write_state, &err) < 0) {
		fprintf(stderr, "vrouterctl: %s\n", strbuf_str(&err));
		goto out;
	}
	ret = APPLY_OK;
out:
	strbuf_done(&err);
	oplist_done(&ops);
	errlist_done(&errs);
	observed_done(&obs);
	return ret;
}

int cmd_plan(int argc, char **argv)
{
	struct plan_args a;
	struct backend *b;
	struct intent *in;
	int ret;

	if (plan_parse_args(argc, argv, &a) < 0)
		return plan_usage();
	in = plan_load_intent(a.intent);
	if (!in)
		return APPLY_INVALID;
	b = backend_record_new(a.observed, stdout);
	if (!b) {
		fprintf(stderr, "vrouterctl: out of memory\n");
		intent_free(in);
		return APPLY_FAILED;
	}
	ret = plan_run(&a, in, b);
	backend_free(b);
	intent_free(in);
	return ret;
}
