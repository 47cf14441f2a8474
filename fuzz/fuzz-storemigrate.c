/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the old state directory's change log, replayed once at start to migrate
 * it (daemon/store-migrate.c). The input is BASE "\0" LOG.
 *
 * The replay stays within its limit and builds a NUL-terminated text; a log that builds no
 * record leaves BASE as it is; the same input replays the same; and the log cut anywhere
 * builds no more records than the whole log (a record is either whole or not taken).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store-migrate.h"
#include "fuzz.h"

#define LIMIT 4096

static void fail(const char *what)
{
	fprintf(stderr, "store migrate: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base = (const char *)data, *log, *z;
	size_t base_len, log_len, len, len2, records, records2;
	char *text = NULL, *text2 = NULL;

	z = memchr(base, '\0', size);
	if (!z)
		return 0;
	base_len = (size_t)(z - base);
	log = z + 1;
	log_len = size - base_len - 1;
	if (base_len > LIMIT)
		return 0;
	if (store_migrate_replay(base, base_len, log, log_len, LIMIT, &text, &len, &records) < 0)
		return 0;
	if (len > LIMIT)
		fail("a text over the limit");
	if (text[len] != '\0')
		fail("the text is not NUL-terminated");
	if (!records && (len != base_len || memcmp(text, base, len)))
		fail("no record, yet not the snapshot");
	if (store_migrate_replay(base, base_len, log, log_len, LIMIT, &text2, &len2, &records2) < 0)
		goto out;
	if (len2 != len || memcmp(text, text2, len) || records2 != records)
		fail("the same log replays otherwise");
	free(text2);
	text2 = NULL;
	if (store_migrate_replay(base, base_len, log, log_len / 2, LIMIT, &text2, &len2,
				 &records2) < 0)
		goto out;
	if (records2 > records)
		fail("a cut log builds more records than the whole one");
out:
	free(text);
	free(text2);
	return 0;
}
