/* SPDX-License-Identifier: MIT */
/* vrouterctl check FILE|-: validate an intent. No root, no agent. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"

bool cli_intent_valid(const char *buf, size_t len, int64_t *ret_generation, size_t *ret_errors)
{
	struct errlist errs = {0};
	struct intent *in = NULL;
	int r = intent_load(buf, len, &in, &errs);

	if (r < 0) {
		if (errs.n == 0)
			fprintf(stderr, ": %s\n", strerror(-r));
		errlist_print(&errs, stderr);
		*ret_errors = errs.n + errs.dropped;
	} else {
		*ret_generation = in->generation;
	}
	intent_free(in);
	errlist_done(&errs);
	return r >= 0;
}

int cmd_check(int argc, char **argv)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, errors;
	int64_t gen;

	if (argc != 2) {
		fprintf(stderr, "usage: vrouterctl check FILE|-\n");
		return EXIT_USAGE;
	}
	if (cli_read_input(argv[1], JR_DOCUMENT_MAX, &buf, &len) < 0)
		return APPLY_INVALID;
	if (!cli_intent_valid(buf, len, &gen, &errors)) {
		printf("{\"valid\": false, \"errors\": %zu}\n", errors);
		return APPLY_INVALID;
	}
	printf("{\"valid\": true, \"generation\": %lld}\n", (long long)gen);
	return APPLY_OK;
}
