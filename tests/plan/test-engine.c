/* SPDX-License-Identifier: MIT */
/*
 * Tests of the engine's observe, counters and plan (engine/engine.c), through the recording
 * backend and a backend made here: each part of the observed state comes from the first
 * backend that handles its kind, the counters from every backend that counts, the missing
 * links from the plan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/cleanup.h"
#include "plan-tests.h"

static const char state_json[] =
	"{'hostname': 'r1', 'links': ["
	"{'name': 'a', 'mac': '52:54:00:00:00:01', 'mtu': 1500, 'up': true},"
	"{'name': 'b', 'mac': '52:54:00:00:00:02', 'mtu': 1500, 'up': true}],"
	"'addresses': [{'interface': 'a', 'address': '10.1.1.1/24', 'owner': 'vrouter'}],"
	"'routes': [{'to': '10.8.0.0/16', 'via': '10.1.1.8', 'interface': 'a', "
	"'owner': 'vrouter'}],"
	"'firewall': [{'kind': 'fw-rule', 'key': 'input/0', 'attrs': 'accept'}]}";

/* A backend of links only: one link "x" on observe; counters as set by the test. */
struct links_only {
	struct backend b;
	int counters_r; /* what counters returns: 0, or a negative errno (with "no counters") */
};

static int lo_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	struct object *l = object_new(OBJ_LINK);
	int r;

	if (!l)
		return -ENOMEM;
	l->link.has = OBJ_LINK_HAS_MAC;
	memcpy(l->link.mac, (const uint8_t[]){0x52, 0x54, 0, 0, 0, 9}, 6);
	strcpy(l->link.name, "x");
	l->link.up = true;
	r = object_finish(l);
	if (r >= 0)
		r = observed_add_link(obs, l);
	object_unref(l);
	return r;
}

static int lo_nothing(struct backend *b, struct strbuf *err)
{
	return 0;
}

static int lo_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	return -EOPNOTSUPP;
}

static int lo_counters(struct backend *b, struct counterlist *list, struct strbuf *err)
{
	const struct links_only *lo = (const struct links_only *)b;
	struct counter *c;

	if (lo->counters_r < 0) {
		strbuf_printf(err, "no counters");
		return lo->counters_r;
	}
	c = counterlist_push(list, OBJ_LINK, "x", 1);
	if (!c)
		return -ENOMEM;
	c->rx = (struct counts){.packets = 3, .bytes = 300};
	c->tx = (struct counts){.packets = 2, .bytes = 200, .dropped = 1};
	list->kinds |= BACKEND_KIND(OBJ_LINK);
	return 0;
}

static void lo_free(struct backend *b)
{
	free(b);
}

static const struct backend_ops links_only_ops = {
	.name = "links-only",
	.kinds = BACKEND_KIND(OBJ_LINK),
	.observe = lo_observe,
	.begin = lo_nothing,
	.apply_op = lo_apply_op,
	.commit = lo_nothing,
	.abort = lo_nothing,
	.counters = lo_counters,
	.free = lo_free,
};

static struct backend *links_only_new(int counters_r)
{
	struct links_only *lo = calloc(1, sizeof(*lo));

	assert_non_null(lo);
	lo->b.ops = &links_only_ops;
	lo->counters_r = counters_r;
	return &lo->b;
}

static struct backend *record_new(void)
{
	struct backend *b = backend_record_new(NULL, NULL);

	assert_non_null(b);
	t_observed(state_json, backend_record_state(b));
	return b;
}

/* The recording backend alone: the engine observes what it holds, and counts nothing. */
static void test_record_alone(void **state)
{
	struct backend *bs[] = {record_new()};
	struct engine *e = engine_new(bs, 1, "/etc/vrouter");
	struct observed obs = {0};
	struct counterlist cs = {0};
	struct errlist errs = {0};
	struct strbuf err = {0};

	assert_non_null(e);
	assert_int_equal(engine_observe(e, &obs, &errs), 0);
	t_assert_same_state(&obs, backend_record_state(bs[0]));
	assert_int_equal(engine_counters(e, ~0u, &cs, &err), 0);
	assert_int_equal(cs.n, 0);
	assert_int_equal(cs.kinds, 0);
	counterlist_done(&cs);
	observed_done(&obs);
	errlist_done(&errs);
	strbuf_done(&err);
	engine_free(e);
}

/* The links from the first backend of links, the rest from the recording backend; the
 * counters of the one that counts. */
