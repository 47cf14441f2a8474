/* SPDX-License-Identifier: MIT */
/* The JSON of history, diff, rollback and commit-confirm (proto-history.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto-history.h"
#include "proto-internal.h"
#include "proto.h"

#define INTENT_MEMBER ",\"intent\":"

void proto_history_entry_done(struct proto_history_entry *e)
{
	free(e->time);
	free(e->origin);
	free(e->result);
	free(e->error);
	*e = (struct proto_history_entry){0};
}

/* A body: the members of head (compact, without the closing brace), then the intent last. */
static int record_dump(json_t *head, const char *intent, size_t len, struct strbuf *ret)
{
	_cleanup_free_ char *text = head ? json_dumps(head, JSON_COMPACT | DUMP_FLAGS) : NULL;
	size_t n;
	int r;

	json_decref(head);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	r = strbuf_append_n(ret, text, n - 1); /* without its "}" */
	if (r >= 0)
		r = strbuf_append(ret, INTENT_MEMBER);
	if (r >= 0)
		r = strbuf_append_n(ret, intent, len);
	if (r >= 0)
		r = strbuf_append(ret, "}");
	return r < 0 ? -ENOMEM : 0;
}

/*
 * The members before the intent, parsed on their own. Sound: inside a JSON string a quote is
 * always escaped, so the first `,"intent":` of the text is a member's boundary, and the members
 * before it (which the dump writes first) hold no intent.
 */
static int record_split(const char *body, size_t len, json_t **ret_head, const char **ret_intent,
			size_t *ret_intent_len)
{
	const char *p = memmem(body, len, INTENT_MEMBER, strlen(INTENT_MEMBER));
	_cleanup_free_ char *head = NULL;
	size_t at;
	json_t *o;

	while (len && (body[len - 1] == '\n' || body[len - 1] == ' '))
		len--;
	if (!p || len < 2 || body[len - 1] != '}')
		return -EINVAL;
	at = (size_t)(p - body);
	head = malloc(at + 2);
	if (!head)
		return -ENOMEM;
	memcpy(head, body, at);
	memcpy(head + at, "}", 2);
	o = json_loads(head, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	*ret_head = o;
	*ret_intent = p + strlen(INTENT_MEMBER);
	*ret_intent_len = len - 1 - (at + strlen(INTENT_MEMBER));
	return 0;
}

int proto_history_dump(const struct proto_history_entry *e, const char *intent, size_t len,
		       struct strbuf *ret)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (o) {
		proto_put(o, "seq", json_integer(e->seq), &ok);
		proto_put(o, "generation", json_integer(e->generation), &ok);
		proto_put(o, "time", json_string(e->time), &ok);
		proto_put(o, "origin", json_string(e->origin), &ok);
		proto_put(o, "result", json_string(e->result), &ok);
		proto_put(o, "error", e->error ? proto_answer_string(e->error) : json_null(), &ok);
		proto_put(o, "duration_ms", json_real(proto_round_ms(e->duration_ms)), &ok);
	}
	if (!ok) {
		json_decref(o);
		return -ENOMEM;
	}
	return record_dump(o, intent, len, ret);
}

static char *dup_member(const json_t *o, const char *key, bool *ok)
{
	const char *s = json_string_value(json_object_get(o, key));
	char *c = s ? strdup(s) : NULL;

	if (!s)
		*ok = false;
	return c;
}

int proto_history_load(const char *body, size_t len, struct proto_history_entry *ret,
		       const char **ret_intent, size_t *ret_intent_len)
{
	_cleanup_json_ json_t *o = NULL;
	struct proto_history_entry e = {0};
	const json_t *err;
	bool ok = true;
	int r;

	r = record_split(body, len, &o, ret_intent, ret_intent_len);
	if (r < 0)
		return r;
	e.seq = json_integer_value(json_object_get(o, "seq"));
	e.generation = json_integer_value(json_object_get(o, "generation"));
	e.time = dup_member(o, "time", &ok);
	e.origin = dup_member(o, "origin", &ok);
	e.result = dup_member(o, "result", &ok);
	err = json_object_get(o, "error");
	if (json_is_string(err))
		e.error = dup_member(o, "error", &ok);
	else if (!json_is_null(err))
		ok = false;
	e.duration_ms = json_number_value(json_object_get(o, "duration_ms"));
	if (!ok || e.seq < 1 || e.generation < 1) {
		proto_history_entry_done(&e);
		return -EINVAL;
	}
	*ret = e;
	return 0;
}

void proto_time_iso8601(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", s, (int)(ms % 1000));
}

int proto_confirm_dump(const struct proto_confirm *c, const char *intent, size_t len,
		       struct strbuf *ret)
{
	char when[40];
	json_t *o = json_object();
	bool ok = o != NULL;

	proto_time_iso8601(c->deadline_ms, when, sizeof(when));
	if (o) {
		proto_put(o, "generation", json_integer(c->generation), &ok);
		proto_put(o, "previous", json_integer(c->previous), &ok);
		proto_put(o, "deadline_ms", json_integer(c->deadline_ms), &ok);
		proto_put(o, "deadline", json_string(when), &ok);
	}
	if (!ok) {
		json_decref(o);
		return -ENOMEM;
	}
	return record_dump(o, intent, len, ret);
}

int proto_confirm_load(const char *body, size_t len, struct proto_confirm *ret,
		       const char **ret_intent, size_t *ret_intent_len)
{
	_cleanup_json_ json_t *o = NULL;
	struct proto_confirm c;
	int r;

	r = record_split(body, len, &o, ret_intent, ret_intent_len);
	if (r < 0)
		return r;
	c.generation = json_integer_value(json_object_get(o, "generation"));
	c.previous = json_integer_value(json_object_get(o, "previous"));
	c.deadline_ms = json_integer_value(json_object_get(o, "deadline_ms"));
	if (c.generation < 1 || c.previous < 1 || c.deadline_ms < 1)
		return -EINVAL;
	*ret = c;
	return 0;
}

