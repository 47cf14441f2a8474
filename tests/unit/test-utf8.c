/* SPDX-License-Identifier: MIT */
/* Table-driven tests of lib/utf8.c: cuts on character boundaries, validation, escapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/strbuf.h"
#include "lib/utf8.h"

static void test_utf8_cut(void **state)
{
	static const struct {
		const char *in;
		size_t max;
		int len;
	} v[] = {
		{"abc", 64, 3},
		{"abc", 3, 3},
		{"abcd", 3, 3},
		{"", 4, 0},
		{"\xc3\xa9\xc3\xa9", 3, 2},		/* "éé": not inside the second é */
		{"\xc3\xa9\xc3\xa9", 4, 4},
		{"a\xe2\x82\xac", 2, 1},		/* "a€" */
		{"a\xe2\x82\xac", 3, 1},
		{"a\xe2\x82\xac", 4, 4},
		{"\xf0\x9f\x98\x80x", 3, 0},		/* an emoji, then x */
		{"\xf0\x9f\x98\x80x", 4, 4},
		{"ab\xff\xfe", 3, 3},			/* stray bytes are not continuations */
	};
	char buf[160];
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		assert_int_equal(utf8_cut(v[i].in, v[i].max), v[i].len);
		snprintf(buf, sizeof(buf), "%.*s", UTF8_CUT(v[i].in, v[i].max));
		assert_int_equal(strlen(buf), v[i].len);
		assert_true(utf8_valid(buf, strlen(buf)) || strchr(v[i].in, '\xff'));
	}
}

static void test_utf8_valid_escape(void **state)
{
	static const struct {
		const char *in;
		bool valid;
		const char *escaped;
	} v[] = {
		{"eth0", true, "eth0"},
		{"caf\xc3\xa9", true, "caf\xc3\xa9"},
		{"\xe2\x82\xac\xf0\x9f\x98\x80", true, "\xe2\x82\xac\xf0\x9f\x98\x80"},
		{"d\xff", false, "d\\xff"},
		{"\xc3", false, "\\xc3"},			/* cut inside a character */
		{"caf\xc3", false, "caf\\xc3"},
		{"\xc0\xaf", false, "\\xc0\\xaf"},		/* overlong */
		{"\xed\xa0\x80", false, "\\xed\\xa0\\x80"},	/* a surrogate */
		{"\xf4\x90\x80\x80", false, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
		{"a\\b", true, "a\\b"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct strbuf b = {0};

		assert_int_equal(utf8_valid(v[i].in, strlen(v[i].in)), v[i].valid);
		assert_int_equal(utf8_escape(v[i].in, strlen(v[i].in), &b), 0);
		assert_string_equal(strbuf_str(&b), v[i].escaped);
		assert_true(utf8_valid(b.s, b.len));
		strbuf_done(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_utf8_valid_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
