/* SPDX-License-Identifier: MIT */
/* SHA-256 against FIPS 180-4's examples, the CPU's code against the portable one, and the
 * state files' checksum line (lib/seal.h): written, read back, and every change found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/seal.h"
#include "lib/sha256.h"

static void hex_of(struct sha256 *c, char out[SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[SHA256_LEN];
	int i;

	sha256_final(c, d);
	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

static void test_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
	     "klmnopqrlmnopqrsmnopqrstnopqrstu",
	     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	};
	char hex[SHA256_HEX_LEN + 1], *million;
	size_t i;
	int portable;

	(void)state;
	for (portable = 0; portable < 2; portable++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct sha256 c;

			sha256_init(&c);
			c.portable |= portable;
			sha256_update(&c, cases[i].in, strlen(cases[i].in));
			hex_of(&c, hex);
			assert_string_equal(hex, cases[i].want);
		}
	}
	/* a million times "a", fed in pieces of 1 to 97 bytes */
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	for (portable = 0; portable < 2; portable++) {
		struct sha256 c;
		size_t off = 0, k = 1;

		sha256_init(&c);
		c.portable |= portable;
		while (off < 1000000) {
			size_t n = k < 1000000 - off ? k : 1000000 - off;

			sha256_update(&c, million + off, n);
			off += n;
			k = k % 97 + 1;
		}
		hex_of(&c, hex);
		assert_string_equal(
		    hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, cases[1].want);
	free(million);
}

/* The CPU's code (where there is one) and the portable code agree on every length. */
static void test_agree(void **state)
{
	uint8_t buf[2048], a[SHA256_LEN], b[SHA256_LEN];
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (len = 0; len <= sizeof(buf); len += len < 200 ? 1 : 37) {
		struct sha256 x, y;

		sha256_init(&x);
		sha256_init(&y);
		y.portable = true;
		sha256_update(&x, buf, len / 3);
		sha256_update(&x, buf + len / 3, len - len / 3);
		sha256_update(&y, buf, len);
		sha256_final(&x, a);
		sha256_final(&y, b);
		assert_memory_equal(a, b, SHA256_LEN);
	}
}

static enum seal_problem open_text(const char *text, size_t len, size_t *body)
{
	struct strbuf detail = {0};
	enum seal_problem p = seal_open(text, len, body, &detail);

	/* every problem says what it found */
	if (p != SEAL_OK && p != SEAL_UNSEALED)
		assert_true(detail.len > 0);
	strbuf_done(&detail);
	return p;
}

static void test_seal(void **state)
{
	static const char body[] = "{\"version\":1,\"generation\":7}\n";
	char head[SEAL_HEADER_MAX], text[256], copy[256];
	size_t n, len, off, i;
	int bit;

	(void)state;
	/* what `tail -n +2 FILE | sha256sum` and `wc -c` say of the body */
	n = seal_header(body, strlen(body), head);
	assert_string_equal(
	    head, "# vrouter-state v1 sha256 "
		  "74bd784de9a1ba4e561ca263a097d4fa45e2dc985b794553b98aaf43ccba4d3b 29\n");
	assert_int_equal(n, strlen(head));
	len = (size_t)snprintf(text, sizeof(text), "%s%s", head, body);
	assert_int_equal(open_text(text, len, &off), SEAL_OK);
	assert_int_equal(off, n);
	/* an empty body */
	n = seal_header("", 0, head);
	assert_int_equal(open_text(head, n, &off), SEAL_OK);
	assert_int_equal(off, n);
	/* every bit of every byte changed: found, never read as whole */
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, text, len);
			copy[i] ^= (char)(1 << bit);
			assert_int_not_equal(open_text(copy, len, &off), SEAL_OK);
		}
	/* cut anywhere: found */
	for (i = 0; i < len; i++)
		assert_int_not_equal(open_text(text, i, &off), SEAL_OK);
}

static void test_problems(void **state)
{
	static const char body[] = "{\"generation\":1}\n";
	static const struct {
		const char *what;
		const char *text;
		enum seal_problem want;
	} cases[] = {
	    {"an older agent's JSON", "{\"generation\":1}\n", SEAL_UNSEALED},
	    {"anything but a '#'", "vrouter-nft-records 1 x\n", SEAL_UNSEALED},
	    {"empty", "", SEAL_TRUNCATED},
	    {"another comment", "# a comment\n{}\n", SEAL_HEADER},
	    {"a later version", "# vrouter-state v2 sha256 00 1\n{", SEAL_VERSION},
	    {"no version", "# vrouter-state sha256 00 1\n{", SEAL_HEADER},
	    {"another hash", "# vrouter-state v1 md5 00 1\n{", SEAL_HEADER},
	    {"a short digest", "# vrouter-state v1 sha256 00 1\n{", SEAL_HEADER},
	    {"upper-case digest",
	     "# vrouter-state v1 sha256 "
	     "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 0\n",
	     SEAL_HEADER},
	    {"a length with a sign",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 +0\n",
	     SEAL_HEADER},
	    {"a length with a leading zero",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 00\n",
	     SEAL_HEADER},
	    {"a length past SIZE_MAX",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "
	     "99999999999999999999999\n",
	     SEAL_HEADER},
	    {"no newline",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0",
	     SEAL_HEADER},
	    {"bytes added",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0\n{}",
	     SEAL_LENGTH},
	    {"cut short",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 3\n{}",
	     SEAL_TRUNCATED},
	    {"another content",
	     "# vrouter-state v1 sha256 "
	     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 2\n{}",
	     SEAL_CHECKSUM},
	};
	char head[SEAL_HEADER_MAX];
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].what);
		assert_int_equal(open_text(cases[i].text, strlen(cases[i].text), &off),
				 cases[i].want);
		if (cases[i].want == SEAL_UNSEALED)
			assert_int_equal(off, 0);
	}
	/* the header alone of a body that is not there */
	seal_header(body, strlen(body), head);
	assert_int_equal(open_text(head, strlen(head), &off), SEAL_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_agree),
	    cmocka_unit_test(test_seal),
	    cmocka_unit_test(test_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
