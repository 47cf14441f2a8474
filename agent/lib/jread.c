/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "jread.h"
#include "jtext.h"

/* jansson's message without its "near '...'" quote of the document: the quote may hold part
 * of a secret (a psk with a bad escape), and the line and column say where anyway. */
static int jr_error_text_len(const char *text)
{
	const char *near = strstr(text, " near '");

	return (int)(near ? (size_t)(near - text) : strlen(text));
}

/* A level's key as the parser decoded it (it read the key before its error, so the key reads
 * again), or NULL. */
static json_t *jr_level_key(const struct jtext_level *lv)
{
	json_t *key =
	    lv->key ? json_loadb(lv->key - 1, lv->key_len + 2, JSON_DECODE_ANY, NULL) : NULL;

	if (json_is_string(key))
		return key;
	json_decref(key);
	return NULL;
}

/* The pointer of levels, appended to r's. */
static int jr_levels_pointer(struct jr *r, const struct jtext_level *lv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *key;

		if (lv[i].array) {
			jr_push_index(r, lv[i].index);
			continue;
		}
		key = jr_level_key(&lv[i]);
		if (!key)
			return -EINVAL;
		jr_push_key(r, json_string_value(key));
		json_decref(key);
	}
	return r->ptr.oom ? -ENOMEM : 0;
}

static bool jr_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* Whether the number that ends at end stands where a value goes: after the '[' or ',' of the
 * array, the ':' of the object it is in (a document is a container: not outside one). jansson
 * reads a number before it knows whether one may stand there ({"a":1, 2...}). */
static bool jr_number_is_value(const char *buf, size_t end, const struct jtext_level *innermost)
{
	size_t i = end;

	while (i > 0 && jr_number_char(buf[i - 1]))
		i--;
	while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t' || buf[i - 1] == '\n' ||
			 buf[i - 1] == '\r'))
		i--;
	if (!innermost || i == 0)
		return false;
	return innermost->array ? buf[i - 1] == '[' || buf[i - 1] == ',' : buf[i - 1] == ':';
}

/* Whether the number that ends at end has a fraction or an exponent (jansson: a real). */
static bool jr_number_is_real(const char *buf, size_t end)
{
	for (; end > 0 && jr_number_char(buf[end - 1]); end--)
		if (buf[end - 1] == '.' || buf[end - 1] == 'e' || buf[end - 1] == 'E')
			return true;
	return false;
}

