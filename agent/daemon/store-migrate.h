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
 * A record cut short by a crash fails its length or hash, and the log ends before it.
 */
#pragma once

#include <stddef.h>

/*
 * Replays log over the snapshot base: *ret_text (malloc'd, NUL-terminated) is the last text
 * the log builds, or a copy of base when it builds none (a stale or empty log), and
 * *ret_records how many records built it. No text grows past max bytes (the log ends before
 * a record that would make one). 0, or -ENOMEM.
 */
int store_migrate_replay(const char *base, size_t base_len, const char *log, size_t log_len,
			 size_t max, char **ret_text, size_t *ret_len, size_t *ret_records);
