/* SPDX-License-Identifier: MIT */
/*
 * Requests as the daemon reads them (docs/protocol.md), and the intent in effect as that
 * reading knows it (struct proto_in_effect): its text, its tree, and where each top-level member's
 * value lies in the text.
 *
 * An orchestrator sends the whole intent each time, and from one generation to the next most
 * of it is the same text. A request's intent is read against the known one member by member:
 * a member whose value is the known member's text byte for byte takes the known tree's value
 * (the same JSON, already parsed and valid); only the other members are parsed. The tree is
 * the one a whole parse would build (fuzz/fuzz-request.c checks that), and its unchanged
 * members are the known tree's own values: later steps recognise them by their address.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "lib/jtext.h"
#include "proto.h"
#include "lib/utf8.h"

static inline void proto_json_unrefp(json_t **v)
{
	json_decref(*v);
}
#define _cleanup_json_ _cleanup_(proto_json_unrefp)

/* An intent has 11 top-level keys at most; a text with more is left to the parser. */
#define MEMBERS_MAX 16
/* A member nested deeper is left to the whole parse, whose depth limit (jansson's 2048)
 * counts the request and the intent around it: parsed alone, it would pass where that fails.
 * A valid intent nests a few levels deep. */
#define MEMBER_DEPTH_MAX 64

struct proto_member {
	char key[JTEXT_KEY_MAX + 1];
	size_t off, len; /* the value's text within the intent's text */
	size_t values;	 /* jtext_count_values() of that text */
	json_t *value;	 /* borrowed from the tree */
};

struct proto_index {
	size_t n;
	struct proto_member m[MEMBERS_MAX];
};

struct proto_in_effect {
	char *text;
	size_t len;
	json_t *tree;
	struct proto_index *index; /* NULL: not made yet (see known_index) */
	bool unindexed;		   /* the text could not be indexed: never reused */
};

struct proto_in_effect *proto_in_effect_new(const char *text, size_t len, struct json_t *tree,
					    struct proto_index *index)
{
	struct proto_in_effect *k = calloc(1, sizeof(*k));

	if (k)
		k->text = malloc(len + 1);
	if (!k || !k->text) {
		free(k);
		free(index);
		return NULL;
	}
	memcpy(k->text, text, len);
	k->text[len] = '\0';
	k->len = len;
	k->tree = json_incref(tree);
	k->index = index;
	return k;
}

struct proto_in_effect *proto_in_effect_free(struct proto_in_effect *k)
{
	if (!k)
		return NULL;
	json_decref(k->tree);
	free(k->index);
	free(k->text);
	free(k);
	return NULL;
}

const char *proto_in_effect_text(const struct proto_in_effect *k, size_t *ret_len)
{
	*ret_len = k->len;
	return k->text;
}

struct json_t *proto_in_effect_tree(const struct proto_in_effect *k)
{
	return k->tree;
}

/* The index of a known text, made on first use: an intent that is replaced before another
 * request comes never pays for it, and one read against its predecessor comes with it. */
static const struct proto_index *known_index(struct proto_in_effect *k)
{
	struct proto_index *x;
	struct jtext_object o;
	const char *key, *v;
	size_t key_len, n;
	int r;

	if (k->index || k->unindexed)
		return k->index;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	r = json_is_object(k->tree) ? jtext_object_open(&o, k->text, k->len) : -EINVAL;
	while (r >= 0 && (r = jtext_object_next(&o, &key, &key_len)) > 0) {
		struct proto_member *m = &x->m[x->n];

		if (x->n == MEMBERS_MAX || jtext_object_skip(&o, &v, &n) < 0) {
			r = -EINVAL;
			break;
		}
		memcpy(m->key, key, key_len);
		m->key[key_len] = '\0';
		m->off = (size_t)(v - k->text);
		m->len = n;
		m->values = o.values;
		m->value = json_object_get(k->tree, m->key);
		if (!m->value)
			r = -EINVAL;
		x->n++;
	}
	if (r < 0 || x->n != json_object_size(k->tree)) {
		free(x);
		k->unindexed = true;
		return NULL;
	}
	k->index = x;
	return x;
}

static const struct proto_member *index_find(const struct proto_index *x, const char *key,
					     size_t len)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!strncmp(x->m[i].key, key, len) && !x->m[i].key[len])
			return &x->m[i];
	return NULL;
}

