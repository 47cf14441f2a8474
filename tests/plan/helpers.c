/* SPDX-License-Identifier: MIT */
/* Helpers of the plan tests, and the runner of every group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent/parse.h"
#include "lib/cleanup.h"
#include "plan-tests.h"

char *t_q(const char *s)
{
	char *c = strdup(s), *p;

	assert_non_null(c);
	for (p = c; *p; p++)
		if (*p == '\'')
			*p = '"';
	return c;
}

struct intent *t_intent(const char *text)
{
	_cleanup_free_ char *json = t_q(text);
	struct errlist errs = {0};
	struct intent *in = NULL;

	if (intent_load(json, strlen(json), &in, &errs) < 0) {
		errlist_print(&errs, stderr);
		errlist_done(&errs);
		fail_msg("invalid test intent");
	}
	errlist_done(&errs);
	return in;
}

void t_observed(const char *text, struct observed *ret)
{
	_cleanup_free_ char *json = t_q(text);
	struct errlist errs = {0};

	if (observed_from_json(json, strlen(json), ret, &errs) < 0) {
		errlist_print(&errs, stderr);
		errlist_done(&errs);
		fail_msg("invalid test state");
	}
	errlist_done(&errs);
}

char *t_plan(const char *intent, const char *observed)
{
	struct intent *in = t_intent(intent);
	struct errlist errs = {0};
	struct observed obs = {0};
	struct oplist ops = {0};
	struct strbuf out = {0};
	size_t i;

	t_observed(observed, &obs);
	if (plan_build(in, &obs, "/etc/vrouter", NULL, &ops, NULL, &errs) < 0) {
		for (i = 0; i < errs.n; i++)
			strbuf_printf(&out, "%s: %s\n", errs.v[i].pointer, errs.v[i].message);
	}
	for (i = 0; i < ops.n; i++) {
		if (ops.v[i].obj->kind == OBJ_FILE)
			continue;
		op_format(&ops.v[i], &out);
		strbuf_append(&out, "\n");
	}
	oplist_done(&ops);
	errlist_done(&errs);
	observed_done(&obs);
	intent_free(in);
	return strbuf_steal(&out);
}

char *t_state_json(const struct observed *obs)
{
	struct strbuf out = {0};

	assert_int_equal(observed_to_json(obs, &out), 0);
	return strbuf_steal(&out);
}

/* Every object of a is in b with the same attrs (and content); as many in both. */
static void assert_same_set(const char *what, const struct objset *a, const struct objset *b)
{
	const struct object *o, *p;
	size_t i;

	assert_int_equal(objset_size(a), objset_size(b));
	objset_foreach(a, i, o) {
		p = objset_get(b, o->kind, o->key);
		if (!p)
			fail_msg("%s: %s %s is gone", what, object_kind_to_string(o->kind), o->key);
		t_assert_text(o->key, p->attrs, o->attrs);
		if (o->kind == OBJ_FILE)
			assert_true(object_matches(o, p));
	}
}

void t_assert_same_state(const struct observed *a, const struct observed *b)
{
	struct objset la = {0}, lb = {0};
	size_t i;

	assert_int_equal(!a->hostname, !b->hostname);
	if (a->hostname)
		assert_string_equal(a->hostname->attrs, b->hostname->attrs);
	for (i = 0; i < a->n_links; i++)
		assert_int_equal(objset_add(&la, a->links[i]), 0);
	for (i = 0; i < b->n_links; i++)
		assert_int_equal(objset_add(&lb, b->links[i]), 0);
	assert_same_set("links", &la, &lb);
	assert_same_set("addresses", &a->addrs, &b->addrs);
	assert_same_set("routes", &a->routes, &b->routes);
	assert_same_set("firewall", &a->nft, &b->nft);
	assert_same_set("files", &a->files, &b->files);
	objset_done(&la);
	objset_done(&lb);
}

void t_assert_text(const char *what, const char *got, const char *text)
{
	_cleanup_free_ char *want = t_q(text);

	if (strcmp(got, want))
		fail_msg("%s:\n--- got:\n%s--- want:\n%s---", what, got, want);
}

int main(void)
{
	int failed = 0;

	failed += run_objset_tests();
	failed += run_observed_tests();
	failed += run_desired_tests();
	failed += run_diff_tests();
	failed += run_record_tests();
	failed += run_engine_tests();
	return failed ? 1 : 0;
}
