/* SPDX-License-Identifier: MIT */
/* The agent's core: requests (apply, check, plan, show, status, handover) answered under the
 * generation rules with the engine and the store, and the intent in effect remembered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-internal.h"
#include "confirm.h"
#include "history.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "log.h"
#include "kernel/kernel-watch.h"
#include "kernel/kernel.h"
#include "nft/nft-records.h"
#include "nft/nft.h"
#include "services/services.h"
#include "state/statefile.h"
#include "store.h"

#define RECORD_PREFIX "record:"

/* Remembers text as the persisted intent's text (applied_doc is its content), for recognising
 * it in later requests; index: the text's index when the request whose tree is applied_doc
 * brought one (taken). An index of another tree is not given: its values are that tree's. */
static void agent_remember_text(struct agent *a, const char *text, size_t len,
				struct proto_index **index)
{
	proto_in_effect_free(a->known);
	/* NULL when out of memory: only the fast paths are lost. */
	a->known = proto_in_effect_new(text, len, a->applied_doc, index ? TAKE_PTR(*index) : NULL);
}

/* Remembers tree, with its text, as the persisted intent's, and its model when the caller
 * gives it (taken): the next request's intent is read against them. */
void agent_remember(struct agent *a, const char *text, size_t len, struct json_t *tree,
		    struct proto_index **index, struct intent **model)
{
	proto_document_unref(a->applied_doc);
	a->applied_doc = proto_document_ref(tree);
	intent_free(a->applied_in);
	a->applied_in = model ? TAKE_PTR(*model) : NULL;
	agent_remember_text(a, text, len, index);
}

/* Logs the first errors of an intent, one line each (the console shows them). */
void agent_log_errors(const char *what, const struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n && i < PROTO_STATUS_ERRORS; i++)
		log_err("%s: %s%s%s", what, errs->v[i].pointer, *errs->v[i].pointer ? ": " : "",
			errs->v[i].message);
	if (errs->n + errs->dropped > i)
		log_err("%s: %zu more errors (`vrouterctl check` shows them all)", what,
			errs->n + errs->dropped - i);
}

/* Logs each line of log (the services backend's events: a daemon restarted, a VRRP transition;
 * what the store and the backends noted), as notices, which the console shows, or warnings. */
void agent_log_lines(struct strbuf *log, bool warn)
{
	char *line, *nl;

	for (line = log->s; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (warn)
			log_warn("%s", line);
		else
			log_notice("%s", line);
	}
	strbuf_truncate(log, 0);
}

/* Logs what the store and the backends found and did on their own (a damaged state file set
 * aside, a file of an older agent read): warnings, and notices. */
void agent_log_notes(struct agent *a)
{
	struct strbuf warnings = {0}, notices = {0};

	store_notes(a->store, &warnings, &notices);
	if (a->engine)
		engine_notes(a->engine, &warnings, &notices);
	agent_log_lines(&notices, false);
	agent_log_lines(&warnings, true);
	strbuf_done(&warnings);
	strbuf_done(&notices);
}

