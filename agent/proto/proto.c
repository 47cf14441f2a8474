/* SPDX-License-Identifier: MIT */
/* The protocol's JSON, but for the daemon's reading of requests (proto-request.c). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/utf8.h"
#include "lib/jread.h"
#include "lib/jtext.h"
#include "proto.h"

#include "proto-internal.h"

static const char *const kind_names[_PROTO_KIND_MAX] = {
	[PROTO_APPLY] = "apply", [PROTO_CHECK] = "check", [PROTO_PLAN] = "plan",
	[PROTO_SHOW] = "show",	 [PROTO_STATUS] = "status", [PROTO_HANDOVER] = "handover",
	[PROTO_HANDOVER_CANCEL] = "handover-cancel", [PROTO_HISTORY] = "history",
	[PROTO_DIFF] = "diff", [PROTO_ROLLBACK] = "rollback", [PROTO_CONFIRM] = "confirm",
};

const char *proto_kind_to_string(enum proto_kind k)
{
	return (size_t)k < ELEMENTSOF(kind_names) ? kind_names[k] : NULL;
}

int proto_kind_from_string(const char *s)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(kind_names); i++)
		if (!strcmp(s, kind_names[i]))
			return (int)i;
	return -EINVAL;
}

bool proto_kind_has_intent(enum proto_kind k)
{
	return k == PROTO_APPLY || k == PROTO_CHECK || k == PROTO_PLAN;
}

int proto_document_load(const char *doc, size_t len, json_t **ret)
{
	if (len > JR_DOCUMENT_MAX || jtext_count_values(doc, len) > JR_VALUES_MAX)
		return -EINVAL;
	*ret = json_loadb(doc, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	return *ret ? 0 : -EINVAL;
}

bool proto_document_equal(const json_t *a, const json_t *b)
{
	return json_equal(a, b);
}

int proto_document_dump(const json_t *doc, char **ret, size_t *ret_len)
{
	*ret = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!*ret)
		return -ENOMEM;
	*ret_len = strlen(*ret);
	return 0;
}

json_t *proto_document_ref(json_t *doc)
{
	return json_incref(doc);
}

void proto_document_unref(json_t *doc)
{
	json_decref(doc);
}

/* The intent goes into the line as the client read it, compacted (jtext_compact) but not parsed:
 * the agent parses it once. A document that is not JSON reaches the agent, which refuses the
 * request; vrouterctl then validates it locally for the exact errors. */
int proto_request_build(enum proto_kind kind, const char *doc, size_t len, const char *id,
			char **ret, size_t *ret_len)
{
	return proto_request_build_with(kind, NULL, doc, len, id, ret, ret_len);
}

int proto_request_build_with(enum proto_kind kind, const char *members, const char *doc,
			     size_t len, const char *id, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *id_text = NULL;
	struct strbuf line = {0};
	size_t n, at;
	int r;

	if (id) {
		_cleanup_json_ json_t *v = json_string(id);

		id_text = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
		if (!id_text)
			return -ENOMEM;
	}
	if (doc && len > JR_DOCUMENT_MAX)
		return -EINVAL;
	r = strbuf_printf(&line, "{\"request\":\"%s\"", proto_kind_to_string(kind));
	if (r >= 0 && id_text)
		r = strbuf_printf(&line, ",\"id\":%s", id_text);
	if (r >= 0 && members)
		r = strbuf_printf(&line, ",%s", members);
	if (r >= 0 && doc) {
		r = strbuf_printf(&line, ",\"intent\":");
		at = line.len;
		if (r >= 0)
			r = strbuf_reserve(&line, len + 2);
		if (r >= 0)
			r = jtext_compact(doc, len, line.s + at, &n);
		if (r >= 0) {
			line.len = at + n;
			line.s[line.len] = '\0';
		}
	}
	if (r >= 0)
		r = strbuf_append_n(&line, "}\n", 2);
	if (r >= 0 && line.len - 1 > PROTO_LINE_MAX)
		r = -EINVAL;
	if (r < 0) {
		strbuf_done(&line);
		return r;
	}
	*ret_len = line.len;
	*ret = line.s;
	return 0;
}

/* ---- answers ---- */

/* Sets key (a new reference to v) and remembers a failure: one check at the end. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (json_object_set_new(o, key, v) < 0)
		*ok = false;
}

/* A string of an answer: text that is not UTF-8 (a link's name as the kernel has it) with
 * its stray bytes escaped as \xHH, since JSON cannot carry them. NULL only when out of
 * memory. */
static json_t *answer_string(const char *s)
{
	struct strbuf esc = {0};
	json_t *v;

	if (!s)
		return NULL;
	if (utf8_valid(s, strlen(s)))
		return json_string(s);
	v = utf8_escape(s, strlen(s), &esc) < 0 ? NULL : json_string(esc.s);
	strbuf_done(&esc);
	return v;
}

static json_t *answer_new(int exit_code, bool *ok)
{
	json_t *o = json_object();

	*ok = o != NULL;
	if (o)
		put(o, "exit", json_integer(exit_code), ok);
	return o;
}

/* The answer's line: the id last, a newline. Frees the object. */
static char *answer_finish(json_t *o, const char *id, bool ok)
{
	char *line = NULL, *s;
	size_t n;

	if (o && ok && id) {
		json_t *v = json_loads(id, JSON_DECODE_ANY, NULL);

		put(o, "id", v, &ok);
	}
	if (o && ok)
		line = json_dumps(o, DUMP_FLAGS);
	json_decref(o);
	if (!line)
		return NULL;
	n = strlen(line);
	s = realloc(line, n + 2);
	if (!s) {
		free(line);
		return NULL;
	}
	memcpy(s + n, "\n", 2);
	return s;
}

