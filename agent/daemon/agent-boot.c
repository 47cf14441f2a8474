/* SPDX-License-Identifier: MIT */
/* The agent's start: the persisted intent loaded (or set aside), the boot payload applied when
 * newer, else the persisted intent applied again; and the plan of the wait for late links. */
#include <errno.h>
#include <string.h>

#include "agent-internal.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "log.h"
#include "state/statefile.h"
#include "store.h"

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
		agent_log_errors(what, errs);
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
