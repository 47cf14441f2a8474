/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl handover [--cancel] [--json]: the planned VRRP handover, run on the master
 * (docs/operators.md). Prints what happened (with --json, the agent's answer) and exits 0
 * once the peer is master and this router is held as backup; 2 when it was refused (the
 * reason on stderr; nothing changed) or the peer did not take over (this router is master
 * again). --cancel ends the hold: the router's priority and preempt apply again.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"

int cmd_handover(int argc, char **argv)
{
	struct proto_reply reply;
	bool json = false, cancel = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--cancel"))
			cancel = true;
		else
			break;
	}
	if (i < argc) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH|--serial PATH] handover "
				"[--cancel] [--json]\n");
		return EXIT_USAGE;
	}
	ret = cli_simple_request(cancel ? PROTO_HANDOVER_CANCEL : PROTO_HANDOVER, &reply);
	if (ret)
		return ret;
	ret = cli_reply_exit(&reply);
	if (json)
		printf("%s\n", reply.text);
	else if (ret == 0)
		printf("%s\n", reply.handover ? reply.handover : "done");
	cli_print_reply_errors(&reply);
	proto_reply_done(&reply);
	return ret;
}