char *proto_answer_error(const char *id, int exit_code, const char *msg, bool applied)
{
	bool ok;
	json_t *o = answer_new(exit_code, &ok);

	if (o && applied)
		put(o, "applied", json_false(), &ok);
	if (o)
		put(o, "error", answer_string(msg), &ok);
	return answer_finish(o, id, ok);
}

static json_t *error_object(const char *pointer, const char *message)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (o) {
		put(o, "pointer", answer_string(pointer), &ok);
		put(o, "message", answer_string(message), &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *proto_answer_errors(const char *id, int exit_code, const struct errlist *errs,
			  bool applied, bool undo_failed)
{
	bool ok;
	json_t *o = answer_new(exit_code, &ok), *list = json_array();
	size_t i;

	if (!o || !list) {
		json_decref(list);
		return answer_finish(o, id, false);
	}
	for (i = 0; i < errs->n; i++)
		if (json_array_append_new(list, error_object(errs->v[i].pointer,
							     errs->v[i].message)) < 0)
			ok = false;
	if (errs->dropped) {
		char msg[64];

		snprintf(msg, sizeof(msg), "%zu more errors not shown", errs->dropped);
		if (json_array_append_new(list, error_object("", msg)) < 0)
			ok = false;
	}
	if (errs->oom && json_array_append_new(
				 list, error_object("", "out of memory while collecting errors")) < 0)
		ok = false;
	if (applied)
		put(o, "applied", json_false(), &ok);
	put(o, "errors", list, &ok);
	if (applied && exit_code == 2)
		put(o, "undo_failed", json_boolean(undo_failed), &ok);
	return answer_finish(o, id, ok);
}

/* Milliseconds to the microsecond (durations are never negative). */
static double round_ms(double ms)
{
	return (double)(long long)(ms * 1000.0 + 0.5) / 1000.0;
}

/* The operations as `plan` lists them: one string each. */
static json_t *answer_ops(const struct oplist *ops, bool *ok)
{
	json_t *list = json_array();
	struct strbuf line = {0};
	size_t i;

	for (i = 0; list && i < ops->n; i++) {
		strbuf_truncate(&line, 0);
		if (op_format(&ops->v[i], &line) < 0 ||
		    json_array_append_new(list, answer_string(strbuf_str(&line))) < 0) {
			json_decref(list);
			list = NULL;
		}
	}
	strbuf_done(&line);
	if (!list)
		*ok = false;
	return list;
}

char *proto_answer_applied(const char *id, const struct proto_applied *a)
{
	bool ok;
	json_t *o = answer_new(0, &ok);

	if (o) {
		put(o, "applied", json_true(), &ok);
		put(o, "generation", json_integer(a->generation), &ok);
		put(o, "changes", json_integer((json_int_t)a->changes), &ok);
		put(o, "duration_ms", json_real(round_ms(a->duration_ms)), &ok);
		if (a->unchanged)
			put(o, "unchanged", json_true(), &ok);
		if (a->confirm_deadline)
			put(o, "confirm_deadline", answer_string(a->confirm_deadline), &ok);
		if (a->warning)
			put(o, "warning", answer_string(a->warning), &ok);
		if (a->repaired)
			put(o, "repaired", answer_ops(a->repaired, &ok), &ok);
	}
	return answer_finish(o, id, ok);
}

char *proto_answer_valid(const char *id, int64_t generation)
{
	bool ok;
	json_t *o = answer_new(0, &ok);

	if (o) {
		put(o, "valid", json_true(), &ok);
		put(o, "generation", json_integer(generation), &ok);
	}
	return answer_finish(o, id, ok);
}

char *proto_answer_handover(const char *id, const char *msg, double duration_ms)
{
	bool ok;
	json_t *o = answer_new(0, &ok);

	if (o) {
		put(o, "handover", json_string(msg), &ok);
		put(o, "duration_ms", json_real(round_ms(duration_ms)), &ok);
	}
	return answer_finish(o, id, ok);
}

char *proto_answer_plan(const char *id, const struct oplist *ops)
{
	bool ok;
	json_t *o = answer_new(0, &ok);

	if (o)
		put(o, "operations", answer_ops(ops, &ok), &ok);
	return answer_finish(o, id, ok);
}

static void redact(json_t *obj, const char *key)
{
	if (json_is_string(json_object_get(obj, key)))
		json_object_set_new(obj, key, answer_string("<redacted>"));
}

/* By place, not by key name: a DNS record or a host may well be called "psk". */
void proto_document_redact(json_t *intent)
{
	const json_t *vpn = json_object_get(intent, "vpn");
	const char *name, *peer;
	json_t *t, *p;

	json_object_foreach(json_object_get(vpn, "ipsec"), name, t)
		redact(t, "psk");
	json_object_foreach(json_object_get(vpn, "wireguard"), name, t) {
		redact(t, "private_key");
		json_object_foreach(json_object_get(t, "peers"), peer, p)
			redact(p, "preshared_key");
	}
}

char *proto_answer_show(const char *id, int64_t generation, const char *doc, size_t len)
{
	bool ok;
	json_t *o = answer_new(0, &ok), *intent = NULL;

	if (!o)
		return NULL;
	if (doc) {
		intent = json_loadb(doc, len, JSON_DECODE_ANY, NULL);
		if (!intent)
			return answer_finish(o, id, false);
		proto_document_redact(intent);
	}
	put(o, "generation", json_integer(doc ? generation : 0), &ok);
	put(o, "intent", intent ? intent : json_null(), &ok);
	return answer_finish(o, id, ok);
}

/* ---- status ---- */

static json_t *status_links(const struct proto_status *st, bool *ok)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < st->n_links; i++) {
		const struct proto_status_link *l = &st->links[i];
		json_t *o = json_object();

		if (!o || json_array_append_new(list, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "name", answer_string(l->name), ok);
		if (l->mac)
			put(o, "mac", answer_string(l->mac), ok);
		if (l->has_mtu)
			put(o, "mtu", json_integer(l->mtu), ok);
		put(o, "up", json_boolean(l->up), ok);
		if (l->owner)
			put(o, "owner", answer_string(l->owner), ok);
		if (l->has_counters)
			put(o, "counters",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_packets",
				      (json_int_t)l->rx_packets, "rx_bytes", (json_int_t)l->rx_bytes,
				      "rx_errors", (json_int_t)l->rx_errors, "rx_dropped",
				      (json_int_t)l->rx_dropped, "tx_packets",
				      (json_int_t)l->tx_packets, "tx_bytes", (json_int_t)l->tx_bytes,
				      "tx_errors", (json_int_t)l->tx_errors, "tx_dropped",
				      (json_int_t)l->tx_dropped),
			    ok);
	}
	return list;
}