static void test_first_handler(void **state)
{
	struct backend *bs[] = {links_only_new(0), record_new()};
	struct engine *e = engine_new(bs, 2, "/etc/vrouter");
	_cleanup_free_ char *json = NULL;
	struct observed obs = {0};
	struct counterlist cs = {0};
	struct errlist errs = {0};
	struct strbuf err = {0};

	assert_non_null(e);
	assert_int_equal(engine_observe(e, &obs, &errs), 0);
	json = t_state_json(&obs);
	t_assert_text("observed", json,
		      "{\n"
		      "  'hostname': 'r1',\n"
		      "  'links': [\n"
		      "    {'name': 'x', 'mac': '52:54:00:00:00:09', 'up': true}\n"
		      "  ],\n"
		      "  'addresses': [\n"
		      "    {'interface': 'a', 'address': '10.1.1.1/24', 'owner': 'vrouter'}\n"
		      "  ],\n"
		      "  'routes': [\n"
		      "    {'to': '10.8.0.0/16', 'via': '10.1.1.8', 'interface': 'a', 'metric': 0, "
		      "'owner': 'vrouter'}\n"
		      "  ],\n"
		      "  'firewall': [\n"
		      "    {'kind': 'fw-rule', 'key': 'input/0', 'attrs': 'accept'}\n"
		      "  ],\n"
		      "  'files': []\n"
		      "}\n");
	assert_int_equal(engine_counters(e, ~0u, &cs, &err), 0);
	assert_int_equal(cs.kinds, BACKEND_KIND(OBJ_LINK));
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.v[0].kind, OBJ_LINK);
	assert_string_equal(cs.v[0].name, "x");
	assert_int_equal(cs.v[0].rx.packets, 3);
	assert_int_equal(cs.v[0].tx.bytes, 200);
	assert_int_equal(cs.v[0].tx.dropped, 1);
	counterlist_done(&cs);
	observed_done(&obs);
	errlist_done(&errs);
	strbuf_done(&err);
	engine_free(e);
}

/* A backend that cannot count: the engine's counters fail, naming it, and give nothing. */
static void test_counters_fail(void **state)
{
	struct backend *bs[] = {record_new(), links_only_new(-EIO)};
	struct engine *e = engine_new(bs, 2, "/etc/vrouter");
	struct counterlist cs = {.kinds = 0x80};
	struct strbuf err = {0};

	assert_non_null(e);
	assert_int_equal(engine_counters(e, ~0u, &cs, &err), -EIO);
	assert_string_equal(strbuf_str(&err), "links-only backend: no counters");
	assert_int_equal(cs.kinds, 0x80); /* untouched */
	assert_null(cs.v);
	strbuf_done(&err);
	engine_free(e);
}

/* The MACs of the intent's NICs that the router lacks come from the plan as data, in the
 * order of the intent's links (not by name, not by MAC), besides their errors. */
static void test_missing_links(void **state)
{
	static const uint8_t nine[6] = {0x52, 0x54, 0, 0, 0, 9}, ten[6] = {0x52, 0x54, 0, 0, 0, 10};
	struct backend *bs[] = {record_new()};
	struct engine *e = engine_new(bs, 1, "/etc/vrouter");
	struct intent *lacks = t_intent(
		"{'version': 1, 'generation': 1, 'interfaces': {"
		"'a': {'mac': '52:54:00:00:00:01'}, 'late': {'mac': '52:54:00:00:00:0a'},"
		"'b': {'mac': '52:54:00:00:00:02'}, 'early': {'mac': '52:54:00:00:00:09'}}}");
	struct intent *has = t_intent("{'version': 1, 'generation': 2, 'interfaces': {"
				      "'a': {'mac': '52:54:00:00:00:01'}}}");
	struct missing_links missing = {0};
	struct errlist errs = {0};
	struct oplist ops = {0};

	assert_non_null(e);
	assert_int_equal(engine_plan(e, lacks, &ops, &missing, &errs), -EINVAL);
	assert_int_equal(missing.n, 2);
	assert_memory_equal(missing.mac[0], ten, 6);
	assert_memory_equal(missing.mac[1], nine, 6);
	assert_int_equal(errs.n, 2);
	missing_links_done(&missing);
	errlist_done(&errs);
	oplist_done(&ops);
	assert_int_equal(engine_plan(e, has, &ops, &missing, &errs), 0);
	assert_int_equal(missing.n, 0);
	assert_int_equal(errs.n, 0);
	missing_links_done(&missing);
	errlist_done(&errs);
	oplist_done(&ops);
	intent_free(lacks);
	intent_free(has);
	engine_free(e);
}

/* The recording backend, forgetful as a kernel is: its commit drops the addresses of link
 * "a" when the apply changed that link (as an MTU below 1280 takes a link's IPv6 addresses). */
struct forgetful {
	struct backend b;
	struct backend *inner;
	bool link_changed;
};

static struct backend *inner_of(struct backend *b)
{
	return ((struct forgetful *)b)->inner;
}

