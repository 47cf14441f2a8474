/* SPDX-License-Identifier: MIT */
/*
 * JSON as text, read without parsing it: counting values, removing whitespace, and walking
 * the members of an object to find where each value lies. Nothing here builds a tree or
 * decides whether a value is valid JSON: the parser that reads the text does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* An upper bound of the number of JSON values in buf (one per comma and per container outside
 * strings, plus one), counted without parsing: compare it with JR_VALUES_MAX before parsing. */
size_t jtext_count_values(const char *buf, size_t len);
/*
 * A JSON object or array on one line, without parsing it: copies buf to out (at least len
 * bytes) without the whitespace outside strings, and sets *ret_len. -EINVAL when that could
 * change what the text means or put a newline in it: not an object or array, brackets that do
 * not match, text after the top-level value, an unterminated string, a control character or
 * NUL in a string, whitespace between two parts of what would become one number or literal
 * ("1 2"). Every other mistake is left to the parser that reads the line.
 */
int jtext_compact(const char *buf, size_t len, char *out, size_t *ret_len);

/* A container open at a place of a JSON text and where that place is in it: an object's last
 * key read before it (key_len bytes between its quotes, escapes as written; NULL before the
 * first key) or an array's element (its index). */
struct jtext_level {
	bool array;
	const char *key;
	size_t key_len, index;
};

/* The containers open at byte pos of text, outermost first: 0 with a malloc'd vector (NULL
 * when pos is in none), -ENOMEM. The text before pos is taken as a parser read it (strings
 * skipped, brackets counted): nothing is checked, so the answer is only as good as that. */
int jtext_levels(const char *text, size_t len, size_t pos, struct jtext_level **ret, size_t *ret_n);

/*
 * A walk through the members of the object that buf holds: `{ "key": value, ... }`, JSON
 * whitespace allowed between the parts and around the object, nothing else after it.
 *
 *	jtext_object_open(&o, buf, len);
 *	while ((r = jtext_object_next(&o, &key, &key_len)) > 0)
 *		jtext_object_take(&o, old, old_len) || jtext_object_skip(&o, &v, &v_len);
 *
 * Only the object's own punctuation is checked; a value is found by skipping strings and
 * counting brackets, so its text is JSON only when a parser says so (or when it is, byte for
 * byte, text that was). Keys are refused (-EINVAL) when they hold an escape, a control
 * character or more than JTEXT_KEY_MAX bytes: the caller then leaves the text to a parser.
 */
#define JTEXT_KEY_MAX 64

struct jtext_object {
	const char *buf;
	size_t len;
	size_t pos;
	size_t members; /* keys (or an array's elements) read so far */
	size_t depth;	/* how deep the last value skipped nests (0: neither array nor object) */
	size_t values;	/* jtext_count_values() of the last value skipped */
	bool value;	/* next() read a key: the cursor is at its value */
	bool array;	/* an array's elements, walked the same way (jtext_array_open) */
};

/* 0, or -EINVAL when buf does not start (after whitespace) with '{'. */
int jtext_object_open(struct jtext_object *o, const char *buf, size_t len);
/* 1 with the next member's key (its bytes between the quotes), the cursor at its value; 0 when
 * the object ended and only whitespace follows; -EINVAL otherwise (and after a value that
 * was neither taken nor skipped). */
int jtext_object_next(struct jtext_object *o, const char **ret_key, size_t *ret_len);
/* The same walk through the elements of the array buf holds (`[ value, ... ]`): next() then
 * reads no key (1 with *ret_key NULL and *ret_len the element's number) and take() and skip()
 * move past the element. */
int jtext_array_open(struct jtext_object *o, const char *buf, size_t len);
/* Whether the value at the cursor is these bytes, ending where they end (a number or literal
 * that goes on is not); moves past it when it is. */
bool jtext_object_take(struct jtext_object *o, const char *value, size_t len);
/* The value at the cursor, skipped: 0 with its text, or -EINVAL when it does not end before
 * the text does (an unterminated string, unbalanced brackets) or is empty. */
int jtext_object_skip(struct jtext_object *o, const char **ret_value, size_t *ret_len);

/* A member (key, key_len) or an element (key NULL) of a container's text: where its value
 * lies. */
struct jtext_member {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

/* The members of the object (array true: the elements of the array) text holds, in order:
 * 0 with a malloc'd vector (NULL when there are none), -EINVAL when the walk does not read
 * it, -ENOMEM. */
int jtext_members(const char *text, size_t len, bool array, struct jtext_member **ret,
		  size_t *ret_n);
