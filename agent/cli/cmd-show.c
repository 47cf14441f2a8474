/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl show [--json]: the intent the agent applied, secrets redacted ("<redacted>"),
 * pretty-printed; `null` when none was. --json prints the agent's whole answer instead
 * ({"exit": 0, "generation": N, "intent": {...}}).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"

int cmd_show(int argc, char **argv)
{
	struct proto_reply reply;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int ret;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] show [--json]\n");
		return EXIT_USAGE;
	}
	ret = cli_simple_request(PROTO_SHOW, &reply);
	if (ret)
		return ret;
	ret = cli_reply_exit(&reply);
	if (ret == 0 && !json && reply.intent)
		printf("%s\n", reply.intent);
	else if (ret == 0 || json)
		printf("%s\n", reply.text);
	cli_print_reply_errors(&reply);
	proto_reply_done(&reply);
	return ret;
}
