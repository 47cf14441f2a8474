/* SPDX-License-Identifier: MIT */
/* vrouterctl check FILE|-: validate an intent. No root, no agent. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"

int cmd_check(int argc, char **argv)
{
	_cleanup_free_ char *buf = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;
	size_t len;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: vrouterctl check FILE|-\n");
		return EXIT_USAGE;
	}
	if (cli_read_input(argv[1], JR_DOCUMENT_MAX, &buf, &len) < 0)
		return APPLY_INVALID;
	r = intent_load(buf, len, &in, &errs);
	if (r < 0) {
		if (errs.n == 0)
			fprintf(stderr, ": %s\n", strerror(-r));
		errlist_print(&errs, stderr);
		printf("{\"valid\": false, \"errors\": %zu}\n", errs.n + errs.dropped);
		errlist_done(&errs);
		return APPLY_INVALID;
	}
	printf("{\"valid\": true, \"generation\": %lld}\n", (long long)in->generation);
	intent_free(in);
	errlist_done(&errs);
	return APPLY_OK;
}
