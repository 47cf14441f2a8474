/* SPDX-License-Identifier: MIT */
/* JSON as text (jtext.h): lexical walks only, no tree, no allocation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jtext.h"

/* An upper bound of the number of values in a document: one per comma and per container
 * outside strings, plus one. Linear and allocation-free, so that a document of millions of
 * tiny values is refused before a tree of millions of nodes is built. */
size_t jtext_count_values(const char *buf, size_t len)
{
	bool in_string = false;
	size_t i, n = 1;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == ',' || c == '[' || c == '{') {
			n++;
		}
	}
	return n;
}

static bool jtext_word_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '+' || c == '-';
}

int jtext_compact(const char *buf, size_t len, char *out, size_t *ret_len)
{
	bool in_string = false, skipped = false;
	size_t i, n = 0, depth = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if ((unsigned char)c < 0x20)
				return -EINVAL;
			out[n++] = c;
			if (c == '\\' && i + 1 < len && (unsigned char)buf[i + 1] >= 0x20)
				out[n++] = buf[++i];
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			skipped = n > 0;
			continue;
		}
		if (n == 0 ? c != '{' && c != '[' : depth == 0)
			return -EINVAL; /* not a container, or text after it */
		if (skipped && jtext_word_char(out[n - 1]) && jtext_word_char(c))
			return -EINVAL;
		skipped = false;
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		else if (c == '"')
			in_string = true;
		else if (c == '\0')
			return -EINVAL;
		out[n++] = c;
	}
	if (in_string || depth || n == 0)
		return -EINVAL;
	*ret_len = n;
	return 0;
}

static bool jtext_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void jtext_skip_space(struct jtext_object *o)
{
	while (o->pos < o->len && jtext_space(o->buf[o->pos]))
		o->pos++;
}

/* The end of the string whose opening quote is at i (after its closing quote), or 0. */
static size_t jtext_string_end(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return 0;
}

int jtext_levels(const char *text, size_t len, size_t pos, struct jtext_level **ret, size_t *ret_n)
{
	struct jtext_level *v = NULL, *top;
	size_t n = 0, cap = 0, i, end;
	bool expect_key = false; /* the innermost is an object and its next string is a key */

	for (i = 0; i < pos && i < len; i++) {
		char c = text[i];

		top = n ? &v[n - 1] : NULL;
		if (c == '"') {
			end = jtext_string_end(text, len, i);
			if (!end)
				break;
			if (expect_key) {
				top->key = text + i + 1;
				top->key_len = end - i - 2;
				expect_key = false;
			}
			i = end - 1;
		} else if (c == '{' || c == '[') {
			if (n == cap) {
				struct jtext_level *g =
				    realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*g));

				if (!g) {
					free(v);
					return -ENOMEM;
				}
				v = g;
			}
			v[n++] = (struct jtext_level){.array = c == '['};
			expect_key = c == '{';
		} else if ((c == '}' || c == ']') && n) {
			n--;
			expect_key = false;
		} else if (c == ',' && top) {
			top->index++;
			expect_key = !top->array;
		}
	}
	if (!n) {
		free(v);
		v = NULL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int jtext_open(struct jtext_object *o, const char *buf, size_t len, bool array)
{
	*o = (struct jtext_object){.buf = buf, .len = len, .array = array};
	jtext_skip_space(o);
	if (o->pos >= len || buf[o->pos] != (array ? '[' : '{'))
		return -EINVAL;
	o->pos++;
	return 0;
}

int jtext_object_open(struct jtext_object *o, const char *buf, size_t len)
{
	return jtext_open(o, buf, len, false);
}

int jtext_array_open(struct jtext_object *o, const char *buf, size_t len)
{
	return jtext_open(o, buf, len, true);
}

int jtext_object_next(struct jtext_object *o, const char **ret_key, size_t *ret_len)
{
	size_t start, i;

	if (o->value)
		return -EINVAL;
	jtext_skip_space(o);
	if (o->pos >= o->len)
		return -EINVAL;
	if (o->buf[o->pos] == (o->array ? ']' : '}')) {
		o->pos++;
		jtext_skip_space(o);
		return o->pos == o->len ? 0 : -EINVAL;
	}
	if (o->members) {
		if (o->buf[o->pos] != ',')
			return -EINVAL;
		o->pos++;
		jtext_skip_space(o);
	}
	if (o->array) {
		if (o->pos >= o->len)
			return -EINVAL;
		*ret_key = NULL;
		*ret_len = o->members++;
		o->value = true;
		return 1;
	}
	if (o->pos >= o->len || o->buf[o->pos] != '"')
		return -EINVAL;
	start = ++o->pos;
	for (i = start; i < o->len && o->buf[i] != '"'; i++)
		if (o->buf[i] == '\\' || (unsigned char)o->buf[i] < 0x20 || i - start >= JTEXT_KEY_MAX)
			return -EINVAL;
	if (i >= o->len)
		return -EINVAL;
	o->pos = i + 1;
	jtext_skip_space(o);
	if (o->pos >= o->len || o->buf[o->pos] != ':')
		return -EINVAL;
	o->pos++;
	jtext_skip_space(o);
	o->members++;
	o->value = true;
	*ret_key = o->buf + start;
	*ret_len = i - start;
	return 1;
}

bool jtext_object_take(struct jtext_object *o, const char *value, size_t len)
{
	size_t end = o->pos + len;

	if (!o->value || len == 0 || len > o->len - o->pos || memcmp(o->buf + o->pos, value, len))
		return false;
	/* A string or container ends with its last byte; a number or literal only where a
	 * delimiter follows it. */
	if (end < o->len && jtext_word_char(o->buf[end]))
		return false;
	o->pos = end;
	o->value = false;
	return true;
}

int jtext_object_skip(struct jtext_object *o, const char **ret_value, size_t *ret_len)
{
	size_t i = o->pos, depth = 0, values = 1;

	if (!o->value)
		return -EINVAL;
	o->depth = 0;
	while (i < o->len) {
		char c = o->buf[i];

		if (c == '"') {
			i = jtext_string_end(o->buf, o->len, i);
			if (!i)
				return -EINVAL;
		} else if (c == '{' || c == '[') {
			if (++depth > o->depth)
				o->depth = depth;
			values++;
			i++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				break; /* the end of the object around the value */
			depth--;
			i++;
		} else if (!depth && (c == ',' || jtext_space(c))) {
			break;
		} else {
			values += c == ',';
			i++;
		}
		if (!depth && (c == '"' || c == '}' || c == ']'))
			break; /* a string or a container ended */
	}
	if (depth || i == o->pos)
		return -EINVAL;
	*ret_value = o->buf + o->pos;
	*ret_len = i - o->pos;
	o->pos = i;
	o->value = false;
	o->values = values;
	return 0;
}

int jtext_members(const char *text, size_t len, bool array, struct jtext_member **ret,
		  size_t *ret_n)
{
	struct jtext_member *v = NULL;
	struct jtext_object o;
	size_t n = 0, cap = 0, key_len;
	const char *key;
	int r;

	r = array ? jtext_array_open(&o, text, len) : jtext_object_open(&o, text, len);
	while (r >= 0 && (r = jtext_object_next(&o, &key, &key_len)) > 0) {
		struct jtext_member *m;

		if (n == cap) {
			struct jtext_member *g =
			    realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*g));

			if (!g) {
				r = -ENOMEM;
				break;
			}
			v = g;
		}
		m = &v[n++];
		m->key = key;
		m->key_len = key ? key_len : 0;
		if (jtext_object_skip(&o, &m->value, &m->value_len) < 0) {
			r = -EINVAL;
			break;
		}
	}
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