static int agent_backends(struct agent *a, const struct agent_config *cfg, struct strbuf *err)
{
	const char *spec = cfg->backend;

	if (!strncmp(spec, RECORD_PREFIX, strlen(RECORD_PREFIX))) {
		const char *path = spec + strlen(RECORD_PREFIX);

		if (!*path) {
			strbuf_printf(err, "--backend record:PATH needs the state file's path");
			return -EINVAL;
		}
		a->record_path = strdup(path);
		a->record = a->record_path ? backend_record_new(path, NULL) : NULL;
		if (!a->record)
			return -ENOMEM;
		a->backends[a->n_backends++] = a->record;
		return 0;
	}
	if (!strcmp(spec, "kernel")) {
		_cleanup_free_ char *records = NULL, *records_fw = NULL;

		/* The running system: rtnetlink for links, addresses and routes, nftables (its one
		 * transaction commits after every kernel step succeeded), then the services (their
		 * files and daemons change once the firewall admits them; reverted with the rest
		 * when they fail). */
		a->backends[a->n_backends] = backend_kernel_new();
		if (!a->backends[a->n_backends++])
			return -ENOMEM;
		/* The records of the table's plan objects stay in the state directory
		 * (nft/nft-records.h), out of `nft list ruleset`. */
		if (asprintf(&records, "%s/%s", cfg->state_dir, NFT_RECORDS_FILE) < 0) {
			records = NULL;
			return -ENOMEM;
		}
		if (asprintf(&records_fw, "%s/%s", cfg->state_dir, NFT_RECORDS_FILE_FW) < 0) {
			records_fw = NULL;
			return -ENOMEM;
		}
		a->backends[a->n_backends] = backend_nft_new(records, records_fw);
		if (!a->backends[a->n_backends++])
			return -ENOMEM;
		a->backends[a->n_backends] = backend_services_new(cfg->confdir, cfg->state_dir);
		a->services = a->backends[a->n_backends];
		if (!a->backends[a->n_backends++])
			return -ENOMEM;
		return 0;
	}
	strbuf_printf(err, "unknown backend \"%s\" (kernel, record:PATH)", spec);
	return -EINVAL;
}

int agent_new(const struct agent_config *cfg, struct agent **ret, struct strbuf *err)
{
	struct agent *a = calloc(1, sizeof(*a));
	const char *name;
	size_t i;
	int r;

	if (!a)
		return -ENOMEM;
	a->notify_status = cfg->notify_status;
	drift_init(&a->drift, cfg->drift_report ? DRIFT_REPORT : DRIFT_REPAIR);
	name = strncmp(cfg->backend, RECORD_PREFIX, strlen(RECORD_PREFIX)) ? cfg->backend
									    : "record";
	r = status_init(&a->status, name, cfg->image_version);
	if (r >= 0)
		r = store_open(cfg->state_dir, &a->store, err);
	if (r >= 0)
		r = agent_open_records(a, cfg->state_dir);
	if (r >= 0)
		r = agent_backends(a, cfg, err);
	if (r >= 0) {
		a->engine = engine_new(a->backends, a->n_backends, cfg->confdir);
		if (!a->engine)
			r = -ENOMEM;
	}
	if (r < 0 && !a->engine)
		for (i = 0; i < a->n_backends; i++)
			backend_free(a->backends[i]);
	if (r < 0) {
		if (r == -ENOMEM && !err->len)
			strbuf_printf(err, "out of memory");
		a->n_backends = 0;
		agent_free(a);
		return r;
	}
	agent_watch_open(a, cfg);
	agent_log_notes(a);
	if (store_error(a->store))
		log_warn("the state directory %s does not work: %s; intents are applied and kept in "
			 "memory, and persisted once it works", cfg->state_dir,
			 store_error(a->store));
	*ret = a;
	return 0;
}

struct agent *agent_free(struct agent *a)
{
	if (!a)
		return NULL;
	engine_free(a->engine);
	store_free(a->store);
	proto_document_unref(a->applied_doc);
	intent_free(a->applied_in);
	proto_in_effect_free(a->known);
	kept_addrs_done(&a->kept);
	status_done(&a->status);
	kernel_watch_close(a->watch);
	free(a->watch_error);
	drift_done(&a->drift);
	history_free(a->history);
	confirm_free(a->confirm);
	free(a->record_path);
	free(a);
	return NULL;
}

/* After a successful apply with the recording backend: its state is the router, written
 * like the intent (temporary file, fsync, rename), so that a restart sees it. */
static int agent_write_router(struct agent *a, struct strbuf *err)
{
	struct strbuf tmp = {0};
	int r;

	if (!a->record)
		return 0;
	if (strbuf_printf(&tmp, "%s.tmp", a->record_path) < 0)
		return -ENOMEM;
	r = backend_record_write_state(a->record, tmp.s, err);
	if (r >= 0)
		r = statefile_commit(tmp.s, a->record_path, err);
	strbuf_done(&tmp);
	return r;
}