static json_t *status_addrs(const struct proto_status *st, bool *ok)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < st->n_addrs; i++) {
		const struct proto_status_address *a = &st->addrs[i];
		json_t *o = json_object();

		if (!o || json_array_append_new(list, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "interface", answer_string(a->interface), ok);
		put(o, "address", answer_string(a->address), ok);
		if (a->owner)
			put(o, "owner", answer_string(a->owner), ok);
		if (a->kept) {
			put(o, "kept", json_true(), ok);
			put(o, "kept_generation",
			    a->kept_generation ? json_integer(a->kept_generation) : json_null(), ok);
		}
	}
	return list;
}

static json_t *status_routes(const struct proto_status *st, bool *ok)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < st->n_routes; i++) {
		const struct proto_status_route *r = &st->routes[i];
		json_t *o = json_object();

		if (!o || json_array_append_new(list, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "to", answer_string(r->to), ok);
		if (r->via)
			put(o, "via", answer_string(r->via), ok);
		if (r->interface)
			put(o, "interface", answer_string(r->interface), ok);
		put(o, "metric", json_integer(r->metric), ok);
		if (r->owner)
			put(o, "owner", answer_string(r->owner), ok);
	}
	return list;
}

static json_t *status_rules(const struct proto_status *st, bool *ok)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < st->n_rules; i++) {
		const struct proto_status_rule *c = &st->rules[i];
		json_t *o = json_object();

		if (!o || json_array_append_new(list, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "pointer", c->pointer ? answer_string(c->pointer) : json_null(), ok);
		if (c->name)
			put(o, "name", answer_string(c->name), ok);
		if (c->comment)
			put(o, "comment", answer_string(c->comment), ok);
		put(o, "packets", json_integer((json_int_t)c->packets), ok);
		put(o, "bytes", json_integer((json_int_t)c->bytes), ok);
	}
	return list;
}

static json_t *status_services(const struct proto_status *st, bool *ok)
{
	json_t *all = json_object();
	size_t i;

	for (i = 0; all && i < st->n_services; i++) {
		const struct proto_status_service *c = &st->services[i];
		json_t *o = json_object();

		if (!o || json_object_set_new(all, c->name, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "state", answer_string(c->state), ok);
		put(o, "pid", c->pid ? json_integer((json_int_t)c->pid) : json_null(), ok);
		put(o, "restarts", json_integer((json_int_t)c->restarts), ok);
		put(o, "since", answer_string(c->since), ok);
		put(o, "last_error", c->last_error ? answer_string(c->last_error) : json_null(),
		    ok);
	}
	return all;
}

static json_t *status_vrrp(const struct proto_status_vrrp *v, bool *ok)
{
	json_t *o, *groups, *sync = NULL;
	size_t i;

	if (!v->present)
		return json_null();
	o = json_object();
	groups = json_object();
	if (!o || !groups) {
		json_decref(groups);
		return o;
	}
	put(o, "state", json_string(v->state), ok);
	put(o, "since", json_string(v->since), ok);
	put(o, "priority", json_integer(v->priority), ok);
	put(o, "held", json_boolean(v->held), ok);
	put(o, "ready", json_boolean(v->ready), ok);
	put(o, "not_ready", v->not_ready ? answer_string(v->not_ready) : json_null(), ok);
	for (i = 0; i < v->n_groups; i++) {
		const struct proto_status_vrrp_group *g = &v->groups[i];

		put(groups, g->name,
		    json_pack("{s:s, s:s, s:I, s:b}", "state", g->state, "since", g->since,
			      "priority", (json_int_t)g->priority, "addresses_present",
			      g->addresses_present),
		    ok);
	}
	put(o, "groups", groups, ok);
	if (v->has_sync)
		sync = json_pack("{s:s?, s:I, s:I, s:I, s:I, s:I, s:s?}", "peer", v->peer,
				 "entries", (json_int_t)v->entries, "injected",
				 (json_int_t)v->injected, "packets_sent",
				 (json_int_t)v->packets_sent, "packets_received",
				 (json_int_t)v->packets_received, "unacknowledged",
				 (json_int_t)v->unacknowledged, "last_heard", v->last_heard);
	put(o, "sync", v->has_sync ? sync : json_null(), ok);
	return o;
}

static json_t *status_ipsec(const struct proto_status *st, bool *ok)
{
	json_t *all = json_object();
	size_t i;

	for (i = 0; all && i < st->n_ipsec; i++) {
		const struct proto_status_ipsec *t = &st->ipsec[i];

		put(all, t->name,
		    json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "ike_state",
			      t->ike_state ? answer_string(t->ike_state) : json_null(),
			      "child_sas", (json_int_t)t->child_sas, "bytes_in",
			      (json_int_t)t->bytes_in, "bytes_out", (json_int_t)t->bytes_out,
			      "packets_in", (json_int_t)t->packets_in, "packets_out",
			      (json_int_t)t->packets_out, "last_rekey",
			      t->last_rekey ? answer_string(t->last_rekey) : json_null(), "error",
			      t->error ? answer_string(t->error) : json_null()),
		    ok);
	}
	return all;
}

