/* SPDX-License-Identifier: MIT */
/* Tests of lib/jread.c: loading, pointers, unknown keys, document order of errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "lib/jtext.h"

static struct json_t *load(const char *s, struct errlist *errs)
{
	struct json_t *v = NULL;

	jr_load(errs, s, strlen(s), &v);
	return v;
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *doc;
		const char *prefix; /* expected start of the message */
	} v[] = {
	    {"{", "invalid JSON: the document ends too early"},
	    {"{\"a\":1 \"a\":2}", "invalid JSON at line 1, column 10: '}' expected"},
	    {"{\"a\":\"\\u0000\"}", "invalid JSON at line 1"},
	    /* a number out of range where no value goes: a syntax error */
	    {"{\"a\":1, 99999999999999999999}",
	     "invalid JSON at line 1, column 28: too big integer"},
	    {"[1 99999999999999999999]", "invalid JSON at line 1, column 23: too big integer"},
	    {"99999999999999999999", "invalid JSON at line 1, column 20: too big integer"},
	    {"{} {}", "invalid JSON at line 1"},
	    {"", "invalid JSON"},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct errlist errs = {0};

		assert_null(load(v[i].doc, &errs));
		assert_int_equal(errs.n, 1);
		assert_string_equal(errs.v[0].pointer, "");
		if (strncmp(errs.v[0].message, v[i].prefix, strlen(v[i].prefix)))
			fail_msg("%s: got \"%s\"", v[i].doc, errs.v[0].message);
		errlist_done(&errs);
	}
}

/* A duplicate key at the object that holds it, a number out of range at the number. */
static void test_load_errors_located(void **state)
{
	static const struct {
		const char *doc, *pointer, *message;
	} v[] = {
	    {"{\"a\":1,\"a\":2}", "", "duplicate key \"a\""},
	    {"{\"a\":{\"b\":[{\"c\":1,\"c\":2}]}}", "/a/b/0", "duplicate key \"c\""},
	    {"{\"a/b\":{\"\\u0063\":1,\"c\":2}}", "/a~1b", "duplicate key \"c\""},
	    {"{\"s\":\"[{,\\\"\",\"t\":[1,{\"u\":2,\"u\":3}]}", "/t/1", "duplicate key \"u\""},
	    {"{\"x\":[{\"y\":1}],\"x\":2}", "", "duplicate key \"x\""},
	    {"{\"a\":18446744073709551616}", "/a", "integer out of range"},
	    {"[1, -99999999999999999999]", "/1", "integer out of range"},
	    {"{\n \"a\": [\n  1,\n  2e999\n ]\n}", "/a/1", "number out of range"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct errlist errs = {0};

		assert_null(load(v[i].doc, &errs));
		assert_int_equal(errs.n, 1);
		if (strcmp(errs.v[0].pointer, v[i].pointer) ||
		    strcmp(errs.v[0].message, v[i].message))
			fail_msg("%s: got \"%s: %s\"", v[i].doc, errs.v[0].pointer,
				 errs.v[0].message);
		errlist_done(&errs);
	}
}

/* The containers open at a place of a text: "{key;" per object, "[index;" per array. */
static void test_jtext_levels(void **state)
{
	static const struct {
		const char *in;
		size_t pos; /* 0: the end */
		const char *want;
	} v[] = {
	    {"{\"a\":[1,{\"b\":", 0, "{a;[1;{b;"},
	    {"[[1],[2,3],", 0, "[2;"},
	    {"{\"x\":\"]}[{\",\"y\":", 0, "{y;"},
	    {"{\"a\\\"b\":1,", 0, "{a\\\"b;"},
	    {"{\"a\":{\"b\":1}}", 6, "{a;{;"},
	    {"{\"a\":{\"b\":1}}", 14, ""},
	    {"{\"a", 0, "{;"},
	    {"1", 0, ""},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct jtext_level *lv = NULL;
		size_t n, len = strlen(v[i].in), k = 0;
		char got[128] = "";

		assert_int_equal(jtext_levels(v[i].in, len, v[i].pos ? v[i].pos : len, &lv, &n), 0);
		for (j = 0; j < n; j++)
			k += (size_t)(lv[j].array
					  ? snprintf(got + k, sizeof(got) - k, "[%zu;", lv[j].index)
					  : snprintf(got + k, sizeof(got) - k, "{%.*s;",
						     (int)lv[j].key_len,
						     lv[j].key ? lv[j].key : ""));
		if (strcmp(got, v[i].want))
			fail_msg("%s at %zu: got \"%s\"", v[i].in, v[i].pos, got);
		free(lv);
	}
}

static void test_long_string(void **state)
{
	struct errlist errs = {0};
	struct jr r = {.errs = &errs};
	struct strbuf doc = {0};
	struct json_t *v;
	char *out = NULL;
	size_t i;

	strbuf_append(&doc, "{\"a\":\"");
	for (i = 0; i < JR_STRING_MAX + 1; i++)
		strbuf_append(&doc, "x");
	strbuf_append(&doc, "\",\"");
	for (i = 0; i < JR_STRING_MAX + 1; i++)
		strbuf_append(&doc, "k");
	strbuf_append(&doc, "\":1}");
	v = load(strbuf_str(&doc), &errs);
	assert_non_null(v);
	/* A long string is refused where it is read, a long key where its object is. */
	assert_int_equal(jr_string(&r, v, "a", true, &out), -1);
	assert_false(jr_map(&r, v, 10));
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0].pointer, "/a");
	assert_string_equal(errs.v[0].message, "string of 4097 bytes is longer than the limit of 4096");
	assert_string_equal(errs.v[1].pointer, "");
	assert_string_equal(errs.v[1].message, "a key of 4097 bytes is longer than the limit of 4096");
	jr_unref(v);
	jr_done(&r);
	errlist_done(&errs);
	strbuf_done(&doc);
}

