/* SPDX-License-Identifier: MIT */
/*
 * Sections shared by reference count (intent_load_tree_from): an intent read against another
 * holds references to the sections whose values it shares, outlives the other's free with
 * them, and makes the same desired objects and service files as a whole reading; a changed
 * member is read anew. Under ASan and valgrind a section freed too early or never is an error.
 * The intent is the file given (a router with routes, firewall, NAT and DHCP).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "intent/parse.h"
#include "lib/jread.h"
#include "plan/desired.h"
#include "render/render.h"

static const char *path;

static json_t *load_tree(void)
{
	struct errlist errs = {0};
	json_t *root = NULL;
	FILE *f = fopen(path, "r");
	char buf[1 << 16];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(jr_load(&errs, buf, n, &root), 0);
	errlist_done(&errs);
	return root;
}

/* A copy of root whose members are root's own values but for `fresh`, deep-copied. */
static json_t *copy_but(json_t *root, const char *fresh)
{
	json_t *copy = json_object(), *v;
	const char *key;

	json_object_foreach(root, key, v) {
		json_t *w = fresh && !strcmp(key, fresh) ? json_deep_copy(v) : json_incref(v);

		assert_int_equal(json_object_set_new(copy, key, w), 0);
	}
	return copy;
}

/* a and b make the same desired objects (pointers included) and the same service files. */
static void assert_same_result(const struct intent *a, const struct intent *b)
{
	struct rendered fa = {0}, fb = {0};
	struct objset sa = {0}, sb = {0};
	struct errlist errs = {0};
	struct object *o;
	size_t i;

	assert_int_equal(render_services(a, "/etc/vrouter", &fa), 0);
	assert_int_equal(render_services(b, "/etc/vrouter", &fb), 0);
	assert_int_equal(fa.n, fb.n);
	assert_true(fa.n > 0);
	for (i = 0; i < fa.n; i++) {
		assert_string_equal(fa.files[i].path, fb.files[i].path);
		assert_string_equal(fa.files[i].content, fb.files[i].content);
	}
	assert_int_equal(desired_build(a, &fa, NULL, &sa, &errs), 0);
	assert_int_equal(desired_build(b, &fb, NULL, &sb, &errs), 0);
	assert_int_equal(objset_size(&sa), objset_size(&sb));
	objset_foreach(&sa, i, o) {
		const struct object *twin = objset_get(&sb, o->kind, o->key);

		assert_non_null(twin);
		assert_true(object_matches(o, twin));
		assert_string_equal(o->ptr ? o->ptr : "", twin->ptr ? twin->ptr : "");
	}
	objset_done(&sa);
	objset_done(&sb);
	rendered_done(&fa);
	rendered_done(&fb);
	errlist_done(&errs);
}

/* Every shareable member unchanged: the second intent holds the first's sections, and keeps
 * them when the first is freed. */
static void test_shared_outlive_first(void **state)
{
	struct errlist errs = {0};
	struct intent *first = NULL, *second = NULL, *whole = NULL;
	json_t *root = load_tree(), *copy = copy_but(root, NULL);

	assert_int_equal(intent_load_tree(root, &first, &errs), 0);
	assert_int_equal(intent_load_tree_from(copy, root, first, &second, &errs), 0);
	assert_int_equal(intent_load_tree(root, &whole, &errs), 0);
	assert_true(first->routes->n > 0 && first->firewall->present && first->nat->present &&
		    first->dhcp->n > 0);
	assert_ptr_equal(second->routes, first->routes);
	assert_ptr_equal(second->firewall, first->firewall);
	assert_ptr_equal(second->nat, first->nat);
	assert_ptr_equal(second->dhcp, first->dhcp);
	assert_int_equal(first->firewall->refs, 2);
	assert_int_equal(first->nat->refs, 2);
	assert_ptr_not_equal(whole->firewall, first->firewall);

	intent_free(first);
	assert_int_equal(second->routes->refs, 1);
	assert_int_equal(second->firewall->refs, 1);
	assert_int_equal(second->nat->refs, 1);
	assert_int_equal(second->dhcp->refs, 1);
	assert_same_result(whole, second);

	intent_free(second);
	intent_free(whole);
	json_decref(copy);
	json_decref(root);
	errlist_done(&errs);
}

