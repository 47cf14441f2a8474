/* SPDX-License-Identifier: MIT */
/* Tests of plan/desired.c and plan/desired-fw.c: the canonical text of desired objects. */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "plan-tests.h"
#include "plan/desired.h"

/* An intent with two interfaces, a wireguard tunnel and sets, plus `extra` members. */
static char *intent_with(const char *extra)
{
	struct strbuf b = {0};

	strbuf_printf(&b,
		      "{'version': 1, 'generation': 1, 'interfaces': {"
		      "'web': {'mac': '52:54:00:00:00:01', 'addresses': ['10.1.1.1/24', "
		      "'fd00:1::1/64']},"
		      "'public': {'mac': '52:54:00:00:00:02', 'addresses': "
		      "['203.0.113.10/24'], 'enabled': false}},"
		      "'vpn': {'wireguard': {'wg0': {'private_key': "
		      "'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'addresses': "
		      "['10.99.0.1/24'], 'mtu': 1420, 'peers': {}}}}%s%s}",
		      extra[0] ? ", " : "", extra);
	return strbuf_steal(&b);
}

/* The attrs of the desired object (kind, key) of the intent. */
static char *desired_attrs(const char *extra, enum object_kind kind, const char *key)
{
	_cleanup_free_ char *json = intent_with(extra);
	struct intent *in = t_intent(json);
	struct rendered none = {0};
	struct errlist errs = {0};
	struct objset set = {0};
	struct object *o;
	char *attrs;

	assert_int_equal(desired_build(in, &none, NULL, &set, &errs), 0);
	o = objset_get(&set, kind, key);
	if (!o)
		fail_msg("no %s %s for %s", object_kind_to_string(kind), key, extra);
	attrs = strdup(o->attrs);
	objset_done(&set);
	intent_free(in);
	return attrs;
}

static void test_rule_text(void **state)
{
	static const struct {
		const char *rule;
		const char *text;
	} v[] = {
		{"{'action': 'accept'}", "accept"},
		{"{'action': 'drop', 'in': 'web', 'out': ['public', 'wg0']}",
		 "iifname 'web' oifname { 'public', 'wg0' } drop"},
		{"{'action': 'accept', 'source': ['10.0.0.0/8', '192.0.2.7'], "
		 "'destination': ['@v4'], 'protocol': 'tcp', 'ports': [22, '8000-8010'], "
		 "'source_ports': ['@p']}",
		 "meta nfproto ipv4 ip saddr { 10.0.0.0/8, 192.0.2.7 } ip daddr @v4 tcp sport @p "
		 "tcp dport { 22, 8000-8010 } accept"},
		{"{'action': 'accept', 'source': ['@v6', 'fd00::/8'], 'protocol': 'udp',"
		 " 'ports': [53, '@p']}",
		 "meta nfproto ipv6 ip6 saddr { fd00::/8, @v6 } udp dport { 53, @p } accept"},
		{"{'action': 'accept', 'protocol': 'icmpv6', 'icmp_types': "
		 "['echo-request', 'packet-too-big']}",
		 "meta nfproto ipv6 icmpv6 type { echo-request, packet-too-big } accept"},
		{"{'action': 'accept', 'protocol': 'icmp'}",
		 "meta nfproto ipv4 meta l4proto icmp accept"},
		{"{'action': 'accept', 'protocol': 89}", "meta l4proto 89 accept"},
		{"{'action': 'accept', 'protocol': 'esp', 'in': 'public'}",
		 "iifname 'public' meta l4proto esp accept"},
		{"{'action': 'reject', 'log': true, 'comment': 'no'}",
		 "log reject comment 'no'"},
		{"{'action': 'reject', 'log': 'p', 'comment': 'x y'}",
		 "log prefix 'p' reject comment 'x y'"},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *extra = NULL, *got = NULL;
		struct strbuf b = {0};

		strbuf_printf(&b,
			      "'firewall': {'sets': {'v4': {'type': 'ipv4', 'elements': "
			      "['198.51.100.0/24']}, 'v6': {'type': 'ipv6', 'elements': "
			      "[]}, 'p': {'type': 'port', 'elements': [1]}}, "
			      "'forward': {'rules': [%s]}}",
			      v[i].rule);
		extra = strbuf_steal(&b);
		got = desired_attrs(extra, OBJ_FW_RULE, "forward/0");
		t_assert_text(v[i].rule, got, v[i].text);
	}
}

