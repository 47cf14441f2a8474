/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "confirm.h"
#include "drift.h"
#include "history.h"
#include "proto/proto-history.h"
#include "engine/engine.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "log.h"
#include "kernel/kernel-watch.h"
#include "kernel/kernel.h"
#include "nft/nft-desc.h"
#include "nft/nft-records.h"
#include "nft/nft.h"
#include "proto/proto.h"
#include "services/services.h"
#include "state/statefile.h"
#include "store.h"

#define RECORD_PREFIX "record:"

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
};

/* An intent as it arrived: its tree and, when known, its text (see proto_request). */
struct agent_doc {
	struct json_t *tree;
	const char *raw; /* NULL: not known */
	size_t raw_len;
	struct proto_index **index; /* the index of raw, when the request brought one */
	struct intent **model;	    /* the intent read from tree, when the caller gives it up */
};

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
static void agent_remember(struct agent *a, const char *text, size_t len, struct json_t *tree,
			   struct proto_index **index, struct intent **model)
{
	proto_document_unref(a->applied_doc);
	a->applied_doc = proto_document_ref(tree);
	intent_free(a->applied_in);
	a->applied_in = model ? TAKE_PTR(*model) : NULL;
	agent_remember_text(a, text, len, index);
}

/* Logs the first errors of an intent, one line each (the console shows them). */
static void log_errors(const char *what, const struct errlist *errs)
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
static void log_lines(struct strbuf *log, bool warn)
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
static void agent_log_notes(struct agent *a)
{
	struct strbuf warnings = {0}, notices = {0};

	store_notes(a->store, &warnings, &notices);
	if (a->engine)
		engine_notes(a->engine, &warnings, &notices);
	log_lines(&notices, false);
	log_lines(&warnings, true);
	strbuf_done(&warnings);
	strbuf_done(&notices);
}

/* The history and the pending confirmation, read from the state directory (what they set
 * aside: warnings, logged). 0 or -ENOMEM. */
