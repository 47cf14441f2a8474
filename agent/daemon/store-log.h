/* SPDX-License-Identifier: MIT */
/*
 * The persisted intent's change log (pure: store.c does the I/O). An orchestrator sends the
 * whole intent each time, and most of it is the text of the one before: rewriting megabytes
 * and syncing them, a rename and the directory for one changed port forward would cost more
 * than applying it. So the store keeps a snapshot (intent.json, the whole text) and after it
 * a log (intent.log) of the intents applied since, each as a record that builds its text from
 * the previous one:
 *
 *   header   "vrouter-log 1 BASE-LEN BASE-HASH\n": the snapshot it follows (its length and
 *            storelog_hash in 16 hex digits); a log that names another snapshot is stale
 *   record   "R GENERATION PAYLOAD-LEN PAYLOAD-HASH\n" then the payload, a list of
 *            "C FROM LEN\n" (copy LEN bytes of the previous text at FROM) and
 *            "I LEN\n" + LEN bytes (insert them)
 *
 * Appending a record and syncing the file makes an intent durable; a record cut short by a
 * crash fails its length or hash, and the log ends before it (the previous intent stands).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/strbuf.h"

/* Bytes [at, at + len) of a new text stand where the previous text's [from, from + from_len)
 * stood (a member of the intent, changed or not): a record copies the bytes they share at
 * both ends. */
struct storelog_pair {
	size_t at, len, from, from_len;
};

/* FNV-1a, 64 bits. */
uint64_t storelog_hash(const char *p, size_t n);

/* Appends the header of a log following the snapshot base. 0 or -ENOMEM. */
int storelog_header(const char *base, size_t base_len, struct strbuf *out);

/* Appends the record of text (generation), built from prev: of each pair (sorted by at, not
 * overlapping; one out of order or out of bounds is ignored), the bytes both ends share are
 * copied (runs of STORELOG_COPY_MIN bytes or more), the rest is inserted. Returns the number
 * of bytes copied (>= 0) or -ENOMEM. */
#define STORELOG_COPY_MIN 16
ssize_t storelog_record(const char *prev, size_t prev_len, const char *text, size_t len,
			int64_t generation, const struct storelog_pair *pairs, size_t n_pairs,
			struct strbuf *out);

/*
 * Replays log over the snapshot base: *ret_text (malloc'd, NUL-terminated) is the last
 * intent the log builds, or a copy of base when it builds none; *ret_generation that
 * record's generation (0: none); *ret_valid the length of the log's valid beginning (0 when
 * the header is missing, damaged or names another snapshot: the log is stale) and
 * *ret_records how many records that beginning holds (each costs a copy of a text to replay).
 * No text grows past max bytes. 0, or -ENOMEM.
 */
int storelog_replay(const char *base, size_t base_len, const char *log, size_t log_len, size_t max,
		    char **ret_text, size_t *ret_len, int64_t *ret_generation, size_t *ret_valid,
		    size_t *ret_records);
