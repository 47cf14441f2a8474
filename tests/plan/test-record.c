/* SPDX-License-Identifier: MIT */
/* Tests of plan/backend-record.c and op_inverse(): apply, undo, write, read again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "plan-tests.h"

static const char intent_json[] =
	"{'version': 1, 'generation': 1, 'hostname': 'r2', 'interfaces': {"
	"'a': {'mac': '52:54:00:00:00:02', 'addresses': ['10.1.1.1/24'], 'mtu': 1400},"
	"'b': {'mac': '52:54:00:00:00:01', 'addresses': ['10.2.2.1/24']}},"
	"'routes': [{'to': '10.9.0.0/16', 'via': '10.1.1.9'}],"
	"'firewall': {'sets': {'s': {'type': 'ipv4', 'elements': ['192.0.2.1']}},"
	"'input': {'rules': [{'action': 'accept', 'in': 'a'}]}},"
	"'dhcp': {'a': {'ranges': [{'start': '10.1.1.100', 'end': '10.1.1.200'}]}},"
	"'vpn': {'wireguard': {'wg0': {'private_key': "
	"'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'addresses': ['10.99.0.1/24'], "
	"'peers': {}}}}}";

/* Names swapped (a cycle), stale objects of every kind, foreign ones. */
static const char state_json[] =
	"{'hostname': 'r1', 'links': ["
	"{'name': 'a', 'mac': '52:54:00:00:00:01', 'mtu': 1500, 'up': false},"
	"{'name': 'b', 'mac': '52:54:00:00:00:02', 'mtu': 1500, 'up': true},"
	"{'name': 'wg9', 'type': 'wireguard', 'up': true, 'owner': 'vrouter'}],"
	"'addresses': [{'interface': 'b', 'address': '10.1.1.1/24', 'owner': 'kernel'},"
	"{'interface': 'a', 'address': '10.3.3.1/24', 'owner': 'vrouter'},"
	"{'interface': 'wg9', 'address': '10.98.0.1/24', 'owner': 'vrouter'}],"
	"'routes': [{'to': '10.8.0.0/16', 'via': '10.3.3.8', 'interface': 'a', "
	"'owner': 'vrouter'}, {'to': '10.7.0.0/16', 'interface': 'b', 'owner': "
	"'kernel'}],"
	"'firewall': [{'kind': 'fw-rule', 'key': 'input/0', 'attrs': 'drop'},"
	"{'kind': 'fw-rule', 'key': 'input/1', 'attrs': 'accept'}],"
	"'files': [{'path': 'old.conf', 'mode': 420, 'content': 'x\\n'}]}";

static struct backend *record_with(const char *json, FILE *log)
{
	struct backend *b = backend_record_new(NULL, log);

	assert_non_null(b);
	t_observed(json, backend_record_state(b));
	return b;
}

static void plan_of(struct backend *b, const struct intent *in, struct oplist *ops)
{
	struct observed obs = {0};
	struct errlist errs = {0};

	assert_int_equal(backend_observe(b, &obs, &errs), 0);
	if (plan_build(in, &obs, "/etc/vrouter", NULL, ops, NULL, &errs) < 0) {
		errlist_print(&errs, stderr);
		fail_msg("no plan");
	}
	errlist_done(&errs);
	observed_done(&obs);
}

static void apply_all(struct backend *b, const struct oplist *ops)
{
	struct strbuf err = {0};
	size_t i;

	for (i = 0; i < ops->n; i++)
		if (backend_apply_op(b, &ops->v[i], &err) < 0)
			fail_msg("op %zu: %s", i, strbuf_str(&err));
	strbuf_done(&err);
}

/* Applying the plan gives a state against which the intent plans nothing; the inverse
 * operations, in reverse order, bring the state back exactly (as the engine undoes). */
static void test_apply_abort(void **state)
{
	struct intent *in = t_intent(intent_json);
	struct backend *b = record_with(state_json, NULL);
	struct observed before = {0};
	struct oplist ops = {0}, again = {0};
	struct strbuf err = {0};
	size_t i;

	t_observed(state_json, &before);
	plan_of(b, in, &ops);
	assert_true(ops.n > 10);
	assert_int_equal(backend_begin(b, &err), 0);
	apply_all(b, &ops);
	plan_of(b, in, &again);
	assert_int_equal(again.n, 0);
	for (i = ops.n; i-- > 0;) {
		struct op inv;

		assert_int_equal(op_inverse(&ops.v[i], &inv), 0);
		if (backend_apply_op(b, &inv, &err) < 0)
			fail_msg("undo of op %zu: %s", i, strbuf_str(&err));
		op_done(&inv);
	}
	assert_int_equal(backend_abort(b, &err), 0);
	t_assert_same_state(backend_record_state(b), &before);

	/* And once more, committed: still nothing left to do. */
	assert_int_equal(backend_begin(b, &err), 0);
	apply_all(b, &ops);
	assert_int_equal(backend_commit(b, &err), 0);
	plan_of(b, in, &again);
	assert_int_equal(again.n, 0);
	oplist_done(&ops);
	oplist_done(&again);
	strbuf_done(&err);
	observed_done(&before);
	backend_free(b);
	intent_free(in);
}

