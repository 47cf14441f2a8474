/* SPDX-License-Identifier: MIT */
/* Tests of plan/observed-json.c: strict reading with pointers, writing, round trips. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "plan-tests.h"

#define LINK0 "{'name': 'eth0', 'mac': '52:54:00:00:00:01', 'mtu': 1500, 'up': true}"

static void test_parse_errors(void **state)
{
	static const struct {
		const char *json;
		const char *errors; /* "POINTER: message\n" each */
	} v[] = {
		{"[]", ": expected an object, got an array\n"},
		{"{'hostname': 'r1', 'link': []}",
		 "/link: unknown key (did you mean 'links'?)\n"},
		{"{'hostname': ''}", "/hostname: must not be empty\n"},
		{"{'links': {}}", "/links: expected an array, got an object\n"},
		{"{'links': [{'name': 'eth0', 'up': true}]}",
		 "/links/0: missing required key 'mac'\n"},
		{"{'links': [{'name': 'eth 0', 'mac': '52:54:00:00:00:01', 'up': 1}]}",
		 "/links/0/name: invalid link name 'eth 0'\n"
		 "/links/0/up: expected true or false, got an integer\n"},
		{"{'links': [" LINK0 ", " LINK0 "]}",
		 "/links/1/name: duplicate link name 'eth0'\n"},
		{"{'links': [{'name': 'eth0', 'mac': '52:54:00:00:00', 'mtu': -1, "
		 "'up': true, 'owner': 'x'}]}",
		 "/links/0/mac: invalid MAC address '52:54:00:00:00'\n"
		 "/links/0/mtu: -1 is out of range (0-4294967295)\n"
		 "/links/0/owner: only tunnel links have an owner\n"},
		{"{'links': [{'name': 'wg0', 'type': 'wireguard', 'mac': '52:54:00:00:00:01',"
		 " 'up': true}, {'name': 'gre0', 'type': 'gre', 'up': true}]}",
		 "/links/0/mac: a wireguard link has no MAC\n"
		 "/links/1: missing required key 'mac'\n"
		 "/links/1/type: unknown link type 'gre' (expected 'wireguard')\n"},
		{"{'links': [" LINK0 "], 'addresses': [{'interface': 'eth1', 'address': "
		 "'10.1.1.1', 'owner': 'vrouter'}, {'interface': 'eth0', 'address': "
		 "'10.1.1.1/24'}]}",
		 "/addresses/0/interface: unknown link 'eth1'\n"
		 "/addresses/0/address: invalid address '10.1.1.1' (expected an address and its "
		 "prefix length, e.g. '10.1.1.1/24')\n"
		 "/addresses/1: missing required key 'owner'\n"},
		{"{'links': [" LINK0 "], 'addresses': [{'interface': 'eth0', 'address': "
		 "'10.1.1.1/24', 'owner': 'vrouter'}, {'interface': 'eth0', 'address': "
		 "'10.1.1.1/24', 'owner': 'kernel'}]}",
		 "/addresses/1: duplicate address (also at /addresses/0)\n"},
		{"{'routes': [{'to': '10.1.1.0/24', 'via': 'fd00::1', 'owner': 'x'}, "
		 "{'to': '10.1.1.0/24', 'owner': 'x'}, {'to': '10.1.1.0/24', 'metric': "
		 "0, 'owner': 'x'}]}",
		 "/routes/0/via: gateway fd00::1 is of another address family than 'to'\n"
		 "/routes/2: duplicate route (same 'to' and 'metric') (also at /routes/1)\n"},
		{"{'firewall': [{'kind': 'link', 'key': 'x', 'attrs': ''}, {'kind': "
		 "'fw-rule', 'key': '', 'attrs': 1}, {'kind': 'fw-set', 'key': 'a', "
		 "'attrs': ['type=', 4]}]}",
		 "/firewall/0/kind: unknown kind 'link' (expected fw-set, fw-element, fw-chain, "
		 "fw-rule or nat-rule)\n"
		 "/firewall/1/key: must not be empty\n"
		 "/firewall/1/attrs: expected a string or an array of strings, got an integer\n"
		 "/firewall/2/attrs/1: expected a string, got an integer\n"},
		{"{'files': [{'path': '/etc/x', 'mode': 420, 'content': ''}, {'path': "
		 "'a/../b', 'mode': 4096, 'content': ''}, {'path': 'a/', 'mode': 420}]}",
		 "/files/0/path: invalid path '/etc/x' (expected a relative path without empty, "
		 "'.' or '..' components)\n"
		 "/files/1/path: invalid path 'a/../b' (expected a relative path without empty, "
		 "'.' or '..' components)\n"
		 "/files/1/mode: 4096 is out of range (0-4095)\n"
		 "/files/2: missing required key 'content'\n"
		 "/files/2/path: invalid path 'a/' (expected a relative path without empty, "
		 "'.' or '..' components)\n"},
		{"{'files': [{'path': 'a', 'mode': 420, 'content': 'x'}, {'path': 'a', "
		 "'mode': 384, 'content': ['y']}]}",
		 "/files/1: duplicate file (also at /files/0)\n"},
	};
	size_t i, j;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *json = t_q(v[i].json);
		struct errlist errs = {0};
		struct observed obs = {0};
		struct strbuf got = {0};

		assert_int_equal(observed_from_json(json, strlen(json), &obs, &errs), -EINVAL);
		for (j = 0; j < errs.n; j++)
			strbuf_printf(&got, "%s: %s\n", errs.v[j].pointer, errs.v[j].message);
		t_assert_text(v[i].json, strbuf_str(&got), v[i].errors);
		strbuf_done(&got);
		errlist_done(&errs);
	}
}

