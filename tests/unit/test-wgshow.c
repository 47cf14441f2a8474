/* SPDX-License-Identifier: MIT */
/* `wg show NAME endpoints|latest-handshakes|transfer` as the agent reads it (lib/wgshow.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lib/wgshow.h"

#define K1 "k92ttIag/mxI9m6xbDpj3tafVCzPT8dKo1v9hZxpfQw="
#define K2 "34sSSa3MTgbUd4dwgig2HeWvCR9T2pzjbdqDwBG7xDA="

/* One listing alone: accepted or not, and the first peer's fields. */
static void test_lines(void **state)
{
	static const struct {
		enum wgshow_what what;
		const char *text;
		int r;
		size_t n;
		unsigned has;
		const char *endpoint;
		int64_t handshake;
		uint64_t rx, tx;
	} cases[] = {
	    {WGSHOW_ENDPOINTS, K1 "\t203.0.113.2:51821", 0, 1, WGSHOW_HAS_ENDPOINT,
	     "203.0.113.2:51821", 0, 0, 0},
	    {WGSHOW_ENDPOINTS, K1 "\t[2001:db8::9]:51820", 0, 1, WGSHOW_HAS_ENDPOINT,
	     "[2001:db8::9]:51820", 0, 0, 0},
	    {WGSHOW_ENDPOINTS, K1 "\t(none)\n" K2 "\t(none)", 0, 2, 0, "", 0, 0, 0},
	    {WGSHOW_ENDPOINTS, "", 0, 0, 0, "", 0, 0, 0}, /* no peers */
	    {WGSHOW_HANDSHAKES, K1 "\t1796582155", 0, 1, WGSHOW_HAS_HANDSHAKE, "", 1796582155, 0,
	     0},
	    {WGSHOW_HANDSHAKES, K1 "\t0", 0, 1, 0, "", 0, 0, 0}, /* never */
	    {WGSHOW_TRANSFER, K1 "\t9724\t18446744073709551615", 0, 1, WGSHOW_HAS_TRANSFER, "", 0,
	     9724, UINT64_MAX},
	    {WGSHOW_ENDPOINTS, K1 "\t203.0.113.2", -1, 0, 0, "", 0, 0, 0}, /* no port */
	    {WGSHOW_ENDPOINTS, K1 "\t203.0.113.2:65536", -1, 0, 0, "", 0, 0,
	     0}, /* port out of range */
	    {WGSHOW_ENDPOINTS, K1 "\t2001:db8::9:51820", -1, 0, 0, "", 0, 0,
	     0}, /* IPv6 without brackets */
	    {WGSHOW_ENDPOINTS, K1 "\t[203.0.113.2]:51820", -1, 0, 0, "", 0, 0,
	     0}, /* IPv4 in brackets */
	    {WGSHOW_ENDPOINTS, K1 "\thost.example:51820", -1, 0, 0, "", 0, 0,
	     0},							   /* not an address */
	    {WGSHOW_ENDPOINTS, "k92ttIag\t(none)", -1, 0, 0, "", 0, 0, 0}, /* not a key */
	    {WGSHOW_ENDPOINTS, K1 "\t(none)\tx", -1, 0, 0, "", 0, 0, 0},   /* a field too many */
	    {WGSHOW_HANDSHAKES, K1 "\t-1", -1, 0, 0, "", 0, 0, 0},	   /* negative */
	    {WGSHOW_HANDSHAKES, K1 "\t9223372036854775808", -1, 0, 0, "", 0, 0, 0}, /* past int64 */
	    {WGSHOW_HANDSHAKES, K1 "\t12x", -1, 0, 0, "", 0, 0, 0}, /* not a number */
	    {WGSHOW_TRANSFER, K1 "\t12", -1, 0, 0, "", 0, 0, 0},    /* one count */
	    {WGSHOW_TRANSFER, K1 "\t18446744073709551616\t0", -1, 0, 0, "", 0, 0,
	     0},						       /* past uint64 */
	    {WGSHOW_TRANSFER, K1 "\t1\t2\n\n", -1, 0, 0, "", 0, 0, 0}, /* an empty line */
	    {WGSHOW_TRANSFER, K1 "\t\t2", -1, 0, 0, "", 0, 0, 0},      /* an empty field */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wgshow s = {0};
		int r = wgshow_parse(&s, cases[i].what, cases[i].text, strlen(cases[i].text));

		if (cases[i].r < 0) {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(s.n_peers, 0);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(s.n_peers, cases[i].n);
		if (cases[i].n) {
			assert_string_equal(s.peers[0].public_key, K1);
			assert_int_equal(s.peers[0].has, cases[i].has);
			assert_string_equal(s.peers[0].endpoint, cases[i].endpoint);
			assert_int_equal(s.peers[0].latest_handshake, cases[i].handshake);
			assert_true(s.peers[0].rx_bytes == cases[i].rx);
			assert_true(s.peers[0].tx_bytes == cases[i].tx);
		}
		wgshow_done(&s);
	}
}

/* The three listings merged by key, in any order; a refused one changes nothing. */
static void test_merge(void **state)
{
	static const char endpoints[] = K1 "\t203.0.113.2:51821\n" K2 "\t(none)\n";
	static const char handshakes[] = K2 "\t0\n" K1 "\t1796582155";
	static const char transfer[] = K1 "\t9724\t10036\n" K2 "\t0\t148";
	static const char bad[] = K1 "\t1\t2\n" K2 "\tx\t3";
	struct wgshow s = {0};
	const struct wgshow_peer *p;

	assert_int_equal(wgshow_parse(&s, WGSHOW_ENDPOINTS, endpoints, strlen(endpoints)), 0);
	assert_int_equal(wgshow_parse(&s, WGSHOW_HANDSHAKES, handshakes, strlen(handshakes)), 0);
	assert_int_equal(wgshow_parse(&s, WGSHOW_TRANSFER, transfer, strlen(transfer)), 0);
	assert_int_equal(wgshow_parse(&s, WGSHOW_TRANSFER, bad, strlen(bad)), -EINVAL);
	assert_int_equal(s.n_peers, 2);
	p = wgshow_find(&s, K1);
	assert_non_null(p);
	assert_int_equal(p->has, WGSHOW_HAS_ENDPOINT | WGSHOW_HAS_HANDSHAKE | WGSHOW_HAS_TRANSFER);
	assert_string_equal(p->endpoint, "203.0.113.2:51821");
	assert_int_equal(p->latest_handshake, 1796582155);
	assert_true(p->rx_bytes == 9724 && p->tx_bytes == 10036);
	p = wgshow_find(&s, K2);
	assert_non_null(p);
	assert_int_equal(p->has, WGSHOW_HAS_TRANSFER);
	assert_true(p->rx_bytes == 0 && p->tx_bytes == 148);
	assert_null(wgshow_find(&s, "nope"));
	wgshow_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