/* A changed member is read against the known one's value this deep (the member, its members
 * or elements, theirs): a port forward changed in a list of a thousand is one element parsed.
 * A container smaller than nested_min bytes is parsed whole, which costs less. The request
 * fuzzer makes it small (proto_request_tune) so that its short inputs reach that reading. */
#define NESTED_LEVELS 3
static size_t nested_min = 4096;

void proto_request_tune(size_t nested)
{
	nested_min = nested;
}

/* How a member's value is parsed, on whichever path. */
#define MEMBER_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

static json_t *parse_value(const char *text, size_t len)
{
	return json_loadb(text, len, MEMBER_FLAGS, NULL);
}

static const struct jtext_member *member_find(const struct jtext_member *v, size_t n, size_t hint,
					      const char *key, size_t key_len)
{
	size_t i;

	if (hint < n && v[hint].key_len == key_len && !memcmp(v[hint].key, key, key_len))
		return &v[hint]; /* the same place: keys seldom move */
	for (i = 0; i < n; i++)
		if (v[i].key_len == key_len && !memcmp(v[i].key, key, key_len))
			return &v[i];
	return NULL;
}

/*
 * A changed value (text) read against the known one (old, whose text is old_text): a member
 * or element whose text did not change is old's own value, the others are read so in turn
 * (level: how deep this is) or parsed. The value a whole parse gives, or NULL when the text is
 * not read so (the caller then parses it whole, which says what is wrong, if anything).
 */
static json_t *read_changed(const char *text, size_t len, const char *old_text, size_t old_len,
			    json_t *old, int level)
{
	_cleanup_json_ json_t *ret = NULL;
	_cleanup_free_ struct jtext_member *was = NULL;
	struct jtext_object o;
	size_t n_was, i = 0, key_len;
	const char *key;
	bool array = json_is_array(old);
	int r;

	if (level >= NESTED_LEVELS || len < nested_min || (!array && !json_is_object(old)) ||
	    jtext_members(old_text, old_len, array, &was, &n_was) < 0 ||
	    (array ? jtext_array_open(&o, text, len) : jtext_object_open(&o, text, len)) < 0)
		return parse_value(text, len);
	ret = array ? json_array() : json_object();
	if (!ret)
		return NULL;
	while ((r = jtext_object_next(&o, &key, &key_len)) > 0) {
		const struct jtext_member *w = array ? (key_len < n_was ? &was[key_len] : NULL)
						     : member_find(was, n_was, i, key, key_len);
		char name[JTEXT_KEY_MAX + 1] = "";
		json_t *value, *was_value = NULL;
		const char *v;
		size_t n;

		i++;
		if (!array) {
			memcpy(name, key, key_len);
			name[key_len] = '\0';
			if (json_object_get(ret, name))
				return NULL; /* a key twice */
		}
		if (w)
			was_value = array ? json_array_get(old, (size_t)(w - was))
					  : json_object_get(old, name);
		if (was_value && jtext_object_take(&o, w->value, w->value_len)) {
			value = json_incref(was_value);
		} else {
			if (jtext_object_skip(&o, &v, &n) < 0)
				return NULL;
			value = read_changed(v, n, w ? w->value : NULL, w ? w->value_len : 0,
					     was_value, level + 1);
			if (!value)
				return NULL;
		}
		if (array ? json_array_append_new(ret, value) < 0
			  : json_object_set_new(ret, name, value) < 0)
			return NULL; /* not UTF-8 (the value was released) */
	}
	return r < 0 ? NULL : TAKE_PTR(ret);
}

/*
 * An intent's text read against the known one: 1 with its tree, its index and the count
 * jtext_count_values() gives for text (a text that shares nothing with the known one is read
 * so too: its members are parsed once); 0 when the text is left to a whole parse (not an
 * object this reading takes, a member that does not parse, a key twice: the whole parse then
 * says what is wrong); -ENOMEM.
 */
static int known_read(struct proto_in_effect *k, const char *text, size_t len, json_t **ret_tree,
		      struct proto_index **ret_index, size_t *ret_values)
{
	_cleanup_json_ json_t *root = NULL;
	_cleanup_free_ struct proto_index *x = NULL;
	const struct proto_index *old = known_index(k);
	struct jtext_object o;
	const char *key, *v;
	size_t key_len, count = 1;
	int r;