void agent_notify(struct agent *a)
{
	char line[160];

	if (!a->notify_status)
		return;
	if (!store_generation(a->store))
		snprintf(line, sizeof(line), "no intent applied");
	else
		snprintf(line, sizeof(line), "generation %lld %s; last apply: %s",
			 (long long)store_generation(a->store),
			 a->in_effect ? "in effect" : "not in effect",
			 a->status.last.present ? a->status.last.result : "none");
	a->notify_status(line);
}

/* Takes doc as the intent in effect and persists it: its text as it arrived (when known: one
 * line, as the protocol carries it) or re-serialized; its tree and text are kept for later
 * comparisons. Once in memory it is the intent in effect even when the write fails (the store
 * keeps it until a later store_flush() succeeds): later intents are compared with it. */
static int agent_save(struct agent *a, const struct intent *in, const struct agent_doc *doc,
		      struct strbuf *err)
{
	_cleanup_free_ char *dumped = NULL;
	const char *text = doc->raw;
	size_t len = doc->raw_len;
	int r = 0;

	if (!text) {
		r = proto_document_dump(doc->tree, &dumped, &len);
		text = dumped;
	}
	if (r >= 0)
		r = store_set(a->store, in->generation, text, len);
	if (r < 0)
		return r;
	agent_remember(a, text, len, doc->tree, doc->index, doc->model);
	return store_flush(a->store, err);
}

/* The engine ran and succeeded: persist, answer. */
static char *agent_applied(struct agent *a, const char *id, const struct intent *in,
			   const struct agent_doc *doc, bool same, enum status_origin origin,
			   const struct apply_result *res, const struct oplist *repaired)
{
	struct proto_applied ans = {
		.generation = in->generation,
		.changes = res->changes,
		.duration_ms = res->duration_ms,
		.repaired = repaired,
	};
	struct strbuf err = {0}, warning = {0};
	_cleanup_free_ char *previous = NULL;
	int64_t previous_gen = 0;
	size_t previous_len = 0;
	char *answer, deadline[40];
	int r, q = 0;

	if (a->confirm_s && !same)
		previous = agent_confirm_previous(a, &previous_len, &previous_gen);
	r = agent_write_router(a, &err);
	if (!same)
		q = agent_save(a, in, doc, &err);
	if (previous) {
		agent_confirm_arm(a, in->generation, previous_gen, previous, previous_len, deadline,
				  sizeof(deadline));
		ans.confirm_deadline = deadline;
	}
	if (r >= 0)
		r = q;
	/* The persisted intent applied again (at start): its model is the applied one, so that
	 * the next intent shares its unchanged sections with it as after any other apply. */
	if (same && doc->model && *doc->model && doc->tree == a->applied_doc && !a->applied_in)
		a->applied_in = TAKE_PTR(*doc->model);
	/* In memory it is the intent in effect, saved or not (only out of memory keeps the
	 * previous one there, which is no longer in effect). */
	a->in_effect = same || store_generation(a->store) == in->generation;
	if (r < 0) {
		log_err("generation %lld is in effect but was not saved: %s",
			(long long)in->generation, err.len ? strbuf_str(&err) : strerror(-r));
		strbuf_printf(&warning, "the intent is in effect but was not saved: %s",
			      err.len ? strbuf_str(&err) : strerror(-r));
		ans.warning = strbuf_str(&warning);
	}
	log_msg(origin == ORIGIN_SOCKET || origin == ORIGIN_SERIAL ? LOG_INFO : LOG_NOTICE,
		"generation %lld applied: %zu changes in %.1f ms", (long long)in->generation,
		res->changes, res->duration_ms);
	answer = proto_answer_applied(id, &ans);
	strbuf_done(&err);
	strbuf_done(&warning);
	return answer;
}