static json_t *status_vpn(const struct proto_status *st, bool *ok)
{
	json_t *vpn, *all;
	size_t i, j;

	if (!st->n_wireguard && !st->n_ipsec)
		return json_null();
	vpn = json_object();
	all = json_object();
	if (!vpn || !all) {
		json_decref(all);
		return vpn;
	}
	put(vpn, "ipsec_data_path",
	    st->ipsec_data_path ? answer_string(st->ipsec_data_path) : json_null(), ok);
	put(vpn, "ipsec", status_ipsec(st, ok), ok);
	for (i = 0; i < st->n_wireguard; i++) {
		const struct proto_status_wg *t = &st->wireguard[i];
		json_t *o = json_object(), *peers = json_object();

		if (!o || !peers) {
			json_decref(peers);
			put(all, t->name, o, ok);
			continue;
		}
		put(o, "implementation",
		    t->implementation ? answer_string(t->implementation) : json_null(), ok);
		put(o, "error", t->error ? answer_string(t->error) : json_null(), ok);
		for (j = 0; j < t->n_peers; j++) {
			const struct proto_status_wg_peer *p = &t->peers[j];

			put(peers, p->name,
			    json_pack("{s:s, s:s?, s:s?, s:I, s:I}", "public_key", p->public_key,
				      "endpoint", p->endpoint, "latest_handshake",
				      p->latest_handshake, "rx_bytes", (json_int_t)p->rx_bytes,
				      "tx_bytes", (json_int_t)p->tx_bytes),
			    ok);
		}
		put(o, "peers", peers, ok);
		put(all, t->name, o, ok);
	}
	put(vpn, "wireguard", all, ok);
	return vpn;
}

static json_t *status_last(const struct proto_status_apply *a, bool *ok)
{
	json_t *o;

	if (!a->present)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	put(o, "generation", a->generation ? json_integer(a->generation) : json_null(), ok);
	put(o, "when", answer_string(a->when), ok);
	put(o, "origin", answer_string(a->origin), ok);
	put(o, "result", answer_string(a->result), ok);
	put(o, "duration_ms", json_real(round_ms(a->duration_ms)), ok);
	put(o, "changes", json_integer((json_int_t)a->changes), ok);
	put(o, "errors", json_integer((json_int_t)a->errors), ok);
	if (a->n_error_list) {
		json_t *list = json_array();
		size_t i;

		for (i = 0; list && i < a->n_error_list; i++)
			if (json_array_append_new(list, json_pack("{s:s, s:s}", "pointer",
								  a->error_list[i].pointer, "message",
								  a->error_list[i].message)) < 0)
				*ok = false;
		put(o, "error_list", list, ok);
	}
	if (a->undo_failed)
		put(o, "undo_failed", json_true(), ok);
	return o;
}

static json_t *status_aside(const struct proto_status *st, bool *ok)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < st->n_aside; i++) {
		const struct proto_status_aside *a = &st->aside[i];
		json_t *o = json_object();

		put(o, "file", answer_string(a->file), ok);
		put(o, "problem", answer_string(a->problem), ok);
		put(o, "moved_to", a->moved_to ? answer_string(a->moved_to) : json_null(), ok);
		if (a->when)
			put(o, "when", answer_string(a->when), ok);
		if (a->error)
			put(o, "error", answer_string(a->error), ok);
		if (!o || json_array_append_new(list, o) < 0)
			*ok = false;
	}
	return list;
}

/* "drift": the watch's mode (null: not watched) and the last drift found (null: none). */
static json_t *status_drift(const struct proto_status_drift *d, bool *ok)
{
	json_t *o = json_object(), *last, *list;
	size_t i;

	if (!o)
		return NULL;
	put(o, "mode", d->mode ? answer_string(d->mode) : json_null(), ok);
	if (d->watch_error)
		put(o, "watch_error", answer_string(d->watch_error), ok);
	if (d->check_error)
		put(o, "check_error", answer_string(d->check_error), ok);
	if (!d->present) {
		put(o, "last", json_null(), ok);
		return o;
	}
	last = json_object();
	list = json_array();
	for (i = 0; list && i < d->n_objects; i++)
		if (json_array_append_new(list, json_pack("{s:o, s:o}", "pointer",
							  answer_string(d->objects[i].pointer),
							  "operation",
							  answer_string(d->objects[i].operation))) < 0)
			*ok = false;
	if (last) {
		put(last, "detected", answer_string(d->detected), ok);
		put(last, "objects", list, ok);
		put(last, "total", json_integer((json_int_t)d->total), ok);
		put(last, "state", answer_string(d->state), ok);
		put(last, "repaired", d->repaired ? answer_string(d->repaired) : json_null(), ok);
		if (d->repaired_by)
			put(last, "repaired_by", answer_string(d->repaired_by), ok);
		if (d->error)
			put(last, "error", answer_string(d->error), ok);
	} else {
		json_decref(list);
	}
	put(o, "last", last, ok);
	return o;
}