	if (!old)
		return 0;
	root = json_object();
	x = calloc(1, sizeof(*x));
	if (!root || !x)
		return -ENOMEM;
	if (jtext_object_open(&o, text, len) < 0)
		return 0;
	while ((r = jtext_object_next(&o, &key, &key_len)) > 0) {
		const struct proto_member *was = index_find(old, key, key_len);
		struct proto_member *m = &x->m[x->n];
		json_t *value;

		if (x->n == MEMBERS_MAX)
			return 0;
		memcpy(m->key, key, key_len);
		m->key[key_len] = '\0';
		if (json_object_get(root, m->key))
			return 0; /* a key twice */
		m->off = o.pos;
		if (was && jtext_object_take(&o, k->text + was->off, was->len)) {
			m->len = was->len;
			m->values = was->values;
			value = json_incref(was->value);
		} else {
			if (jtext_object_skip(&o, &v, &m->len) < 0 || o.depth > MEMBER_DEPTH_MAX)
				return 0;
			m->values = o.values;
			value = was ? read_changed(v, m->len, k->text + was->off, was->len,
						   was->value, 0)
				    : NULL;
			if (!value)
				value = parse_value(v, m->len);
			if (!value)
				return 0;
		}
		if (json_object_set_new(root, m->key, value) < 0)
			return 0; /* not UTF-8 (the value was released) */
		m->value = value;
		count += m->values - 1 + (x->n > 0); /* its commas and containers, and a comma */
		x->n++;
	}
	if (r < 0)
		return 0;
	*ret_values = count + 1; /* the object's own brace */
	*ret_tree = TAKE_PTR(root);
	*ret_index = TAKE_PTR(x);
	return 1;
}

static int request_id(const json_t *root, char **ret, struct strbuf *err)
{
	const json_t *id = json_object_get(root, "id");

	if (!id)
		return 0;
	if (!(json_is_string(id) && json_string_length(id) <= PROTO_ID_MAX) &&
	    !json_is_integer(id)) {
		strbuf_printf(err, "\"id\" must be a string of at most %d bytes or an integer",
			      PROTO_ID_MAX);
		return -EINVAL;
	}
	*ret = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
	return *ret ? 0 : -ENOMEM;
}

/* The member key of root, when present: an integer from 1 to max that only the request kind
 * takes. 0 (absent, *ret untouched), 1, or -EINVAL with the reason in err. */
static int request_number(const json_t *root, const char *key, bool allowed, int64_t max,
			  int64_t *ret, struct strbuf *err)
{
	const json_t *v = json_object_get(root, key);

	if (!v)
		return 0;
	if (!allowed) {
		strbuf_printf(err, "request \"%s\" takes no \"%s\"",
			      json_string_value(json_object_get(root, "request")), key);
		return -EINVAL;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
		strbuf_printf(err, "\"%s\" must be an integer from 1 to %lld", key, (long long)max);
		return -EINVAL;
	}
	*ret = json_integer_value(v);
	return 1;
}

/* The members of the requests of proto-history.h: apply's "confirm" (seconds, at most a day),
 * rollback's "generation", diff's "from" (required) and "to" (not with an intent). */
static int request_numbers(const json_t *root, const json_t *intent, struct proto_request *ret,
			   struct strbuf *err)
{
	enum proto_kind k = ret->kind;
	int r;

	r = request_number(root, "confirm", k == PROTO_APPLY, PROTO_CONFIRM_MAX, &ret->confirm_s,
			   err);
	if (r >= 0)
		r = request_number(root, "generation", k == PROTO_ROLLBACK, INT64_MAX,
				   &ret->generation, err);
	if (r >= 0)
		r = request_number(root, "to", k == PROTO_DIFF && !intent, INT64_MAX, &ret->to, err);
	if (r >= 0)
		r = request_number(root, "from", k == PROTO_DIFF, INT64_MAX, &ret->from, err);
	if (r == 0 && k == PROTO_DIFF) {
		strbuf_printf(err, "request \"diff\" needs \"from\"");
		r = -EINVAL;
	}
	return r < 0 ? r : 0;
}

/* status's "counters": true asks for the counters of the firewall's and NAT's rules too. */
static int request_counters(const json_t *root, struct proto_request *ret, struct strbuf *err)
{
	const json_t *v = json_object_get(root, "counters");

	if (!v)
		return 0;
	if (ret->kind != PROTO_STATUS) {
		strbuf_printf(err, "request \"%s\" takes no \"counters\"",
			      proto_kind_to_string(ret->kind));
		return -EINVAL;
	}
	if (!json_is_boolean(v)) {
		strbuf_printf(err, "\"counters\" must be true or false");
		return -EINVAL;
	}
	ret->counters = json_is_true(v);
	return 0;
}

