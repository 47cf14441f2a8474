/* SPDX-License-Identifier: MIT */
/*
 * The applied intent, persisted in the state directory (default /var/lib/vrouter):
 *
 *   intent.json   a snapshot: an intent applied with success, as the agent received it
 *                 (compact JSON, document order), mode 0600 (it holds secrets)
 *   intent.log    the intents applied since, each a record that builds its text from the
 *                 one before (store-log.h), mode 0600; the last one is the persisted intent
 *   lock          held (flock) while a vrouterd uses the directory
 *
 * An intent that shares text with the persisted one is a record appended to the log and
 * synced (fdatasync), while the log stays smaller than the snapshot and holds fewer than
 * 32 records (each costs a copy of the text to replay at start); else a new snapshot:
 * a temporary file in the same directory, fsync, rename, fsync of the directory, then the log
 * emptied. A crash leaves the previous or the new intent, never a mix.
 *
 * Contents are compared by the daemon (proto_document_equal): the same intent with other
 * whitespace, another key order or other string escapes is the same content; a reordered
 * array (rules!) is not.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "store-log.h"

struct store;

/* Creates the directory if needed (0700), takes its lock and loads intent.json if present.
 * 0, or a negative errno with the reason in err (another vrouterd holds the lock: -EBUSY). */
int store_open(const char *dir, struct store **ret, struct strbuf *err);
struct store *store_free(struct store *s);

/* The persisted intent: text and length, or NULL when there is none. */
const char *store_text(const struct store *s, size_t *ret_len);
int64_t store_generation(const struct store *s); /* 0: none */

/* Called once after store_open by the daemon (which knows how to validate): the persisted
 * intent's generation. A persisted file that does not load is set aside by store_reject(). */
void store_set_loaded(struct store *s, int64_t generation);
/* Renames intent.json to intent.json.rejected and forgets it. 0 or negative errno (err). */
int store_reject(struct store *s, struct strbuf *err);

enum store_verdict {
	STORE_NEWER,	 /* a newer generation (or nothing persisted): apply it */
	STORE_SAME,	 /* same generation, same content */
	STORE_STALE,	 /* older generation: refused */
	STORE_CONFLICT,	 /* same generation, other content: refused */
};

/* Compares an intent with the persisted one (same_content: the daemon found the contents
 * equal; it matters only for the same generation). For STALE and CONFLICT, the answer's message
 * ("stale generation: 4 < applied 7", "generation 7 was already applied with different
 * content") is written to msg. */
enum store_verdict store_compare(const struct store *s, int64_t generation, bool same_content,
				 struct strbuf *msg);

/* Persists an applied intent (compact text in document order; copied). pairs (n_pairs,
 * sorted): spans of text that stand where spans of the persisted text (store_text) stood,
 * whose shared bytes the log's record then refers to instead of holding them; none: a
 * snapshot.
 * 0 or negative errno with the reason in err (the previous intent is still persisted). */
int store_save(struct store *s, int64_t generation, const char *text, size_t len,
	       const struct storelog_pair *pairs, size_t n_pairs, struct strbuf *err);

/* store_save() in steps, for an intent that is being applied: store_stage() makes a thread
 * that, from store_stage_go() on, does everything the persisted intent does not see yet (the
 * copy of text, the log's record, or the snapshot written to a temporary file and synced) in
 * the CPU time the apply leaves (SCHED_IDLE); text must stay as it is until store_stage_end(),
 * and the store must not be used in between. store_stage_end() then persists it (commit: as
 * store_save() does, the same result) or throws it away, and frees the stage (NULL: nothing).
 * store_stage: 0 or -ENOMEM. */
struct store_stage;
int store_stage(struct store *s, int64_t generation, const char *text, size_t len,
		const struct storelog_pair *pairs, size_t n_pairs, struct store_stage **ret);
void store_stage_go(struct store_stage *st);
int store_stage_end(struct store_stage *st, bool commit, struct strbuf *err);

/* Writes buf to path atomically (temporary file in the same directory, fsync, rename, fsync
 * of the directory), mode 0600. Also used for the recording backend's state. */
int store_write_file(const char *path, const char *buf, size_t len, struct strbuf *err);
/* Makes a file written by someone else durable under path: fsync tmp, rename, fsync dir. */
int store_commit_file(const char *tmp, const char *path, struct strbuf *err);
/* Reads a whole file of at most max bytes. 0, -ENOENT, -EFBIG, or another negative errno. */
int store_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
