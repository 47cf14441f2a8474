/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl apply FILE|-: send an intent to the agent. Prints the agent's answer (one JSON
 * object) on stdout, its errors on stderr ("POINTER: message" each, or the one error), and
 * exits with the answer's exit code: 0 applied, 1 invalid, 2 failed and rolled back, 3 stale
 * generation, 4 the agent could not be reached.
 *
 * Also the agent side of `vrouterctl plan FILE|-` (without --observed): the agent plans the
 * intent against the router it runs on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"

/* A document that cannot travel (not a JSON object or array, too large) or that the agent
 * could not read as JSON: the local validator says why, with the errors `vrouterctl check`
 * prints. */
static int intent_request_refused(const char *buf, size_t len)
{
	struct errlist errs = {0};
	struct intent *in = NULL;

	if (intent_load(buf, len, &in, &errs) < 0) {
		errlist_print(&errs, stderr);
	} else {
		fprintf(stderr, "vrouterctl: the request would be larger than %u bytes\n",
			PROTO_LINE_MAX);
		intent_free(in);
	}
	errlist_done(&errs);
	return APPLY_INVALID;
}

static bool intent_invalid_here(const char *buf, size_t len)
{
	struct errlist errs = {0};
	struct intent *in = NULL;
	int r = intent_load(buf, len, &in, &errs);

	intent_free(in);
	errlist_done(&errs);
	return r < 0;
}

int cli_intent_request(enum proto_kind kind, const char *path, struct proto_reply *ret)
{
	return cli_intent_request_with(kind, NULL, path, ret);
}

int cli_intent_request_with(enum proto_kind kind, const char *members, const char *path,
			    struct proto_reply *ret)
{
	_cleanup_free_ char *buf = NULL, *line = NULL;
	const char *id = client_id();
	size_t len, line_len;
	int r;

	if (cli_read_input(path, JR_DOCUMENT_MAX, &buf, &len) < 0)
		return APPLY_INVALID;
	r = proto_request_build_with(kind, members, buf, len, id, &line, &line_len);
	if (r == -EINVAL)
		return intent_request_refused(buf, len);
	if (r < 0) {
		fprintf(stderr, "vrouterctl: out of memory\n");
		return APPLY_FAILED;
	}
	if (client_call(line, line_len, id, ret) < 0)
		return EXIT_UNREACHABLE;
	/* The document is sent as read, not parsed here: when it is not JSON, the agent refuses
	 * the request as a whole, and the local validator gives the exact errors. */
	if (ret->exit_code == PROTO_EXIT_BAD_REQUEST && intent_invalid_here(buf, len)) {
		proto_reply_done(ret);
		return intent_request_refused(buf, len);
	}
	return 0;
}

int cli_simple_request(enum proto_kind kind, struct proto_reply *ret)
{
	return cli_simple_request_with(kind, NULL, ret);
}

int cli_simple_request_with(enum proto_kind kind, const char *members, struct proto_reply *ret)
{
	_cleanup_free_ char *line = NULL;
	const char *id = client_id();
	size_t line_len;

	if (proto_request_build_with(kind, members, NULL, 0, id, &line, &line_len) < 0) {
		fprintf(stderr, "vrouterctl: out of memory\n");
		return APPLY_FAILED;
	}
	return client_call(line, line_len, id, ret) < 0 ? EXIT_UNREACHABLE : 0;
}

void cli_print_reply_errors(const struct proto_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_errors; i++)
		fprintf(stderr, "%s: %s\n", r->errors[i].pointer, r->errors[i].message);
	if (r->error)
		fprintf(stderr, "vrouterctl: %s\n", r->error);
}

int cli_unexpected(const struct proto_reply *r)
{
	printf("%s\n", r->text);
	fprintf(stderr, "vrouterctl: unexpected answer from the agent\n");
	return APPLY_FAILED;
}

int cli_reply_exit(const struct proto_reply *r)
{
	return r->exit_code >= 0 && r->exit_code <= 255 ? r->exit_code : APPLY_FAILED;
}

int cli_apply_file(const char *path)
{
	return cli_apply_file_with(NULL, path);
}

int cli_apply_file_with(const char *members, const char *path)
{
	struct proto_reply reply;
	int ret;

	ret = cli_intent_request_with(PROTO_APPLY, members, path, &reply);
	if (ret)
		return ret;
	printf("%s\n", reply.text);
	fflush(stdout);
	cli_print_reply_errors(&reply);
	ret = cli_reply_exit(&reply);
	proto_reply_done(&reply);
	return ret;
}

int cmd_apply(int argc, char **argv)
{
	char members[32];
	unsigned long s;
	char *end;

	if (argc == 4 && !strcmp(argv[1], "--confirm")) {
		errno = 0;
		s = strtoul(argv[2], &end, 10);
		if (errno || end == argv[2] || *end || argv[2][0] == '-' || s < 1 ||
		    s > PROTO_CONFIRM_MAX) {
			fprintf(stderr, "vrouterctl: --confirm takes seconds, 1-%d, got \"%s\"\n",
				PROTO_CONFIRM_MAX, argv[2]);
			return EXIT_USAGE;
		}
		snprintf(members, sizeof(members), "\"confirm\":%lu", s);
		return cli_apply_file_with(members, argv[3]);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] apply "
				"[--confirm SECONDS] FILE|-\n");
		return EXIT_USAGE;
	}
	return cli_apply_file(argv[1]);
}

static int plan_through_agent(const char *path)
{
	struct proto_reply reply;
	size_t i;
	int ret;

	ret = cli_intent_request(PROTO_PLAN, path, &reply);
	if (ret)
		return ret;
	for (i = 0; i < reply.n_operations; i++)
		printf("%s\n", reply.operations[i]);
	cli_print_reply_errors(&reply);
	ret = cli_reply_exit(&reply);
	if (ret == 0)
		fprintf(stderr, "%zu operation%s\n", reply.n_operations,
			reply.n_operations == 1 ? "" : "s");
	proto_reply_done(&reply);
	return ret;
}

/* `plan FILE` asks the agent; `plan FILE --observed STATE` (cmd-plan.c) plans offline. */
int cmd_plan_any(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--", 2) && strcmp(argv[i], "-"))
			return cmd_plan(argc, argv);
	if (argc != 2)
		return cmd_plan(argc, argv);
	return plan_through_agent(argv[1]);
}