/* Whether doc is the persisted intent's content (only asked for the same generation). */
bool agent_same_content(const struct agent *a, const struct intent *in, const struct agent_doc *doc)
{
	return in->generation == store_generation(a->store) && a->applied_doc &&
	       proto_document_equal(a->applied_doc, doc->tree);
}

/* The model of the intent in effect: the one kept, else read from the store once and kept. */
const struct intent *agent_model(struct agent *a)
{
	struct errlist errs = {0};
	const char *text;
	size_t len;

	if (!a->applied_in && (text = store_text(a->store, &len)))
		intent_load(text, len, &a->applied_in, &errs);
	errlist_done(&errs);
	return a->applied_in;
}

/* Whether the history keeps an apply: not a repair of drift (by the watch, or by the intent in
 * effect sent again), which puts back a generation the history has and would otherwise push
 * the generations out of it when another actor keeps changing the router. */
static bool agent_history_keeps(enum status_origin origin, const struct oplist *drift)
{
	return origin != ORIGIN_DRIFT && !drift->n;
}

/*
 * Applies a loaded intent under the generation rules: older is stale, the same with other
 * content is refused, the same with the same content is a no-op once in effect. The answer
 * (NULL: out of memory); *ret_ok tells whether the intent is in effect afterwards.
 */
static char *agent_apply_now(struct agent *a, const char *id, const struct intent *in,
			     const struct agent_doc *doc, enum status_origin origin, bool *ret_ok)
{
	struct apply_result res = {0};
	struct oplist drift = {0};
	struct strbuf msg = {0};
	enum store_verdict v;
	char *answer;
	int r;

	*ret_ok = false;
	v = store_compare(a->store, in->generation, agent_same_content(a, in, doc), &msg);
	if (v == STORE_STALE || v == STORE_CONFLICT) {
		log_info("apply of generation %lld refused: %s", (long long)in->generation,
			 strbuf_str(&msg));
		status_record(&a->status, origin, RESULT_STALE, in->generation, NULL);
		answer = proto_answer_error(id, APPLY_STALE, strbuf_str(&msg), true);
		strbuf_done(&msg);
		return answer;
	}
	/* The intent in effect again: checked against the router as `plan` does (never taken on
	 * trust); what it finds is drift, applied again below like any apply. */
	if (v == STORE_SAME && a->in_effect) {
		struct proto_applied ans = {.generation = in->generation, .unchanged = true};
		struct errlist errs = {0};

		r = agent_drift_plan(a, in, origin, &drift, &errs);
		if (r < 0) {
			status_record(&a->status, origin, RESULT_FAILED, in->generation, NULL);
			answer = errs.n ? proto_answer_errors(id, APPLY_FAILED, &errs, true, false)
					: proto_answer_error(id, APPLY_FAILED, strerror(-r), true);
			errlist_done(&errs);
			return answer;
		}
		if (!drift.n) {
			status_record(&a->status, origin, RESULT_UNCHANGED, in->generation, NULL);
			if (doc->raw)
				agent_remember_text(a, doc->raw, doc->raw_len, NULL);
			*ret_ok = true;
			return proto_answer_applied(id, &ans);
		}
	}
	r = engine_apply(a->engine, in, &res);
	agent_watch_drain(a, origin);
	/* An apply that succeeded ended with the router checked against the intent (engine.h). */
	drift_verified(&a->drift, r >= 0 && res.status == APPLY_OK);
	if (r < 0) {
		oplist_done(&drift);
		apply_result_done(&res);
		return NULL;
	}
	/* What the backends found on the way (a damaged file set aside), before the result. */
	agent_log_notes(a);
	if (res.status == APPLY_OK) {
		/* Before agent_applied() replaces the model of the intent in effect. Out of
		 * memory: those generations stay unknown. */
		if (kept_addrs_update(&a->kept, a->applied_in, in) < 0)
			log_warn("out of memory: the generations of kept management addresses are "
				 "not known");
		answer = agent_applied(a, id, in, doc, v == STORE_SAME, origin, &res,
				       drift.n ? &drift : NULL);
		status_record(&a->status, origin, RESULT_APPLIED, in->generation, &res);
		if (drift.n)
			agent_drift_repaired(a, origin, &res);
		if (agent_history_keeps(origin, &drift))
			agent_history_record(a, origin, in, doc, &res, true);
		*ret_ok = true;
	} else {
		const struct errlist *e = &res.errs;
		const char *ptr = e->n ? e->v[0].pointer : "";

		/* Not kept: what the kernel dropped on its own may stay dropped, so the intent in
		 * effect is no longer known to be; the next apply of it is planned in full. */
		if (res.undo_failed || res.not_kept)
			a->in_effect = false;
		log_err("generation %lld failed%s: %s%s%s", (long long)in->generation,
			res.undo_failed ? " and could not be fully undone" : ", undone", ptr,
			*ptr ? ": " : "", e->n ? e->v[0].message : apply_status_to_string(res.status));
		/* The rest (an undo that failed too, or the errors of an invalid intent). */
		if (e->n > 1) {
			struct errlist rest = {.v = e->v + 1, .n = e->n - 1, .dropped = e->dropped};

			agent_log_errors("generation failed", &rest);
		}
		status_record(&a->status, origin,
			      res.status == APPLY_INVALID ? RESULT_INVALID : RESULT_FAILED,
			      in->generation, &res);
		if (drift.n)
			agent_drift_repaired(a, origin, &res);
		if (res.status == APPLY_FAILED && agent_history_keeps(origin, &drift))
			agent_history_record(a, origin, in, doc, &res, false);
		answer = proto_answer_errors(id, res.status, e, true, res.undo_failed);
	}
	apply_result_done(&res);
	oplist_done(&drift);
	agent_notify(a);
	return answer;
}

