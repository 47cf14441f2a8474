/* SPDX-License-Identifier: MIT */
/* Tests of plan/diff.c and plan/observed.c: operations, their order, ownership, renames. */
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "plan-tests.h"

/* Intents: "web" (MAC :01) and "mgmt" (MAC :02, management). */
#define INTENT_HEAD "{'version': 1, 'generation': 1, "
#define WEB(extra) "'web': {'mac': '52:54:00:00:00:01', 'addresses': ['10.1.1.1/24']" extra "}"
#define MGMT "'mgmt': {'mac': '52:54:00:00:00:02', 'addresses': ['169.254.3.10/16'], " \
	     "'management': true}"
#define INTENT(ifaces, rest) INTENT_HEAD "'interfaces': {" ifaces "}" rest "}"
/* The chains every intent has, as an applied state holds them. */
#define CHAINS "'firewall': [{'kind': 'fw-chain', 'key': 'input', 'attrs': 'policy=drop'}, " \
	       "{'kind': 'fw-chain', 'key': 'forward', 'attrs': 'policy=drop'}, " \
	       "{'kind': 'fw-chain', 'key': 'output', 'attrs': 'policy=accept'}]"
#define LINK(name, mac, rest) "{'name': '" name "', 'mac': '52:54:00:00:00:" mac "', " rest "}"
#define ADDR(ifname, addr, owner) \
	"{'interface': '" ifname "', 'address': '" addr "', 'owner': '" owner "'}"