static void test_inverse(void **state)
{
	struct intent *in = t_intent(intent_json);
	struct backend *b = record_with(state_json, NULL);
	struct oplist ops = {0};
	size_t i, seen[_OP_TYPE_MAX] = {0};

	plan_of(b, in, &ops);
	for (i = 0; i < ops.n; i++) {
		struct op inv, back;

		assert_int_equal(op_inverse(&ops.v[i], &inv), 0);
		assert_int_equal(op_inverse(&inv, &back), 0);
		assert_int_equal(back.type, ops.v[i].type);
		assert_ptr_equal(back.obj, ops.v[i].obj);
		assert_ptr_equal(back.old, ops.v[i].old);
		switch (ops.v[i].type) {
		case OP_CREATE:
			assert_int_equal(inv.type, OP_DELETE);
			break;
		case OP_DELETE:
			assert_int_equal(inv.type, OP_CREATE);
			break;
		default:
			assert_int_equal(inv.type, OP_REPLACE);
			assert_ptr_equal(inv.obj, ops.v[i].old);
			break;
		}
		seen[ops.v[i].type]++;
		op_done(&inv);
		op_done(&back);
	}
	for (i = 0; i < _OP_TYPE_MAX; i++)
		assert_true(seen[i] > 0);
	oplist_done(&ops);
	backend_free(b);
	intent_free(in);
}

/* The log has one line per operation; impossible operations fail with a message. */
static void test_log_and_errors(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&text, &len);
	struct backend *b;
	struct strbuf err = {0};
	struct object *o = object_new_text(OBJ_FW_RULE, "input/0", "accept");
	struct op op = {OP_CREATE, o, NULL};

	assert_non_null(log);
	b = record_with(state_json, log);
	assert_int_equal(backend_apply_op(b, &op, &err), -EEXIST);
	assert_string_equal(strbuf_str(&err), "create fw-rule input/0: already exists");
	strbuf_truncate(&err, 0);
	op.type = OP_DELETE;
	assert_int_equal(backend_apply_op(b, &op, &err), 0);
	assert_int_equal(backend_apply_op(b, &op, &err), -ENOENT);
	assert_string_equal(strbuf_str(&err), "delete fw-rule input/0: not found");
	fclose(log);
	assert_string_equal(text, "create fw-rule input/0 accept\n"
				  "delete fw-rule input/0 accept\n"
				  "delete fw-rule input/0 accept\n");
	free(text);
	strbuf_done(&err);
	object_unref(o);
	backend_free(b);
}

/* What the backend writes, it reads back. */
static void test_write_observe(void **state)
{
	char path[] = "/tmp/vrouter-state-XXXXXX";
	int fd = mkstemp(path);
	struct backend *b = record_with(state_json, NULL), *b2;
	struct observed obs = {0};
	struct errlist errs = {0};
	struct strbuf err = {0};
	_cleanup_free_ char *want = t_state_json(backend_record_state(b)), *got = NULL;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(backend_record_write_state(b, path, &err), 0);
	b2 = backend_record_new(path, NULL);
	assert_int_equal(backend_observe(b2, &obs, &errs), 0);
	got = t_state_json(&obs);
	t_assert_text("written state", got, want);
	unlink(path);
	observed_done(&obs);
	errlist_done(&errs);
	strbuf_done(&err);
	backend_free(b);
	backend_free(b2);
}

/* 10,000 rules and 5,000 DHCP hosts: the plan is quick, and a second one is empty. */
static void test_scale(void **state)
{
	struct strbuf json = {0};
	struct backend *b = record_with("{'links': [{'name': 'eth0', 'mac': '52:54:00:00:00:01', "
					"'up': false}, {'name': 'eth1', 'mac': "
					"'52:54:00:00:00:02', 'up': false}]}",
					NULL);
	struct oplist ops = {0}, again = {0};
	struct timespec t0, t1;
	struct intent *in;
	size_t i;

	strbuf_append(&json, "{'version': 1, 'generation': 1, 'interfaces': {"
			     "'lan': {'mac': '52:54:00:00:00:01', 'addresses': ['10.1.0.1/16']},"
			     "'wan': {'mac': '52:54:00:00:00:02', 'addresses': ['203.0.113.2/24']}},"
			     "'firewall': {'forward': {'rules': [");
	for (i = 0; i < 10000; i++)
		strbuf_printf(&json,
			      "%s{'action': 'accept', 'in': 'lan', 'out': 'wan', 'protocol': "
			      "'tcp', 'ports': [%zu]}",
			      i ? "," : "", 1 + i);
	strbuf_append(&json, "]}}, 'dhcp': {'lan': {'ranges': [{'start': '10.1.200.1', "
			     "'end': '10.1.200.200'}], 'hosts': {");
	for (i = 0; i < 5000; i++)
		strbuf_printf(&json, "%s'h%zu': {'mac': '52:54:01:00:%02zx:%02zx', 'address': "
				     "'10.1.%zu.%zu'}",
			      i ? "," : "", i, i >> 8, i & 0xff, 10 + i / 200, 1 + i % 200);
	strbuf_append(&json, "}}}}");
	in = t_intent(strbuf_str(&json));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	plan_of(b, in, &ops);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	print_message("plan of %zu operations: %.1f ms of CPU\n", ops.n,
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_true(ops.n > 10000); /* a rule each, and the pool's reservations in one file */
	apply_all(b, &ops);
	plan_of(b, in, &again);
	assert_int_equal(again.n, 0);
	oplist_done(&ops);
	strbuf_done(&json);
	backend_free(b);
	intent_free(in);
}

int run_record_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_abort),
		cmocka_unit_test(test_inverse),
		cmocka_unit_test(test_log_and_errors),
		cmocka_unit_test(test_write_observe),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