static int agent_open_records(struct agent *a, const char *state_dir)
{
	struct strbuf warnings = {0};
	int r;

	r = history_open(state_dir, &a->history, &warnings);
	if (r >= 0)
		r = confirm_open(state_dir, &a->confirm, &warnings);
	log_lines(&warnings, true);
	strbuf_done(&warnings);
	return r;
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

/* The kernel objects are watched with the kernel backend; a watch that cannot be set up is
 * logged and shown in status (drift is then found by applies of the intent in effect only). */
static void agent_watch_open(struct agent *a, const struct agent_config *cfg)
{
	struct strbuf err = {0};

	if (strcmp(cfg->backend, "kernel")) {
		a->watch_error = strdup("the recording backend has no kernel objects to watch");
		return;
	}
	if (kernel_watch_open(&a->watch, NFT_DESC_TABLE, &err) < 0) {
		a->watch_error = strdup(err.len ? strbuf_str(&err) : "out of memory");
		log_warn("drift is not watched: %s", a->watch_error ? a->watch_error : "");
	}
	strbuf_done(&err);
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
	r = status_init(&a->status, name);
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

static void agent_notify(struct agent *a)
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

/* ---- history and commit-confirm (history.h, confirm.h) ---- */

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
static void agent_history_record(struct agent *a, enum status_origin origin,
				 const struct intent *in, const struct agent_doc *doc,
				 const struct apply_result *res, bool applied)
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
static void agent_history_flush(struct agent *a)
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
static char *agent_confirm_previous(struct agent *a, size_t *ret_len, int64_t *ret_generation)
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
static void agent_confirm_arm(struct agent *a, int64_t generation, int64_t previous,
			      const char *text, size_t len, char *deadline, size_t size)
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
static bool agent_same_content(const struct agent *a, const struct intent *in,
			       const struct agent_doc *doc)
{
	return in->generation == store_generation(a->store) && a->applied_doc &&
	       proto_document_equal(a->applied_doc, doc->tree);
}

/* ---- drift (drift.h): the watch of the kernel objects, checks and repairs ---- */

static uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* After each of the agent's own applies: the events it caused are read and dropped (they are
 * not drift), and the pending check with them. An apply of an intent (not a repair) ends the
 * hold of a repeated drift. */
static void agent_watch_drain(struct agent *a, enum status_origin origin)
{
	if (a->watch)
		kernel_watch_read(a->watch);
	drift_forget(&a->drift);
	if (origin != ORIGIN_DRIFT)
		drift_applied(&a->drift);
}

/* The model of the intent in effect: the one kept, else read from the store once and kept. */
static const struct intent *agent_model(struct agent *a)
{
	struct errlist errs = {0};
	const char *text;
	size_t len;

	if (!a->applied_in && (text = store_text(a->store, &len)))
		intent_load(text, len, &a->applied_in, &errs);
	errlist_done(&errs);
	return a->applied_in;
}

/* One line for a drift: its objects (the first few) by pointer and operation, and what is
 * done about it. */
static void agent_drift_log(struct agent *a, const struct oplist *ops, const char *what)
{
	struct strbuf line = {0};
	size_t i;

	for (i = 0; i < ops->n && i < 4; i++) {
		const char *ptr = ops->v[i].obj->ptr ? ops->v[i].obj->ptr : "";

		strbuf_printf(&line, "%s%s%s", i ? "; " : "", ptr, *ptr ? " " : "");
		op_format(&ops->v[i], &line);
	}
	if (ops->n > i)
		strbuf_printf(&line, "; %zu more", ops->n - i);
	log_warn("drift from generation %lld, %zu object%s: %s; %s",
		 (long long)store_generation(a->store), ops->n, ops->n == 1 ? "" : "s",
		 strbuf_str(&line), what);
	strbuf_done(&line);
}

/* Whether the router is known to be at the intent in effect without observing it: the watch
 * works, none of the events it has queued may concern the agent's objects, and the last apply
 * or check found the router there (drift.h, "verified"). */
static bool agent_router_verified(struct agent *a)
{
	if (!a->watch)
		return false;
	if (kernel_watch_read(a->watch) != 0)
		drift_event(&a->drift, agent_now_ms());
	return a->drift.verified;
}

/* The intent in effect planned against the router: the drift in *ops (none: empty), recorded
 * and logged when found by an apply. 0 or negative errno (errors in errs). */
static int agent_drift_plan(struct agent *a, const struct intent *in, enum status_origin origin,
			    struct oplist *ops, struct errlist *errs)
{
	enum drift_action act;
	bool is_new;
	int r;

	if (agent_router_verified(a))
		return 0;
	r = engine_plan(a->engine, in, ops, NULL, errs);
	if (r >= 0 && !ops->n)
		drift_verified(&a->drift, true);
	if (r < 0 || !ops->n || origin == ORIGIN_DRIFT)
		return r;
	if (drift_found(&a->drift, ops, false, agent_now_ms(), status_now_iso8601(), &is_new,
			&act) < 0)
		log_warn("out of memory: a drift is not recorded");
	else if (is_new)
		agent_drift_log(a, ops, "repaired by the apply of the intent in effect");
	return 0;
}

/* The drift's repair (the apply of the intent in effect) ended with res. */
static void agent_drift_repaired(struct agent *a, enum status_origin origin,
				 const struct apply_result *res)
{
	bool ok = res->status == APPLY_OK;

	drift_repaired(&a->drift, ok, origin == ORIGIN_DRIFT ? "watch" : "apply",
		       status_now_iso8601(),
		       ok ? NULL : res->errs.n ? res->errs.v[0].message : "failed");
	if (ok)
		log_notice("drift repaired by the %s: %zu changes in %.1f ms",
			   origin == ORIGIN_DRIFT ? "watch" : "apply of the intent in effect",
			   res->changes, res->duration_ms);
	else
		log_err("drift not repaired: %s", res->errs.n ? res->errs.v[0].message : "failed");
}

/*
 * Applies a loaded intent under the generation rules: older is stale, the same with other
 * content is refused, the same with the same content is a no-op once in effect. The answer
 * (NULL: out of memory); *ret_ok tells whether the intent is in effect afterwards.
 */
static char *agent_apply(struct agent *a, const char *id, const struct intent *in,
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

			log_errors("generation failed", &rest);
		}
		status_record(&a->status, origin,
			      res.status == APPLY_INVALID ? RESULT_INVALID : RESULT_FAILED,
			      in->generation, &res);
		if (drift.n)
			agent_drift_repaired(a, origin, &res);
		if (res.status == APPLY_FAILED)
			agent_history_record(a, origin, in, doc, &res, false);
		answer = proto_answer_errors(id, res.status, e, true, res.undo_failed);
	}
	apply_result_done(&res);
	oplist_done(&drift);
	agent_notify(a);
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

