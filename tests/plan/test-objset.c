/* SPDX-License-Identifier: MIT */
/* Tests of plan/object.c, plan/objset.c and the string tables of plan/op.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "plan-tests.h"

static struct object *text_obj(enum object_kind kind, const char *key, const char *attrs)
{
	struct object *o = object_new_text(kind, key, attrs);

	assert_non_null(o);
	return o;
}

static void test_kind_tables(void **state)
{
	int k;

	for (k = 0; k < _OBJ_KIND_MAX; k++) {
		const char *s = object_kind_to_string((enum object_kind)k);

		assert_non_null(s);
		assert_int_equal(object_kind_from_string(s), k);
	}
	assert_null(object_kind_to_string(_OBJ_KIND_MAX));
	assert_int_equal(object_kind_from_string("rule"), -EINVAL);
	for (k = 0; k < _OP_TYPE_MAX; k++)
		assert_non_null(op_type_to_string((enum op_type)k));
	assert_null(op_type_to_string(_OP_TYPE_MAX));
}

static void test_objset_basic(void **state)
{
	struct objset s = {0}, c = {0};
	struct object *a = text_obj(OBJ_FW_RULE, "input/0", "accept");
	struct object *b = text_obj(OBJ_FW_RULE, "input/1", "drop");
	struct object *a2 = text_obj(OBJ_FW_RULE, "input/0", "drop");
	struct object *chain = text_obj(OBJ_FW_CHAIN, "input/0", "policy=drop");
	struct object *o;
	size_t i, n = 0;

	assert_null(objset_get(&s, OBJ_FW_RULE, "input/0"));
	assert_int_equal(objset_remove(&s, OBJ_FW_RULE, "input/0"), -ENOENT);
	assert_int_equal(objset_add(&s, a), 0);
	assert_int_equal(objset_add(&s, b), 0);
	assert_int_equal(objset_add(&s, a2), -EEXIST);
	/* The kind is part of the identity. */
	assert_int_equal(objset_add(&s, chain), 0);
	assert_ptr_equal(objset_get(&s, OBJ_FW_RULE, "input/0"), a);
	assert_ptr_equal(objset_get(&s, OBJ_FW_CHAIN, "input/0"), chain);
	assert_int_equal(objset_size(&s), 3);

	/* put replaces in place: the order stays. */
	assert_int_equal(objset_put(&s, a2), 0);
	assert_ptr_equal(objset_get(&s, OBJ_FW_RULE, "input/0"), a2);
	assert_int_equal(objset_copy(&s, &c), 0);
	assert_int_equal(objset_remove(&s, OBJ_FW_RULE, "input/1"), 0);
	assert_null(objset_get(&s, OBJ_FW_RULE, "input/1"));
	assert_int_equal(objset_size(&s), 2);
	objset_foreach(&c, i, o) {
		static const char *const want[] = {"drop", "drop", "policy=drop"};

		assert_string_equal(o->attrs, want[n++]);
	}
	assert_int_equal(n, 3);
	objset_done(&s);
	objset_done(&c);
	object_unref(a);
	object_unref(b);
	object_unref(a2);
	object_unref(chain);
}

/* Many objects, removed and added again: look-ups stay right and the order is kept. */
static void test_objset_many(void **state)
{
	enum { N = 50000 };
	struct objset s = {0}, c;
	struct object *o;
	char key[32];
	size_t i, n = 0;

	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "set %zu", i);
		o = text_obj(OBJ_FW_ELEMENT, key, "");
		assert_int_equal(objset_add(&s, o), 0);
		object_unref(o);
	}
	for (i = 0; i < N; i += 2) {
		snprintf(key, sizeof(key), "set %zu", i);
		assert_int_equal(objset_remove(&s, OBJ_FW_ELEMENT, key), 0);
	}
	for (i = 0; i < N; i += 4) {
		snprintf(key, sizeof(key), "set %zu", i);
		o = text_obj(OBJ_FW_ELEMENT, key, "again");
		assert_int_equal(objset_add(&s, o), 0);
		object_unref(o);
	}
	assert_int_equal(objset_size(&s), N / 2 + N / 4);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "set %zu", i);
		o = objset_get(&s, OBJ_FW_ELEMENT, key);
		if (i % 4 == 0)
			assert_string_equal(o->attrs, "again");
		else if (i % 2 == 0)
			assert_null(o);
		else
			assert_string_equal(o->attrs, "");
	}
	/* The odd ones first, in order, then the re-added ones. */
	objset_foreach(&s, i, o) {
		unsigned long v = strtoul(o->key + 4, NULL, 10);

		if (n < N / 2)
			assert_int_equal(v, 2 * n + 1);
		else
			assert_int_equal(v, (n - N / 2) * 4);
		n++;
	}
	/* A copy (removed places and all) answers the same, and goes its own way. */
	assert_int_equal(objset_copy(&s, &c), 0);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "set %zu", i);
		assert_ptr_equal(objset_get(&c, OBJ_FW_ELEMENT, key),
				 objset_get(&s, OBJ_FW_ELEMENT, key));
	}
	o = text_obj(OBJ_FW_ELEMENT, "set 2", "copy");
	assert_int_equal(objset_add(&c, o), 0);
	object_unref(o);
	assert_int_equal(objset_remove(&c, OBJ_FW_ELEMENT, "set 1"), 0);
	assert_null(objset_get(&s, OBJ_FW_ELEMENT, "set 2"));
	assert_non_null(objset_get(&s, OBJ_FW_ELEMENT, "set 1"));
	assert_string_equal(objset_get(&c, OBJ_FW_ELEMENT, "set 2")->attrs, "copy");
	assert_int_equal(objset_size(&c), objset_size(&s));
	objset_done(&c);
	objset_done(&s);
}

