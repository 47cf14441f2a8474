/* SPDX-License-Identifier: MIT */
/* Table-driven tests of lib/addr.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/addr.h"
#include "lib/cleanup.h"

static void test_addr_parse(void **state)
{
	static const struct {
		const char *in;
		int ret;
		const char *out; /* canonical form */
	} v[] = {
		{"10.1.1.1", 0, "10.1.1.1"},
		{"0.0.0.0", 0, "0.0.0.0"},
		{"fd00::1", 0, "fd00::1"},
		{"FD00:0::1", 0, "fd00::1"},
		{"::ffff:1.2.3.4", 0, "::ffff:1.2.3.4"},
		{"10.1.1", -EINVAL, NULL},
		{"10.1.1.256", -EINVAL, NULL},
		{"010.1.1.1", -EINVAL, NULL},
		{" 10.1.1.1", -EINVAL, NULL},
		{"10.1.1.1/24", -EINVAL, NULL},
		{"fd00:::1", -EINVAL, NULL},
		{"", -EINVAL, NULL},
		{"hello", -EINVAL, NULL},
	};
	char buf[ADDR_STRLEN];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct ip_addr a;

		assert_int_equal(addr_parse(v[i].in, &a), v[i].ret);
		if (v[i].out)
			assert_string_equal(addr_format(&a, buf), v[i].out);
	}
}

static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in;
		int ret;
		bool host_bits;
		const char *network;
	} v[] = {
		{"10.1.1.0/24", 0, false, "10.1.1.0/24"},
		{"10.1.1.1/24", 0, true, "10.1.1.0/24"},
		{"0.0.0.0/0", 0, false, "0.0.0.0/0"},
		{"10.0.0.1/32", 0, false, "10.0.0.1/32"},
		{"fd00:1::1/64", 0, true, "fd00:1::/64"},
		{"::/0", 0, false, "::/0"},
		{"10.1.1.0/33", -EINVAL, false, NULL},
		{"fd00::/129", -EINVAL, false, NULL},
		{"10.1.1.0/", -EINVAL, false, NULL},
		{"10.1.1.0/024", -EINVAL, false, NULL},
		{"10.1.1.0/+8", -EINVAL, false, NULL},
		{"10.1.1.0", -EINVAL, false, NULL},
		{"10.1.1.0/8/8", -EINVAL, false, NULL},
	};
	char buf[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct ip_prefix p, n;

		assert_int_equal(prefix_parse(v[i].in, &p), v[i].ret);
		if (v[i].ret)
			continue;
		assert_int_equal(prefix_has_host_bits(&p), v[i].host_bits);
		n = prefix_network(&p);
		assert_string_equal(prefix_format(&n, buf), v[i].network);
	}
}

static void test_prefix_or_host(void **state)
{
	char buf[PREFIX_STRLEN];
	struct ip_prefix p;

	assert_int_equal(prefix_parse_or_host("192.0.2.7", &p), 0);
	assert_string_equal(prefix_format(&p, buf), "192.0.2.7/32");
	assert_int_equal(prefix_parse_or_host("fd00::8", &p), 0);
	assert_string_equal(prefix_format(&p, buf), "fd00::8/128");
	assert_int_equal(prefix_parse_or_host("198.51.100.0/24", &p), 0);
	assert_int_equal(p.len, 24);
}

static void test_contains_overlaps(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlap;
	} v[] = {
		{"10.0.0.0/8", "10.1.0.0/16", true},
		{"10.1.0.0/16", "10.0.0.0/8", true},
		{"10.1.1.0/24", "10.1.2.0/24", false},
		{"10.1.1.1/24", "10.1.1.200/24", true},
		{"0.0.0.0/0", "192.0.2.0/24", true},
		{"10.0.0.0/8", "fd00::/8", false},
		{"fd00:1::/64", "fd00:1::/48", true},
		{"fd00:1::/64", "fd00:2::/64", false},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct ip_prefix a, b;

		assert_int_equal(prefix_parse(v[i].a, &a), 0);
		assert_int_equal(prefix_parse(v[i].b, &b), 0);
		assert_int_equal(prefix_overlaps(&a, &b), v[i].overlap);
	}
}

static void test_network_broadcast(void **state)
{
	static const struct {
		const char *in;
		bool nb;
	} v[] = {
		{"10.1.1.0/24", true},	{"10.1.1.255/24", true}, {"10.1.1.1/24", false},
		{"10.1.1.0/31", false}, {"10.1.1.1/32", false},	 {"fd00::/64", false},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct ip_prefix p;

		assert_int_equal(prefix_parse(v[i].in, &p), 0);
		assert_int_equal(prefix_is_network_or_broadcast(&p), v[i].nb);
	}
}