/* status: the pending confirmation and the history's error. 0 or -ENOMEM. */
static int agent_status_records(struct agent *a, struct proto_status *st)
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

static char *agent_status(struct agent *a, const char *id)
{
	struct intent *tmp;
	const struct intent *in = agent_intent(a, &tmp);
	struct proto_status st;
	char *answer = NULL;

	if (status_build(&a->status, a->engine, a->services, in, &a->kept, a->store, a->in_effect,
			 &st) >= 0) {
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
	log_lines(&log, false);
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

/* ---- history, diff, rollback, confirm (requests) ---- */

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
	log_lines(&warnings, true);
	strbuf_done(&warnings);
	if (r >= 0 && proto_document_load(text, len, ret) < 0) {
		strbuf_printf(err, "generation %lld's intent in the history is not JSON",
			      (long long)gen);
		r = -EINVAL;
	}
	return r;
}

/* vrouterctl diff A [B|FILE]: A against B, the intent sent, or the intent in effect. */
static char *agent_diff(struct agent *a, const struct proto_request *req)
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
static char *agent_rollback(struct agent *a, const struct proto_request *req)
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
	log_lines(&warnings, true);
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

static char *agent_confirm_request(struct agent *a, const char *id)
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
static char *agent_confirm_gate(struct agent *a, const struct proto_request *req)
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

char *agent_handle(struct agent *a, const char *line, size_t len, enum status_origin origin)
{
	struct proto_request req;
	struct strbuf err = {0};
	const char *text;
	char *answer;
	size_t n;
	int r;

	/* A state directory that did not work is tried again, and an intent in effect whose save
	 * failed persisted, as soon as it works. */
	if ((store_dirty(a->store) || store_error(a->store)) && store_flush(a->store, &err) >= 0)
		log_notice("the state directory works again; generation %lld is persisted (0: none)",
			 (long long)store_generation(a->store));
	strbuf_truncate(&err, 0);
	agent_history_flush(a);
	r = proto_request_parse(line, len, a->known, a->in_effect, &req, &err);
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
		answer = agent_status(a, req.id);
	/* Out of memory for the whole answer: a short one, with the request's id, so that a
	 * client waiting for that id (over the serial port) is not left to its timeout. */
	if (!answer)
		answer = proto_answer_error(req.id, APPLY_FAILED, "out of memory", false);
	if (store_error(a->store))
		answer = proto_answer_not_persisted(answer, store_error(a->store));
	agent_log_notes(a);
	proto_request_done(&req);
	strbuf_done(&err);
	return answer;
}

/* ---- start ---- */

/* A document read at start (the persisted intent, the boot payload), loaded. */
struct boot_doc {
	struct json_t *doc;
	struct intent *in;
};

static void boot_doc_done(struct boot_doc *d)
{
	proto_document_unref(d->doc);
	intent_free(d->in);
	*d = (struct boot_doc){0};
}

/* Normalizes and loads a document. 0, or negative with the reason logged under `what`;
 * errs: where its errors go (NULL: dropped after the log). */
static int boot_doc_load(const char *what, const char *doc, size_t len, struct boot_doc *d,
			 struct errlist *ret_errs)
{
	struct errlist local = {0}, *errs = ret_errs ? ret_errs : &local;
	int r;

	*d = (struct boot_doc){0};
	r = proto_document_load(doc, len, &d->doc);
	if (r >= 0)
		r = intent_load_tree(d->doc, &d->in, errs);
	else if (r == -EINVAL && intent_load(doc, len, &d->in, errs) >= 0)
		r = -EBADMSG; /* JSON that jansson refuses but jread takes: cannot happen */
	if (r == -EINVAL) {
		log_err("%s is invalid (%zu errors):", what, errs->n + errs->dropped);
		log_errors(what, errs);
	} else if (r < 0) {
		log_err("%s cannot be loaded: %s", what, strerror(-r));
	}
	if (r < 0)
		boot_doc_done(d);
	errlist_done(&local);
	return r;
}

/* Loads the persisted intent into d, or sets an invalid one aside. */
static void boot_persisted(struct agent *a, struct boot_doc *d)
{
	struct strbuf err = {0};
	const char *doc;
	size_t len;

	doc = store_text(a->store, &len);
	if (!doc)
		return;
	if (boot_doc_load("the persisted intent", doc, len, d, NULL) < 0) {
		struct strbuf aside = {0};

		if (store_reject(a->store, &aside, &err) < 0)
			log_warn("the persisted intent %s/intent.json does not load in this "
				 "agent; it cannot be set aside (%s): left where it is and unused, "
				 "and set aside once the directory works",
				 store_dir(a->store), strbuf_str(&err));
		else
			log_warn("the persisted intent does not load in this agent: set aside as "
				 "%s; no intent from it is in effect",
				 strbuf_str(&aside));
		strbuf_done(&aside);
		strbuf_done(&err);
		return;
	}
	/* An older agent's intent.json, written again with its checksum line. */
	if (store_set_loaded(a->store, d->in->generation) && store_flush(a->store, &err) < 0)
		log_warn("the persisted intent cannot be written again with its checksum line "
			 "yet: %s",
			 strbuf_str(&err));
	strbuf_done(&err);
	/* The text as persisted, without its newline: what vrouterctl sent, when it was.
	 * (agent_boot() runs again after a wait for links: this replaces the first.) */
	agent_remember(a, doc, len && doc[len - 1] == '\n' ? len - 1 : len, d->doc, NULL, NULL);
}

/* Applies the payload when it is newer than the persisted intent. Whether it did. */
static bool boot_payload(struct agent *a, const char *path)
{
	_cleanup_free_ char *doc = NULL, *answer = NULL;
	struct errlist errs = {0};
	struct boot_doc d;
	int64_t gen = store_generation(a->store);
	size_t len;
	bool ok = false;
	int r;

	r = statefile_read(path, JR_DOCUMENT_MAX, &doc, &len);
	if (r == -ENOENT)
		return false;
	if (r < 0) {
		log_err("cannot read the boot payload %s: %s", path, strerror(-r));
		return false;
	}
	if (boot_doc_load("the boot payload", doc, len, &d, &errs) < 0) {
		/* status's last apply: the payload refused, with its errors. */
		status_record(&a->status, ORIGIN_PAYLOAD, RESULT_INVALID, 0, NULL);
		status_record_errors(&a->status, &errs);
		errlist_done(&errs);
		return false;
	}
	if (d.in->generation > gen) {
		log_notice("applying the boot payload, generation %lld", (long long)d.in->generation);
		struct agent_doc payload = {.tree = d.doc};

		answer = agent_apply(a, NULL, d.in, &payload, ORIGIN_PAYLOAD, &ok);
	} else if (d.in->generation == gen) {
		struct strbuf msg = {0};

		struct agent_doc payload = {.tree = d.doc};

		if (store_compare(a->store, gen, agent_same_content(a, d.in, &payload), &msg) ==
		    STORE_CONFLICT)
			log_warn("boot payload ignored: %s", strbuf_str(&msg));
		strbuf_done(&msg);
	} else {
		log_notice("boot payload ignored: generation %lld is older than the applied %lld",
			 (long long)d.in->generation, (long long)gen);
	}
	boot_doc_done(&d);
	return ok;
}

void agent_boot(struct agent *a, const char *payload)
{
	_cleanup_free_ char *answer = NULL;
	struct boot_doc d = {0};
	bool ok;

	boot_persisted(a, &d);
	if (payload && boot_payload(a, payload)) {
		agent_log_notes(a);
		boot_doc_done(&d);
		return;
	}
	if (!d.in) {
		log_notice("no intent applied yet");
		agent_log_notes(a);
		agent_notify(a);
		return;
	}
	log_notice("re-applying the persisted intent, generation %lld", (long long)d.in->generation);
	answer = agent_apply(a, NULL, d.in, &(struct agent_doc){.tree = d.doc, .model = &d.in},
			     ORIGIN_BOOT, &ok);
	agent_log_notes(a);
	boot_doc_done(&d);
}

int agent_boot_missing_links(struct agent *a, const char *payload, int64_t *ret_generation,
			     struct missing_links *ret)
{
	_cleanup_free_ char *text = NULL;
	struct intent *in = NULL, *newer = NULL;
	struct missing_links missing = {0};
	struct errlist errs = {0};
	struct oplist ops = {0};
	const char *doc;
	size_t len;
	int r = 0;

	/* What agent_boot() would apply now. Quiet: agent_boot() reports bad documents. */
	doc = store_text(a->store, &len);
	if (doc)
		intent_load(doc, len, &in, &errs);
	if (payload && statefile_read(payload, JR_DOCUMENT_MAX, &text, &len) >= 0 &&
	    intent_load(text, len, &newer, &errs) >= 0 &&
	    newer->generation > (in ? in->generation : 0)) {
		intent_free(in);
		in = TAKE_PTR(newer);
	} else if (a->in_effect) {
		in = intent_free(in);
	}
	errlist_done(&errs);
	if (in)
		r = engine_plan(a->engine, in, &ops, &missing, &errs);
	if (r >= 0 || r == -EINVAL) { /* a plan that fails for its missing links too */
		*ret_generation = in ? in->generation : 0;
		*ret = missing;
		missing = (struct missing_links){0};
		r = (int)ret->n;
	}
	intent_free(in);
	intent_free(newer);
	oplist_done(&ops);
	errlist_done(&errs);
	missing_links_done(&missing);
	return r;
}

/* A check of the intent in effect against the router, as `plan` does; drift found is
 * repaired through agent_apply() (the normal path: same undo, same atomicity), or reported. */
static void agent_drift_check(struct agent *a)
{
	_cleanup_free_ char *answer = NULL;
	struct errlist errs = {0};
	struct oplist ops = {0};
	enum drift_action act = DRIFT_ACT_REPORT;
	const struct intent *in;
	bool is_new, ok;
	int r;

	if (!a->in_effect || !(in = agent_model(a)))
		return; /* an intent not in effect is planned in full by its next apply */
	r = engine_plan(a->engine, in, &ops, NULL, &errs);
	if (r >= 0 && !ops.n)
		drift_verified(&a->drift, true);
	if (r < 0)
		log_warn("drift check of generation %lld failed: %s",
			 (long long)store_generation(a->store),
			 errs.n ? errs.v[0].message : strerror(-r));
	else if (ops.n && drift_found(&a->drift, &ops, true, agent_now_ms(),
				      status_now_iso8601(), &is_new, &act) < 0)
		log_warn("out of memory: a drift is not recorded");
	else if (ops.n && act == DRIFT_ACT_REPAIR)
		agent_drift_log(a, &ops, "repairing");
	else if (ops.n && is_new && act == DRIFT_ACT_REPORT)
		agent_drift_log(a, &ops, "reported only (--drift=report)");
	else if (ops.n && is_new)
		agent_drift_log(a, &ops, "held: the same objects were repaired 3 times within 10 s "
					 "(another actor changes them); reported only until the "
					 "next apply");
	if (r >= 0 && ops.n && act == DRIFT_ACT_REPAIR)
		answer = agent_apply(a, NULL, in, &(struct agent_doc){.tree = a->applied_doc},
				     ORIGIN_DRIFT, &ok);
	oplist_done(&ops);
	errlist_done(&errs);
}

/* The watch: its events, then the check once due. The ms until the next check. */
static uint64_t agent_drift_run(struct agent *a)
{
	int r;

	if (!a->watch)
		return UINT64_MAX;
	r = kernel_watch_read(a->watch);
	if (r < 0)
		log_warn("drift watch: cannot read events: %s", strerror(-r));
	if (r != 0)
		drift_event(&a->drift, agent_now_ms());
	if (drift_take_due(&a->drift, agent_now_ms()))
		agent_drift_check(a);
	return drift_timeout(&a->drift, agent_now_ms());
}

uint64_t agent_supervise(struct agent *a)
{
	struct strbuf log = {0};
	uint64_t next = UINT64_MAX, drift;

	if (a->services) {
		next = backend_services_supervise(a->services, &log);
		log_lines(&log, true);
		strbuf_done(&log);
		agent_log_notes(a);
	}
	drift = agent_drift_run(a);
	return drift < next ? drift : next;
}

size_t agent_supervise_fds(struct agent *a, int *ret, size_t max)
{
	size_t n = kernel_watch_fds(a->watch, ret, max);

	return n + (a->services ? backend_services_fds(a->services, ret + n, max - n) : 0);
}
