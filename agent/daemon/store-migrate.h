/* SPDX-License-Identifier: MIT */
/*
 * The state directory of a vrouterd that kept a change log after its snapshot: intent.json
 * (the snapshot) and intent.log, the intents applied since, each a record that builds its text
 * from the one before. The store (store.c) replays it once at start, writes the result as the
 * one intent.json and removes the log. Pure: store.c reads and writes the files.
 *
 *   header   "vrouter-log 1 BASE-LEN BASE-HASH\n": the snapshot it follows (its length and
 *            FNV-1a 64 hash in 16 hex digits); a log that names another snapshot is stale
 *   record   "R GENERATION PAYLOAD-LEN PAYLOAD-HASH\n" then the payload, a list of
 *            "C FROM LEN\n" (copy LEN bytes of the previous text at FROM) and
 *            "I LEN\n" + LEN bytes (insert them)
 *
 * A record cut short by a crash fails its length or hash, and the log ends before it: a crash
 * could leave that at the end of the log only (the older agent appended each record with one
 * write, then synced). A record that fails with bytes after it is damage, and so is a whole
 * record that does not build a text: the records after it are lost.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_migrate {
	char *text; /* the last text the log builds (malloc'd, NUL-terminated), or a copy of base
		     * when it builds none */
	size_t len;
	size_t records; /* how many records built it */
	bool follows;	/* the log's header names base (its length and hash) */
	bool damaged;	/* the replay stopped at damage, not at the log's end or a torn end */
	/* The largest generation of the log's whole records (length and hash right), replayed
	 * or not (a log that does not follow base is walked too); 0: none. */
	int64_t newest;
};

/*
 * Replays log over the snapshot base into ret. No text grows past max bytes (a record that
 * would make one is damage). 0, or -ENOMEM.
 */
int store_migrate_replay(const char *base, size_t base_len, const char *log, size_t log_len,
			 size_t max, struct store_migrate *ret);
void store_migrate_done(struct store_migrate *m);
