/* SPDX-License-Identifier: MIT */
/* Table-driven tests of strongSwan proposal checking and WireGuard key coding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "intent/base64.h"
#include "intent/proposal.h"
#include "lib/cleanup.h"

static void test_proposals(void **state)
{
	static const struct {
		const char *s;
		enum proposal_kind kind;
		const char *error; /* NULL: valid */
	} v[] = {
		{"aes256gcm16-prfsha256-ecp256", PROPOSAL_IKE, NULL},
		{"aes256-sha256-modp2048", PROPOSAL_IKE, NULL},
		{"chacha20poly1305-prfsha384-curve25519", PROPOSAL_IKE, NULL},
		{"aes256gcm16-ecp256", PROPOSAL_ESP, NULL},
		{"aes128-sha256-esn", PROPOSAL_ESP, NULL},
		{"aes256gcm16", PROPOSAL_ESP, NULL},
		{"aes257-sha256-modp2048", PROPOSAL_IKE,
		 "unknown algorithm \"aes257\" in proposal \"aes257-sha256-modp2048\""},
		{"aes256-modp2048", PROPOSAL_IKE, "proposal \"aes256-modp2048\" has no integrity "
						  "algorithm (non-AEAD encryption aes256 needs one, "
						  "e.g. sha256)"},
		{"aes256-sha256", PROPOSAL_IKE,
		 "proposal \"aes256-sha256\" has no DH group (e.g. ecp256 or curve25519)"},
		{"aes256gcm16-sha256", PROPOSAL_ESP,
		 "proposal \"aes256gcm16-sha256\" combines AEAD encryption aes256gcm16 with "
		 "integrity algorithm sha256"},
		{"sha256-modp2048", PROPOSAL_IKE,
		 "proposal \"sha256-modp2048\" has no encryption algorithm"},
		{"aes256-prfsha256-sha256", PROPOSAL_ESP,
		 "prf \"prfsha256\" in proposal \"aes256-prfsha256-sha256\": a prf belongs in "
		 "ike_proposals"},
		{"aes256-sha256--modp2048", PROPOSAL_IKE,
		 "empty algorithm name in proposal \"aes256-sha256--modp2048\""},
		{"", PROPOSAL_ESP, "empty proposal"},
		{"null-sha256", PROPOSAL_ESP,
		 "unknown algorithm \"null\" in proposal \"null-sha256\""},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct strbuf err = {0};
		int r = proposal_check(v[i].s, v[i].kind, &err);

		if (!v[i].error) {
			if (r != 0)
				fail_msg("%s: %s", v[i].s, strbuf_str(&err));
		} else {
			assert_int_equal(r, -EINVAL);
			if (strcmp(strbuf_str(&err), v[i].error))
				fail_msg("%s: got \"%s\"", v[i].s, strbuf_str(&err));
		}
		strbuf_done(&err);
	}
}

static void test_key_round_trip(void **state)
{
	uint8_t key[BASE64_KEY_LEN], back[BASE64_KEY_LEN];
	char text[BASE64_KEY_STRLEN + 1];
	unsigned seed, i;

	for (seed = 0; seed < 256; seed++) {
		for (i = 0; i < BASE64_KEY_LEN; i++)
			key[i] = (uint8_t)(seed * 31 + i * 7 + (seed >> 3) * i);
		base64_key_encode(key, text);
		assert_int_equal(strlen(text), BASE64_KEY_STRLEN);
		assert_int_equal(text[43], '=');
		assert_int_equal(base64_key_decode(text, back), 0);
		assert_memory_equal(key, back, BASE64_KEY_LEN);
	}
}

static void test_key_decode(void **state)
{
	static const struct {
		const char *s;
		int ret;
	} v[] = {
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", 0},
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBml=", -EINVAL}, /* low bits set */
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk", -EINVAL},  /* no padding */
		{"yAnz5TF-lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=", -EINVAL}, /* url alphabet */
		{"yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk==", -EINVAL},
		{"", -EINVAL},
	};
	uint8_t key[BASE64_KEY_LEN];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++)
		if (base64_key_decode(v[i].s, key) != v[i].ret)
			fail_msg("%s: expected %d", v[i].s, v[i].ret);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proposals),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_key_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
