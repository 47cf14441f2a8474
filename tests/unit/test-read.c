/* SPDX-License-Identifier: MIT */
/* Table-driven tests of the intent's value readers (intent/read.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intent/read.h"
#include "lib/cleanup.h"

struct vec {
	const char *value; /* JSON text of the value */
	const char *error; /* expected message, NULL when valid */
};

/* Reads {"v": VALUE} with fn; checks the error (at "/v") or the success. */
static void run(read_fn fn, size_t out_size, bool out_is_string, const struct vec *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct errlist errs = {0};
		struct jr r = {.errs = &errs};
		struct json_t *doc = NULL;
		struct strbuf s = {0};
		void *out = calloc(1, out_size);
		int ret;

		strbuf_printf(&s, "{\"v\": %s}", v[i].value);
		assert_int_equal(jr_load(&errs, strbuf_str(&s), s.len, &doc), 0);
		ret = read_member(&r, doc, "v", true, fn, out);
		if (v[i].error) {
			if (ret != -1 || errs.n != 1)
				fail_msg("%s: expected an error, got %d", v[i].value, ret);
			assert_string_equal(errs.v[0].pointer, "/v");
			if (strcmp(errs.v[0].message, v[i].error))
				fail_msg("%s: got \"%s\"", v[i].value, errs.v[0].message);
		} else {
			if (ret != 1 || errs.n != 0)
				fail_msg("%s: expected valid, got %s", v[i].value,
					 errs.n ? errs.v[0].message : "?");
			if (out_is_string)
				free(*(char **)out);
		}
		free(out);
		strbuf_done(&s);
		jr_unref(doc);
		jr_done(&r);
		errlist_done(&errs);
	}
}

static void test_name(void **state)
{
	static const struct vec v[] = {
		{"\"web\"", NULL},
		{"\"a-0123456789abc\"", NULL},
		{"\"a0123456789abcde\"",
		 "invalid name \"a0123456789abcde\": names are 1-15 characters of a-z, 0-9 and '-', "
		 "starting with a letter"},
		{"\"Web\"", "invalid name \"Web\": names are 1-15 characters of a-z, 0-9 and '-', "
			    "starting with a letter"},
		{"\"1web\"", "invalid name \"1web\": names are 1-15 characters of a-z, 0-9 and '-', "
			     "starting with a letter"},
		{"\"\"", "invalid name \"\": names are 1-15 characters of a-z, 0-9 and '-', "
			 "starting with a letter"},
		{"7", "expected a string, got an integer"},
	};

	run(read_name, sizeof(char *), true, v, ELEMENTSOF(v));
}

static void test_iface_addr(void **state)
{
	static const struct vec v[] = {
		{"\"10.1.1.1/24\"", NULL},
		{"\"fd00:1::1/64\"", NULL},
		{"\"10.1.1.0/31\"", NULL},
		{"\"10.1.1.1\"", "\"10.1.1.1\" has no prefix length (e.g. \"10.1.1.1/24\")"},
		{"\"10.1.1.0/24\"", "\"10.1.1.0/24\" is the network or broadcast address of its prefix"},
		{"\"10.1.1.255/24\"",
		 "\"10.1.1.255/24\" is the network or broadcast address of its prefix"},
		{"\"224.0.0.1/4\"", "\"224.0.0.1/4\" is not a unicast address"},
		{"\"127.0.0.1/8\"", "\"127.0.0.1/8\" is not a unicast address"},
		{"\"0.0.0.0/0\"", "\"0.0.0.0/0\" is not a unicast address"},
		{"\"10.1.1.1/40\"", "\"10.1.1.1/40\" is not an interface address (address/length)"},
	};

	run(read_iface_addr, sizeof(struct ip_prefix), false, v, ELEMENTSOF(v));
}

static void test_prefix(void **state)
{
	static const struct vec v[] = {
		{"\"10.1.0.0/16\"", NULL},
		{"\"::/0\"", NULL},
		{"\"10.1.1.5/24\"", "prefix \"10.1.1.5/24\" has host bits set (did you mean "
				    "\"10.1.1.0/24\"?)"},
		{"\"10.1.1.0\"", "\"10.1.1.0\" has no prefix length (e.g. \"10.0.0.0/8\")"},
		{"\"10.1.1.0/x\"", "\"10.1.1.0/x\" is not an IPv4 or IPv6 prefix"},
		{"[]", "expected a string, got an array"},
	};

	run(read_prefix, sizeof(struct ip_prefix), false, v, ELEMENTSOF(v));
}

static void test_addr(void **state)
{
	static const struct vec v[] = {
		{"\"203.0.113.1\"", NULL},
		{"\"fe80::1\"", NULL},
		{"\"203.0.113.1/24\"",
		 "\"203.0.113.1/24\" is a prefix, expected an address without a length"},
		{"\"203.0.113\"", "\"203.0.113\" is not an IPv4 or IPv6 address"},
		{"null", "expected a string, got null"},
	};

	run(read_addr, sizeof(struct ip_addr), false, v, ELEMENTSOF(v));
}

static void test_port_range(void **state)
{
	static const struct vec v[] = {
		{"80", NULL},
		{"\"8000-8010\"", NULL},
		{"\"80\"", NULL},
		{"0", "0 is out of range (1-65535)"},
		{"65536", "65536 is out of range (1-65535)"},
		{"\"9000-80\"", "port range 9000-80 is reversed"},
		{"\"http\"", "\"http\" is not a port (1-65535) or a range \"first-last\""},
		{"80.5", "expected a port (1-65535) or a range \"first-last\", got a number with a "
			 "fraction or exponent"},
	};

	run(read_port_range, sizeof(struct port_range), false, v, ELEMENTSOF(v));
}

static void test_mac(void **state)
{
	static const struct vec v[] = {
		{"\"52:54:00:12:34:56\"", NULL},
		{"\"01:00:5e:00:00:01\"", "\"01:00:5e:00:00:01\" is not a unicast MAC address"},
		{"\"00:00:00:00:00:00\"", "\"00:00:00:00:00:00\" is not a unicast MAC address"},
		{"\"52:54:00:12:34\"",
		 "\"52:54:00:12:34\" is not a MAC address (like 52:54:00:12:34:56)"},
	};

	run(read_mac, 6, false, v, ELEMENTSOF(v));
}

static void test_dns_names(void **state)
{
	static const struct vec host[] = {
		{"\"r-web-1\"", NULL},
		{"\"-r\"", "\"-r\" is not a host name (1-63 letters, digits and '-', not starting or "
			   "ending with '-')"},
		{"\"r.web\"", "\"r.web\" is not a host name (1-63 letters, digits and '-', not "
			      "starting or ending with '-')"},
	};
	static const struct vec dns[] = {
		{"\"web.internal\"", NULL},
		{"\"corp.example\"", NULL},
		{"\"web..internal\"",
		 "\"web..internal\" is not a DNS name (dot-separated labels of letters, digits and "
		 "'-', at most 253 characters, no trailing dot)"},
		{"\"web.internal.\"",
		 "\"web.internal.\" is not a DNS name (dot-separated labels of letters, digits and "
		 "'-', at most 253 characters, no trailing dot)"},
	};

	run(read_hostname, sizeof(char *), true, host, ELEMENTSOF(host));
	run(read_dns_name, sizeof(char *), true, dns, ELEMENTSOF(dns));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),	   cmocka_unit_test(test_iface_addr),
		cmocka_unit_test(test_prefix),	   cmocka_unit_test(test_addr),
		cmocka_unit_test(test_port_range), cmocka_unit_test(test_mac),
		cmocka_unit_test(test_dns_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