char *proto_answer_status(const char *id, const struct proto_status *st)
{
	bool ok;
	json_t *o = answer_new(0, &ok), *agent, *applied, *observed;

	if (!o)
		return NULL;
	agent = json_pack("{s:s, s:o, s:I, s:s, s:s}", "version", st->version, "image_version",
			  st->image_version ? json_string(st->image_version) : json_null(), "pid",
			  (json_int_t)st->pid, "backend", st->backend, "started", st->started);
	applied = st->applied_generation
			  ? json_pack("{s:I, s:b}", "generation", (json_int_t)st->applied_generation,
				      "in_effect", st->in_effect)
			  : json_null();
	if (st->busy_since)
		observed = json_null();
	else
		observed = json_object();
	if (st->busy_since) {
		/* Busy: the router is between two states; it is shown once the work is done. */
	} else if (observed && st->observe_error) {
		put(observed, "error", answer_string(st->observe_error), &ok);
	} else if (observed) {
		put(observed, "links", status_links(st, &ok), &ok);
		put(observed, "addresses", status_addrs(st, &ok), &ok);
		put(observed, "routes", status_routes(st, &ok), &ok);
		if (st->has_rules)
			put(observed, "rules", status_rules(st, &ok), &ok);
	}
	put(o, "agent", agent, &ok);
	put(o, "applied", applied, &ok);
	put(o, "last_apply", status_last(&st->last, &ok), &ok);
	if (st->n_aside)
		put(o, "set_aside", status_aside(st, &ok), &ok);
	put(o, "drift", status_drift(&st->drift, &ok), &ok);
	if (st->confirm_generation)
		put(o, "confirm",
		    json_pack("{s:I, s:I, s:s}", "generation", (json_int_t)st->confirm_generation,
			      "previous", (json_int_t)st->confirm_previous, "deadline",
			      st->confirm_deadline ? st->confirm_deadline : ""),
		    &ok);
	if (st->history_error)
		put(o, "history_error", answer_string(st->history_error), &ok);
	if (st->busy_since)
		put(o, "busy",
		    json_pack("{s:s, s:s}", "since", st->busy_since, "origin",
			      st->busy_origin ? st->busy_origin : ""),
		    &ok);
	put(o, "observed", observed, &ok);
	put(o, "services", st->busy_since ? json_null() : status_services(st, &ok), &ok);
	put(o, "vrrp", st->busy_since ? json_null() : status_vrrp(&st->vrrp, &ok), &ok);
	put(o, "vpn", st->busy_since ? json_null() : status_vpn(st, &ok), &ok);
	return answer_finish(o, id, ok);
}

char *proto_answer_not_persisted(char *line, const char *why)
{
	_cleanup_json_ json_t *o = line ? json_loads(line, 0, NULL) : NULL;
	json_t *id;
	char *marked;
	bool ok = o != NULL;

	if (!ok)
		return line;
	id = json_incref(json_object_get(o, "id"));
	json_object_del(o, "id");
	put(o, "persisted", json_false(), &ok);
	put(o, "persist_error", answer_string(why), &ok);
	if (id)
		put(o, "id", id, &ok);
	marked = ok ? json_dumps(o, DUMP_FLAGS) : NULL;
	if (!marked)
		return line;
	free(line);
	line = realloc(marked, strlen(marked) + 2);
	if (!line) {
		free(marked);
		return NULL;
	}
	strcat(line, "\n");
	return line;
}

void proto_status_drift_done(struct proto_status_drift *d)
{
	size_t i;

	free(d->mode);
	free(d->watch_error);
	free(d->check_error);
	free(d->detected);
	for (i = 0; i < d->n_objects; i++) {
		free(d->objects[i].pointer);
		free(d->objects[i].operation);
	}
	free(d->objects);
	free(d->state);
	free(d->repaired);
	free(d->repaired_by);
	free(d->error);
	*d = (struct proto_status_drift){0};
}

void proto_status_done(struct proto_status *st)
{
	size_t i;

	for (i = 0; i < st->n_links; i++) {
		free(st->links[i].name);
		free(st->links[i].mac);
		free(st->links[i].owner);
	}
	for (i = 0; i < st->n_addrs; i++) {
		free(st->addrs[i].interface);
		free(st->addrs[i].address);
		free(st->addrs[i].owner);
	}
	for (i = 0; i < st->n_routes; i++) {
		free(st->routes[i].to);
		free(st->routes[i].via);
		free(st->routes[i].interface);
		free(st->routes[i].owner);
	}
	for (i = 0; i < st->n_rules; i++) {
		free(st->rules[i].pointer);
		free(st->rules[i].name);
		free(st->rules[i].comment);
	}
	for (i = 0; i < st->n_services; i++) {
		free(st->services[i].name);
		free(st->services[i].state);
		free(st->services[i].since);
		free(st->services[i].last_error);
	}
	for (i = 0; i < st->vrrp.n_groups; i++) {
		free(st->vrrp.groups[i].name);
		free(st->vrrp.groups[i].state);
		free(st->vrrp.groups[i].since);
	}
	for (i = 0; i < st->n_wireguard; i++) {
		struct proto_status_wg *t = &st->wireguard[i];
		size_t j;

		for (j = 0; j < t->n_peers; j++) {
			free(t->peers[j].name);
			free(t->peers[j].public_key);
			free(t->peers[j].endpoint);
			free(t->peers[j].latest_handshake);
		}
		free(t->peers);
		free(t->name);
		free(t->implementation);
		free(t->error);
	}
	free(st->wireguard);
	for (i = 0; i < st->n_ipsec; i++) {
		free(st->ipsec[i].name);
		free(st->ipsec[i].ike_state);
		free(st->ipsec[i].last_rekey);
		free(st->ipsec[i].error);
	}
	free(st->ipsec);
	free(st->ipsec_data_path);
	free(st->vrrp.groups);
	free(st->vrrp.state);
	free(st->vrrp.since);
	free(st->vrrp.peer);
	free(st->vrrp.last_heard);
	free(st->vrrp.not_ready);
	free(st->links);
	free(st->addrs);
	free(st->routes);
	free(st->rules);
	free(st->services);
	free(st->version);
	free(st->image_version);
	free(st->backend);
	free(st->started);
	free(st->observe_error);
	free(st->last.when);
	for (i = 0; i < st->last.n_error_list; i++) {
		free(st->last.error_list[i].pointer);
		free(st->last.error_list[i].message);
	}
	free(st->last.error_list);
	free(st->last.origin);
	free(st->last.result);
	for (i = 0; i < st->n_aside; i++) {
		free(st->aside[i].file);
		free(st->aside[i].problem);
		free(st->aside[i].moved_to);
		free(st->aside[i].when);
		free(st->aside[i].error);
	}
	free(st->aside);
	proto_status_drift_done(&st->drift);
	free(st->confirm_deadline);
	free(st->history_error);
	free(st->busy_since);
	free(st->busy_origin);
	*st = (struct proto_status){0};
}

