/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl rollback [GENERATION]: the content of an earlier generation (default: the one
 * applied before the generation in effect), from the agent's history, applied as a new
 * generation (the one in effect + 1). Prints the apply's answer and exits with its code, as
 * `vrouterctl apply` does. Ends a pending confirmation (apply --confirm).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "client.h"

int cmd_rollback(int argc, char **argv)
{
	struct proto_reply reply;
	unsigned long long gen = 0;
	char members[48], *end = NULL;
	int ret;

	if (argc == 2) {
		errno = 0;
		gen = strtoull(argv[1], &end, 10);
	}
	if (argc > 2 || (argc == 2 && (errno || end == argv[1] || *end || argv[1][0] == '-' ||
				       !gen || gen > INT64_MAX))) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] rollback "
				"[GENERATION]\n");
		return EXIT_USAGE;
	}
	snprintf(members, sizeof(members), "\"generation\":%llu", gen);
	ret = cli_simple_request_with(PROTO_ROLLBACK, gen ? members : NULL, &reply);
	if (ret)
		return ret;
	printf("%s\n", reply.text);
	cli_print_reply_errors(&reply);
	ret = cli_reply_exit(&reply);
	proto_reply_done(&reply);
	return ret;
}
