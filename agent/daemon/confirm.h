/* SPDX-License-Identifier: MIT */
/*
 * The pending confirmation of an apply --confirm: the generation applied, the one before it and
 * its intent (what the deadline brings back), and the deadline as wall-clock time, so that it
 * holds across a restart of the agent (even kill -9). Persisted as a state file
 * (state/statefile.h) of the state directory:
 *
 *   confirm.json   {"generation", "previous", "deadline_ms", "deadline", "intent"}
 *                  (proto-history.h); present only while a confirmation is pending
 *
 * A damaged file is set aside like any state file, and then no confirmation is pending (a
 * warning says so). A directory that cannot be written keeps it in memory only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "proto/proto-history.h"

struct confirm;

/* Reads DIR/confirm.json, if any (a damaged one set aside: a note in warnings). 0, -ENOMEM. */
int confirm_open(const char *state_dir, struct confirm **ret, struct strbuf *warnings);
struct confirm *confirm_free(struct confirm *c);

/* The pending confirmation, or NULL; its previous intent's text. */
const struct proto_confirm *confirm_pending(const struct confirm *c);
const char *confirm_intent(const struct confirm *c, size_t *ret_len);

/* Makes p (with the previous intent, copied) the pending confirmation and persists it. 0, or
 * -ENOMEM (nothing pending), or another negative errno with the reason in err: pending in
 * memory only. */
int confirm_set(struct confirm *c, const struct proto_confirm *p, const char *intent, size_t len,
		struct strbuf *err);
/* No confirmation pending any more: forgotten and its file removed. 0, or negative errno with
 * the reason in err: forgotten all the same, and the file left behind (a read-only directory)
 * is removed by confirm_tidy() once it can be, since a restart would take it as pending. */
int confirm_clear(struct confirm *c, struct strbuf *err);
/* Removes the file confirm_clear() left behind: 1 when it did now, 0 otherwise. */
int confirm_tidy(struct confirm *c);