static void test_pointer_escape(void **state)
{
	struct errlist errs = {0};
	struct jr r = {.errs = &errs};
	size_t m;

	m = jr_push_key(&r, "a/b");
	jr_push_key(&r, "m~n");
	jr_push_index(&r, 7);
	assert_string_equal(jr_ptr(&r), "/a~1b/m~0n/7");
	jr_pop(&r, m);
	assert_string_equal(jr_ptr(&r), "");
	jr_done(&r);
}

static void test_unknown_keys(void **state)
{
	static const char *const keys[] = {"addresses", "mac", NULL};
	struct errlist errs = {0};
	struct jr r = {.errs = &errs};
	struct json_t *v = load("{\"mac\":1,\"adresses\":[],\"colour\":2}", &errs);

	assert_non_null(v);
	assert_true(jr_object(&r, v, keys));
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0].pointer, "/adresses");
	assert_string_equal(errs.v[0].message, "unknown key (did you mean \"addresses\"?)");
	assert_string_equal(errs.v[1].pointer, "/colour");
	assert_string_equal(errs.v[1].message, "unknown key");
	jr_unref(v);
	jr_done(&r);
	errlist_done(&errs);
}

static void test_document_order(void **state)
{
	struct errlist errs = {0};
	struct json_t *v = load("{\"z\":{\"b\":1,\"a\":[0,1,2,3,4,5,6,7,8,9,10]},\"y\":2}", &errs);

	assert_non_null(v);
	/* Added out of order; sorted by their place in the document. */
	errlist_add(&errs, "/y", "4");
	errlist_add(&errs, "/z/a/10", "3");
	errlist_add(&errs, "/z/a/2", "2");
	errlist_add(&errs, "/z/b", "1");
	errlist_add(&errs, "/z", "0");
	errlist_add(&errs, "/z/missing", "2b");
	jr_sort_errors(&errs, v);
	assert_string_equal(errs.v[0].message, "0");
	assert_string_equal(errs.v[1].message, "1");
	assert_string_equal(errs.v[2].message, "2");
	assert_string_equal(errs.v[3].message, "3");
	assert_string_equal(errs.v[4].message, "2b");
	assert_string_equal(errs.v[5].message, "4");
	jr_unref(v);
	errlist_done(&errs);
}