/* ---- answers, client side ---- */

/* A copy of a string member, NULL when absent or not a string; *ok false on OOM. */
static char *get_str(const json_t *o, const char *key, bool *ok)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*ok = false;
	return c;
}

static int64_t get_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* Allocates n elements of size sz for an array member; NULL when empty. */
static void *get_array(const json_t *list, size_t sz, size_t *ret_n, bool *ok)
{
	size_t n = json_array_size(list);
	void *v;

	*ret_n = 0;
	if (!n)
		return NULL;
	v = calloc(n, sz);
	if (!v) {
		*ok = false;
		return NULL;
	}
	*ret_n = n;
	return v;
}

static void reply_observed(const json_t *obs, struct proto_status *st, bool *ok)
{
	const json_t *list, *v, *c;
	size_t i;

	st->observe_error = get_str(obs, "error", ok);
	list = json_object_get(obs, "links");
	st->links = get_array(list, sizeof(*st->links), &st->n_links, ok);
	json_array_foreach(list, i, v) {
		if (i >= st->n_links)
			break;
		st->links[i].name = get_str(v, "name", ok);
		st->links[i].mac = get_str(v, "mac", ok);
		st->links[i].has_mtu = json_object_get(v, "mtu") != NULL;
		st->links[i].mtu = (uint32_t)get_int(v, "mtu");
		st->links[i].up = json_is_true(json_object_get(v, "up"));
		st->links[i].owner = get_str(v, "owner", ok);
		c = json_object_get(v, "counters");
		st->links[i].has_counters = json_is_object(c);
		st->links[i].rx_packets = (uint64_t)get_int(c, "rx_packets");
		st->links[i].rx_bytes = (uint64_t)get_int(c, "rx_bytes");
		st->links[i].rx_errors = (uint64_t)get_int(c, "rx_errors");
		st->links[i].rx_dropped = (uint64_t)get_int(c, "rx_dropped");
		st->links[i].tx_packets = (uint64_t)get_int(c, "tx_packets");
		st->links[i].tx_bytes = (uint64_t)get_int(c, "tx_bytes");
		st->links[i].tx_errors = (uint64_t)get_int(c, "tx_errors");
		st->links[i].tx_dropped = (uint64_t)get_int(c, "tx_dropped");
	}
	list = json_object_get(obs, "addresses");
	st->addrs = get_array(list, sizeof(*st->addrs), &st->n_addrs, ok);
	json_array_foreach(list, i, v) {
		if (i >= st->n_addrs)
			break;
		st->addrs[i].interface = get_str(v, "interface", ok);
		st->addrs[i].address = get_str(v, "address", ok);
		st->addrs[i].owner = get_str(v, "owner", ok);
		st->addrs[i].kept = json_is_true(json_object_get(v, "kept"));
		st->addrs[i].kept_generation = get_int(v, "kept_generation");
	}
	list = json_object_get(obs, "routes");
	st->routes = get_array(list, sizeof(*st->routes), &st->n_routes, ok);
	json_array_foreach(list, i, v) {
		if (i >= st->n_routes)
			break;
		st->routes[i].to = get_str(v, "to", ok);
		st->routes[i].via = get_str(v, "via", ok);
		st->routes[i].interface = get_str(v, "interface", ok);
		st->routes[i].metric = (uint32_t)get_int(v, "metric");
		st->routes[i].owner = get_str(v, "owner", ok);
	}
	list = json_object_get(obs, "rules");
	st->has_rules = json_is_array(list);
	st->rules = get_array(list, sizeof(*st->rules), &st->n_rules, ok);
	json_array_foreach(list, i, v) {
		if (i >= st->n_rules)
			break;
		st->rules[i].pointer = get_str(v, "pointer", ok);
		st->rules[i].name = get_str(v, "name", ok);
		st->rules[i].comment = get_str(v, "comment", ok);
		st->rules[i].packets = (uint64_t)get_int(v, "packets");
		st->rules[i].bytes = (uint64_t)get_int(v, "bytes");
	}
}

static void reply_services(const json_t *all, struct proto_status *st, bool *ok)
{
	const char *name;
	json_t *v;

	if (!json_is_object(all) || !json_object_size(all))
		return;
	st->services = calloc(json_object_size(all), sizeof(*st->services));
	if (!st->services) {
		*ok = false;
		return;
	}
	json_object_foreach((json_t *)all, name, v) {
		struct proto_status_service *c = &st->services[st->n_services++];

		c->name = strdup(name);
		if (!c->name)
			*ok = false;
		c->state = get_str(v, "state", ok);
		c->pid = get_int(v, "pid");
		c->restarts = get_int(v, "restarts");
		c->since = get_str(v, "since", ok);
		c->last_error = get_str(v, "last_error", ok);
	}
}

