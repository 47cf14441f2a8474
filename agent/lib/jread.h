/* SPDX-License-Identifier: MIT */
/*
 * Strict reading of JSON documents: the only file of the intent code that knows jansson.
 *
 * A `struct jr` carries the JSON Pointer of the value being read and the error list. Callers
 * push a key or an index before reading a member and pop it after; every error is reported
 * at the current pointer. Values are `const struct json_t *`, opaque to callers.
 *
 * Readers return 1 when the value was present and valid (the output is written), 0 when it is
 * absent (the output is untouched; "missing required key" reported if it was required), and
 * -1 when it is invalid (the error is reported, the output untouched).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"
#include "strbuf.h"

struct json_t;
struct json_error_t;

#define JR_DOCUMENT_MAX (16u << 20) /* bytes */
#define JR_STRING_MAX 4096	    /* bytes, for keys and string values */
#define JR_VALUES_MAX 2000000	    /* JSON values (scalars, arrays, objects) in a document */

struct jr {
	struct errlist *errs;
	struct strbuf ptr;
};

/* Parse a document: size limit, value count limit, strict UTF-8, no NUL, no duplicate keys,
 * integers that fit. On failure reports one error and returns -EINVAL: a duplicate key at the
 * object that holds it, a number out of range at the number (jr_error_locate), anything else
 * at the root pointer "" with its line and column. String and key lengths are checked where
 * they are read (jr_string_ref, jr_object, jr_map). */
int jr_load(struct errlist *errs, const char *buf, size_t len, struct json_t **ret);
/* Where jansson's error e about the text buf lies, when it is about one value: 1 with the
 * JSON Pointer of the object that holds a duplicate key (`duplicate key "KEY"`) or of a
 * number out of range that stands where a value goes (`integer out of range`, `number out of
 * range`) and that message (both malloc'd); 0 for any other error (its line and column say
 * where), -ENOMEM. */
int jr_error_locate(const char *buf, size_t len, const struct json_error_t *e, char **ret_pointer,
		    char **ret_message);
void jr_unref(struct json_t *v);
/* Set each error's document position from the pointers and sort the list in document order. */
void jr_sort_errors(struct errlist *errs, const struct json_t *root);

/* Pointer navigation. push returns a mark to pop back to. */
size_t jr_push_key(struct jr *r, const char *key);
size_t jr_push_index(struct jr *r, size_t i);
void jr_pop(struct jr *r, size_t mark);
const char *jr_ptr(const struct jr *r);
char *jr_ptr_dup(const struct jr *r); /* a copy of the current pointer (NULL on OOM) */
void jr_error(struct jr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error at member key of the current value, and at its element index unless index < 0. */
void jr_error_member(struct jr *r, const char *key, long index, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void jr_done(struct jr *r);

/* Types. */
const char *jr_type_name(const struct json_t *v); /* "object", "string", "integer", ... */
bool jr_is_object(const struct json_t *v);
bool jr_is_array(const struct json_t *v);
bool jr_is_string(const struct json_t *v);
bool jr_is_integer(const struct json_t *v);

/* Objects. jr_object() checks that v is an object and reports each key not in `allowed`
 * (NULL-terminated) as "unknown key" at its own pointer, with a hint for near misses.
 * Returns false (and reports) when v is not an object. */
bool jr_object(struct jr *r, const struct json_t *v, const char *const *allowed);
/* Checks that v is an object of at most max members (a map: name → X). */
bool jr_map(struct jr *r, const struct json_t *v, size_t max);
const struct json_t *jr_member(const struct json_t *obj, const char *key);
size_t jr_size(const struct json_t *v); /* members of an object, elements of an array */
void *jr_iter(const struct json_t *obj);
void *jr_iter_next(const struct json_t *obj, void *it);
const char *jr_iter_key(void *it);
const struct json_t *jr_iter_value(void *it);
#define jr_object_foreach(obj, key, val)                                                           \
	for (void *_jr_it = jr_iter(obj);                                                          \
	     _jr_it && ((key) = jr_iter_key(_jr_it), (val) = jr_iter_value(_jr_it), 1);           \
	     _jr_it = jr_iter_next(obj, _jr_it))

/* Arrays: checks that v is an array of at most max elements (reports otherwise). */
bool jr_array(struct jr *r, const struct json_t *v, size_t max);
const struct json_t *jr_at(const struct json_t *arr, size_t i);

/* Scalar values at the current pointer. Strings are at most JR_STRING_MAX bytes. */
int jr_string_value(struct jr *r, const struct json_t *v, char **ret);
/* Borrowed string (valid while the document lives). */
int jr_string_ref(struct jr *r, const struct json_t *v, const char **ret);
int jr_int_value(struct jr *r, const struct json_t *v, int64_t min, int64_t max, int64_t *ret);
int jr_bool_value(struct jr *r, const struct json_t *v, bool *ret);

/* Members of obj: push key, read, pop. `required` reports a missing key at obj's pointer. */
int jr_string(struct jr *r, const struct json_t *obj, const char *key, bool required,
	      char **ret);
int jr_int(struct jr *r, const struct json_t *obj, const char *key, bool required, int64_t min,
	   int64_t max, int64_t *ret);
int jr_bool(struct jr *r, const struct json_t *obj, const char *key, bool required, bool *ret);
/* Reports "missing required key 'key'" at the current pointer when key is absent. */
bool jr_require(struct jr *r, const struct json_t *obj, const char *key);
