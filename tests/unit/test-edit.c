/* SPDX-License-Identifier: MIT */
/* `vrouterctl edit`'s JSON (proto/proto-edit.c): the text to edit, and the persisted intent
 * recognised as the one show answered. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proto.h"

/* A persisted intent as the agent writes it (compact, document order), with every kind of
 * secret, and a DNS name "psk" that is not one. */
#define PERSISTED                                                                                  \
	"{\"version\":1,\"generation\":7,\"hostname\":\"r1\",\"dns\":{\"records\":{\"psk\":"       \
	"\"10.0.0.1\"}},\"vpn\":{\"ipsec\":{\"t1\":{\"psk\":\"correct-horse-battery\"}},"          \
	"\"wireguard\":{\"wg0\":{\"private_key\":\"K1\",\"peers\":{\"p\":{\"preshared_key\":"      \
	"\"K2\",\"public_key\":\"P\"}}}}}}"

static void test_text(void **state)
{
	static const char want[] = "{\n"
				   "  \"version\": 1,\n"
				   "  \"generation\": 8,\n"
				   "  \"hostname\": \"r1\",\n"
				   "  \"dns\": {\n"
				   "    \"records\": {\n"
				   "      \"psk\": \"10.0.0.1\"\n"
				   "    }\n"
				   "  },\n"
				   "  \"vpn\": {\n"
				   "    \"ipsec\": {\n"
				   "      \"t1\": {\n"
				   "        \"psk\": \"correct-horse-battery\"\n"
				   "      }\n"
				   "    },\n"
				   "    \"wireguard\": {\n"
				   "      \"wg0\": {\n"
				   "        \"private_key\": \"K1\",\n"
				   "        \"peers\": {\n"
				   "          \"p\": {\n"
				   "            \"preshared_key\": \"K2\",\n"
				   "            \"public_key\": \"P\"\n"
				   "          }\n"
				   "        }\n"
				   "      }\n"
				   "    }\n"
				   "  }\n"
				   "}\n";
	char *text = NULL;
	size_t len = 0;
	int64_t next = 0;

	/* The next generation in its place, the secrets as they are, a final newline. */
	assert_int_equal(proto_edit_text(PERSISTED, strlen(PERSISTED), &text, &len, &next), 0);
	assert_int_equal(next, 8);
	assert_int_equal(len, strlen(want));
	assert_string_equal(text, want);
	free(text);
}

static void test_text_refused(void **state)
{
	static const struct {
		const char *doc;
		int r;
	} cases[] = {
	    {"[1]", -EINVAL},
	    {"{\"version\":1}", -EINVAL},
	    {"{\"generation\":\"7\"}", -EINVAL},
	    {"{\"generation\":0}", -EINVAL},
	    {"{\"generation\":7,\"generation\":8}", -EINVAL},
	    {"{\"generation\":7", -EINVAL},
	    {"{\"generation\":9223372036854775807}", -ERANGE},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = (char *)"unchanged";
		size_t len = 99;
		int64_t next = 99;

		assert_int_equal(
		    proto_edit_text(cases[i].doc, strlen(cases[i].doc), &text, &len, &next),
		    cases[i].r);
		/* Output parameters are written only on success. */
		assert_string_equal(text, "unchanged");
		assert_int_equal(len, 99);
		assert_int_equal(next, 99);
	}
}

static void test_is_shown(void **state)
{
	/* show's intent: pretty-printed, the secrets redacted, the DNS name "psk" not. */
	static const char shown[] =
	    "{\"version\": 1, \"generation\": 7, \"hostname\": \"r1\",\n"
	    " \"dns\": {\"records\": {\"psk\": \"10.0.0.1\"}},\n"
	    " \"vpn\": {\"ipsec\": {\"t1\": {\"psk\": \"<redacted>\"}}, \"wireguard\": {\"wg0\": "
	    "{\"private_key\": \"<redacted>\", \"peers\": {\"p\": {\"preshared_key\": "
	    "\"<redacted>\", \"public_key\": \"P\"}}}}}}";
	static const struct {
		const char *doc;
		bool want;
	} cases[] = {
	    {PERSISTED, true},
	    /* Another generation, another value elsewhere: another intent. */
	    {"{\"version\":1,\"generation\":6,\"hostname\":\"r1\",\"dns\":{\"records\":{\"psk\":"
	     "\"10.0.0.1\"}},\"vpn\":{\"ipsec\":{\"t1\":{\"psk\":\"x\"}},\"wireguard\":{\"wg0\":{"
	     "\"private_key\":\"K1\",\"peers\":{\"p\":{\"preshared_key\":\"K2\",\"public_key\":"
	     "\"P\"}}}}}}",
	     false},
	    {"{\"version\":1,\"generation\":7,\"hostname\":\"r2\",\"dns\":{\"records\":{\"psk\":"
	     "\"10.0.0.1\"}},\"vpn\":{\"ipsec\":{\"t1\":{\"psk\":\"x\"}},\"wireguard\":{\"wg0\":{"
	     "\"private_key\":\"K1\",\"peers\":{\"p\":{\"preshared_key\":\"K2\",\"public_key\":"
	     "\"P\"}}}}}}",
	     false},
	    /* A peer without its preshared key: show would not have shown one. */
	    {"{\"version\":1,\"generation\":7,\"hostname\":\"r1\",\"dns\":{\"records\":{\"psk\":"
	     "\"10.0.0.1\"}},\"vpn\":{\"ipsec\":{\"t1\":{\"psk\":\"x\"}},\"wireguard\":{\"wg0\":{"
	     "\"private_key\":\"K1\",\"peers\":{\"p\":{\"public_key\":\"P\"}}}}}}",
	     false},
	    {"not JSON", false},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(proto_edit_is_shown(cases[i].doc, strlen(cases[i].doc), shown),
				 cases[i].want);
	assert_false(proto_edit_is_shown(PERSISTED, strlen(PERSISTED), "null"));
	assert_false(proto_edit_is_shown(PERSISTED, strlen(PERSISTED), "{"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_text_refused),
	    cmocka_unit_test(test_is_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