int jr_error_locate(const char *buf, size_t len, const struct json_error_t *e, char **ret_pointer,
		    char **ret_message)
{
	_cleanup_free_ struct jtext_level *lv = NULL;
	_cleanup_free_ char *msg = NULL;
	struct jr r = {0};
	char *pointer;
	json_t *key;
	size_t n, pos;
	int ret;

	if (e->position <= 0 || (size_t)e->position > len)
		return 0;
	pos = (size_t)e->position;
	switch (json_error_code(e)) {
	case json_error_duplicate_key:
	case json_error_numeric_overflow:
		break;
	default:
		return 0;
	}
	if (jtext_levels(buf, len, pos, &lv, &n) < 0)
		return -ENOMEM;
	if (json_error_code(e) == json_error_duplicate_key) {
		/* jansson stops right after the key: the innermost object's last key. */
		if (!n || lv[n - 1].array || !lv[n - 1].key ||
		    lv[n - 1].key + lv[n - 1].key_len + 1 != buf + pos)
			return 0;
		key = jr_level_key(&lv[--n]);
		if (!key)
			return 0;
		/* A key too long for a message is named by its length (jr_keys_fit). */
		if (json_string_length(key) > JR_STRING_MAX)
			ret = asprintf(&msg, "duplicate key of %zu bytes", json_string_length(key));
		else
			ret = asprintf(&msg, "duplicate key \"%s\"", json_string_value(key));
		json_decref(key);
	} else {
		/* jansson stops right after the number: the innermost container's value. */
		if (buf[pos - 1] < '0' || buf[pos - 1] > '9' ||
		    !jr_number_is_value(buf, pos, n ? &lv[n - 1] : NULL))
			return 0;
		ret = asprintf(&msg, "%s out of range",
			       jr_number_is_real(buf, pos) ? "number" : "integer");
	}
	if (ret < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	ret = jr_levels_pointer(&r, lv, n);
	pointer = ret < 0 ? NULL : jr_ptr_dup(&r);
	jr_done(&r);
	if (ret < 0)
		return ret == -ENOMEM ? ret : 0;
	if (!pointer)
		return -ENOMEM;
	*ret_pointer = pointer;
	*ret_message = TAKE_PTR(msg);
	return 1;
}

int jr_load(struct errlist *errs, const char *buf, size_t len, struct json_t **ret)
{
	_cleanup_free_ char *pointer = NULL, *message = NULL;
	json_error_t e;
	json_t *v;

	if (len > JR_DOCUMENT_MAX) {
		errlist_add(errs, "", "document of %zu bytes is larger than the limit of %u bytes",
			    len, JR_DOCUMENT_MAX);
		return -EINVAL;
	}
	if (jtext_count_values(buf, len) > JR_VALUES_MAX) {
		errlist_add(errs, "", "document has more than %d values, the limit", JR_VALUES_MAX);
		return -EINVAL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		if (jr_error_locate(buf, len, &e, &pointer, &message) > 0)
			errlist_add(errs, pointer, "%s", message);
		else if (json_error_code(&e) == json_error_premature_end_of_input)
			errlist_add(errs, "", "invalid JSON: the document ends too early (line %d)",
				    e.line);
		else
			errlist_add(errs, "", "invalid JSON at line %d, column %d: %.*s", e.line,
				    e.column, jr_error_text_len(e.text), e.text);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

void jr_unref(struct json_t *v)
{
	json_decref(v);
}

/* A map from pointers to numbers (open addressing), for the ordinals of object members. */
struct ptrmap {
	const void **keys;
	size_t *vals;
	size_t n, cap;
};

static size_t ptrmap_slot(const struct ptrmap *m, const void *key)
{
	size_t h = ((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ull;

	for (h &= m->cap - 1; m->keys[h] && m->keys[h] != key; h = (h + 1) & (m->cap - 1))
		;
	return h;
}

static int ptrmap_put(struct ptrmap *m, const void *key, size_t val)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct ptrmap g = {.cap = m->cap ? m->cap * 2 : 64};

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t s = ptrmap_slot(&g, m->keys[i]);

				g.keys[s] = m->keys[i];
				g.vals[s] = m->vals[i];
				g.n++;
			}
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = ptrmap_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static bool ptrmap_get(const struct ptrmap *m, const void *key, size_t *ret)
{
	size_t i;

	if (!m->cap)
		return false;
	i = ptrmap_slot(m, key);
	if (!m->keys[i])
		return false;
	*ret = m->vals[i];
	return true;
}

/* The ordinal of member value v of object obj: each object is scanned once, then looked up. */
static size_t jr_member_ordinal(struct ptrmap *ord, const json_t *obj, const json_t *v)
{
	const char *key;
	json_t *val;
	size_t n = 0;

	if (ptrmap_get(ord, v, &n))
		return n;
	json_object_foreach((json_t *)obj, key, val)
		if (ptrmap_put(ord, val, n++) < 0)
			return SIZE_MAX;
	return ptrmap_get(ord, v, &n) ? n : SIZE_MAX;
}

/* The ordinal of each token of pointer p as found in the document. */
static void jr_position(struct errlist_entry *e, const json_t *root, struct ptrmap *ord)
{
	const json_t *v = root;
	const char *p = e->pointer;
	size_t n = 0, cap = 0;

	while (*p == '/' && v) {
		_cleanup_free_ char *tok = NULL;
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1), i, j, ord_i = 0;
		size_t *pos;

		tok = malloc(len + 1);
		if (!tok)
			return;
		for (i = 0, j = 0; i < len; i++) {
			if (p[1 + i] == '~' && i + 1 < len && (p[2 + i] == '0' || p[2 + i] == '1')) {
				tok[j++] = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else {
				tok[j++] = p[1 + i];
			}
		}
		tok[j] = '\0';
		p += 1 + len;

		if (json_is_object(v)) {
			const json_t *member = json_object_get(v, tok);

			if (member)
				ord_i = jr_member_ordinal(ord, v, member);
			v = member;
		} else if (json_is_array(v)) {
			char *endp;

			ord_i = strtoul(tok, &endp, 10);
			v = *endp ? NULL : json_array_get(v, ord_i);
		} else {
			v = NULL;
		}
		if (!v)
			/* Past the document (a missing key): sorts after its parent's members. */
			ord_i = SIZE_MAX;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			pos = realloc(e->position, cap * sizeof(*pos));
			if (!pos)
				return;
			e->position = pos;
		}
		e->position[n++] = ord_i;
		e->n_position = n;
	}
}

void jr_sort_errors(struct errlist *errs, const struct json_t *root)
{
	struct ptrmap ord = {0};
	size_t i;

	for (i = 0; i < errs->n; i++)
		jr_position(&errs->v[i], root, &ord);
	free(ord.keys);
	free(ord.vals);
	errlist_sort(errs);
}

size_t jr_push_key(struct jr *r, const char *key)
{
	size_t mark = r->ptr.len;
	const char *k;

	strbuf_append(&r->ptr, "/");
	for (k = key; *k; k++) {
		if (*k == '~')
			strbuf_append(&r->ptr, "~0");
		else if (*k == '/')
			strbuf_append(&r->ptr, "~1");
		else
			strbuf_append_n(&r->ptr, k, 1);
	}
	return mark;
}

size_t jr_push_index(struct jr *r, size_t i)
{
	char buf[24], *p = buf + sizeof(buf);
	size_t mark = r->ptr.len;

	/* Called for every array element of a document: no printf. */
	do
		*--p = (char)('0' + i % 10);
	while (i /= 10);
	*--p = '/';
	strbuf_append_n(&r->ptr, p, (size_t)(buf + sizeof(buf) - p));
	return mark;
}

void jr_pop(struct jr *r, size_t mark)
{
	strbuf_truncate(&r->ptr, mark);
}

const char *jr_ptr(const struct jr *r)
{
	return strbuf_str(&r->ptr);
}

char *jr_ptr_dup(const struct jr *r)
{
	return strdup(jr_ptr(r));
}

void jr_error(struct jr *r, const char *fmt, ...)
{
	struct strbuf msg = {0};
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	errlist_add(r->errs, jr_ptr(r), "%s", strbuf_str(&msg));
	strbuf_done(&msg);
}

void jr_error_member(struct jr *r, const char *key, long index, const char *fmt, ...)
{
	struct strbuf msg = {0};
	size_t mark = jr_push_key(r, key);
	va_list ap;

	if (index >= 0)
		jr_push_index(r, (size_t)index);
	va_start(ap, fmt);
	strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	jr_error(r, "%s", strbuf_str(&msg));
	strbuf_done(&msg);
	jr_pop(r, mark);
}

void jr_done(struct jr *r)
{
	strbuf_done(&r->ptr);
}

const char *jr_type_name(const struct json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction or exponent";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

bool jr_is_object(const struct json_t *v)
{
	return json_is_object(v);
}

bool jr_is_array(const struct json_t *v)
{
	return json_is_array(v);
}

bool jr_is_string(const struct json_t *v)
{
	return json_is_string(v);
}

bool jr_is_integer(const struct json_t *v)
{
	return json_is_integer(v);
}

/* Levenshtein distance, capped: enough to suggest a near-miss key. */
static unsigned jr_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned d[32], prev, tmp;

	if (la >= ELEMENTSOF(d) || lb >= ELEMENTSOF(d))
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			tmp = d[j];
			if (d[j] + 1 < best)
				best = d[j] + 1;
			if (d[j - 1] + 1 < best)
				best = d[j - 1] + 1;
			d[j] = best;
			prev = tmp;
		}
	}
	return d[lb];
}

/* Keys are at most JR_STRING_MAX bytes too; one too long is reported at the object (a
 * pointer holding it would be as long). */
static bool jr_keys_fit(struct jr *r, const json_t *obj)
{
	const char *key;
	json_t *val;
	bool fit = true;

	json_object_foreach((json_t *)obj, key, val) {
		if (strlen(key) > JR_STRING_MAX) {
			jr_error(r, "a key of %zu bytes is longer than the limit of %d", strlen(key),
				 JR_STRING_MAX);
			fit = false;
		}
	}
	return fit;
}

/* Whether key is one of allowed (first bytes compared first: objects are read by the ten
 * thousand). */
static bool jr_allowed(const char *const *allowed, const char *key)
{
	const char *const *a;

	for (a = allowed; *a; a++)
		if (**a == *key && !strcmp(*a, key))
			return true;
	return false;
}

/* Whether every key of obj is allowed and fits (one walk: the usual case). */
static bool jr_keys_all_fine(const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)obj, key, val)
	{
		if (!jr_allowed(allowed, key) || strlen(key) > JR_STRING_MAX)
			return false;
	}
	return true;
}