/* Room made first: the adds grow nothing. A copy of twins: the same keys, other objects, found
 * by the copied index. */
static void test_objset_reserve_twins(void **state)
{
	enum { N = 1000 };
	struct objset s = {0}, c = {0};
	struct object *o, **v, *twin;
	struct objset_slot *index;
	char key[32];
	size_t i;

	o = text_obj(OBJ_FW_RULE, "first", "");
	assert_int_equal(objset_add(&s, o), 0);
	object_unref(o);
	assert_int_equal(objset_reserve(&s, N), 0);
	v = s.v;
	index = s.index;
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "input/%zu", i);
		o = text_obj(OBJ_FW_RULE, key, "accept");
		assert_int_equal(object_set_ptr(o, "/firewall/input/rules/0"), 0);
		assert_int_equal(objset_add(&s, o), 0);
		object_unref(o);
	}
	assert_ptr_equal(s.v, v);
	assert_ptr_equal(s.index, index);
	assert_int_equal(objset_remove(&s, OBJ_FW_RULE, "first"), 0);

	assert_int_equal(objset_copy_as(&s, object_as_observed, &c), 0);
	assert_int_equal(objset_size(&c), N);
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "input/%zu", i);
		o = objset_get(&s, OBJ_FW_RULE, key);
		twin = objset_get(&c, OBJ_FW_RULE, key);
		assert_non_null(twin);
		assert_ptr_not_equal(twin, o);
		assert_ptr_equal(twin, o->observed); /* made once, kept with o */
		assert_null(twin->ptr);
		assert_string_equal(twin->attrs, "accept");
	}
	assert_null(objset_get(&c, OBJ_FW_RULE, "first"));
	objset_done(&s); /* the twins live on in c */
	assert_string_equal(objset_get(&c, OBJ_FW_RULE, "input/7")->key, "input/7");
	objset_done(&c);
}

static void test_object_text(void **state)
{
	static const struct {
		const char *prefix;
		const char *text;
	} v[] = {
		{"10.1.1.1/32", "10.1.1.1"},
		{"10.1.1.0/24", "10.1.1.0/24"},
		{"fd00::1/128", "fd00::1"},
		{"::/0", "::/0"},
	};
	char buf[PREFIX_STRLEN];
	struct object *o;
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct ip_prefix p;

		assert_int_equal(prefix_parse(v[i].prefix, &p), 0);
		assert_string_equal(prefix_format_short(&p, buf), v[i].text);
	}
	/* A link's mtu shows only when set; a foreign owner shows in the attrs. */
	o = object_new(OBJ_LINK);
	assert_non_null(o);
	o->link.has = OBJ_LINK_HAS_MAC;
	assert_int_equal(mac_parse("52:54:00:AB:00:01", o->link.mac), 0);
	strcpy(o->link.name, "web");
	o->link.up = true;
	assert_int_equal(object_finish(o), 0);
	assert_string_equal(o->key, "52:54:00:ab:00:01");
	assert_string_equal(o->attrs, "name=web up=true");
	o->link.has |= OBJ_LINK_HAS_MTU;
	o->link.mtu = 1450;
	assert_int_equal(object_set_owner(o, "kernel"), 0);
	assert_int_equal(object_finish(o), 0);
	assert_string_equal(o->attrs, "name=web mtu=1450 up=true owner=kernel");
	/* "vrouter" is the agent itself. */
	assert_int_equal(object_set_owner(o, "vrouter"), 0);
	assert_null(o->owner);
	object_unref(o);
}

int run_objset_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_tables),
		cmocka_unit_test(test_objset_basic),
		cmocka_unit_test(test_objset_many),
		cmocka_unit_test(test_objset_reserve_twins),
		cmocka_unit_test(test_object_text),
	};

	return cmocka_run_group_tests_name("objset", tests, NULL, NULL);
}
