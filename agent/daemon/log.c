/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static bool journal;

void log_init(void)
{
	journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if (journal)
		fprintf(stderr, "<%d>", priority);
	else
		fputs("vrouterd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
