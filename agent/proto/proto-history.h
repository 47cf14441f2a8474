/* SPDX-License-Identifier: MIT */
/*
 * The JSON of history, diff, rollback and commit-confirm (docs/protocol.md): the files the
 * daemon keeps of them in its state directory (the body of a state file, state/statefile.h),
 * their answers, and their text for vrouterctl. Pure.
 *
 *   history/NNNNNN.json  {"seq": N, "generation": G, "time": ISO, "origin": "socket",
 *                         "result": "applied"|"failed", "error": MSG|null, "duration_ms": D,
 *                         "intent": {...}}
 *   confirm.json         {"generation": G, "previous": P, "deadline_ms": MS, "deadline": ISO,
 *                         "intent": {...}}  (the previous intent: what the deadline brings back)
 *
 * The intent is the last member, written as the text the agent persisted (secrets in clear:
 * the files are 0600 like intent.json), so that reading the members before it does not parse
 * the intent (a history of large intents is read at every start).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct json_t;

struct proto_history_entry {
	int64_t seq;	    /* the entry's number, from 1, never reused */
	int64_t generation; /* the intent's */
	char *time;	    /* when it was applied: ISO 8601, UTC, milliseconds */
	char *origin;	    /* status_origin_to_string */
	char *result;	    /* "applied" or "failed" */
	char *error;	    /* a failure's first error ("POINTER: message"), or NULL */
	double duration_ms;
};

void proto_history_entry_done(struct proto_history_entry *e);

/* The body of history/NNNNNN.json: e's members, then "intent": the text intent (compact JSON,
 * len bytes, no newline). 0 or -ENOMEM. */
int proto_history_dump(const struct proto_history_entry *e, const char *intent, size_t len,
		       struct strbuf *ret);
/* Reads such a body: e (released with proto_history_entry_done) and where the intent's text
 * is in body. 0, -EINVAL (not that shape), -ENOMEM. */
int proto_history_load(const char *body, size_t len, struct proto_history_entry *ret,
		       const char **ret_intent, size_t *ret_intent_len);

/* A pending confirmation: the generation applied with --confirm, the one before it, and the
 * wall-clock deadline (milliseconds since the epoch). */
struct proto_confirm {
	int64_t generation;
	int64_t previous;
	int64_t deadline_ms;
};

/* The body of confirm.json, with the previous intent's text. 0 or -ENOMEM. */
int proto_confirm_dump(const struct proto_confirm *c, const char *intent, size_t len,
		       struct strbuf *ret);
/* 0, -EINVAL, -ENOMEM; the intent as in proto_history_load. */
int proto_confirm_load(const char *body, size_t len, struct proto_confirm *ret,
		       const char **ret_intent, size_t *ret_intent_len);
/* ISO 8601 (UTC, milliseconds) of a wall-clock time in ms: into buf of at least 32 bytes. */
void proto_time_iso8601(int64_t ms, char *buf, size_t size);

/* An intent document (text) with its "generation" set to generation: a new tree (unref it
 * with proto_document_unref). 0, -EINVAL (not a JSON object), -ENOMEM. */
int proto_document_regenerate(const char *text, size_t len, int64_t generation,
			      struct json_t **ret);

/* ---- answers (daemon side) ---- */

/* history: {"exit": 0, "history": [ENTRY...], "persisted": true} oldest first; an entry whose
 * intent is not kept (its file set aside, or never written) has "kept": false. error: why the
 * history is not persisted (NULL: it is). */
char *proto_answer_history(const char *id, const struct proto_history_entry *v, const bool *kept,
			   size_t n, const char *error);
/* diff: {"exit": 0, "from": A, "to": B|"intent", "changes": [...]} (proto_diff). */
char *proto_answer_diff(const char *id, int64_t from, int64_t to, const struct json_t *a,
			const struct json_t *b);
/* confirm: {"exit": 0, "confirmed": G} */
char *proto_answer_confirmed(const char *id, int64_t generation);

/* ---- the diff (proto-diff.c) ---- */

/*
 * The difference from a to b, two intent documents, as a JSON array of changes in a
 * deterministic order: {"op": "added"|"removed"|"changed", "pointer": "/a/0", "old": V,
 * "new": V} (old only for removed and changed, new only for added and changed). Objects are
 * compared member by member in the order of their keys (bytewise), arrays element by element
 * (the extra elements of the longer one added or removed). The secrets (proto_document_redact)
 * are compared with their values and shown as "<redacted>": a changed secret is a change
 * without its values. NULL when out of memory.
 */
struct json_t *proto_diff(const struct json_t *a, const struct json_t *b);

/* ---- text for vrouterctl (from the answer's JSON, proto_reply's text) ---- */

/* history: one line per entry, oldest first (the newest last, next to the prompt):
 * "  12  2026-12-07T03:40:01.123Z  socket   applied   4.2 ms", the failures with their error. */
int proto_history_text(const char *answer, struct strbuf *out);
/* diff: "--- generation A" / "+++ generation B" (or "+++ FILE"), then one line per change:
 * "+ POINTER: NEW", "- POINTER: OLD", "~ POINTER: OLD -> NEW" (values as compact JSON). */
int proto_diff_text(const char *answer, const char *to_label, struct strbuf *out);
