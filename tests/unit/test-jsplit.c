/* SPDX-License-Identifier: MIT */
/* A large JSON text parsed on two threads (proto/jsplit.c): the value json_loadb() returns. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/jsplit.h"
#include "lib/strbuf.h"

static const size_t flags = JSON_REJECT_DUPLICATES;

/* The same compact text (keys in the same order). */
static void assert_same(const json_t *a, const json_t *b)
{
	char *x = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	char *y = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_non_null(x);
	assert_non_null(y);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

/* text read as json_loadb() reads it, with the cut wherever it goes (min 0) and at the real
 * threshold; 1 when it parses, 0 when it is refused. */
static int check(const char *text, size_t f)
{
	size_t len = strlen(text);
	json_t *one = json_loadb(text, len, f, NULL);
	json_t *two = jsplit_loadb(text, len, f, 0);
	json_t *three = jsplit_loadb(text, len, f, JSPLIT_MIN);
	int r = one != NULL;

	assert_int_equal(one != NULL, two != NULL);
	assert_int_equal(one != NULL, three != NULL);
	if (one) {
		assert_same(one, two);
		assert_same(one, three);
	}
	json_decref(one);
	json_decref(two);
	json_decref(three);
	return r;
}

static void test_small(void **state)
{
	(void)state;
	assert_int_equal(check("{\"a\":[1,2,3],\"b\":{\"c\":[4,5],\"d\":\"e\"}}", flags), 1);
	assert_int_equal(check("[1,[2,3],{\"a\":1},\"x\",null,true,false,1.5e3]", flags), 1);
	assert_int_equal(
	    check(" { \"x\" : [ {\"a\":1} , {\"a\":2} , {\"a\":3} ] , \"y\" : 1 } ", flags), 1);
	assert_int_equal(check("[1]", flags), 1);
	assert_int_equal(check("{}", flags), 1);
	assert_int_equal(check("[]", flags), 1);
	assert_int_equal(check("", flags), 0);
	assert_int_equal(check("7", flags), 0); /* not a container without JSON_DECODE_ANY */
	assert_int_equal(check("7", flags | JSON_DECODE_ANY), 1);
	/* Mistakes in either half, and in the punctuation between them. */
	assert_int_equal(check("[1,2,,3,4]", flags), 0);
	assert_int_equal(check("[1,2 3,4]", flags), 0);
	assert_int_equal(check("{\"a\":[1,2,3],\"b\":[4,5,6]} x", flags), 0);
	assert_int_equal(check("{\"a\":[1,2,3],\"b\":[4,5,x]}", flags), 0);
	assert_int_equal(check("{\"a\":[1,x,3],\"b\":[4,5,6]}", flags), 0);
	assert_int_equal(check("[\"\\ud83d\", 1, 2, 3]", flags), 0);
}

/* A key in both halves: refused as one parse refuses it, or (without
 * JSON_REJECT_DUPLICATES) the value one parse keeps. */
static void test_key_in_both_halves(void **state)
{
	const char *text = "{\"a\":[1,2,3],\"b\":[4,5,6],\"c\":[7,8,9],\"a\":[10,11,12]}";

	(void)state;
	assert_int_equal(check(text, flags), 0);
	assert_int_equal(check(text, 0), 1);
	/* The member the cut goes into, twice: without JSON_REJECT_DUPLICATES the last value is
	 * kept (the text is not cut then). */
	assert_int_equal(check("{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12],\"a\":[0]}", 0), 1);
	assert_int_equal(check("{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12],\"a\":[0]}", flags), 0);
	assert_int_equal(check("{\"k\":{\"a\":1,\"b\":2,\"c\":3,\"a\":4}}", flags), 0);
	assert_int_equal(check("{\"k\":{\"a\":[1],\"b\":[2],\"c\":[3],\"\\u0061\":[4]}}", flags),
			 0);
}

/* An intent's shape at the real threshold: the rules of one chain hold most of the text. */
static void test_large(void **state)
{
	struct strbuf b = {0};
	size_t i;

	(void)state;
	strbuf_append(&b,
		      "{\"version\":1,\"firewall\":{\"forward\":{\"policy\":\"drop\",\"rules\":[");
	for (i = 0; i < 6000; i++)
		strbuf_printf(&b,
			      "%s{\"action\":\"accept\",\"source\":[\"10.1.%zu.%zu\"],"
			      "\"ports\":[%zu],\"comment\":\"r\\u00e9gle %zu\"}",
			      i ? "," : "", i / 250, i % 250, i + 1, i);
	strbuf_append(&b, "]}},\"nat\":{\"destination\":[");
	for (i = 0; i < 1000; i++)
		strbuf_printf(&b, "%s{\"ports\":%zu}", i ? "," : "", i + 1);
	strbuf_append(&b, "]}}");
	assert_false(b.oom);
	assert_true(b.len >= JSPLIT_MIN);
	assert_int_equal(check(strbuf_str(&b), flags), 1);
	strbuf_truncate(&b, 0);
	/* Members of one object, none holding half: the object is cut; the last key is the
	 * first's again, in the second half. */
	strbuf_append(&b, "{");
	for (i = 0; i < 20000; i++)
		strbuf_printf(&b, "\"m%zu\":[%zu,\"%zu\"],", i, i, i);
	strbuf_append(&b, "\"m0\":0}");
	assert_false(b.oom);
	assert_true(b.len >= JSPLIT_MIN);
	assert_int_equal(check(strbuf_str(&b), flags), 0);
	assert_int_equal(check(strbuf_str(&b), 0), 1);
	strbuf_done(&b);
}

/* Nested near jansson's depth limit (2048): accepted or refused as one parse does, the deep
 * member in the second half of a container that is itself nested (parsed alone, the second
 * half nests less deep than in the text). */
static void test_depth(void **state)
{
	size_t deep[] = {2000, 2040, 2045, 2046, 2047, 2048, 2049};
	size_t i, j, ok = 0;

	(void)state;
	for (i = 0; i < sizeof(deep) / sizeof(*deep); i++) {
		struct strbuf b = {0};

		strbuf_append(&b, "{\"w\":{");
		for (j = 0; j < 800; j++)
			strbuf_printf(&b, "\"m%zu\":0,", j);
		strbuf_append(&b, "\"deep\":");
		for (j = 0; j < deep[i]; j++)
			strbuf_append(&b, "[");
		for (j = 0; j < deep[i]; j++)
			strbuf_append(&b, "]");
		strbuf_append(&b, "}}");
		assert_false(b.oom);
		ok += (size_t)check(strbuf_str(&b), flags);
		strbuf_done(&b);
	}
	assert_int_equal(ok, 4); /* up to 2046 inside the two objects */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small),
	    cmocka_unit_test(test_key_in_both_halves),
	    cmocka_unit_test(test_large),
	    cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
