/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl diff A [B|FILE] [--json]: what changed from generation A to generation B, to the
 * intent in FILE ("-": stdin), or to the intent in effect, by JSON Pointer: "+ POINTER: NEW",
 * "- POINTER: OLD", "~ POINTER: OLD -> NEW", in the order of the documents' keys and array
 * indexes. The agent compares (it has the secrets): a changed secret is shown changed, as
 * "<redacted>". A generation that the history holds several times (failed, then applied) is the
 * applied one. Exit 0 whether or not anything differs (like `git diff` without --exit-code).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "proto/proto-history.h"

/* A generation: a whole positive number. */
static bool parse_generation(const char *s, unsigned long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoull(s, &end, 10);
	return !errno && end != s && !*end && s[0] >= '0' && s[0] <= '9' && *ret > 0 &&
	       *ret <= INT64_MAX;
}

int cmd_diff(int argc, char **argv)
{
	unsigned long long from, to = 0;
	struct proto_reply reply;
	struct strbuf text = {0};
	const char *file = NULL;
	char members[64];
	bool json = false;
	int ret;

	if (argc > 1 && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	if (argc < 2 || argc > 3 || !parse_generation(argv[1], &from)) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] diff GENERATION "
				"[GENERATION|FILE|-] [--json]\n");
		return EXIT_USAGE;
	}
	if (argc == 3 && !parse_generation(argv[2], &to))
		file = argv[2];
	if (to)
		snprintf(members, sizeof(members), "\"from\":%llu,\"to\":%llu", from, to);
	else
		snprintf(members, sizeof(members), "\"from\":%llu", from);
	ret = file ? cli_intent_request_with(PROTO_DIFF, members, file, &reply)
		   : cli_simple_request_with(PROTO_DIFF, members, &reply);
	if (ret)
		return ret;
	ret = cli_reply_exit(&reply);
	if (json || ret)
		printf("%s\n", reply.text);
	else if (proto_diff_text(reply.text, file, &text) < 0)
		ret = cli_unexpected(&reply);
	else
		fputs(text.s ? text.s : "", stdout);
	cli_print_reply_errors(&reply);
	strbuf_done(&text);
	proto_reply_done(&reply);
	return ret;
}