static const char full_state[] =
	"{\n"
	"  'hostname': 'r1',\n"
	"  'links': [\n"
	"    {'name': 'eth0', 'mac': '52:54:00:00:00:01', 'mtu': 1500, 'up': true},\n"
	"    {'name': 'eth1', 'mac': '52:54:00:00:00:02', 'up': false},\n"
	"    {'name': 'wg0', 'type': 'wireguard', 'mtu': 1420, 'up': true, 'owner': "
	"'vrouter'}\n"
	"  ],\n"
	"  'addresses': [\n"
	"    {'interface': 'eth0', 'address': 'fd00:1::1/64', 'owner': 'vrouter'},\n"
	"    {'interface': 'eth0', 'address': 'fe80::1/64', 'owner': 'kernel'}\n"
	"  ],\n"
	"  'routes': [\n"
	"    {'to': '0.0.0.0/0', 'via': '203.0.113.1', 'interface': 'eth1', 'metric': "
	"0, 'owner': 'vrouter'},\n"
	"    {'to': '10.9.0.0/16', 'interface': 'wg0', 'metric': 7, 'owner': "
	"'boot'}\n"
	"  ],\n"
	"  'firewall': [\n"
	"    {'kind': 'fw-rule', 'key': 'input/0', 'attrs': 'iifname \\'eth0\\' "
	"accept'}\n"
	"  ],\n"
	"  'files': [\n"
	"    {'path': 'dnsmasq/vrouter.conf', 'mode': 420, 'content': [\n"
	"      'a\\n',\n"
	"      'tab\\there, \\'quoted\\' \\\\ \\u0001 h\xc3\xa9\\n',\n"
	"      'no newline']},\n"
	"    {'path': 'empty', 'mode': 384, 'content': []}\n"
	"  ]\n"
	"}\n";

/* Writing what was read gives the same text (the writer's own format). */
static void test_round_trip(void **state)
{
	struct observed obs = {0};
	_cleanup_free_ char *json = NULL;

	t_observed(full_state, &obs);
	assert_int_equal(obs.n_links, 3);
	assert_string_equal(obs.links[2]->key, "wg:wg0");
	assert_string_equal(objset_get(&obs.files, OBJ_FILE, "dnsmasq/vrouter.conf")->file.content,
			    "a\ntab\there, \"quoted\" \\ \x01 h\xc3\xa9\nno newline");
	json = t_state_json(&obs);
	t_assert_text("round trip", json, full_state);
	observed_done(&obs);
}

/* Content longer than the reader's string limit, on one line, with multi-byte characters at
 * the cut: written in pieces, read back whole. */
static void test_long_content(void **state)
{
	struct observed obs = {0}, back = {0};
	struct strbuf content = {0};
	_cleanup_free_ char *json = NULL, *json2 = NULL;
	struct object *f = object_new(OBJ_FILE);
	size_t i;

	for (i = 0; i < 3000; i++)
		strbuf_append(&content, "\xc3\xa9"); /* é: 6000 bytes */
	strbuf_append(&content, "x\n\n");
	assert_non_null(f);
	f->key = strdup("big");
	f->file.mode = 0644;
	f->file.size = content.len;
	f->file.content = strbuf_steal(&content);
	assert_int_equal(object_finish(f), 0);
	assert_int_equal(objset_add(&obs.files, f), 0);
	object_unref(f);
	json = t_state_json(&obs);
	t_observed(json, &back);
	f = objset_get(&back.files, OBJ_FILE, "big");
	assert_non_null(f);
	assert_int_equal(f->file.size, 6003);
	assert_true(object_matches(objset_get(&obs.files, OBJ_FILE, "big"), f));
	json2 = t_state_json(&back);
	t_assert_text("long content", json2, json);
	observed_done(&obs);
	observed_done(&back);
}

int run_observed_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_long_content),
	};

	return cmocka_run_group_tests_name("observed-json", tests, NULL, NULL);
}