char *agent_apply(struct agent *a, const char *id, const struct intent *in,
		  const struct agent_doc *doc, enum status_origin origin, bool *ret_ok)
{
	char *answer;

	agent_busy_begin(a, origin);
	answer = agent_apply_now(a, id, in, doc, origin, ret_ok);
	agent_busy_end(a);
	return answer;
}

static char *agent_plan(struct agent *a, const char *id, const struct intent *in,
			const struct agent_doc *doc)
{
	struct errlist errs = {0};
	struct oplist ops = {0};
	struct strbuf msg = {0};
	enum store_verdict v;
	char *answer;
	int r = 0;

	v = store_compare(a->store, in->generation, agent_same_content(a, in, doc), &msg);
	if (v == STORE_STALE || v == STORE_CONFLICT) {
		answer = proto_answer_error(id, APPLY_STALE, strbuf_str(&msg), false);
		goto out;
	}
	/* The applied intent too: the router may have drifted from it. */
	r = engine_plan(a->engine, in, &ops, NULL, &errs);
	if (r < 0 && !errs.n)
		answer = proto_answer_error(id, APPLY_FAILED, strerror(-r), false);
	else if (r < 0)
		answer = proto_answer_errors(id, APPLY_FAILED, &errs, false, false);
	else
		answer = proto_answer_plan(id, &ops);
out:
	oplist_done(&ops);
	errlist_done(&errs);
	strbuf_done(&msg);
	return answer;
}

/* The model of the persisted intent: the one kept, or read from the store into *tmp (for the
 * caller to free); NULL when none. */
static const struct intent *agent_intent(struct agent *a, struct intent **tmp)
{
	struct errlist errs = {0};
	const char *text;
	size_t len;

	*tmp = NULL;
	if (a->applied_in)
		return a->applied_in;
	text = store_text(a->store, &len);
	if (text)
		intent_load(text, len, tmp, &errs);
	errlist_done(&errs);
	return *tmp;
}

