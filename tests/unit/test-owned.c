/* SPDX-License-Identifier: MIT */
/* The links' addresses looked up (intent_owned_addrs) answer as the scan does
 * (intent_iface_owns_addr), for every link and address of the intents given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intent/parse.h"
#include "intent/sections.h"
#include "lib/cleanup.h"

static char **paths;
static int n_paths;

static void add_addr(struct ip_addr *v, size_t *n, const struct ip_addr *a)
{
	v[(*n)++] = *a;
}

static void check_intent(const struct intent *in)
{
	struct ip_addr addrs[256];
	const char *names[64];
	struct owned_addrs owned;
	size_t n = 0, n_names = 0, i, j, hits = 0;

	for (i = 0; i < in->n_ifaces; i++) {
		names[n_names++] = in->ifaces[i].name;
		for (j = 0; j < in->ifaces[i].n_addrs && n < 250; j++)
			add_addr(addrs, &n, &in->ifaces[i].addrs[j].addr);
	}
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		names[n_names++] = in->vpn.wireguard[i].name;
		for (j = 0; j < in->vpn.wireguard[i].n_addrs && n < 250; j++)
			add_addr(addrs, &n, &in->vpn.wireguard[i].addrs[j].addr);
	}
	for (i = 0; i < in->vrrp.n_groups; i++)
		for (j = 0; j < in->vrrp.groups[i].n_vips && n < 250; j++)
			add_addr(addrs, &n, &in->vrrp.groups[i].vips[j].addr);
	names[n_names++] = "none";
	assert_int_equal(addr_parse("192.0.2.99", &addrs[n++]), 0);
	assert_int_equal(addr_parse("2001:db8::99", &addrs[n++]), 0);
	assert_int_equal(intent_owned_addrs(in, &owned), 0);
	for (i = 0; i < n_names; i++)
		for (j = 0; j < n; j++) {
			bool want = intent_iface_owns_addr(in, names[i], &addrs[j]);

			assert_int_equal(owned_addrs_has(&owned, names[i], &addrs[j]), want);
			hits += want;
		}
	assert_true(hits > 0);
	owned_addrs_done(&owned);
}

static void test_owned_as_scanned(void **state)
{
	int k;

	assert_true(n_paths > 0);
	for (k = 0; k < n_paths; k++) {
		_cleanup_free_ char *text = NULL;
		struct errlist errs = {0};
		struct intent *in = NULL;
		size_t len = 0;
		FILE *f = fopen(paths[k], "rb");

		assert_non_null(f);
		text = malloc(1 << 20);
		assert_non_null(text);
		len = fread(text, 1, 1 << 20, f);
		fclose(f);
		assert_int_equal(intent_load(text, len, &in, &errs), 0);
		check_intent(in);
		intent_free(in);
		errlist_done(&errs);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owned_as_scanned),
	};

	paths = argv + 1;
	n_paths = argc - 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
