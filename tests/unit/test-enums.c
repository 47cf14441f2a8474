/* SPDX-License-Identifier: MIT */
/* Walks every string table of the model: each name maps back to its value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "intent/intent.h"
#include "lib/seal.h"
#include "plan/object.h"
#include "plan/op.h"
#include "render/render.h"

#define CHECK_TABLE(name, max)                                                                     \
	do {                                                                                       \
		unsigned _i, _named = 0;                                                           \
		for (_i = 0; _i < (max); _i++) {                                                   \
			const char *_s = name##_to_string(_i);                                     \
			if (!_s)                                                                   \
				continue;                                                          \
			_named++;                                                                  \
			assert_int_equal(name##_from_string(_s), (int)_i);                         \
		}                                                                                  \
		assert_true(_named > 0);                                                           \
		assert_true(name##_from_string("no-such-name") < 0);                               \
	} while (0)

static void test_tables(void **state)
{
	CHECK_TABLE(fw_action, _FW_ACTION_MAX);
	CHECK_TABLE(fw_policy, _FW_POLICY_MAX);
	CHECK_TABLE(fw_set_type, _FW_SET_TYPE_MAX);
	CHECK_TABLE(fw_chain_kind, _FW_CHAIN_MAX);
	CHECK_TABLE(nat_proto, _NAT_PROTO_MAX);
	CHECK_TABLE(dhcp6_mode, _DHCP6_MODE_MAX);
	CHECK_TABLE(ip_proto, 256);
	CHECK_TABLE(seal_problem, _SEAL_PROBLEM_MAX);
	assert_null(seal_problem_to_string(_SEAL_PROBLEM_MAX));
	for (unsigned i = 0; i < _SEAL_PROBLEM_MAX; i++)
		assert_string_not_equal(seal_problem_describe(i), "unknown");
	assert_null(fw_action_to_string(_FW_ACTION_MAX));
	assert_null(ip_proto_to_string(256));
}

/* Tables with names only: every value has one, and the next value none. */
static void test_name_only_tables(void **state)
{
	unsigned i;

	for (i = 0; i < _CHANGE_CLASS_MAX; i++)
		assert_non_null(change_class_to_string(i));
	for (i = 0; i < _OP_TYPE_MAX; i++)
		assert_non_null(op_type_to_string(i));
	for (i = APPLY_OK; i <= APPLY_STALE; i++)
		assert_non_null(apply_status_to_string(i));
	assert_null(apply_status_to_string(APPLY_STALE + 1));
	CHECK_TABLE(object_kind, _OBJ_KIND_MAX);
}

static void test_icmp(void **state)
{
	int families[] = {AF_INET, AF_INET6};
	unsigned f, t, named;

	for (f = 0; f < 2; f++) {
		named = 0;
		for (t = 0; t < 256; t++) {
			const char *s = icmp_type_to_string(families[f], t);

			if (!s)
				continue;
			named++;
			assert_int_equal(icmp_type_from_string(families[f], s), (int)t);
		}
		assert_true(named >= 10);
	}
	assert_int_equal(icmp_type_from_string(AF_INET, "echo-request"), 8);
	assert_int_equal(icmp_type_from_string(AF_INET6, "echo-request"), 128);
	assert_true(icmp_type_from_string(AF_INET, "nd-neighbor-solicit") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_name_only_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
