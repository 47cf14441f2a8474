/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl history [--json]: the last apply attempts that reached the router, oldest first
 * (the newest last, as `git log --reverse` and a shell's history: the latest beside the
 * prompt), one line each: generation, time, origin, result, duration, a failure's error. No
 * intent content: `vrouterctl diff` shows what changed, secrets redacted.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "proto/proto-history.h"

int cmd_history(int argc, char **argv)
{
	struct proto_reply reply;
	struct strbuf text = {0};
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int ret;

	if (argc > 2 || (argc == 2 && !json)) {
		fprintf(stderr,
			"usage: vrouterctl [--socket PATH|--serial PATH] history [--json]\n");
		return EXIT_USAGE;
	}
	ret = cli_simple_request(PROTO_HISTORY, &reply);
	if (ret)
		return ret;
	ret = cli_reply_exit(&reply);
	if (json || ret)
		printf("%s\n", reply.text);
	else if (proto_history_text(reply.text, &text) < 0)
		ret = cli_unexpected(&reply);
	else
		fputs(text.s ? text.s : "", stdout);
	if (!ret && !json && strstr(reply.text, "\"history_error\""))
		fprintf(stderr, "vrouterctl: the history is not persisted (vrouterctl status says "
				"why)\n");
	cli_print_reply_errors(&reply);
	strbuf_done(&text);
	proto_reply_done(&reply);
	return ret;
}