static void test_mac(void **state)
{
	static const struct {
		const char *in;
		int ret;
		const char *out;
	} v[] = {
		{"52:54:00:12:34:56", 0, "52:54:00:12:34:56"},
		{"52:54:00:AB:cd:EF", 0, "52:54:00:ab:cd:ef"},
		{"52:54:00:12:34", -EINVAL, NULL},
		{"52-54-00-12-34-56", -EINVAL, NULL},
		{"52:54:00:12:34:5g", -EINVAL, NULL},
		{"52:54:00:12:34:567", -EINVAL, NULL},
	};
	char buf[MAC_STRLEN];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		uint8_t m[6];

		assert_int_equal(mac_parse(v[i].in, m), v[i].ret);
		if (v[i].out)
			assert_string_equal(mac_format(m, buf), v[i].out);
	}
}

static void test_port_range(void **state)
{
	static const struct {
		const char *in;
		int ret;
		unsigned first, last;
	} v[] = {
		{"80", 0, 80, 80},
		{"8000-8010", 0, 8000, 8010},
		{"1-65535", 0, 1, 65535},
		{"9000-80", -ERANGE, 0, 0},
		{"0", -EINVAL, 0, 0},
		{"65536", -EINVAL, 0, 0},
		{"080", -EINVAL, 0, 0},
		{"80-", -EINVAL, 0, 0},
		{"-80", -EINVAL, 0, 0},
		{"80-90-100", -EINVAL, 0, 0},
		{"", -EINVAL, 0, 0},
		{"http", -EINVAL, 0, 0},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct port_range r;

		assert_int_equal(port_range_parse(v[i].in, &r), v[i].ret);
		if (v[i].ret == 0) {
			assert_int_equal(r.first, v[i].first);
			assert_int_equal(r.last, v[i].last);
			assert_int_equal(port_range_len(&r), v[i].last - v[i].first + 1);
		}
	}
}

/* addr_format writes what inet_ntop writes: every zero-run shape of IPv6 (each word zero or
 * not: all 256 patterns, with small and large values), IPv4-mapped and -compatible forms,
 * and random addresses of both families. */
static void check_like_inet_ntop(const struct ip_addr *a)
{
	char want[ADDR_STRLEN], got[ADDR_STRLEN];

	assert_non_null(inet_ntop(a->family, a->bytes, want, sizeof(want)));
	assert_string_equal(addr_format(a, got), want);
}

static void test_format_like_inet_ntop(void **state)
{
	struct ip_addr a = {.family = AF_INET6};
	unsigned mask, i, j;

	(void)state;
	srand(5952);
	for (mask = 0; mask < 256; mask++)
		for (j = 0; j < 3; j++) {
			for (i = 0; i < 8; i++) {
				unsigned w = mask >> i & 1 ? (j == 0 ? 1 : j == 1 ? 0xabc : 0xffff) : 0;

				a.bytes[2 * i] = (uint8_t)(w >> 8);
				a.bytes[2 * i + 1] = (uint8_t)w;
			}
			check_like_inet_ntop(&a);
		}
	memset(a.bytes, 0, 16);
	a.bytes[10] = a.bytes[11] = 0xff; /* ::ffff:0.0.0.0 */
	check_like_inet_ntop(&a);
	a.bytes[12] = 192, a.bytes[15] = 1;
	check_like_inet_ntop(&a);
	a.bytes[10] = a.bytes[11] = 0; /* ::192.0.0.1 */
	check_like_inet_ntop(&a);
	for (j = 0; j < 20000; j++) {
		a.family = j % 2 ? AF_INET6 : AF_INET;
		for (i = 0; i < 16; i++)
			a.bytes[i] = (uint8_t)(rand() % 4 ? 0 : rand());
		check_like_inet_ntop(&a);
	}
}

static void test_prefix_format(void **state)
{
	struct ip_prefix p;
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(prefix_parse("2001:db8::/32", &p), 0);
	assert_string_equal(prefix_format(&p, buf), "2001:db8::/32");
	assert_int_equal(prefix_parse("10.0.0.0/8", &p), 0);
	assert_string_equal(prefix_format(&p, buf), "10.0.0.0/8");
	assert_string_equal(prefix_format_short(&p, buf), "10.0.0.0/8");
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_string_equal(prefix_format(&p, buf), "0.0.0.0/0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),	  cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_or_host),	  cmocka_unit_test(test_contains_overlaps),
		cmocka_unit_test(test_network_broadcast), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_format_like_inet_ntop), cmocka_unit_test(test_prefix_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