static char *agent_status(struct agent *a, const char *id, bool rule_counters)
{
	struct intent *tmp;
	const struct intent *in = agent_intent(a, &tmp);
	struct proto_status st;
	char *answer = NULL;

	if (status_build(&a->status, a->engine, a->services, in, &a->kept, a->store, a->in_effect,
			 rule_counters, &st) >= 0) {
		if (agent_status_records(a, &st) >= 0 &&
		    drift_status(&a->drift, a->watch_error, &st.drift) >= 0)
			answer = proto_answer_status(id, &st);
		proto_status_done(&st);
	}
	intent_free(tmp);
	return answer;
}

/* vrouterctl handover [--cancel] (services/vrrp.h). Refused or failed: exit 2, this router
 * as it was (or master again, when the peer did not take over). */
static char *agent_handover(struct agent *a, const char *id, bool cancel)
{
	struct intent *tmp;
	const struct intent *in = agent_intent(a, &tmp);
	unsigned advert = in && in->vrrp.present ? in->vrrp.advert_interval_ms : 1000;
	struct strbuf log = {0}, msg = {0};
	char *answer;
	double ms = 0;
	int r;

	intent_free(tmp);
	if (!a->services) {
		strbuf_printf(&msg, "no VRRP on the %s backend", a->status.backend);
		r = -EPERM;
	} else {
		r = backend_services_handover(a->services, advert, cancel, &log, &msg, &ms);
	}
	agent_log_lines(&log, false);
	if (r >= 0)
		log_info("%s: %s", cancel ? "handover --cancel" : "handover", strbuf_str(&msg));
	else
		log_warn("%s refused or failed: %s", cancel ? "handover --cancel" : "handover",
			 strbuf_str(&msg));
	answer = r >= 0 ? proto_answer_handover(id, strbuf_str(&msg), ms)
			: proto_answer_error(id, 2, strbuf_str(&msg), false);
	strbuf_done(&log);
	strbuf_done(&msg);
	return answer;
}

/* The intent in effect sent again (recognised by its text, or equal in content): answered
 * without validating or planning it again: it was valid, and applying it would do nothing. */
static char *agent_in_effect_again(struct agent *a, struct proto_request *req,
				   enum status_origin origin)
{
	int64_t gen = store_generation(a->store);
	struct agent_doc doc = {.tree = a->applied_doc};
	const struct intent *in = req->kind == PROTO_CHECK ? NULL : agent_model(a);
	bool ok;

	if (!req->known && req->raw)
		agent_remember_text(a, req->raw, req->raw_len, NULL);
	/* Without a model (out of memory) the answer is the parse's: NULL. */
	switch (req->kind) {
	case PROTO_APPLY:
		return in ? agent_apply(a, req->id, in, &doc, origin, &ok) : NULL;
	case PROTO_PLAN:
		return in ? agent_plan(a, req->id, in, &doc) : NULL;
	default:
		return proto_answer_valid(req->id, gen);
	}
}

/* apply, check, plan: load the intent, then the request's own part. */
static char *agent_intent_request(struct agent *a, struct proto_request *req,
				  enum status_origin origin)
{
	struct intent *in = NULL;
	struct agent_doc doc = {req->intent, req->raw, req->raw_len, &req->index, &in};
	struct errlist errs = {0};
	char *answer;
	bool ok;

