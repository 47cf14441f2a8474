/* SPDX-License-Identifier: MIT */
/*
 * The history of the apply attempts that reached the router (applied, or failed and undone; not
 * the "unchanged" repeats, nor the requests refused at validation or as stale): the last
 * HISTORY_MAX of them (fewer when their intents pass HISTORY_BYTES_MAX), each a state file of
 * the state directory (state/statefile.h)
 *
 *   history/NNNNNN.json   one entry (proto-history.h), NNNNNN its sequence number
 *
 * with the intent as persisted (secrets in clear, mode 0600, like intent.json). The entries'
 * metadata are in memory; an intent is read from its file when asked for (a diff, a rollback),
 * checked, and a damaged file set aside like any state file (the others stay). An entry is
 * written after the answer (history_flush(), from the poll loop, or before the next request);
 * a directory that cannot be written keeps the entries' metadata in memory only, without their
 * intents, and history_error() says why.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "proto/proto-history.h"

#define HISTORY_MAX 100
/* The intents of the entries kept take at most this much of the state directory (older entries
 * are forgotten first; the newest is always kept): 100 intents of a 10,000-rule firewall would
 * take 230 MB of a router's disk. */
#define HISTORY_BYTES_MAX (64u << 20)

struct history;

/* Reads the entries of DIR/history (setting aside the damaged ones: notes in warnings). 0 or
 * -ENOMEM; a directory that cannot be read is an empty history with its error. */
int history_open(const char *state_dir, struct history **ret, struct strbuf *warnings);
struct history *history_free(struct history *h);

/* Adds an entry (e's strings and intent copied; e->seq is given here), to be written by
 * history_flush(). The oldest entries beyond HISTORY_MAX are forgotten there. 0 or -ENOMEM. */
int history_add(struct history *h, const struct proto_history_entry *e, const char *intent,
		size_t len);
/* Writes the entries added since, then removes the files of the entries beyond HISTORY_MAX.
 * 0, or negative errno with the reason in err (the entries stay without their intents). */
int history_flush(struct history *h, struct strbuf *err);
bool history_pending(const struct history *h);
/* Why the last write failed, or NULL. */
const char *history_error(const struct history *h);

/* The answer to a history request (proto_answer_history), NULL when out of memory. */
char *history_answer(const struct history *h, const char *id);
/*
 * The intent of generation (the newest entry that applied it, else the newest that tried it;
 * before: 0, or the newest applied generation lower than before, for a rollback's default).
 * 0 with its text (malloc'd) and generation, -ENOENT (no such entry, or its intent is lost:
 * the reason in err), or another negative errno with the reason in err. A damaged file is set
 * aside (a note in warnings) and its entry's intent counts as lost.
 */
int history_intent(struct history *h, int64_t generation, int64_t before, char **ret,
		   size_t *ret_len, int64_t *ret_generation, struct strbuf *warnings,
		   struct strbuf *err);