bool jr_object(struct jr *r, const struct json_t *v, const char *const *allowed)
{
	const char *key;
	json_t *val;

	if (!json_is_object(v)) {
		jr_error(r, "expected an object, got %s", jr_type_name(v));
		return false;
	}
	if (jr_keys_all_fine(v, allowed))
		return true;
	if (!jr_keys_fit(r, v))
		return false;
	json_object_foreach((json_t *)v, key, val) {
		const char *const *a, *hint = NULL;
		unsigned best = 3;
		size_t mark;

		if (jr_allowed(allowed, key))
			continue;
		/* Unknown: suggest the nearest allowed key, if one is near. */
		for (a = allowed; *a; a++) {
			unsigned d = jr_distance(*a, key);

			if (d < best) {
				best = d;
				hint = *a;
			}
		}
		mark = jr_push_key(r, key);
		if (hint)
			jr_error(r, "unknown key (did you mean \"%s\"?)", hint);
		else
			jr_error(r, "unknown key");
		jr_pop(r, mark);
	}
	return true;
}

bool jr_map(struct jr *r, const struct json_t *v, size_t max)
{
	if (!json_is_object(v)) {
		jr_error(r, "expected an object, got %s", jr_type_name(v));
		return false;
	}
	if (json_object_size(v) > max) {
		jr_error(r, "%zu members, more than the limit of %zu", json_object_size(v), max);
		return false;
	}
	return jr_keys_fit(r, v);
}

