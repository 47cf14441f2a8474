/* SPDX-License-Identifier: MIT */
/*
 * Drift: the router's kernel objects (links, addresses, routes, the nftables table) changed
 * behind the agent's back, away from the intent in effect. The decisions, pure (times are
 * given, nothing is read or written): when a check is due, whether what a check found is
 * repaired or only reported, and the last drift as `status` shows it. The watch's sockets are
 * kernel/kernel-watch.h; the checks and repairs (the engine's plan and apply) are agent-drift.c's.
 *
 *   events   drift_event() on every event that may concern the agent's objects: a check is due
 *            DRIFT_COALESCE_MS after the first of a burst (later ones do not push it back, so
 *            a drift is repaired within the second whatever follows it);
 *   own      drift_forget() after each of the agent's own applies: what they caused is not
 *            drift (and a check that plans nothing is not drift anyway);
 *   verified drift_verified() when an apply (whose end checks the router, engine.h) or a
 *            check found the router at the intent in effect; any event since ends it. While
 *            it holds and the watch works, the router is at the intent in effect: the intent
 *            in effect sent again needs no observe (the watch is its check against the kernel);
 *   found    drift_found() with the plan's operations: recorded (once per distinct object
 *            set), and the action: repair, report (--drift=report), or hold;
 *   back-off the same object set repaired DRIFT_REPAIRS_MAX times within DRIFT_WINDOW_MS is
 *            another actor's doing, and a fight with it helps nobody: that set is held
 *            (reported, not repaired) until the next apply of an intent (drift_applied);
 *            another set is still repaired.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sha256.h"
#include "plan/op.h"
#include "proto/proto.h"

#define DRIFT_COALESCE_MS 50 /* events come in bursts (a link down drops its routes) */
#define DRIFT_REPAIRS_MAX 3 /* agent-drift.c's log line says "3 times" */
#define DRIFT_WINDOW_MS 10000

enum drift_mode { DRIFT_REPAIR, DRIFT_REPORT };
enum drift_state { DRIFT_REPAIRED, DRIFT_REPORTED, DRIFT_HELD, DRIFT_FAILED };
enum drift_action { DRIFT_ACT_REPAIR, DRIFT_ACT_REPORT, DRIFT_ACT_HOLD };

struct drift {
	enum drift_mode mode;
	uint64_t due; /* CLOCK_MONOTONIC ms of the pending check; UINT64_MAX: none */
	/* The object set of the last drift (the digest of its operations) and its repairs. */
	char key[SHA256_HEX_LEN + 1];
	uint64_t repairs[DRIFT_REPAIRS_MAX]; /* the last ones' times, oldest first */
	size_t n_repairs;
	char held[SHA256_HEX_LEN + 1]; /* the set held until the next apply ("": none) */
	enum drift_state state;
	bool verified; /* the router was found at the intent in effect, and no event came since */
	char *check_error; /* why the last check could not plan (NULL: it could) */
	struct proto_status_drift last; /* mode and watch_error unset: drift_status() sets them */
};

void drift_init(struct drift *d, enum drift_mode mode);
void drift_done(struct drift *d);

void drift_event(struct drift *d, uint64_t now);
void drift_forget(struct drift *d);
/* An apply or a check found the router at the intent in effect (yes: a check's error ends
 * too), or did not know. */
void drift_verified(struct drift *d, bool yes);
/* A check could not plan (error), or could (NULL): the error stays in status while it lasts.
 * Whether it differs from the last check's (log it then: a router that cannot be planned,
 * a NIC removed, would otherwise log on every event). -ENOMEM: not recorded. */
int drift_check_result(struct drift *d, const char *error, bool *ret_changed);
/* ms until the pending check (0: due), UINT64_MAX when none. */
uint64_t drift_timeout(const struct drift *d, uint64_t now);
/* Whether a check is due; if so, it is no longer pending. */
bool drift_take_due(struct drift *d, uint64_t now);

/*
 * A check of the intent in effect planned ops (at least one). watched: found by the watch
 * (false: an apply of the intent in effect, which repairs whatever the mode). when: ISO 8601
 * now (taken). *ret_new tells whether the set differs from the last drift's (log it then).
 * The action for the watch (an apply always repairs); DRIFT_ACT_HOLD the first time a set is
 * held, and afterwards (ret_new false). -ENOMEM (nothing recorded).
 */
int drift_found(struct drift *d, const struct oplist *ops, bool watched, uint64_t now, char *when,
		bool *ret_new, enum drift_action *ret);
/* The repair of the last drift ended: ok, or failed with error. by: "watch" or "apply"; when:
 * ISO 8601 now (taken). */
void drift_repaired(struct drift *d, bool ok, const char *by, char *when, const char *error);
/* An apply of an intent (a request, not a repair): the held set is repaired again. */
void drift_applied(struct drift *d);

/* Copies into ret (released with proto_status_drift_done) the mode, watch_error (NULL: the
 * kernel objects are watched), the last check's error and the last drift. 0 or -ENOMEM. */
int drift_status(const struct drift *d, const char *watch_error, struct proto_status_drift *ret);

const char *drift_mode_to_string(enum drift_mode m);
int drift_mode_from_string(const char *s);
const char *drift_state_to_string(enum drift_state s);
