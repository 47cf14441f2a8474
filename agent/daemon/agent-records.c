/* SPDX-License-Identifier: MIT */
/* The agent's records: the history of applies and commit-confirm (history.h, confirm.h), their
 * requests (history, diff, rollback, confirm) and their timers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-internal.h"
#include "confirm.h"
#include "history.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "log.h"
#include "proto/proto-history.h"
#include "store.h"

/* The history and the pending confirmation, read from the state directory (what they set
 * aside: warnings, logged). 0 or -ENOMEM. */
int agent_open_records(struct agent *a, const char *state_dir)
{
	struct strbuf warnings = {0};
	int r;

	r = history_open(state_dir, &a->history, &warnings);
	if (r >= 0)
		r = confirm_open(state_dir, &a->confirm, &warnings);
	agent_log_lines(&warnings, true);
	strbuf_done(&warnings);
	return r;
}

/* The wall-clock time in milliseconds since the epoch (confirmation deadlines outlive the
 * agent, so they are not monotonic time). */
static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Records an apply that reached the router in the history (written after the answer:
 * agent_timers(), or before the next request). */
void agent_history_record(struct agent *a, enum status_origin origin, const struct intent *in,
			  const struct agent_doc *doc, const struct apply_result *res, bool applied)
{
	_cleanup_free_ char *dumped = NULL, *error = NULL, *when = status_now_iso8601();
	const struct errlist *e = &res->errs;
	const char *text = doc->raw;
	size_t len = doc->raw_len;
	struct proto_history_entry entry = {
		.generation = in->generation,
		.time = when,
		.origin = (char *)status_origin_to_string(origin),
		.result = applied ? "applied" : "failed",
		.duration_ms = res->duration_ms,
	};

	/* Applied: the text persisted (the same that show and diff give). */
	if (!text && applied && store_generation(a->store) == in->generation) {
		text = store_text(a->store, &len);
		if (len && text[len - 1] == '\n')
			len--;
	}
	if (!text && proto_document_dump(doc->tree, &dumped, &len) >= 0)
		text = dumped;
	if (!applied && e->n &&
	    asprintf(&error, "%s%s%s", e->v[0].pointer, *e->v[0].pointer ? ": " : "",
		     e->v[0].message) < 0)
		error = NULL;
	entry.error = error;
	if (!applied && !e->n)
		entry.error = (char *)apply_status_to_string(res->status);
	if (!when || !text || history_add(a->history, &entry, text, len) < 0)
		log_warn("out of memory: generation %lld's apply is not in the history",
			 (long long)in->generation);
}

/* Writes the history entries added since the last write (after the answers). */
void agent_history_flush(struct agent *a)
{
	struct strbuf err = {0};
	bool had = history_error(a->history) != NULL;

	if (history_pending(a->history) && history_flush(a->history, &err) < 0 && !had)
		log_warn("the history is not persisted: %s (the entries are kept in memory without "
			 "their intents)",
			 strbuf_str(&err));
	else if (had && !history_error(a->history))
		log_notice("the history is persisted again");
	strbuf_done(&err);
}

/* apply --confirm: the intent in effect before it (what the deadline brings back), copied;
 * NULL when there is none or out of memory. */
char *agent_confirm_previous(struct agent *a, size_t *ret_len, int64_t *ret_generation)
{
	const char *text = store_text(a->store, ret_len);
	char *copy;

	if (!text)
		return NULL;
	if (*ret_len && text[*ret_len - 1] == '\n')
		(*ret_len)--;
	copy = strndup(text, *ret_len);
	*ret_generation = store_generation(a->store);
	return copy;
}

/* The apply --confirm of generation succeeded: its confirmation is pending until the deadline
 * (written to deadline, ISO 8601). */
void agent_confirm_arm(struct agent *a, int64_t generation, int64_t previous, const char *text,
		       size_t len, char *deadline, size_t size)
{
	struct proto_confirm p = {generation, previous, wall_ms() + a->confirm_s * 1000};
	struct strbuf err = {0};
	int r;

	proto_time_iso8601(p.deadline_ms, deadline, size);
	r = confirm_set(a->confirm, &p, text, len, &err);
	if (r == -ENOMEM)
		log_err("out of memory: generation %lld awaits no confirmation",
			(long long)generation);
	else if (r < 0)
		log_warn("the pending confirmation of generation %lld is not persisted: %s",
			 (long long)generation, strbuf_str(&err));
	log_notice("generation %lld awaits its confirmation until %s; without it generation "
		   "%lld's content is applied again",
		   (long long)generation, deadline, (long long)previous);
	strbuf_done(&err);
}