/* The members of a request object, checked; intent: the intent's value (the root's, or the
 * one a fast path found; NULL: none). */
static int request_members(const json_t *root, const json_t *intent, struct proto_request *ret,
			   struct strbuf *err)
{
	const json_t *kind;
	const char *key;
	json_t *v;
	int r, k;

	if (!json_is_object(root)) {
		strbuf_printf(err, "a request is a JSON object, not %s", jr_type_name(root));
		return -EINVAL;
	}
	r = request_id(root, &ret->id, err);
	if (r < 0)
		return r;
	json_object_foreach((json_t *)root, key, v)
		if (strcmp(key, "request") && strcmp(key, "intent") && strcmp(key, "id") &&
		    strcmp(key, "confirm") && strcmp(key, "generation") && strcmp(key, "from") &&
		    strcmp(key, "to") && strcmp(key, "counters")) {
		strbuf_printf(err, "unknown key \"%.*s\" in the request", UTF8_CUT(key, 64));
		return -EINVAL;
		}
	kind = json_object_get(root, "request");
	if (!json_is_string(kind)) {
		strbuf_printf(err, "%s", kind ? "\"request\" must be a string"
					      : "missing \"request\" in the request");
		return -EINVAL;
	}
	k = proto_kind_from_string(json_string_value(kind));
	if (k < 0) {
		strbuf_printf(err, "unknown request \"%.*s\" (apply, check, plan, show, status, "
				   "handover, handover-cancel, history, diff, rollback, confirm)",
			      UTF8_CUT(json_string_value(kind), 64));
		return -EINVAL;
	}
	ret->kind = (enum proto_kind)k;
	r = request_numbers(root, intent, ret, err);
	if (r < 0)
		return r;
	r = request_counters(root, ret, err);
	if (r < 0)
		return r;
	if (ret->kind == PROTO_DIFF)
		return 0; /* an intent, or none */
	if (proto_kind_has_intent(ret->kind) && !intent) {
		strbuf_printf(err, "request \"%s\" needs an \"intent\"", proto_kind_to_string(ret->kind));
		return -EINVAL;
	}
	if (!proto_kind_has_intent(ret->kind) && intent) {
		strbuf_printf(err, "request \"%s\" takes no \"intent\"", proto_kind_to_string(ret->kind));
		return -EINVAL;
	}
	return 0;
}

#define INTENT_KEY "\"intent\":"

/*
 * A line {MEMBERS,"intent":TEXT} with the intent last, as vrouterctl sends it: the members
 * before the intent, parsed alone as {MEMBERS}. at: where INTENT_KEY starts, TEXT runs from
 * after it to the final "}". NULL when the members do not parse as an object of their own, or
 * hold an "intent" themselves. Sound: members that parse alone end at a member boundary, so
 * the rest is the member "intent" whose value is TEXT.
 */
