/* SPDX-License-Identifier: MIT */
/* vrouterctl: the command line of the vrouter agent. A table of subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "lib/cleanup.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{"check", cmd_check, "check FILE|-              validate an intent (no agent needed)"},
	{"plan", cmd_plan_any,
	 "plan FILE|- [--observed STATE.json]\n"
	 "                            the operations an apply would do: asked of the agent, or\n"
	 "                            offline against a recorded state (no agent needed)"},
	{"render", cmd_render, "render FILE|- DIR         write the service configurations to DIR"},
	{"apply", cmd_apply,
	 "apply [--confirm SECONDS] FILE|-\n"
	 "                            apply an intent through the agent; with --confirm, the\n"
	 "                            previous intent comes back unless `confirm` comes in time"},
	{"confirm", cmd_confirm, "confirm                   confirm the pending apply --confirm"},
	{"history", cmd_history,
	 "history [--json]          the last 100 applies that reached the router, oldest first"},
	{"diff", cmd_diff,
	 "diff GEN [GEN|FILE|-] [--json]\n"
	 "                            what changed from GEN to another generation, to FILE or to\n"
	 "                            the intent in effect, by JSON Pointer (secrets redacted)"},
	{"rollback", cmd_rollback,
	 "rollback [GEN]            apply generation GEN's content (default: the one before the\n"
	 "                            generation in effect) as a new generation"},
	{"show", cmd_show, "show [--json]             print the applied intent (secrets redacted)"},
	{"edit", cmd_edit,
	 "edit [--state-dir DIR]    on the router, as root: the applied intent in $VISUAL or\n"
	 "                            $EDITOR with the next generation, checked, then applied"},
	{"status", cmd_status,
	 "status [--counters] [--json]\n"
	 "                            the agent and the router's state; --counters: what each\n"
	 "                            firewall and NAT rule counted"},
	{"handover", cmd_handover,
	 "handover [--cancel] [--json]\n"
	 "                            hand VRRP mastership to the peer and stay backup (on the\n"
	 "                            master); --cancel ends the hold"},
};

/* Global options, before the command: how to reach the agent. The number of arguments taken,
 * or -1 (message printed). */
static int parse_global(int argc, char **argv)
{
	const char *opt = argv[0], *eq = strchr(opt, '='), *val;
	size_t name_len = eq ? (size_t)(eq - opt) : strlen(opt);
	int used = eq ? 1 : 2;

	if (eq)
		val = eq + 1;
	else if (argc > 1)
		val = argv[1];
	else
		val = NULL;
	if (!val || !*val) {
		fprintf(stderr, "vrouterctl: option \"%.*s\" needs an argument\n", (int)name_len, opt);
		return -1;
	}
	if (!strncmp(opt, "--socket", name_len) && name_len == 8) {
		client_options.socket = val;
	} else if (!strncmp(opt, "--serial", name_len) && name_len == 8) {
		client_options.serial = val;
	} else if (!strncmp(opt, "--timeout", name_len) && name_len == 9) {
		char *end;
		unsigned long t;

		errno = 0;
		t = strtoul(val, &end, 10);
		if (errno || *end || t == 0 || t > 86400) {
			fprintf(stderr, "vrouterctl: --timeout takes seconds, 1-86400, got \"%s\"\n",
				val);
			return -1;
		}
		client_options.timeout_s = (unsigned)t;
	} else {
		fprintf(stderr, "vrouterctl: unknown option \"%.*s\"\n", (int)name_len, opt);
		return -1;
	}
	return used;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vrouterctl [--socket PATH | --serial PATH] [--timeout SECONDS] COMMAND "
		   "[ARGS]\n\ncommands:\n");
	for (i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	size_t i;

	while (argc > 1 && !strncmp(argv[1], "--", 2) && strcmp(argv[1], "--help")) {
		int n = parse_global(argc - 1, argv + 1);

		if (n < 0)
			return EXIT_USAGE;
		argc -= n;
		argv += n;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ELEMENTSOF(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vrouterctl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