const struct json_t *jr_member(const struct json_t *obj, const char *key)
{
	return json_object_get(obj, key);
}

size_t jr_size(const struct json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : json_object_size(v);
}

void *jr_iter(const struct json_t *obj)
{
	return json_object_iter((json_t *)obj);
}

void *jr_iter_next(const struct json_t *obj, void *it)
{
	return json_object_iter_next((json_t *)obj, it);
}

const char *jr_iter_key(void *it)
{
	return json_object_iter_key(it);
}

const struct json_t *jr_iter_value(void *it)
{
	return json_object_iter_value(it);
}

bool jr_array(struct jr *r, const struct json_t *v, size_t max)
{
	if (!json_is_array(v)) {
		jr_error(r, "expected an array, got %s", jr_type_name(v));
		return false;
	}
	if (json_array_size(v) > max) {
		jr_error(r, "%zu elements, more than the limit of %zu", json_array_size(v), max);
		return false;
	}
	return true;
}

const struct json_t *jr_at(const struct json_t *arr, size_t i)
{
	return json_array_get(arr, i);
}

int jr_string_ref(struct jr *r, const struct json_t *v, const char **ret)
{
	if (!json_is_string(v)) {
		jr_error(r, "expected a string, got %s", jr_type_name(v));
		return -1;
	}
	if (json_string_length(v) > JR_STRING_MAX) {
		jr_error(r, "string of %zu bytes is longer than the limit of %d",
			 json_string_length(v), JR_STRING_MAX);
		return -1;
	}
	*ret = json_string_value(v);
	return 1;
}

int jr_string_value(struct jr *r, const struct json_t *v, char **ret)
{
	const char *s;
	char *c;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	c = strdup(s);
	if (!c) {
		jr_error(r, "out of memory");
		return -1;
	}
	*ret = c;
	return 1;
}

int jr_int_value(struct jr *r, const struct json_t *v, int64_t min, int64_t max, int64_t *ret)
{
	json_int_t i;

	if (!json_is_integer(v)) {
		jr_error(r, "expected an integer, got %s", jr_type_name(v));
		return -1;
	}
	i = json_integer_value(v);
	if (i < min || i > max) {
		jr_error(r, "%" PRId64 " is out of range (%" PRId64 "-%" PRId64 ")", (int64_t)i, min,
			 max);
		return -1;
	}
	*ret = i;
	return 1;
}

int jr_bool_value(struct jr *r, const struct json_t *v, bool *ret)
{
	if (!json_is_boolean(v)) {
		jr_error(r, "expected true or false, got %s", jr_type_name(v));
		return -1;
	}
	*ret = json_is_true(v);
	return 1;
}

bool jr_require(struct jr *r, const struct json_t *obj, const char *key)
{
	if (json_object_get(obj, key))
		return true;
	jr_error(r, "missing required key \"%s\"", key);
	return false;
}

#define JR_MEMBER(r, obj, key, required, read)                                                     \
	({                                                                                         \
		const json_t *_v = json_object_get(obj, key);                                      \
		int _ret = 0;                                                                      \
		if (!_v) {                                                                         \
			if (required)                                                              \
				jr_error(r, "missing required key \"%s\"", key);                   \
		} else {                                                                           \
			size_t _mark = jr_push_key(r, key);                                        \
			_ret = (read);                                                             \
			jr_pop(r, _mark);                                                          \
		}                                                                                  \
		_ret;                                                                              \
	})

int jr_string(struct jr *r, const struct json_t *obj, const char *key, bool required, char **ret)
{
	return JR_MEMBER(r, obj, key, required, jr_string_value(r, _v, ret));
}

int jr_int(struct jr *r, const struct json_t *obj, const char *key, bool required, int64_t min,
	   int64_t max, int64_t *ret)
{
	return JR_MEMBER(r, obj, key, required, jr_int_value(r, _v, min, max, ret));
}

int jr_bool(struct jr *r, const struct json_t *obj, const char *key, bool required, bool *ret)
{
	return JR_MEMBER(r, obj, key, required, jr_bool_value(r, _v, ret));
}