static void reply_vrrp(const json_t *o, struct proto_status_vrrp *v, bool *ok)
{
	const json_t *groups = json_object_get(o, "groups"), *sync = json_object_get(o, "sync");
	const char *name;
	json_t *g;

	if (!json_is_object(o))
		return;
	v->present = true;
	v->state = get_str(o, "state", ok);
	v->since = get_str(o, "since", ok);
	v->priority = get_int(o, "priority");
	v->held = json_is_true(json_object_get(o, "held"));
	v->ready = json_is_true(json_object_get(o, "ready"));
	v->not_ready = get_str(o, "not_ready", ok);
	if (json_is_object(groups) && json_object_size(groups)) {
		v->groups = calloc(json_object_size(groups), sizeof(*v->groups));
		if (!v->groups)
			*ok = false;
	}
	json_object_foreach((json_t *)groups, name, g) {
		struct proto_status_vrrp_group *d;

		if (!v->groups)
			break;
		d = &v->groups[v->n_groups++];
		d->name = strdup(name);
		if (!d->name)
			*ok = false;
		d->state = get_str(g, "state", ok);
		d->since = get_str(g, "since", ok);
		d->priority = get_int(g, "priority");
		d->addresses_present = json_is_true(json_object_get(g, "addresses_present"));
	}
	v->has_sync = json_is_object(sync);
	v->peer = get_str(sync, "peer", ok);
	v->entries = get_int(sync, "entries");
	v->injected = get_int(sync, "injected");
	v->packets_sent = get_int(sync, "packets_sent");
	v->packets_received = get_int(sync, "packets_received");
	v->unacknowledged = get_int(sync, "unacknowledged");
	v->last_heard = get_str(sync, "last_heard", ok);
}

static void reply_wg(const json_t *all, struct proto_status *st, bool *ok)
{
	const char *name, *pname;
	json_t *v, *p;

	if (!json_is_object(all) || !json_object_size(all))
		return;
	st->wireguard = calloc(json_object_size(all), sizeof(*st->wireguard));
	if (!st->wireguard) {
		*ok = false;
		return;
	}
	json_object_foreach((json_t *)all, name, v) {
		struct proto_status_wg *t = &st->wireguard[st->n_wireguard++];
		const json_t *peers = json_object_get(v, "peers");

		t->name = strdup(name);
		if (!t->name)
			*ok = false;
		t->implementation = get_str(v, "implementation", ok);
		t->error = get_str(v, "error", ok);
		if (!json_is_object(peers) || !json_object_size(peers))
			continue;
		t->peers = calloc(json_object_size(peers), sizeof(*t->peers));
		if (!t->peers) {
			*ok = false;
			continue;
		}
		json_object_foreach((json_t *)peers, pname, p) {
			struct proto_status_wg_peer *d = &t->peers[t->n_peers++];

			d->name = strdup(pname);
			if (!d->name)
				*ok = false;
			d->public_key = get_str(p, "public_key", ok);
			d->endpoint = get_str(p, "endpoint", ok);
			d->latest_handshake = get_str(p, "latest_handshake", ok);
			d->rx_bytes = get_int(p, "rx_bytes");
			d->tx_bytes = get_int(p, "tx_bytes");
		}
	}
}

static void reply_ipsec(const json_t *vpn, struct proto_status *st, bool *ok)
{
	const json_t *all = json_object_get(vpn, "ipsec"), *v;
	const char *name;

	st->ipsec_data_path = get_str(vpn, "ipsec_data_path", ok);
	if (!json_is_object(all) || !json_object_size(all))
		return;
	st->ipsec = calloc(json_object_size(all), sizeof(*st->ipsec));
	if (!st->ipsec) {
		*ok = false;
		return;
	}
	json_object_foreach((json_t *)all, name, v) {
		struct proto_status_ipsec *t = &st->ipsec[st->n_ipsec++];

		t->name = strdup(name);
		if (!t->name)
			*ok = false;
		t->ike_state = get_str(v, "ike_state", ok);
		t->child_sas = get_int(v, "child_sas");
		t->bytes_in = get_int(v, "bytes_in");
		t->bytes_out = get_int(v, "bytes_out");
		t->packets_in = get_int(v, "packets_in");
		t->packets_out = get_int(v, "packets_out");
		t->last_rekey = get_str(v, "last_rekey", ok);
		t->error = get_str(v, "error", ok);
	}
}

static void reply_drift(const json_t *o, struct proto_status_drift *d, bool *ok)
{
	const json_t *last = json_object_get(o, "last"), *list, *v;
	size_t i;

	d->mode = get_str(o, "mode", ok);
	d->watch_error = get_str(o, "watch_error", ok);
	d->check_error = get_str(o, "check_error", ok);
	if (!json_is_object(last))
		return;
	d->present = true;
	d->detected = get_str(last, "detected", ok);
	d->total = (size_t)get_int(last, "total");
	d->state = get_str(last, "state", ok);
	d->repaired = get_str(last, "repaired", ok);
	d->repaired_by = get_str(last, "repaired_by", ok);
	d->error = get_str(last, "error", ok);
	list = json_object_get(last, "objects");
	d->objects = get_array(list, sizeof(*d->objects), &d->n_objects, ok);
	json_array_foreach(list, i, v) {
		if (i >= d->n_objects)
			break;
		d->objects[i].pointer = get_str(v, "pointer", ok);
		d->objects[i].operation = get_str(v, "operation", ok);
	}
}

