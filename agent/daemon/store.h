/* SPDX-License-Identifier: MIT */
/*
 * The applied intent, persisted in the state directory (default /var/lib/vrouter):
 *
 *   intent.json   the last intent applied with success, as the agent received it (compact
 *                 JSON, document order, a newline), after its checksum line (lib/seal.h),
 *                 mode 0600 (it holds secrets)
 *   lock          held (flock) while a vrouterd uses the directory
 *   nft-records, nft-records-fw, services/
 *                 not the store's: the backends' own files (state/statefile.h)
 *   history/, confirm.json
 *                 not the store's: the history of applies (history.h) and the pending
 *                 confirmation of an apply --confirm (confirm.h)
 *
 * One format, one way to write it, after the apply (state/statefile.h): a temporary file in
 * the same directory, fsync, rename, fsync of the directory. A crash leaves the previous or the
 * new intent, never a mix. A directory that an older vrouterd left with a change log (intent.log
 * after the snapshot, store-migrate.h) is migrated once when the store opens.
 *
 * What the store reads is checked, and a file that is not whole is never used: intent.json
 * whose checksum line disagrees with it (or that has none and is not an older agent's JSON) is
 * set aside (statefile_set_aside), and so are a change log and its snapshot that do not add up
 * to one intent (a damaged snapshot, a record damaged before the log's end). The store then
 * holds no intent: it never goes back to an older generation. An intent.json of an older agent
 * (no checksum line) is read once and written again with its checksum (store_set_loaded).
 *
 * Contents are compared by the daemon (proto_document_equal): the same intent with other
 * whitespace, another key order or other string escapes is the same content; a reordered
 * array (rules!) is not.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/seal.h"
#include "lib/strbuf.h"

struct store;

/* Creates the directory if needed (0700), takes its lock, reads intent.json (setting aside a
 * damaged one) and migrates a change log it finds. 0, or -EBUSY (another vrouterd holds the
 * lock) or -ENOMEM with the reason in err. A directory that cannot be created, locked, read or
 * written is not an error: the store holds what it could read, works in memory and
 * store_error() says why until a store_flush() succeeds. What it found and did for the log:
 * store_notes(). */
int store_open(const char *dir, struct store **ret, struct strbuf *err);
struct store *store_free(struct store *s);

/* The state directory. */
const char *store_dir(const struct store *s);
/* What the store found and did since the last call (a file set aside, a file of an older
 * agent read), one line each, appended: warnings and notices. Forgotten once taken. */
void store_notes(struct store *s, struct strbuf *warnings, struct strbuf *notices);

/* A damaged file the store could not set aside yet (the directory does not work): it stays
 * where it is, unused, and nothing is written over it until a store_flush() sets it aside. */
struct store_pending {
	char *path;
	enum seal_problem problem;
	char *error; /* why it could not be set aside */
};
const struct store_pending *store_pending(const struct store *s, size_t *ret_n);

/* The intent in effect (the persisted one, or one whose save failed and is kept in memory
 * until store_flush() succeeds): text and length, or NULL when there is none. */
const char *store_text(const struct store *s, size_t *ret_len);
int64_t store_generation(const struct store *s); /* 0: none */

/* Called once after store_open by the daemon (which knows how to validate): the persisted
 * intent's generation. Whether it is an older agent's intent.json, now due to be written again
 * with its checksum line (store_flush()). A persisted file that does not load is set aside by
 * store_reject(). */
bool store_set_loaded(struct store *s, int64_t generation);
/* Sets intent.json aside as not valid for this agent (SEAL_INVALID) and forgets it: 0 with its
 * new path appended to aside, or negative errno with the reason in err. */
int store_reject(struct store *s, struct strbuf *aside, struct strbuf *err);

enum store_verdict {
	STORE_NEWER,	 /* a newer generation (or nothing persisted): apply it */
	STORE_SAME,	 /* same generation, same content */
	STORE_STALE,	 /* older generation: refused */
	STORE_CONFLICT,	 /* same generation, other content: refused */
};

/* Compares an intent with the one in effect, persisted or not: an intent older than one whose
 * save failed is still stale (same_content: the daemon found the contents
 * equal; it matters only for the same generation). For STALE and CONFLICT, the answer's message
 * ("stale generation: 4 < applied 7", "generation 7 was already applied with different
 * content") is written to msg. */
enum store_verdict store_compare(const struct store *s, int64_t generation, bool same_content,
				 struct strbuf *msg);

/* Takes an applied intent (compact text in document order; copied) as the one in effect,
 * not yet persisted. 0 or -ENOMEM (nothing changed). */
int store_set(struct store *s, int64_t generation, const char *text, size_t len);
/* Persists the intent in effect if it is not yet, taking the directory's lock first if it
 * is not held and setting aside the damaged files still pending. 0 or negative errno with the
 * reason in err (intent.json still holds the previous intent; the next call tries again);
 * store_error() follows the result. */
int store_flush(struct store *s, struct strbuf *err);
/* Whether the intent in effect is not persisted yet (or not in the current format). */
bool store_dirty(const struct store *s);
/* Why the state directory does not work (nothing is persisted until it does), or NULL. */
const char *store_error(const struct store *s);
/* store_set() then store_flush(). */
int store_save(struct store *s, int64_t generation, const char *text, size_t len,
	       struct strbuf *err);
