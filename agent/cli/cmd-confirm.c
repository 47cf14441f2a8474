/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl confirm: confirms the apply --confirm that awaits it, so that its deadline no
 * longer brings the previous content back. Prints the answer ({"exit": 0, "confirmed": N});
 * exit 2 when no confirmation is pending (rolled back already, or none was asked).
 */
#include <stdio.h>

#include "cli.h"
#include "client.h"

int cmd_confirm(int argc, char **argv)
{
	struct proto_reply reply;
	int ret;

	if (argc != 1) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] confirm\n");
		return EXIT_USAGE;
	}
	ret = cli_simple_request(PROTO_CONFIRM, &reply);
	if (ret)
		return ret;
	printf("%s\n", reply.text);
	cli_print_reply_errors(&reply);
	ret = cli_reply_exit(&reply);
	proto_reply_done(&reply);
	return ret;
}
