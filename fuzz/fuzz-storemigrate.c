/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the old state directory's change log, replayed once at start to migrate
 * it (daemon/store-migrate.c). The input is BASE "\0" LOG.
 *
 * The replay stays within its limit and builds a NUL-terminated text; a log that builds no
 * record leaves BASE as it is; the same input replays the same; and the log cut anywhere
 * builds no more records than the whole log (a record is either whole or not taken), knows
 * no newer generation, and is damaged only when the whole log is (a cut is what a crash
 * leaves: a torn end, never damage).
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
	struct store_migrate m, again = {0};
	size_t base_len, log_len;

	z = memchr(base, '\0', size);
	if (!z)
		return 0;
	base_len = (size_t)(z - base);
	log = z + 1;
	log_len = size - base_len - 1;
	if (base_len > LIMIT)
		return 0;
	if (store_migrate_replay(base, base_len, log, log_len, LIMIT, &m) < 0)
		return 0;
	if (m.len > LIMIT)
		fail("a text over the limit");
	if (m.text[m.len] != '\0')
		fail("the text is not NUL-terminated");
	if (!m.records && (m.len != base_len || memcmp(m.text, base, m.len)))
		fail("no record, yet not the snapshot");
	if (m.records && !m.follows)
		fail("records replayed over a snapshot the log does not follow");
	if (m.records && !m.newest)
		fail("records replayed, yet no generation");
	if (store_migrate_replay(base, base_len, log, log_len, LIMIT, &again) < 0)
		goto out;
	if (again.len != m.len || memcmp(m.text, again.text, m.len) ||
	    again.records != m.records || again.damaged != m.damaged ||
	    again.newest != m.newest || again.follows != m.follows)
		fail("the same log replays otherwise");
	store_migrate_done(&again);
	if (store_migrate_replay(base, base_len, log, log_len / 2, LIMIT, &again) < 0)
		goto out;
	if (again.records > m.records)
		fail("a cut log builds more records than the whole one");
	if (again.newest > m.newest)
		fail("a cut log knows a newer generation than the whole one");
	if (again.damaged && !m.damaged)
		fail("a cut log is damaged, the whole one is not");
out:
	store_migrate_done(&m);
	store_migrate_done(&again);
	return 0;
}
