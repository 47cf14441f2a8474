/* SPDX-License-Identifier: MIT */
/* A long chain of firewall rules (intent/parse-firewall.c): every rule at its own pointer,
 * the errors in document order and the limit of listed errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intent/intent.h"
#include "intent/parse.h"
#include "lib/errlist.h"
#include "lib/strbuf.h"

#define N 5000

/* An intent whose forward chain has N rules; rule i has ports [i + 1], and a key that is
 * not a rule's ("portz") when bad(i). One more bad rule in the output chain when tail. */
static char *intent_text(bool (*bad)(size_t), bool tail)
{
	struct strbuf b = {0};
	size_t i;

	strbuf_append(&b, "{\"version\": 1, \"generation\": 1, \"interfaces\": {\"lan\": "
			  "{\"mac\": \"52:54:00:00:00:01\", \"addresses\": [\"10.0.0.1/16\"]}},"
			  " \"firewall\": {\"forward\": {\"policy\": \"drop\", \"rules\": [");
	for (i = 0; i < N; i++)
		strbuf_printf(
		    &b,
		    "%s{\"action\": \"accept\", \"in\": \"lan\", \"protocol\": \"tcp\","
		    " \"source\": [\"10.0.%zu.%zu\"], \"%s\": [%zu], \"comment\": \"r%zu\"}",
		    i ? ", " : "", i / 250, i % 250, bad && bad(i) ? "portz" : "ports", i + 1, i);
	strbuf_append(&b, "]}");
	if (tail)
		strbuf_append(&b, ", \"output\": {\"rules\": [{\"action\": \"jump\"}]}");
	strbuf_append(&b, "}}");
	assert_false(b.oom);
	return strbuf_steal(&b);
}

static void test_rules_in_order(void **state)
{
	char *text = intent_text(NULL, false);
	struct errlist errs = {0};
	struct intent *in = NULL;
	const struct fw_chain *ch;
	size_t i;
	char ptr[64];

	(void)state;
	assert_int_equal(intent_load(text, strlen(text), &in, &errs), 0);
	assert_int_equal(errs.n, 0);
	ch = &in->firewall->chains[FW_FORWARD];
	assert_int_equal(ch->n_rules, N);
	for (i = 0; i < N; i++) {
		snprintf(ptr, sizeof(ptr), "/firewall/forward/rules/%zu", i);
		assert_string_equal(ch->rules[i].ptr, ptr);
		assert_int_equal(ch->rules[i].ports.n_ranges, 1);
		assert_int_equal(ch->rules[i].ports.ranges[0].first, i + 1);
	}
	intent_free(in);
	errlist_done(&errs);
	free(text);
}

static bool three_bad(size_t i)
{
	return i == 3 || i == 2600 || i == N - 1;
}

static bool many_bad(size_t i)
{
	return i >= 1500;
}

/* Errors early, late and after the chain: in document order, at their pointers. */
static void test_errors_in_order(void **state)
{
	static const char *const want[] = {
	    "/firewall/forward/rules/3/portz",
	    "/firewall/forward/rules/2600/portz",
	    "/firewall/forward/rules/4999/portz",
	    "/firewall/output/rules/0/action",
	};
	char *text = intent_text(three_bad, true);
	struct errlist errs = {0};
	struct intent *in = NULL;
	size_t i;

	(void)state;
	assert_true(intent_load(text, strlen(text), &in, &errs) < 0);
	assert_int_equal(errs.n, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(errs.v[i].pointer, want[i]);
	errlist_done(&errs);
	free(text);
}

/* More errors than ERRLIST_MAX: the first ERRLIST_MAX in reading order are kept, the rest
 * counted. */
static void test_errors_past_the_limit(void **state)
{
	char *text = intent_text(many_bad, false);
	struct errlist errs = {0};
	struct intent *in = NULL;

	(void)state;
	assert_true(intent_load(text, strlen(text), &in, &errs) < 0);
	assert_int_equal(errs.n, ERRLIST_MAX);
	assert_int_equal(errs.dropped, N - 1500 - ERRLIST_MAX);
	assert_string_equal(errs.v[0].pointer, "/firewall/forward/rules/1500/portz");
	assert_string_equal(errs.v[ERRLIST_MAX - 1].pointer, "/firewall/forward/rules/2499/portz");
	errlist_done(&errs);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules_in_order),
	    cmocka_unit_test(test_errors_in_order),
	    cmocka_unit_test(test_errors_past_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