static void test_nat_text(void **state)
{
	static const struct {
		const char *nat;
		const char *key;
		const char *text;
	} v[] = {
		{"'source': [{'out': 'public', 'masquerade': true}]", "snat/0",
		 "oifname 'public' masquerade"},
		{"'source': [{'out': 'public', 'source': ['10.1.1.0/24', '10.1.2.0/24'], "
		 "'to': '203.0.113.10'}]",
		 "snat/0",
		 "meta nfproto ipv4 oifname 'public' ip saddr { 10.1.1.0/24, 10.1.2.0/24 } "
		 "snat ip to 203.0.113.10"},
		{"'destination': [{'in': 'public', 'destination': '203.0.113.10', "
		 "'protocol': 'udp', 'ports': '5000-5009', 'to': '10.1.1.5', 'to_ports': "
		 "'6000-6009', 'open_firewall': false}]",
		 "dnat/public/203.0.113.10/udp/5000",
		 "meta nfproto ipv4 iifname 'public' ip daddr 203.0.113.10 udp dport 5000-5009 "
		 "dnat ip to 10.1.1.5:6000-6009"},
		{"'one_to_one': [{'interface': 'public', 'public': '203.0.113.10', "
		 "'private': '10.1.1.7'}]",
		 "one-to-one/203.0.113.10",
		 "meta nfproto ipv4 iifname 'public' ip daddr 203.0.113.10 dnat ip to 10.1.1.7; "
		 "oifname 'public' ip saddr 10.1.1.7 snat ip to 203.0.113.10 open-firewall"},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *extra = NULL, *got = NULL;
		struct strbuf b = {0};

		strbuf_printf(&b, "'nat': {%s}", v[i].nat);
		extra = strbuf_steal(&b);
		got = desired_attrs(extra, OBJ_NAT_RULE, v[i].key);
		t_assert_text(v[i].nat, got, v[i].text);
	}
}

/* Links, addresses, routes, chains: keys and attrs. */
static void test_objects(void **state)
{
	static const struct {
		const char *extra;
		enum object_kind kind;
		const char *key;
		const char *attrs;
	} v[] = {
		{"", OBJ_LINK, "52:54:00:00:00:02", "name=public up=false"},
		{"", OBJ_LINK, "wg:wg0", "mtu=1420 up=true"},
		{"", OBJ_ADDRESS, "web fd00:1::1/64", ""},
		{"", OBJ_ADDRESS, "wg0 10.99.0.1/24", ""},
		/* No firewall section: the chains have the default policies. */
		{"", OBJ_FW_CHAIN, "input", "policy=drop"},
		{"", OBJ_FW_CHAIN, "output", "policy=accept"},
		{"'firewall': {'input': {'policy': 'accept'}}", OBJ_FW_CHAIN, "input",
		 "policy=accept"},
		{"'firewall': {'input': {'policy': 'accept'}}", OBJ_FW_CHAIN, "forward",
		 "policy=drop"},
		{"'firewall': {'sets': {'s': {'type': 'port', 'elements': ['80-81', 22]}}}",
		 OBJ_FW_ELEMENT, "s 80-81", ""},
		{"'firewall': {'sets': {'s': {'type': 'ipv6', 'elements': ['fd00::1']}}}",
		 OBJ_FW_ELEMENT, "s fd00::1", ""},
		{"'routes': [{'to': '10.60.0.0/16', 'interface': 'wg0', 'metric': 5}]",
		 OBJ_ROUTE, "10.60.0.0/16 metric=5", "dev=wg0"},
		/* The kernel stores an IPv6 metric of 0 as 1024. */
		{"'routes': [{'to': '::/0', 'via': 'fd00:1::fe'}]", OBJ_ROUTE,
		 "::/0 metric=1024", "via=fd00:1::fe"},
		{"'hostname': 'r1'", OBJ_HOSTNAME, "", "name=r1"},
		/* The SSH admission's sources are the input chain's. */
		{"'firewall': {'management_sources': ['192.0.2.7/32', '2001:db8::/48']}",
		 OBJ_FW_CHAIN, "input", "policy=drop management_sources=192.0.2.7,2001:db8::/48"},
		{"'firewall': {'management_sources': ['192.0.2.0/24']}", OBJ_FW_CHAIN, "forward",
		 "policy=drop"},
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *got = desired_attrs(v[i].extra, v[i].kind, v[i].key);

		t_assert_text(v[i].key, got, v[i].attrs);
	}
}

