/* SPDX-License-Identifier: MIT */
/*
 * The data of `status`: the agent (version, backend, start), the applied generation, the last
 * apply (when, how long, result, changes) and the router as the backends observe it (links,
 * addresses, routes). Serialized by proto.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "kept.h"
#include "proto/proto.h"
#include "store.h"

/* Where an apply came from. */
enum status_origin {
	ORIGIN_SOCKET,
	ORIGIN_SERIAL,
	ORIGIN_BOOT,
	ORIGIN_PAYLOAD,
	ORIGIN_DRIFT,		/* a repair of drift (drift.h) */
	ORIGIN_ROLLBACK,	/* vrouterctl rollback */
	ORIGIN_CONFIRM_TIMEOUT, /* an apply --confirm not confirmed in time, gone back */
};

/* The result of an apply request, beyond the engine's: "unchanged" (same generation and
 * content, nothing done). Stale covers both generation refusals. */
enum status_result {
	RESULT_APPLIED,
	RESULT_UNCHANGED,
	RESULT_INVALID,
	RESULT_FAILED,
	RESULT_STALE,
};

struct status {
	char *backend;	/* name given at start ("record", "kernel") */
	char *started;	/* ISO 8601 */
	char *image_version; /* NULL: not in an image (or not told) */
	struct proto_status_apply last;
};

int status_init(struct status *st, const char *backend, const char *image_version);
void status_done(struct status *st);

/* The errors of the apply recorded last (an intent that did not parse: its errors), the
 * first PROTO_STATUS_ERRORS of them kept for status. */
void status_record_errors(struct status *st, const struct errlist *errs);
/* Records an apply (any result), its errors with it. generation 0: unknown. */
void status_record(struct status *st, enum status_origin origin, enum status_result result,
		   int64_t generation, const struct apply_result *res);

/* What the agent knows without asking the router (released with proto_status_done): the
 * agent, the applied generation (the store's), the last apply and "set_aside" (every file set
 * aside in the state directory, its services/ and history/, as long as it is there: the agent
 * never removes one, and the damaged files the store could not set aside yet). 0 or -ENOMEM. */
int status_brief(const struct status *st, const struct store *store, bool in_effect,
		 struct proto_status *ret);

/* status_brief() and the router (released with proto_status_done). The router is observed and
 * the links' counters read through the engine (engine_observe, engine_counters), and with
 * rule_counters those of the firewall's and NAT's rules too; a failure of either is reported in
 * ret->observe_error. The daemons are those of services, the services backend, or none when
 * it is NULL; in: the intent in effect (NULL: unknown), for VRRP's addresses and peer, the
 * pointers of the NAT entries' counters and the management addresses kept from an earlier
 * intent (kept: the generations they are kept from). 0 or -ENOMEM. */
int status_build(const struct status *st, struct engine *e, struct backend *services,
		 const struct intent *in, const struct kept_addrs *kept,
		 const struct store *store, bool in_effect, bool rule_counters,
		 struct proto_status *ret);

/* The current wall-clock time as ISO 8601 with milliseconds, UTC ("...T10:00:00.123Z"). */
char *status_now_iso8601(void);
const char *status_origin_to_string(enum status_origin o);
const char *status_result_to_string(enum status_result r);