static json_t *request_members_before(const char *line, size_t len, size_t at)
{
	_cleanup_free_ char *head = NULL;
	json_t *root;
	size_t n = at;

	if (len < at + strlen(INTENT_KEY) + 2 || line[len - 1] != '}' ||
	    memcmp(line + at, INTENT_KEY, strlen(INTENT_KEY)))
		return NULL;
	/* "{" alone, or members and the comma that ends them. */
	if (n > 1 && line[n - 1] != ',')
		return NULL;
	if (n > 1)
		n--;
	head = malloc(n + 1);
	if (!head)
		return NULL;
	memcpy(head, line, n);
	head[n] = '}';
	root = json_loadb(head, n + 1, JSON_REJECT_DUPLICATES, NULL);
	if (root && (!json_is_object(root) || json_object_get(root, "intent") ||
		     (n > 1) != (json_object_size(root) > 0))) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* After a whole parse: where the intent's text is in the line, when it is the last member. */
static void request_find_raw(const char *line, size_t len, const json_t *root,
			     struct proto_request *ret)
{
	const char *p = memmem(line, len, INTENT_KEY, strlen(INTENT_KEY));
	_cleanup_json_ json_t *head = NULL;
	size_t at;

	if (!p)
		return;
	at = (size_t)(p - line);
	head = request_members_before(line, len, at);
	if (!head || json_object_size(head) + 1 != json_object_size(root))
		return;
	ret->raw = line + at + strlen(INTENT_KEY);
	ret->raw_len = len - 1 - (at + strlen(INTENT_KEY));
}

/* The fast path: the line ends with "intent":KNOWN} and its other members are a request. */
static bool request_is_known(const char *line, size_t len, const char *known, size_t known_len,
			     struct proto_request *ret)
{
	_cleanup_json_ json_t *head = NULL;
	struct strbuf err = {0};
	size_t at;
	bool ok;

	if (!known || len < known_len + strlen(INTENT_KEY) + 1 ||
	    memcmp(line + len - 1 - known_len, known, known_len))
		return false;
	at = len - 1 - known_len - strlen(INTENT_KEY);
	head = request_members_before(line, len, at);
	if (!head)
		return false;
	ok = request_members(head, json_true(), ret, &err) >= 0;
	strbuf_done(&err);
	if (!ok) {
		proto_request_done(ret);
		return false;
	}
	ret->known = true;
	ret->raw = line + len - 1 - known_len;
	ret->raw_len = known_len;
	return true;
}

/*
 * A line {MEMBERS,"intent":TEXT} whose TEXT is read against the known intent (known_read):
 * 1 with the request, 0 when the line is left to a whole parse (which then says what is
 * wrong, if anything), -ENOMEM. The intent starts at the line's first "intent" key, as
 * request_find_raw finds it; the members before it are a request's on their own.
 */
static int request_read_known(const char *line, size_t len, struct proto_in_effect *known,
			      struct proto_request *ret)
{
	_cleanup_json_ json_t *head = NULL, *tree = NULL;
	_cleanup_free_ struct proto_index *x = NULL;
	struct strbuf err = {0};
	const char *p = known ? memmem(line, len, INTENT_KEY, strlen(INTENT_KEY)) : NULL;
	const char *text;
	size_t at, text_len, values;
	int r;

	if (!p)
		return 0;
	at = (size_t)(p - line);
	head = request_members_before(line, len, at);
	if (!head)
		return 0;
	text = p + strlen(INTENT_KEY);
	text_len = len - 1 - (at + strlen(INTENT_KEY));
	r = known_read(known, text, text_len, &tree, &x, &values);
	if (r <= 0)
		return r;
	/* The line's count, as a whole parse would check it: the members' part and the text's. */
	if (jtext_count_values(line, at) + values - 1 > JR_VALUES_MAX)
		return 0;
	r = request_members(head, tree, ret, &err);
	strbuf_done(&err);
	if (r < 0) {
		proto_request_done(ret);
		return r == -ENOMEM ? r : 0;
	}
	ret->intent = TAKE_PTR(tree);
	ret->index = TAKE_PTR(x);
	ret->raw = text;
	ret->raw_len = text_len;
	return 1;
}

/* A line jansson refused: a duplicate key or a number out of range named by its pointer into
 * the request ("/intent/dhcp/web: duplicate key \"mtu\""), any other error by its column. */
static int request_not_json(const char *line, size_t len, const json_error_t *e, struct strbuf *err)
{
	_cleanup_free_ char *pointer = NULL, *message = NULL;
	int r = jr_error_locate(line, len, e, &pointer, &message);

	if (r == -ENOMEM)
		return r;
	if (r > 0)
		strbuf_printf(err, "request is not valid JSON: %s%s%s", pointer,
			      *pointer ? ": " : "", message);
	else
		strbuf_printf(err, "request is not valid JSON: %s (column %d)", e->text, e->column);
	return -EINVAL;
}

int proto_request_parse(const char *line, size_t len, struct proto_in_effect *known, bool in_effect,
			struct proto_request *ret, struct strbuf *err)
{
	_cleanup_json_ json_t *root = NULL;
	const json_t *intent;
	json_error_t e;
	int r;

	*ret = (struct proto_request){0};
	if (known && in_effect && request_is_known(line, len, known->text, known->len, ret))
		return 0;
	r = request_read_known(line, len, known, ret);
	if (r != 0)
		return r < 0 ? r : 0;
	if (jtext_count_values(line, len) > JR_VALUES_MAX) {
		strbuf_printf(err, "request has more than %d values, the limit", JR_VALUES_MAX);
		return -EINVAL;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &e);
	if (!root)
		return request_not_json(line, len, &e, err);
	intent = json_is_object(root) ? json_object_get(root, "intent") : NULL;
	r = request_members(root, intent, ret, err);
	if (r < 0 || !intent)
		return r;
	ret->intent = json_incref((json_t *)intent);
	request_find_raw(line, len, root, ret);
	return 0;
}

void proto_request_done(struct proto_request *r)
{
	free(r->id);
	free(r->index);
	json_decref(r->intent);
	*r = (struct proto_request){0};
}