static void reply_status(const json_t *root, struct proto_status *st, bool *ok)
{
	const json_t *agent = json_object_get(root, "agent");
	const json_t *applied = json_object_get(root, "applied");
	const json_t *last = json_object_get(root, "last_apply"), *list, *v;
	size_t i;

	st->version = get_str(agent, "version", ok);
	st->pid = get_int(agent, "pid");
	st->backend = get_str(agent, "backend", ok);
	st->image_version = get_str(agent, "image_version", ok);
	st->started = get_str(agent, "started", ok);
	st->applied_generation = get_int(applied, "generation");
	st->in_effect = json_is_true(json_object_get(applied, "in_effect"));
	if (json_is_object(last)) {
		st->last.present = true;
		st->last.generation = get_int(last, "generation");
		st->last.when = get_str(last, "when", ok);
		st->last.origin = get_str(last, "origin", ok);
		st->last.result = get_str(last, "result", ok);
		st->last.duration_ms = json_number_value(json_object_get(last, "duration_ms"));
		st->last.changes = (size_t)get_int(last, "changes");
		st->last.errors = (size_t)get_int(last, "errors");
		st->last.undo_failed = json_is_true(json_object_get(last, "undo_failed"));
		list = json_object_get(last, "error_list");
		st->last.error_list = get_array(list, sizeof(*st->last.error_list),
						&st->last.n_error_list, ok);
		json_array_foreach(list, i, v) {
			if (i >= st->last.n_error_list)
				break;
			st->last.error_list[i].pointer = get_str(v, "pointer", ok);
			st->last.error_list[i].message = get_str(v, "message", ok);
		}
	}
	list = json_object_get(root, "set_aside");
	st->aside = get_array(list, sizeof(*st->aside), &st->n_aside, ok);
	json_array_foreach(list, i, v) {
		if (i >= st->n_aside)
			break;
		st->aside[i].file = get_str(v, "file", ok);
		st->aside[i].problem = get_str(v, "problem", ok);
		st->aside[i].moved_to = get_str(v, "moved_to", ok);
		st->aside[i].when = get_str(v, "when", ok);
		st->aside[i].error = get_str(v, "error", ok);
	}
	reply_drift(json_object_get(root, "drift"), &st->drift, ok);
	v = json_object_get(root, "confirm");
	st->confirm_generation = get_int(v, "generation");
	st->confirm_previous = get_int(v, "previous");
	st->confirm_deadline = get_str(v, "deadline", ok);
	st->history_error = get_str(root, "history_error", ok);
	v = json_object_get(root, "busy");
	st->busy_since = get_str(v, "since", ok);
	st->busy_origin = get_str(v, "origin", ok);
	reply_observed(json_object_get(root, "observed"), st, ok);
	reply_services(json_object_get(root, "services"), st, ok);
	reply_vrrp(json_object_get(root, "vrrp"), &st->vrrp, ok);
	reply_ipsec(json_object_get(root, "vpn"), st, ok);
	reply_wg(json_object_get(json_object_get(root, "vpn"), "wireguard"), st, ok);
}

static void reply_lists(const json_t *root, struct proto_reply *r, bool *ok)
{
	const json_t *list, *v;
	size_t i;

	list = json_object_get(root, "errors");
	r->errors = get_array(list, sizeof(*r->errors), &r->n_errors, ok);
	json_array_foreach(list, i, v) {
		if (i >= r->n_errors)
			break;
		r->errors[i].pointer = get_str(v, "pointer", ok);
		r->errors[i].message = get_str(v, "message", ok);
		if (!r->errors[i].pointer || !r->errors[i].message)
			*ok = false;
	}
	list = json_object_get(root, "operations");
	r->operations = get_array(list, sizeof(*r->operations), &r->n_operations, ok);
	json_array_foreach(list, i, v) {
		if (i >= r->n_operations)
			break;
		r->operations[i] = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
		if (!r->operations[i])
			*ok = false;
	}
}

int proto_reply_parse(const char *line, size_t len, struct proto_reply *ret)
{
	_cleanup_json_ json_t *root = NULL;
	const json_t *exit_code, *id, *intent;
	struct proto_reply r = {0};
	bool ok = true;

	*ret = r;
	root = json_loadb(line, len, 0, NULL);
	exit_code = json_object_get(root, "exit");
	if (!json_is_integer(exit_code))
		return -EINVAL;
	r.exit_code = (int)json_integer_value(exit_code);
	id = json_object_get(root, "id");
	if (id && !(r.id = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY)))
		ok = false;
	r.error = get_str(root, "error", &ok);
	r.undo_failed = json_is_true(json_object_get(root, "undo_failed"));
	r.handover = get_str(root, "handover", &ok);
	r.persist_error = get_str(root, "persist_error", &ok);
	reply_lists(root, &r, &ok);
	intent = json_object_get(root, "intent");
	if (intent) {
		r.has_intent = true;
		r.intent = json_dumps(intent, JSON_INDENT(2) | JSON_ENCODE_ANY);
		if (!r.intent)
			ok = false;
	}
	if (json_is_object(json_object_get(root, "agent"))) {
		r.has_status = true;
		reply_status(root, &r.status, &ok);
	}
	json_object_del(root, "id");
	r.text = json_dumps(root, DUMP_FLAGS);
	if (!r.text)
		ok = false;
	*ret = r;
	if (!ok) {
		proto_reply_done(ret);
		return -ENOMEM;
	}
	return 0;
}

void proto_reply_done(struct proto_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_errors; i++) {
		free(r->errors[i].pointer);
		free(r->errors[i].message);
	}
	for (i = 0; i < r->n_operations; i++)
		free(r->operations[i]);
	free(r->errors);
	free(r->operations);
	free(r->handover);
	free(r->id);
	free(r->error);
	free(r->intent);
	free(r->text);
	free(r->persist_error);
	proto_status_done(&r->status);
	*r = (struct proto_reply){0};
}

/* ---- for the other answers of proto-history.c (proto-internal.h) ---- */

void proto_put(json_t *o, const char *key, json_t *v, bool *ok)
{
	put(o, key, v, ok);
}

json_t *proto_answer_string(const char *s)
{
	return answer_string(s);
}

json_t *proto_answer_new(int exit_code, bool *ok)
{
	return answer_new(exit_code, ok);
}

char *proto_answer_finish(json_t *o, const char *id, bool ok)
{
	return answer_finish(o, id, ok);
}

double proto_round_ms(double ms)
{
	return round_ms(ms);
}