/* A changed member is read again; the others are still shared. */
static void test_changed_member_read(void **state)
{
	struct errlist errs = {0};
	struct intent *first = NULL, *second = NULL;
	json_t *root = load_tree(), *copy = copy_but(root, "nat");

	assert_int_equal(intent_load_tree(root, &first, &errs), 0);
	assert_int_equal(intent_load_tree_from(copy, root, first, &second, &errs), 0);
	assert_ptr_not_equal(second->nat, first->nat);
	assert_int_equal(first->nat->refs, 1);
	assert_int_equal(second->nat->refs, 1);
	assert_ptr_equal(second->firewall, first->firewall);
	assert_int_equal(first->firewall->refs, 2);
	intent_free(second);
	assert_int_equal(first->firewall->refs, 1);
	intent_free(first);
	json_decref(copy);
	json_decref(root);
	errlist_done(&errs);
}

/* A holder other than an intent (a later layer's cache) keeps a section alive on its own. */
static void test_reference_outlives_intents(void **state)
{
	struct errlist errs = {0};
	struct intent *in = NULL;
	struct firewall *fw;
	struct nat *nat;
	size_t n_rules, n_dest;
	json_t *root = load_tree();

	assert_int_equal(intent_load_tree(root, &in, &errs), 0);
	fw = firewall_ref(in->firewall);
	nat = nat_ref(in->nat);
	n_rules = fw->chains[FW_FORWARD].n_rules;
	n_dest = nat->n_destination;
	assert_true(n_rules > 0 && n_dest > 0);
	intent_free(in);
	assert_int_equal(fw->refs, 1);
	assert_int_equal(fw->chains[FW_FORWARD].n_rules, n_rules);
	assert_non_null(fw->chains[FW_FORWARD].rules[n_rules - 1].ptr);
	assert_int_equal(nat->n_destination, n_dest);
	assert_non_null(nat->destination[n_dest - 1].ptr);
	assert_null(firewall_unref(fw));
	assert_null(nat_unref(nat));
	assert_null(firewall_unref(NULL));
	json_decref(root);
	errlist_done(&errs);
}

/* A section the document does not have is there, empty, and not shared. */
static void test_absent_sections(void **state)
{
	static const char doc[] =
		"{\"version\": 1, \"generation\": 1, \"interfaces\": {\"lan\": "
		"{\"mac\": \"52:54:00:00:00:01\", \"addresses\": [\"192.0.2.1/24\"]}}}";
	struct errlist errs = {0};
	struct intent *a = NULL, *b = NULL;
	json_t *root = NULL;

	assert_int_equal(jr_load(&errs, doc, strlen(doc), &root), 0);
	assert_int_equal(intent_load_tree(root, &a, &errs), 0);
	assert_int_equal(intent_load_tree_from(root, root, a, &b, &errs), 0);
	assert_true(a->routes && a->firewall && a->nat && a->dhcp);
	assert_false(a->firewall->present || a->nat->present);
	assert_int_equal(a->routes->n + a->dhcp->n, 0);
	assert_ptr_not_equal(a->firewall, b->firewall);
	assert_int_equal(a->firewall->refs, 1);
	intent_free(a);
	intent_free(b);
	json_decref(root);
	errlist_done(&errs);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_outlive_first),
		cmocka_unit_test(test_changed_member_read),
		cmocka_unit_test(test_reference_outlives_intents),
		cmocka_unit_test(test_absent_sections),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s INTENT.json\n", argv[0]);
		return 2;
	}
	path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