/* status: the pending confirmation and the history's error. 0 or -ENOMEM. */
int agent_status_records(struct agent *a, struct proto_status *st)
{
	const struct proto_confirm *p = confirm_pending(a->confirm);
	char when[40];

	if (p) {
		proto_time_iso8601(p->deadline_ms, when, sizeof(when));
		st->confirm_generation = p->generation;
		st->confirm_previous = p->previous;
		st->confirm_deadline = strdup(when);
		if (!st->confirm_deadline)
			return -ENOMEM;
	}
	if (history_error(a->history)) {
		st->history_error = strdup(history_error(a->history));
		if (!st->history_error)
			return -ENOMEM;
	}
	return 0;
}

/* The content of generation gen, for a diff: the intent in effect, else the history's. 0 with a
 * new reference in *ret, or the answer's error in err (negative errno). */
static int agent_generation_doc(struct agent *a, int64_t gen, struct json_t **ret,
				struct strbuf *err)
{
	_cleanup_free_ char *text = NULL;
	struct strbuf warnings = {0};
	int64_t found;
	size_t len;
	int r;

	if (gen == store_generation(a->store) && a->applied_doc) {
		*ret = proto_document_ref(a->applied_doc);
		return 0;
	}
	r = history_intent(a->history, gen, 0, &text, &len, &found, &warnings, err);
	agent_log_lines(&warnings, true);
	strbuf_done(&warnings);
	if (r >= 0 && proto_document_load(text, len, ret) < 0) {
		strbuf_printf(err, "generation %lld's intent in the history is not JSON",
			      (long long)gen);
		r = -EINVAL;
	}
	return r;
}

/* vrouterctl diff A [B|FILE]: A against B, the intent sent, or the intent in effect. */
char *agent_diff(struct agent *a, const struct proto_request *req)
{
	struct json_t *from = NULL, *to = NULL;
	struct strbuf err = {0};
	char *answer;
	int r;

	r = agent_generation_doc(a, req->from, &from, &err);
	if (r >= 0 && req->to)
		r = agent_generation_doc(a, req->to, &to, &err);
	else if (r >= 0 && (req->intent || req->known))
		to = proto_document_ref(req->intent ? req->intent : a->applied_doc);
	else if (r >= 0 && a->applied_doc)
		to = proto_document_ref(a->applied_doc);
	else if (r >= 0) {
		strbuf_printf(&err, "no intent is in effect to compare with");
		r = -ENOENT;
	}
	if (r == -ENOMEM)
		answer = NULL;
	else if (r < 0)
		answer = proto_answer_error(req->id, APPLY_FAILED, strbuf_str(&err), false);
	else
		answer = proto_answer_diff(req->id, req->from,
					   req->to ? req->to
					   : req->intent || req->known ? 0
								       : store_generation(a->store),
					   from, to);
	proto_document_unref(from);
	proto_document_unref(to);
	strbuf_done(&err);
	return answer;
}

/* Applies text (an earlier intent) as generation (the one in effect + 1): a rollback, or the
 * return of an apply --confirm that was not confirmed in time. */
static char *agent_apply_again(struct agent *a, const char *id, const char *text, size_t len,
			       int64_t generation, enum status_origin origin)
{
	struct json_t *tree = NULL;
	struct intent *in = NULL;
	struct errlist errs = {0};
	char *answer;
	bool ok;
	int r;

	r = proto_document_regenerate(text, len, generation, &tree);
	if (r == -ENOMEM)
		return NULL;
	if (r < 0)
		return proto_answer_error(id, APPLY_FAILED, "the earlier intent is not JSON", true);
	if (intent_load_tree(tree, &in, &errs) < 0) {
		log_err("the earlier intent does not load in this agent (%zu errors)",
			errs.n + errs.dropped);
		status_record(&a->status, origin, RESULT_INVALID, 0, NULL);
		status_record_errors(&a->status, &errs);
		answer = proto_answer_errors(id, APPLY_INVALID, &errs, true, false);
	} else {
		answer = agent_apply(a, id, in, &(struct agent_doc){.tree = tree, .model = &in},
				     origin, &ok);
	}
	intent_free(in);
	errlist_done(&errs);
	proto_document_unref(tree);
	return answer;
}

/* Ends the pending confirmation (confirmed, rolled back, or moot). */
static void agent_confirm_end(struct agent *a)
{
	struct strbuf err = {0};

	if (confirm_clear(a->confirm, &err) < 0)
		log_warn("the pending confirmation ended, but %s; it is removed as soon as the "
			 "state directory allows it (a restart before would take it as pending)",
			 strbuf_str(&err));
	strbuf_done(&err);
}

/* vrouterctl rollback [GEN]: GEN's content (default: the generation applied before the one in
 * effect) as the next generation. Ends a pending confirmation: the operator chose. */