int proto_document_regenerate(const char *text, size_t len, int64_t generation, json_t **ret)
{
	json_t *doc;
	int r = proto_document_load(text, len, &doc);

	if (r < 0)
		return r;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	if (json_object_set_new(doc, "generation", json_integer(generation)) < 0) {
		json_decref(doc);
		return -ENOMEM;
	}
	*ret = doc;
	return 0;
}

/* ---- answers ---- */

char *proto_answer_history(const char *id, const struct proto_history_entry *v, const bool *kept,
			   size_t n, const char *error)
{
	bool ok;
	json_t *o = proto_answer_new(0, &ok), *list = json_array();
	size_t i;

	for (i = 0; list && i < n; i++) {
		json_t *e = json_object();

		proto_put(e, "seq", json_integer(v[i].seq), &ok);
		proto_put(e, "generation", json_integer(v[i].generation), &ok);
		proto_put(e, "time", proto_answer_string(v[i].time), &ok);
		proto_put(e, "origin", proto_answer_string(v[i].origin), &ok);
		proto_put(e, "result", proto_answer_string(v[i].result), &ok);
		proto_put(e, "error", v[i].error ? proto_answer_string(v[i].error) : json_null(),
			  &ok);
		proto_put(e, "duration_ms", json_real(proto_round_ms(v[i].duration_ms)), &ok);
		if (!kept[i])
			proto_put(e, "kept", json_false(), &ok);
		if (!e || json_array_append_new(list, e) < 0)
			ok = false;
	}
	if (!o || !list) {
		json_decref(list);
		return proto_answer_finish(o, id, false);
	}
	proto_put(o, "history", list, &ok);
	if (error)
		proto_put(o, "history_error", proto_answer_string(error), &ok);
	return proto_answer_finish(o, id, ok);
}

char *proto_answer_diff(const char *id, int64_t from, int64_t to, const json_t *a, const json_t *b)
{
	bool ok;
	json_t *o = proto_answer_new(0, &ok), *changes = proto_diff(a, b);

	if (!o || !changes) {
		json_decref(changes);
		return proto_answer_finish(o, id, false);
	}
	proto_put(o, "from", json_integer(from), &ok);
	proto_put(o, "to", to ? json_integer(to) : json_string("intent"), &ok);
	proto_put(o, "changes", changes, &ok);
	return proto_answer_finish(o, id, ok);
}

char *proto_answer_confirmed(const char *id, int64_t generation)
{
	bool ok;
	json_t *o = proto_answer_new(0, &ok);

	if (o)
		proto_put(o, "confirmed", json_integer(generation), &ok);
	return proto_answer_finish(o, id, ok);
}

/* ---- text ---- */

int proto_history_text(const char *answer, struct strbuf *out)
{
	_cleanup_json_ json_t *root = json_loads(answer, 0, NULL);
	const json_t *list = json_object_get(root, "history"), *e;
	size_t i;
	int r = 0;

	if (!json_is_array(list))
		return -EINVAL;
	json_array_foreach(list, i, e)
	{
		const char *error = json_string_value(json_object_get(e, "error"));

		r = strbuf_printf(out, "%4lld  %s  %-15s %-8s %9.1f ms%s%s%s\n",
				  (long long)json_integer_value(json_object_get(e, "generation")),
				  json_string_value(json_object_get(e, "time")),
				  json_string_value(json_object_get(e, "origin")),
				  json_string_value(json_object_get(e, "result")),
				  json_number_value(json_object_get(e, "duration_ms")),
				  json_is_false(json_object_get(e, "kept")) ? "  (content lost)"
									    : "",
				  error ? "  " : "", error ? error : "");
		if (r < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A value as compact JSON, keys sorted (a deterministic text). */
static int put_value(struct strbuf *out, const json_t *v)
{
	_cleanup_free_ char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | DUMP_FLAGS);

	return s ? strbuf_append(out, s) : -ENOMEM;
}

int proto_diff_text(const char *answer, const char *to_label, struct strbuf *out)
{
	_cleanup_json_ json_t *root = json_loads(answer, 0, NULL);
	const json_t *list = json_object_get(root, "changes"), *c, *to;
	size_t i;
	int r;

	if (!json_is_array(list))
		return -EINVAL;
	to = json_object_get(root, "to");
	r = strbuf_printf(out, "--- generation %lld\n",
			  (long long)json_integer_value(json_object_get(root, "from")));
	if (r >= 0 && json_is_integer(to))
		r = strbuf_printf(out, "+++ generation %lld\n", (long long)json_integer_value(to));
	else if (r >= 0)
		r = strbuf_printf(out, "+++ %s\n", to_label ? to_label : "intent");
	json_array_foreach(list, i, c)
	{
		const char *op = json_string_value(json_object_get(c, "op"));
		const char *ptr = json_string_value(json_object_get(c, "pointer"));
		const json_t *old = json_object_get(c, "old"), *new = json_object_get(c, "new");

		if (r < 0 || !op || !ptr)
			return r < 0 ? -ENOMEM : -EINVAL;
		r = strbuf_printf(out, "%c %s: ", *op == 'a' ? '+' : *op == 'r' ? '-' : '~', ptr);
		if (r >= 0 && old)
			r = put_value(out, old);
		if (r >= 0 && old && new)
			r = strbuf_append(out, " -> ");
		if (r >= 0 && new)
			r = put_value(out, new);
		if (r >= 0)
			r = strbuf_append(out, "\n");
	}
	return r < 0 ? -ENOMEM : 0;
}