static int fg_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	return backend_observe(inner_of(b), obs, errs);
}

static int fg_begin(struct backend *b, struct strbuf *err)
{
	((struct forgetful *)b)->link_changed = false;
	return backend_begin(inner_of(b), err);
}

static int fg_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	if (op->obj->kind == OBJ_LINK && !strcmp(op->obj->link.name, "a"))
		((struct forgetful *)b)->link_changed = true;
	return backend_apply_op(inner_of(b), op, err);
}

static int fg_commit(struct backend *b, struct strbuf *err)
{
	struct observed *st = backend_record_state(inner_of(b));
	int r = backend_commit(inner_of(b), err);
	size_t i;

	if (r < 0 || !((struct forgetful *)b)->link_changed)
		return r;
	for (i = 0; i < st->addrs.n; i++) {
		struct object *o = st->addrs.v[i];

		if (o && !strcmp(o->address.ifname, "a"))
			objset_remove(&st->addrs, OBJ_ADDRESS, o->key);
	}
	return 0;
}

static int fg_abort(struct backend *b, struct strbuf *err)
{
	return backend_abort(inner_of(b), err);
}

static void fg_free(struct backend *b)
{
	backend_free(inner_of(b));
	free(b);
}

static const struct backend_ops forgetful_ops = {
	.name = "forgetful",
	.kinds = BACKEND_KIND(OBJ_HOSTNAME) | BACKEND_KIND(OBJ_LINK) | BACKEND_KIND(OBJ_ADDRESS) |
		 BACKEND_KIND(OBJ_ROUTE) | BACKEND_KIND(OBJ_FW_SET) |
		 BACKEND_KIND(OBJ_FW_ELEMENT) | BACKEND_KIND(OBJ_FW_CHAIN) |
		 BACKEND_KIND(OBJ_FW_RULE) | BACKEND_KIND(OBJ_NAT_RULE) | BACKEND_KIND(OBJ_FILE),
	.observe = fg_observe,
	.begin = fg_begin,
	.apply_op = fg_apply_op,
	.commit = fg_commit,
	.abort = fg_abort,
	.free = fg_free,
};

/* An apply after which the router lacks some of its objects is a failed apply: not kept,
 * each missing object named at its pointer, the operations undone; an apply that does not
 * touch the link is kept. */
static void test_not_kept(void **state)
{
	struct forgetful *fg = calloc(1, sizeof(*fg));
	struct engine *e;
	struct intent *same, *mtu;
	struct apply_result res;
	struct object *a;

	assert_non_null(fg);
	fg->b.ops = &forgetful_ops;
	fg->inner = record_new();
	e = engine_new((struct backend *[]){&fg->b}, 1, "/etc/vrouter");
	assert_non_null(e);
	same = t_intent("{'version': 1, 'generation': 1, 'hostname': 'r2', 'interfaces': {"
			"'a': {'mac': '52:54:00:00:00:01', 'addresses': ['10.1.1.1/24']},"
			"'b': {'mac': '52:54:00:00:00:02'}},"
			"'routes': [{'to': '10.8.0.0/16', 'via': '10.1.1.8'}]}");
	mtu = t_intent("{'version': 1, 'generation': 2, 'hostname': 'r2', 'interfaces': {"
		       "'a': {'mac': '52:54:00:00:00:01', 'addresses': ['10.1.1.1/24'], "
		       "'mtu': 1000}, 'b': {'mac': '52:54:00:00:00:02'}},"
		       "'routes': [{'to': '10.8.0.0/16', 'via': '10.1.1.8'}]}");
	assert_int_equal(engine_apply(e, same, &res), 0);
	assert_int_equal(res.status, APPLY_OK);
	assert_false(res.not_kept);
	apply_result_done(&res);

	assert_int_equal(engine_apply(e, mtu, &res), 0);
	assert_int_equal(res.status, APPLY_FAILED);
	assert_true(res.not_kept);
	assert_false(res.undo_failed);
	assert_true(res.errs.n >= 1);
	assert_string_equal(res.errs.v[0].pointer, "/interfaces/a/addresses/0");
	assert_non_null(strstr(res.errs.v[0].message, "not kept by the router after the apply"));
	apply_result_done(&res);
	/* Undone: the link's MTU as before (the address the router dropped stays dropped). */
	a = backend_record_state(fg->inner)->links[0];
	assert_string_equal(a->link.name, "a");
	assert_int_equal(a->link.mtu, 1500);
	intent_free(same);
	intent_free(mtu);
	engine_free(e);
}

int run_engine_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_alone),
		cmocka_unit_test(test_first_handler),
		cmocka_unit_test(test_counters_fail),
		cmocka_unit_test(test_missing_links),
		cmocka_unit_test(test_not_kept),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
