/* SPDX-License-Identifier: MIT */
/* Helpers of the plan tests, and the runner of every group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intent/parse.h"
#include "plan-tests.h"

struct intent *t_intent(const char *json)
{
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

void t_observed(const char *json, struct observed *ret)
{
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
	if (plan_build(in, &obs, "/etc/vrouter", &ops, &errs) < 0) {
		for (i = 0; i < errs.n; i++)
			strbuf_printf(&out, "%s: %s\n", errs.v[i].pointer, errs.v[i].message);
	}
	for (i = 0; i < ops.n; i++) {
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

void t_assert_text(const char *what, const char *got, const char *want)
{
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
	return failed ? 1 : 0;
}
