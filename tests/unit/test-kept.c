/* SPDX-License-Identifier: MIT */
/* The management addresses kept from earlier intents (daemon/kept.c), over a sequence of
 * intents as the agent applies them: which are kept, and from which generation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/kept.h"
#include "intent/parse.h"
#include "lib/cleanup.h"

/* An intent of generation gen whose link 52:54:00:00:00:01 is `name` with the addresses
 * addrs (a JSON list's inside), a management interface or not, beside a link "web". */
static struct intent *intent(int gen, const char *name, bool management, const char *addrs)
{
	_cleanup_free_ char *doc = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;

	assert_true(asprintf(&doc,
			     "{\"version\": 1, \"generation\": %d, \"interfaces\": {"
			     "\"%s\": {\"mac\": \"52:54:00:00:00:01\", \"addresses\": [%s],"
			     " \"management\": %s},"
			     "\"web\": {\"mac\": \"52:54:00:00:00:02\", \"addresses\": "
			     "[\"10.1.1.1/24\"]}}}",
			     gen, name, addrs, management ? "true" : "false") > 0);
	assert_int_equal(intent_load(doc, strlen(doc), &in, &errs), 0);
	errlist_done(&errs);
	return in;
}

/* "ADDRESS GENERATION" of each address on the link (on: letters, A for 169.254.3.10/16, B
 * .11, C .12) that in keeps on ifname, in order. */
static void assert_kept(const struct kept_addrs *k, const struct intent *in, const char *ifname,
			const char *on, const char *want)
{
	char got[256] = "", buf[PREFIX_STRLEN];
	const char *c;

	for (c = on; *c; c++) {
		struct ip_prefix p;

		if (*c == ' ')
			continue;
		snprintf(buf, sizeof(buf), "169.254.3.%d/16", 10 + (*c - 'A'));
		assert_int_equal(prefix_parse(buf, &p), 0);
		if (!kept_addrs_is_kept(in, ifname, &p))
			continue;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s %lld",
			 got[0] ? ", " : "", prefix_format(&p, buf),
			 (long long)kept_addrs_generation(k, ifname, &p));
	}
	assert_string_equal(got, want);
}

static void test_kept(void **state)
{
	/* A .10, B .11, C .12 of 169.254.3.0/16; on: what the link holds after the apply (the
	 * intent's addresses and those the agent kept) */
	static const struct {
		int gen;
		const char *name;
		bool management;
		const char *addrs;
		const char *on;
		const char *want; /* the kept ones, with their generations */
	} v[] = {
	    {1, "mgmt", true, "\"169.254.3.10/16\", \"169.254.3.11/16\"", "A B", ""},
	    /* B dropped: kept from 1 */
	    {2, "mgmt", true, "\"169.254.3.10/16\"", "A B", "169.254.3.11/16 1"},
	    /* C added and dropped: each from the last generation that listed it */
	    {3, "mgmt", true, "\"169.254.3.10/16\", \"169.254.3.12/16\"", "A B C",
	     "169.254.3.11/16 1"},
	    {4, "mgmt", true, "\"169.254.3.10/16\"", "A B C",
	     "169.254.3.11/16 1, 169.254.3.12/16 3"},
	    /* listed again: no longer kept */
	    {5, "mgmt", true, "\"169.254.3.10/16\", \"169.254.3.11/16\"", "A B C",
	     "169.254.3.12/16 3"},
	    /* the link renamed (the same MAC): the same addresses, under its new name */
	    {6, "ctl", true, "\"169.254.3.11/16\"", "A B C",
	     "169.254.3.10/16 5, 169.254.3.12/16 3"},
	    /* no longer a management interface: the plan removes what the intent lacks */
	    {7, "ctl", false, "\"169.254.3.11/16\"", "B", ""},
	    /* management again: B, listed by 7 (not a management link then), is kept from 7 */
	    {8, "ctl", true, "", "B", "169.254.3.11/16 7"},
	};
	struct kept_addrs k = {0};
	struct intent *old = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct intent *in = intent(v[i].gen, v[i].name, v[i].management, v[i].addrs);

		assert_int_equal(kept_addrs_update(&k, old, in), 0);
		assert_kept(&k, in, v[i].name, v[i].on, v[i].want);
		intent_free(old);
		old = in;
	}
	/* what a generation not seen replaced is kept, from a generation not known */
	kept_addrs_done(&k);
	{
		struct intent *in = intent(9, "ctl", true, "\"169.254.3.10/16\"");

		assert_int_equal(kept_addrs_update(&k, NULL, in), 0);
		assert_kept(&k, in, "ctl", "A B C", "169.254.3.11/16 0, 169.254.3.12/16 0");
		assert_false(kept_addrs_is_kept(NULL, "ctl", &in->ifaces[0].addrs[0]));
		intent_free(in);
	}
	intent_free(old);
	kept_addrs_done(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
