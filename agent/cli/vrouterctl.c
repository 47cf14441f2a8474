/* SPDX-License-Identifier: MIT */
/* vrouterctl: the command line of the vrouter agent. A table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lib/cleanup.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{"check", cmd_check, "check FILE|-              validate an intent (no agent needed)"},
	{"plan", cmd_plan, "plan FILE|- --observed STATE.json   print the operations an apply would do"},
	{"render", cmd_render, "render FILE|- DIR         write the service configurations to DIR"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vrouterctl COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
	size_t i;

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