	if (a->in_effect && (req->known || (a->applied_doc &&
					    proto_document_equal(a->applied_doc, req->intent))))
		return agent_in_effect_again(a, req, origin);
	if (intent_load_tree_from(req->intent, a->applied_doc, a->applied_in, &in, &errs) < 0) {
		if (req->kind == PROTO_APPLY) {
			log_info("apply refused: invalid intent (%zu errors)",
				 errs.n + errs.dropped);
			status_record(&a->status, origin, RESULT_INVALID, 0, NULL);
			status_record_errors(&a->status, &errs);
		}
		answer = proto_answer_errors(req->id, APPLY_INVALID, &errs,
					     req->kind == PROTO_APPLY, false);
		errlist_done(&errs);
		return answer;
	}
	switch (req->kind) {
	case PROTO_APPLY:
		answer = agent_apply(a, req->id, in, &doc, origin, &ok);
		break;
	case PROTO_PLAN:
		answer = agent_plan(a, req->id, in, &doc);
		break;
	default:
		answer = proto_answer_valid(req->id, in->generation);
		break;
	}
	intent_free(in);
	errlist_done(&errs);
	return answer;
}

/* A request line at least this long is read inside a busy span (its parse takes a while). */
#define BUSY_LINE (64u << 10)

/* The requests that may take a while once read: status is answered meanwhile. */
static bool request_is_long(enum proto_kind k)
{
	return k != PROTO_STATUS && k != PROTO_SHOW && k != PROTO_HISTORY && k != PROTO_CONFIRM;
}

char *agent_handle(struct agent *a, const char *line, size_t len, enum status_origin origin)
{
	struct proto_request req;
	struct strbuf err = {0};
	const char *text;
	char *answer;
	bool busy = len >= BUSY_LINE;
	size_t n;
	int r;

	if (busy)
		agent_busy_begin(a, origin);

	/* A state directory that did not work is tried again, and an intent in effect whose save
	 * failed persisted, as soon as it works. */
	if ((store_dirty(a->store) || store_error(a->store)) && store_flush(a->store, &err) >= 0)
		log_notice("the state directory works again; generation %lld is persisted (0: none)",
			 (long long)store_generation(a->store));
	strbuf_truncate(&err, 0);
	agent_history_flush(a);
	r = proto_request_parse(line, len, a->known, a->in_effect, &req, &err);
	if (!busy && r >= 0 && request_is_long(req.kind)) {
		busy = true;
		agent_busy_begin(a, origin);
	}
	if (r == -ENOMEM)
		answer = NULL;
	else if (r < 0)
		answer = proto_answer_error(req.id, PROTO_EXIT_BAD_REQUEST, strbuf_str(&err),
					    false);
	else if (proto_kind_has_intent(req.kind) && (answer = agent_confirm_gate(a, &req)))
		;
	else if (proto_kind_has_intent(req.kind)) {
		a->confirm_s = req.confirm_s;
		answer = agent_intent_request(a, &req, origin);
		a->confirm_s = 0;
	} else if (req.kind == PROTO_HISTORY)
		answer = history_answer(a->history, req.id);
	else if (req.kind == PROTO_DIFF)
		answer = agent_diff(a, &req);
	else if (req.kind == PROTO_ROLLBACK)
		answer = agent_rollback(a, &req);
	else if (req.kind == PROTO_CONFIRM)
		answer = agent_confirm_request(a, req.id);
	else if (req.kind == PROTO_HANDOVER || req.kind == PROTO_HANDOVER_CANCEL)
		answer = agent_handover(a, req.id, req.kind == PROTO_HANDOVER_CANCEL);
	else if (req.kind == PROTO_SHOW)
		answer = (text = store_text(a->store, &n))
				 ? proto_answer_show(req.id, store_generation(a->store), text, n)
				 : proto_answer_show(req.id, 0, NULL, 0);
	else
		answer = agent_status(a, req.id, req.counters);
	/* Out of memory for the whole answer: a short one, with the request's id, so that a
	 * client waiting for that id (over the serial port) is not left to its timeout. */
	if (!answer)
		answer = proto_answer_error(req.id, APPLY_FAILED, "out of memory", false);
	if (store_error(a->store))
		answer = proto_answer_not_persisted(answer, store_error(a->store));
	agent_log_notes(a);
	proto_request_done(&req);
	strbuf_done(&err);
	if (busy)
		agent_busy_end(a);
	return answer;
}
