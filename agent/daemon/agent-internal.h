/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the agent share: its state and the functions one part calls in another.
 * agent.c is the core (requests, apply, plan, status, the intent in effect), agent-drift.c the
 * watch of the kernel objects and the supervision, agent-records.c the history and
 * commit-confirm, agent-boot.c the start, agent-busy.c what status says while the agent is
 * busy. Only these include it; others use agent.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "drift.h"
#include "engine/engine.h"
#include "kept.h"
#include "lib/strbuf.h"
#include "proto/proto.h"
#include "status.h"

struct agent {
	struct engine *engine;
	struct backend *backends[4]; /* borrowed: the engine owns them */
	size_t n_backends;
	struct backend *record;	  /* the recording backend, or NULL */
	struct backend *services; /* the services backend, or NULL */
	char *record_path;
	struct store *store;
	/* The persisted intent: its tree, for comparing contents, and its text, which a request
	 * carrying the same text byte for byte is recognised by without a parse, and a request
	 * carrying much of it read against (proto-request.c). */
	struct json_t *applied_doc;
	struct intent *applied_in; /* its model (from a request, or re-applied at start), or NULL */
	struct proto_in_effect *known; /* NULL: none, or out of memory */
	bool in_effect; /* the store's intent (persisted or not) is what the router has */
	struct kept_addrs kept; /* management addresses kept from the intents applied since start */
	struct status status;
	void (*notify_status)(const char *line);
	struct kernel_watch *watch; /* NULL: drift is not watched (watch_error says why) */
	char *watch_error;
	struct drift drift;
	struct history *history; /* the apply attempts that reached the router (history.h) */
	struct confirm *confirm; /* the pending confirmation of an apply --confirm (confirm.h) */
	int64_t confirm_s; /* the apply in progress came with --confirm SECONDS (0: without) */
	struct agent_busy_hook busy;
	unsigned busy_depth; /* busy spans open (agent-busy.c) */
	bool busy_open;	     /* the hook heard the outermost span's begin */
};

/* An intent as it arrived: its tree and, when known, its text (see proto_request). */
struct agent_doc {
	struct json_t *tree;
	const char *raw; /* NULL: not known */
	size_t raw_len;
	struct proto_index **index; /* the index of raw, when the request brought one */
	struct intent **model;	    /* the intent read from tree, when the caller gives it up */
};

/* ---- agent.c ---- */
/* Remembers tree, with its text, as the persisted intent's, and its model when given (taken). */
void agent_remember(struct agent *a, const char *text, size_t len, struct json_t *tree,
		    struct proto_index **index, struct intent **model);
/* Logs the first errors of an intent, one line each, under what. */
void agent_log_errors(const char *what, const struct errlist *errs);
/* Logs each line of log, as notices or (warn) warnings, and empties it. */
void agent_log_lines(struct strbuf *log, bool warn);
/* Logs what the store and the backends noted on their own: warnings, and notices. */
void agent_log_notes(struct agent *a);
/* Sends the one-line summary of the state to notify_status (sd_notify STATUS=), if set. */
void agent_notify(struct agent *a);
/* Whether doc is the persisted intent's content (only asked for the same generation). */
bool agent_same_content(const struct agent *a, const struct intent *in,
			const struct agent_doc *doc);
/* The model of the intent in effect: the one kept, else read from the store once and kept. */
const struct intent *agent_model(struct agent *a);
/* Applies a loaded intent under the generation rules: the answer (NULL: out of memory). */
char *agent_apply(struct agent *a, const char *id, const struct intent *in,
		  const struct agent_doc *doc, enum status_origin origin, bool *ret_ok);

/* ---- agent-drift.c ---- */
/* Opens the watch of the kernel objects; why it cannot goes to watch_error and the log. */
void agent_watch_open(struct agent *a, const struct agent_config *cfg);
/* After the agent's own apply: drops the events it caused and the pending check. */
void agent_watch_drain(struct agent *a, enum status_origin origin);
/* The intent in effect planned against the router: the drift in *ops, recorded and logged. */
int agent_drift_plan(struct agent *a, const struct intent *in, enum status_origin origin,
		     struct oplist *ops, struct errlist *errs);
/* Records and logs how the repair of a drift (an apply of the intent in effect) ended. */
void agent_drift_repaired(struct agent *a, enum status_origin origin,
			  const struct apply_result *res);

/* ---- agent-busy.c ---- */
/* A busy span of origin begins (spans nest); each is ended by agent_busy_end(). */
void agent_busy_begin(struct agent *a, enum status_origin origin);
void agent_busy_end(struct agent *a);

/* ---- agent-records.c ---- */
/* Reads the history and the pending confirmation from the state directory. 0 or -ENOMEM. */
int agent_open_records(struct agent *a, const char *state_dir);
/* Adds an apply that reached the router to the history (agent_history_flush() writes it). */
void agent_history_record(struct agent *a, enum status_origin origin, const struct intent *in,
			  const struct agent_doc *doc, const struct apply_result *res,
			  bool applied);
/* Writes the history entries added since the last write. */
void agent_history_flush(struct agent *a);
/* A copy of the intent in effect's text, which an apply --confirm goes back to; NULL: none. */
char *agent_confirm_previous(struct agent *a, size_t *ret_len, int64_t *ret_generation);
/* Makes the confirmation of a successful apply --confirm pending; its deadline in deadline. */
void agent_confirm_arm(struct agent *a, int64_t generation, int64_t previous, const char *text,
		       size_t len, char *deadline, size_t size);
/* Fills status's pending confirmation and the history's error. 0 or -ENOMEM. */
int agent_status_records(struct agent *a, struct proto_status *st);
/* The answer to diff: generation A against B, the intent sent, or the intent in effect. */
char *agent_diff(struct agent *a, const struct proto_request *req);
/* The answer to rollback: an earlier generation's content applied as the next generation. */
char *agent_rollback(struct agent *a, const struct proto_request *req);
/* The answer to confirm: ends the pending confirmation. */
char *agent_confirm_request(struct agent *a, const char *id);
/* An apply refused while a confirmation is pending (the answer), or NULL to go on. */
char *agent_confirm_gate(struct agent *a, const struct proto_request *req);