static void test_int_ranges(void **state)
{
	static const struct {
		const char *doc;
		int ret;
		const char *msg;
	} v[] = {
		{"{\"v\":5}", 1, NULL},
		{"{\"v\":-1}", -1, "-1 is out of range (0-10)"},
		{"{\"v\":11}", -1, "11 is out of range (0-10)"},
		{"{\"v\":5.0}", -1, "expected an integer, got a number with a fraction or exponent"},
		{"{\"v\":\"5\"}", -1, "expected an integer, got a string"},
		{"{}", 0, NULL},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct errlist errs = {0};
		struct jr r = {.errs = &errs};
		struct json_t *doc = load(v[i].doc, &errs);
		int64_t out = 0;

		assert_non_null(doc);
		assert_int_equal(jr_int(&r, doc, "v", false, 0, 10, &out), v[i].ret);
		if (v[i].msg) {
			assert_int_equal(errs.n, 1);
			assert_string_equal(errs.v[0].pointer, "/v");
			assert_string_equal(errs.v[0].message, v[i].msg);
		} else {
			assert_int_equal(errs.n, 0);
		}
		jr_unref(doc);
		jr_done(&r);
		errlist_done(&errs);
	}
}

static void test_errlist_cap(void **state)
{
	struct errlist errs = {0};
	size_t i;

	for (i = 0; i < ERRLIST_MAX + 5; i++)
		errlist_add(&errs, "/x", "e%zu", i);
	assert_int_equal(errs.n, ERRLIST_MAX);
	assert_int_equal(errs.dropped, 5);
	errlist_done(&errs);
}

static void test_compact(void **state)
{
	static const struct {
		const char *in;
		size_t len;	 /* 0: strlen(in) */
		const char *out; /* NULL: refused */
	} v[] = {
		{"{ \"a\" : [ 1 , 2 ],\n\t\"b\": \"x y\\\" z\" }\r\n", 0,
		 "{\"a\":[1,2],\"b\":\"x y\\\" z\"}"},
		{"  [ ]  ", 0, "[]"},
		{"{\"a\":\"\\\\\"}", 0, "{\"a\":\"\\\\\"}"},
		{"{\"a\": true , \"b\": -1.5e3}", 0, "{\"a\":true,\"b\":-1.5e3}"},
		{"{\"a\": [1 2]}", 0, NULL},	   /* would become 12 */
		{"{\"a\": tr ue}", 0, NULL},	   /* would become true */
		{"{\"a\": \"x\ny\"}", 0, NULL},   /* a newline in a string */
		{"{\"a\": \"x\\\ny\"}", 0, NULL}, /* an escaped newline too */
		{"{\"a\": \"x", 0, NULL},
		{"{\"a\": 1", 0, NULL},
		{"{} {}", 0, NULL},
		{"{}x", 0, NULL},
		{"1", 0, NULL},
		{"\"s\"", 0, NULL},
		{"", 0, NULL},
		{" \n ", 0, NULL},
		{"{\"a\":\0}", 7, NULL},
		{"{\"a\":\"\0\"}", 9, NULL},
	};
	char out[128];
	size_t i, n;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		int r = jtext_compact(v[i].in, v[i].len ? v[i].len : strlen(v[i].in), out, &n);

		if (!v[i].out) {
			assert_int_equal(r, -EINVAL);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(n, strlen(v[i].out));
		assert_memory_equal(out, v[i].out, n);
	}
}

/* A walk and what it reads: "key=value;" per member (an array's: "N=value;" per element), or
 * NULL where the walk refuses the text. */
struct walk_case {
	const char *in, *out;
};