char *agent_rollback(struct agent *a, const struct proto_request *req)
{
	int64_t cur = store_generation(a->store), found = 0;
	_cleanup_free_ char *text = NULL;
	struct strbuf err = {0}, warnings = {0};
	char *answer;
	size_t len;
	int r;

	if (!cur)
		return proto_answer_error(req->id, APPLY_FAILED, "no intent is in effect", true);
	r = history_intent(a->history, req->generation, req->generation ? 0 : cur, &text, &len,
			   &found, &warnings, &err);
	agent_log_lines(&warnings, true);
	strbuf_done(&warnings);
	if (r < 0) {
		answer = r == -ENOMEM ? NULL
				      : proto_answer_error(req->id, APPLY_FAILED, strbuf_str(&err),
							   true);
		strbuf_done(&err);
		return answer;
	}
	strbuf_done(&err);
	if (confirm_pending(a->confirm)) {
		log_notice("rollback: the pending confirmation of generation %lld ends",
			   (long long)confirm_pending(a->confirm)->generation);
		agent_confirm_end(a);
	}
	log_notice("rollback to generation %lld's content, as generation %lld", (long long)found,
		   (long long)cur + 1);
	return agent_apply_again(a, req->id, text, len, cur + 1, ORIGIN_ROLLBACK);
}

char *agent_confirm_request(struct agent *a, const char *id)
{
	const struct proto_confirm *p = confirm_pending(a->confirm);
	int64_t gen;

	if (!p)
		return proto_answer_error(id, APPLY_FAILED, "no confirmation is pending", false);
	gen = p->generation;
	agent_confirm_end(a);
	log_notice("generation %lld confirmed", (long long)gen);
	return proto_answer_confirmed(id, gen);
}

/* An apply while a confirmation is pending, or an apply --confirm with nothing to go back to:
 * refused (the answer), or NULL to go on. The intent in effect sent again is answered as
 * always ("unchanged"): it changes nothing. */
char *agent_confirm_gate(struct agent *a, const struct proto_request *req)
{
	const struct proto_confirm *p = confirm_pending(a->confirm);
	struct strbuf msg = {0};
	char *answer, when[40];

	if (req->kind != PROTO_APPLY)
		return NULL;
	if (a->in_effect && (req->known || (a->applied_doc && req->intent &&
					    proto_document_equal(a->applied_doc, req->intent))))
		return NULL;
	if (p) {
		proto_time_iso8601(p->deadline_ms, when, sizeof(when));
		strbuf_printf(&msg, "generation %lld awaits its confirmation until %s: run "
				    "`vrouterctl confirm` (or `vrouterctl rollback`) first",
			      (long long)p->generation, when);
	} else if (req->confirm_s && !store_generation(a->store)) {
		strbuf_printf(&msg, "apply --confirm needs an intent in effect to go back to");
	} else {
		return NULL;
	}
	log_info("apply refused: %s", strbuf_str(&msg));
	answer = proto_answer_error(req->id, APPLY_FAILED, strbuf_str(&msg), true);
	strbuf_done(&msg);
	return answer ? answer : proto_answer_error(req->id, APPLY_FAILED, "out of memory", true);
}

/* The deadline of a pending confirmation passed: the previous content again, as the next
 * generation, unless another generation is in effect by now (then it is moot). */
static void agent_confirm_expire(struct agent *a)
{
	const struct proto_confirm *p = confirm_pending(a->confirm);
	int64_t gen = p->generation, previous = p->previous, cur = store_generation(a->store);
	_cleanup_free_ char *answer = NULL, *text = NULL;
	const char *t;
	size_t len;

	if (cur != gen) {
		log_notice("the confirmation of generation %lld is moot: generation %lld is in "
			   "effect",
			   (long long)gen, (long long)cur);
		agent_confirm_end(a);
		return;
	}
	t = confirm_intent(a->confirm, &len);
	text = t ? strndup(t, len) : NULL;
	agent_confirm_end(a);
	if (!text) {
		log_err("out of memory: generation %lld was not confirmed but stays",
			(long long)gen);
		return;
	}
	log_warn("generation %lld was not confirmed in time: applying generation %lld's content "
		 "again, as generation %lld",
		 (long long)gen, (long long)previous, (long long)cur + 1);
	answer = agent_apply_again(a, NULL, text, len, cur + 1, ORIGIN_CONFIRM_TIMEOUT);
	agent_log_notes(a);
}

uint64_t agent_timers(struct agent *a)
{
	const struct proto_confirm *p;
	int64_t now;

	agent_history_flush(a);
	if (confirm_tidy(a->confirm) > 0)
		log_notice("the ended confirmation's file is removed");
	p = confirm_pending(a->confirm);
	if (p) {
		now = wall_ms();
		if (now < p->deadline_ms)
			return (uint64_t)(p->deadline_ms - now);
		agent_confirm_expire(a);
		agent_history_flush(a);
	}
	return UINT64_MAX;
}