/* The counters of forwards and one-to-one entries, named by content, get the intent's
 * pointers and take their places in the intent's order; the other counters stay. */
static void test_nat_counter_pointers(void **state)
{
	static const char *const names[] = {
	    "builtin:srcnat/hairpin",	"snat/0",
	    "dnat/web/10.1.1.1/tcp/8000", "dnat/web/10.1.1.1/udp/53",
	    "dnat/web/10.1.1.1/udp/99",	"one-to-one/203.0.113.10",
	};
	static const char *const want[] = {
	    "builtin:srcnat/hairpin -",
	    "snat/0 /nat/source/0",
	    "dnat/web/10.1.1.1/udp/53 /nat/destination/1", /* the entries' places, their order */
	    "dnat/web/10.1.1.1/tcp/8000 /nat/destination/2",
	    "dnat/web/10.1.1.1/udp/99 -", /* no such forward: as it was */
	    "one-to-one/203.0.113.10 /nat/one_to_one/0",
	};
	_cleanup_free_ char *json = intent_with(
	    "'nat': {'source': [{'out': 'public', 'masquerade': true}], 'destination': ["
	    "{'in': 'web', 'destination': '10.1.1.1', 'protocol': 'tcp', 'ports': 22, "
	    "'to': '10.1.1.5'},"
	    "{'in': 'web', 'destination': '10.1.1.1', 'protocol': 'udp', 'ports': 53, "
	    "'to': '10.1.1.5'},"
	    "{'in': 'web', 'destination': '10.1.1.1', 'protocol': 'tcp', 'ports': 8000, "
	    "'to': '10.1.1.6'}],"
	    "'one_to_one': [{'interface': 'public', 'public': '203.0.113.10', "
	    "'private': '10.1.1.7'}]}");
	struct intent *in = t_intent(json);
	struct counterlist l = {0};
	size_t i;

	(void)state;
	for (i = 0; i < ELEMENTSOF(names); i++) {
		struct counter *c = counterlist_push(&l, i ? OBJ_NAT_RULE : OBJ_FW_RULE, names[i],
						     strlen(names[i]));

		assert_non_null(c);
		c->builtin = i == 0;
		c->rx.packets = i;
		if (i == 1)
			c->pointer = strdup("/nat/source/0");
	}
	assert_int_equal(desired_nat_counter_pointers(in, &l), 0);
	assert_int_equal(l.n, ELEMENTSOF(want));
	for (i = 0; i < l.n; i++) {
		char line[128];

		snprintf(line, sizeof(line), "%s %s", l.v[i].name,
			 l.v[i].pointer ? l.v[i].pointer : "-");
		t_assert_text(names[i], line, want[i]);
	}
	/* the counts moved with their entries */
	assert_int_equal(l.v[2].rx.packets, 3);
	assert_int_equal(l.v[3].rx.packets, 2);
	assert_int_equal(l.v[4].rx.packets, 4);
	counterlist_done(&l);
	intent_free(in);
}

/* Two intent elements that are one object on the router. */
int run_desired_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_text),
		cmocka_unit_test(test_nat_text),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_nat_counter_pointers),
	};

	return cmocka_run_group_tests_name("desired", tests, NULL, NULL);
}