static const struct {
	const char *name;
	const char *intent;
	const char *observed;
	const char *plan; /* operations, or errors */
} cases[] = {
	{"nothing to do", INTENT(WEB(""), ""),
	 "{'links': [" LINK("web", "01", "'mtu': 9000, 'up': true") "], 'addresses': ["
	 ADDR("web", "10.1.1.1/24", "vrouter") "], " CHAINS "}",
	 ""},
	{"unset mtu is left alone, a set one is applied", INTENT(WEB(", 'mtu': 1400"), ""),
	 "{'links': [" LINK("web", "01", "'mtu': 9000, 'up': true") "], 'addresses': ["
	 ADDR("web", "10.1.1.1/24", "vrouter") "], " CHAINS "}",
	 "replace link 52:54:00:00:00:01 name=web mtu=1400 up=true (was name=web mtu=9000 "
	 "up=true)\n"},
	{"make before break: creates up the kinds, deletes down",
	 INTENT(WEB(", 'enabled': false"),
		", 'hostname': 'r2', 'routes': [{'to': '10.9.0.0/16', 'via': '10.1.1.9'}]"),
	 "{'hostname': 'r1', 'links': [" LINK("web", "01", "'up': true") "], "
	 "'addresses': [" ADDR("web", "10.1.2.1/24", "vrouter") "], 'routes': [{'to': "
	 "'10.8.0.0/16', 'via': '10.1.2.8', 'owner': 'vrouter'}], " CHAINS "}",
	 "replace hostname name=r2 (was name=r1)\n"
	 "replace link 52:54:00:00:00:01 name=web up=false (was name=web up=true)\n"
	 "create address web 10.1.1.1/24\n"
	 "create route 10.9.0.0/16 metric=0 via=10.1.1.9\n"
	 "delete route 10.8.0.0/16 metric=0 via=10.1.2.8\n"
	 "delete address web 10.1.2.1/24\n"},
	{"rename by MAC: addresses follow their link", INTENT(WEB(""), ""),
	 "{'links': [" LINK("eth0", "09", "'up': true") ", " LINK("eth5", "01", "'up': true")
	 "], 'addresses': [" ADDR("eth5", "10.1.1.1/24", "vrouter") ", "
	 ADDR("eth5", "10.2.2.2/24", "vrouter") ", " ADDR("eth0", "10.3.3.3/24", "vrouter") "], "
	 CHAINS "}",
	 "replace link 52:54:00:00:00:01 name=web up=true (was name=eth5 up=true)\n"
	 "delete address web 10.2.2.2/24\n"},
	{"foreign objects survive; a desired one is taken over",
	 INTENT(WEB(""), ", 'routes': [{'to': '0.0.0.0/0', 'via': '10.1.1.254'}]"),
	 "{'links': [" LINK("web", "01", "'up': true") "], 'addresses': ["
	 ADDR("web", "10.1.1.1/24", "dhcp") ", " ADDR("web", "10.1.1.2/24", "keepalived") ", "
	 ADDR("web", "fe80::1/64", "kernel") "], 'routes': [{'to': '0.0.0.0/0', 'via': "
	 "'10.1.1.254', 'interface': 'web', 'owner': 'dhcp'}, {'to': '10.1.1.0/24', "
	 "'interface': 'web', 'owner': 'kernel'}], " CHAINS "}",
	 "replace address web 10.1.1.1/24 (was owner=dhcp)\n"
	 "replace route 0.0.0.0/0 metric=0 via=10.1.1.254 (was via=10.1.1.254 dev=web "
	 "owner=dhcp)\n"},
	{"addresses of a management interface are never deleted", INTENT(WEB("") ", " MGMT, ""),
	 "{'links': [" LINK("web", "01", "'up': true") ", " LINK("eth1", "02", "'up': true")
	 "], 'addresses': [" ADDR("web", "10.1.1.1/24", "vrouter") ", "
	 ADDR("eth1", "169.254.3.10/16", "vrouter") ", " ADDR("eth1", "169.254.3.99/16", "vrouter")
	 ", " ADDR("web", "10.1.1.99/24", "vrouter") "], " CHAINS "}",
	 "replace link 52:54:00:00:00:02 name=mgmt up=true (was name=eth1 up=true)\n"
	 "delete address web 10.1.1.99/24\n"},
	{"a route's device is compared only when the intent names it",
	 INTENT(WEB(""), ", 'routes': [{'to': '10.8.0.0/16', 'via': '10.1.1.8'}, "
			 "{'to': '10.9.0.0/16', 'via': '10.1.1.9', 'interface': 'web'}]"),
	 "{'links': [" LINK("web", "01", "'up': true") ", " LINK("eth1", "02", "'up': true")
	 "], 'addresses': [" ADDR("web", "10.1.1.1/24", "vrouter") "], 'routes': [{'to': "
	 "'10.8.0.0/16', 'via': '10.1.1.8', 'interface': 'web', 'owner': 'vrouter'}, "
	 "{'to': '10.9.0.0/16', 'via': '10.1.1.9', 'owner': 'vrouter'}], " CHAINS "}",
	 "replace route 10.9.0.0/16 metric=0 via=10.1.1.9 dev=web (was via=10.1.1.9)\n"},
	{"an own tunnel the intent dropped goes; a foreign one on a desired name is taken over",
	 INTENT(WEB(""), ", 'vpn': {'wireguard': {'wg0': {'private_key': "
			 "'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'peers': {}}}}"),
	 "{'links': [" LINK("web", "01", "'up': true") ", {'name': 'wg0', 'type': "
	 "'wireguard', 'up': true, 'owner': 'operator'}, {'name': 'wg1', 'type': "
	 "'wireguard', 'up': true, 'owner': 'vrouter'}, {'name': 'wg2', 'type': "
	 "'wireguard', 'up': true, 'owner': 'operator'}], 'addresses': ["
	 ADDR("web", "10.1.1.1/24", "vrouter") ", " ADDR("wg1", "10.99.0.1/24", "vrouter") ", "
	 ADDR("wg2", "10.98.0.1/24", "vrouter") "], " CHAINS "}",
	 "replace link wg:wg0 up=true (was up=true owner=operator)\n"
	 "delete address wg1 10.99.0.1/24\n"
	 "delete link wg:wg1 up=true\n"},
	{"renames in a cycle go through a temporary name",
	 INTENT("'b': {'mac': '52:54:00:00:00:01'}, 'c': {'mac': '52:54:00:00:00:02'}, "
		"'a': {'mac': '52:54:00:00:00:03'}", ""),
	 "{'links': [" LINK("a", "01", "'up': true") ", " LINK("b", "02", "'up': true") ", "
	 LINK("c", "03", "'up': true") "], " CHAINS "}",
	 "replace link 52:54:00:00:00:01 name=vrtmp0 up=true (was name=a up=true)\n"
	 "replace link 52:54:00:00:00:03 name=a up=true (was name=c up=true)\n"
	 "replace link 52:54:00:00:00:02 name=c up=true (was name=b up=true)\n"
	 "replace link 52:54:00:00:00:01 name=b up=true (was name=vrtmp0 up=true)\n"},
	{"a MAC of the intent on no link", INTENT(WEB("") ", " MGMT, ""),
	 "{'links': [" LINK("web", "01", "'up': true") "]}",
	 "/interfaces/mgmt/mac: no link with MAC 52:54:00:00:00:02 on this router\n"},
	{"a name of the intent held by a link outside it", INTENT(WEB("") ", " MGMT, ""),
	 "{'links': [" LINK("eth0", "01", "'up': true") ", " LINK("eth1", "02", "'up': true")
	 ", " LINK("web", "07", "'up': true") "]}",
	 "/interfaces/web: name 'web' is taken by link 52:54:00:00:00:07, which is not in the "
	 "intent\n"},
	{"a MAC of the intent on two links", INTENT(WEB(""), ""),
	 "{'links': [" LINK("eth0", "01", "'up': true") ", " LINK("mv0", "01", "'up': true")
	 "]}",
	 "/interfaces/web/mac: MAC 52:54:00:00:00:01 is on two links, 'eth0' and 'mv0'\n"},
};

static void test_plans(void **state)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *got = t_plan(cases[i].intent, cases[i].observed);

		t_assert_text(cases[i].name, got, cases[i].plan);
	}
}

int run_diff_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