static void assert_walks(const struct walk_case *v, size_t n_cases, bool array)
{
	char out[256];
	size_t i;

	for (i = 0; i < n_cases; i++) {
		struct jtext_object o;
		const char *key, *val;
		size_t key_len, val_len, n = 0;
		int r = array ? jtext_array_open(&o, v[i].in, strlen(v[i].in))
			      : jtext_object_open(&o, v[i].in, strlen(v[i].in));

		while (r >= 0 && (r = jtext_object_next(&o, &key, &key_len)) > 0) {
			assert_true(array == !key);
			r = jtext_object_skip(&o, &val, &val_len);
			/* the skip counts what jtext_count_values() would count */
			if (r >= 0)
				assert_int_equal(o.values, jtext_count_values(val, val_len));
			if (r >= 0 && array)
				n += (size_t)snprintf(out + n, sizeof(out) - n, "%zu=%.*s;", key_len,
						      (int)val_len, val);
			else if (r >= 0)
				n += (size_t)snprintf(out + n, sizeof(out) - n, "%.*s=%.*s;",
						      (int)key_len, key, (int)val_len, val);
		}
		out[n] = '\0';
		if (!v[i].out) {
			assert_int_equal(r, -EINVAL);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(out, v[i].out);
	}
}

/* Walking an object's members. */
static void test_object_walk(void **state)
{
	static const struct walk_case v[] = {
		{"{}", ""},
		{" { } \n", ""},
		{"{\"a\":1}", "a=1;"},
		{"{ \"a\" : 1 , \"b\" :[1, {\"c\": \"]}\"}] }", "a=1;b=[1, {\"c\": \"]}\"}];"},
		{"{\"a\":\"x\\\"y\",\"b\":{}}", "a=\"x\\\"y\";b={};"},
		{"{\"a\":-1.5e3,\"b\":true,\"c\":null}", "a=-1.5e3;b=true;c=null;"},
		{"{\"\":0}", "=0;"},
		{"{\"a\":1", NULL},		   /* no end */
		{"{\"a\":1}x", NULL},		   /* text after it */
		{"{\"a\" 1}", NULL},		   /* no colon */
		{"{\"a\":1 \"b\":2}", NULL},	   /* no comma */
		{"{,\"a\":1}", NULL},		   /* a comma first */
		{"{\"a\":1,}", NULL},		   /* a comma last */
		{"{\"a\":}", NULL},		   /* no value */
		{"{\"a\":[1}", NULL},		   /* unbalanced */
		{"{\"a\":\"x}", NULL},		   /* unterminated string */
		{"{\"a\\u0062\":1}", NULL},	   /* an escape in a key */
		{"{\"a\tb\":1}", NULL},	   /* a control character in a key */
		{"[1]", NULL},
		{"", NULL},
	};

	(void)state;
	assert_walks(v, ELEMENTSOF(v), false);
}

/* The same walk through an array's elements: numbered, no keys. */
static void test_array_walk(void **state)
{
	static const struct walk_case v[] = { /* out: "N=value;" per element */
		{"[]", ""},
		{" [ ] ", ""},
		{"[1, \"a,]\" , {\"x\":[2]}]", "0=1;1=\"a,]\";2={\"x\":[2]};"},
		{"[[],[[]]]", "0=[];1=[[]];"},
		{"[1,]", NULL},
		{"[,1]", NULL},
		{"[1 2]", NULL},
		{"[1", NULL},
		{"[1]x", NULL},
		{"{}", NULL},
	};

	(void)state;
	assert_walks(v, ELEMENTSOF(v), true);
}

/* take: the same bytes, ending where they end; the walk goes on after them. */
static void test_object_take(void **state)
{
	static const char text[] = "{\"a\":12,\"b\":{\"c\":1},\"d\":true}";
	struct jtext_object o;
	const char *key;
	size_t n;

	(void)state;
	assert_int_equal(jtext_object_open(&o, text, strlen(text)), 0);
	assert_int_equal(jtext_object_next(&o, &key, &n), 1);
	assert_false(jtext_object_take(&o, "1", 1)); /* 12 goes on */
	assert_false(jtext_object_take(&o, "13", 2));
	assert_true(jtext_object_take(&o, "12", 2));
	assert_int_equal(jtext_object_next(&o, &key, &n), 1);
	assert_memory_equal(key, "b", 1);
	assert_false(jtext_object_take(&o, "{\"c\":2}", 7));
	assert_true(jtext_object_take(&o, "{\"c\":1}", 7));
	assert_int_equal(jtext_object_next(&o, &key, &n), 1);
	/* a value neither taken nor skipped stops the walk */
	assert_int_equal(jtext_object_next(&o, &key, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_long_string),
	    cmocka_unit_test(test_pointer_escape),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_document_order),
	    cmocka_unit_test(test_int_ranges),
	    cmocka_unit_test(test_errlist_cap),
	    cmocka_unit_test(test_compact),
	    cmocka_unit_test(test_object_walk),
	    cmocka_unit_test(test_object_take),
	    cmocka_unit_test(test_array_walk),
	    cmocka_unit_test(test_load_errors_located),
	    cmocka_unit_test(test_jtext_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
