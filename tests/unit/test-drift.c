/* SPDX-License-Identifier: MIT */
/* Drift's decisions (daemon/drift.c): when a check is due, repair, report or hold, the record
 * status shows; and the watch's filter of kernel events (kernel/kernel-watch.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "daemon/drift.h"
#include "kernel/kernel-watch.h"
#include "lib/cleanup.h"

/* Operations creating the routes named by the letters of set ("AB": two), at /routes/I. */
static void ops_of(const char *set, struct oplist *ret)
{
	size_t i;

	*ret = (struct oplist){0};
	for (i = 0; set[i]; i++) {
		char key[32], ptr[32];
		struct object *o;

		snprintf(key, sizeof(key), "10.%d.0.0/16", set[i]);
		snprintf(ptr, sizeof(ptr), "/routes/%zu", i);
		o = object_new_text(OBJ_FW_RULE, key, "accept");
		assert_non_null(o);
		assert_int_equal(object_set_ptr(o, ptr), 0);
		assert_int_equal(oplist_add(ret, OP_CREATE, o, NULL), 0);
		object_unref(o);
	}
}

static void test_coalesce(void **state)
{
	struct drift d;

	drift_init(&d, DRIFT_REPAIR);
	assert_int_equal(drift_timeout(&d, 1000), UINT64_MAX);
	assert_false(drift_take_due(&d, 1000));
	drift_event(&d, 1000);
	drift_event(&d, 1030); /* a burst: the first event's time counts */
	assert_int_equal(drift_timeout(&d, 1030), DRIFT_COALESCE_MS - 30);
	assert_false(drift_take_due(&d, 1000 + DRIFT_COALESCE_MS - 1));
	assert_true(drift_take_due(&d, 1000 + DRIFT_COALESCE_MS));
	assert_int_equal(drift_timeout(&d, 2000), UINT64_MAX);
	drift_event(&d, 2000);
	drift_forget(&d); /* the agent's own apply */
	assert_false(drift_take_due(&d, 5000));
	drift_done(&d);
}

/* One step: at time t, a check (watched) finds the set; the action and whether it is new. */
struct step {
	uint64_t t;
	const char *set;
	enum drift_action act;
	bool is_new;
	bool repair_ok; /* after a repair: it worked */
	bool applied;	/* before the step: an apply of an intent */
};

static void run_steps(enum drift_mode mode, const struct step *steps, size_t n)
{
	struct drift d;
	size_t i;

	drift_init(&d, mode);
	for (i = 0; i < n; i++) {
		enum drift_action act;
		struct oplist ops;
		bool is_new;

		if (steps[i].applied)
			drift_applied(&d);
		ops_of(steps[i].set, &ops);
		assert_int_equal(drift_found(&d, &ops, true, steps[i].t, strdup("T"), &is_new, &act),
				 0);
		if (act != steps[i].act || is_new != steps[i].is_new)
			fail_msg("step %zu: action %d new %d, want %d %d", i, act, is_new,
				 steps[i].act, steps[i].is_new);
		if (act == DRIFT_ACT_REPAIR)
			drift_repaired(&d, steps[i].repair_ok, "watch", strdup("R"), "no");
		oplist_done(&ops);
	}
	drift_done(&d);
}

/* The router found at the intent stays known to be there until an event: the watch is then
 * the check of the intent in effect sent again (agent-drift.c). */
static void test_verified(void **state)
{
	struct drift d;

	(void)state;
	drift_init(&d, DRIFT_REPAIR);
	assert_false(d.verified); /* nothing known at start */
	drift_verified(&d, true);
	assert_true(d.verified);
	drift_forget(&d); /* the agent's own events: it stays verified */
	assert_true(d.verified);
	drift_event(&d, 1000);
	assert_false(d.verified);
	drift_verified(&d, true);
	drift_event(&d, 1010); /* an event while a check is pending still ends it */
	assert_false(d.verified);
	drift_verified(&d, false); /* a failed apply */
	assert_false(d.verified);
	drift_done(&d);
}

/* A check that cannot plan: its error in status while it lasts, "changed" only when it does
 * (the agent logs then, not on every event). */
static void test_check_error(void **state)
{
	struct proto_status_drift st;
	struct drift d;
	bool changed;

	(void)state;
	drift_init(&d, DRIFT_REPAIR);
	assert_int_equal(drift_check_result(&d, NULL, &changed), 0);
	assert_false(changed);
	assert_int_equal(drift_check_result(&d, "no link with MAC 52:54:00:00:00:01", &changed), 0);
	assert_true(changed);
	assert_int_equal(drift_check_result(&d, "no link with MAC 52:54:00:00:00:01", &changed), 0);
	assert_false(changed);
	assert_int_equal(drift_status(&d, NULL, &st), 0);
	assert_string_equal(st.check_error, "no link with MAC 52:54:00:00:00:01");
	proto_status_drift_done(&st);
	assert_int_equal(drift_check_result(&d, "another reason", &changed), 0);
	assert_true(changed);
	assert_int_equal(drift_check_result(&d, NULL, &changed), 0);
	assert_true(changed);
	assert_int_equal(drift_status(&d, NULL, &st), 0);
	assert_null(st.check_error);
	proto_status_drift_done(&st);
	assert_int_equal(drift_check_result(&d, "again", &changed), 0);
	drift_verified(&d, true); /* an apply that succeeded */
	assert_null(d.check_error);
	drift_done(&d);
}

static void test_repair_and_hold(void **state)
{
	static const struct step steps[] = {
		{0, "A", DRIFT_ACT_REPAIR, true, true, false},
		{100, "A", DRIFT_ACT_REPAIR, true, true, false},
		{200, "A", DRIFT_ACT_REPAIR, true, true, false},
		/* A fourth time within 10 s: another actor; held, logged once. */
		{300, "A", DRIFT_ACT_HOLD, true, false, false},
		{400, "A", DRIFT_ACT_HOLD, false, false, false},
		{20000, "A", DRIFT_ACT_HOLD, false, false, false},
		/* Another set is repaired. */
		{20100, "AB", DRIFT_ACT_REPAIR, true, true, false},
		/* An apply ends the hold. */
		{20200, "A", DRIFT_ACT_REPAIR, true, true, true},
	};

	run_steps(DRIFT_REPAIR, steps, ELEMENTSOF(steps));
}

static void test_window(void **state)
{
	static const struct step steps[] = {
		{0, "A", DRIFT_ACT_REPAIR, true, true, false},
		{100, "A", DRIFT_ACT_REPAIR, true, true, false},
		{200, "A", DRIFT_ACT_REPAIR, true, true, false},
		/* The first two left the window: repaired, twice more. */
		{DRIFT_WINDOW_MS + 100, "A", DRIFT_ACT_REPAIR, true, true, false},
		{DRIFT_WINDOW_MS + 150, "A", DRIFT_ACT_REPAIR, true, true, false},
		/* Three within the window again (200, W + 100, W + 150). */
		{DRIFT_WINDOW_MS + 160, "A", DRIFT_ACT_HOLD, true, false, false},
	};

	run_steps(DRIFT_REPAIR, steps, ELEMENTSOF(steps));
}

static void test_failed_repairs_count(void **state)
{
	static const struct step steps[] = {
		{0, "A", DRIFT_ACT_REPAIR, true, false, false},
		/* Not repaired: the same drift, not logged again, tried again. */
		{100, "A", DRIFT_ACT_REPAIR, false, false, false},
		{200, "A", DRIFT_ACT_REPAIR, false, false, false},
		{300, "A", DRIFT_ACT_HOLD, true, false, false},
	};

	run_steps(DRIFT_REPAIR, steps, ELEMENTSOF(steps));
}

static void test_report(void **state)
{
	static const struct step steps[] = {
		{0, "A", DRIFT_ACT_REPORT, true, false, false},
		{100, "A", DRIFT_ACT_REPORT, false, false, false},
		{200, "AB", DRIFT_ACT_REPORT, true, false, false},
		{300, "AB", DRIFT_ACT_REPORT, false, false, false},
	};

	run_steps(DRIFT_REPORT, steps, ELEMENTSOF(steps));
}

/* An apply of the intent in effect repairs, whatever the mode or a hold. */
static void test_apply_repairs(void **state)
{
	enum drift_action act;
	struct oplist ops;
	struct drift d;
	bool is_new;

	drift_init(&d, DRIFT_REPORT);
	ops_of("A", &ops);
	assert_int_equal(drift_found(&d, &ops, true, 0, strdup("T"), &is_new, &act), 0);
	assert_int_equal(act, DRIFT_ACT_REPORT);
	assert_int_equal(drift_found(&d, &ops, false, 10, strdup("U"), &is_new, &act), 0);
	assert_int_equal(act, DRIFT_ACT_REPAIR);
	assert_false(is_new);
	oplist_done(&ops);
	drift_done(&d);
}

static void test_status(void **state)
{
	struct proto_status_drift s;
	enum drift_action act;
	struct oplist ops;
	struct drift d;
	bool is_new;

	drift_init(&d, DRIFT_REPAIR);
	assert_int_equal(drift_status(&d, NULL, &s), 0);
	assert_string_equal(s.mode, "repair");
	assert_false(s.present);
	proto_status_drift_done(&s);
	assert_int_equal(drift_status(&d, "no watch", &s), 0);
	assert_null(s.mode);
	assert_string_equal(s.watch_error, "no watch");
	proto_status_drift_done(&s);

	ops_of("ABCDEFGHIJKLMNOPQRSTUVWXY", &ops); /* 25 objects: the first 20 named */
	assert_int_equal(drift_found(&d, &ops, true, 0, strdup("2026-01-01T00:00:00.000Z"),
				     &is_new, &act),
			 0);
	assert_int_equal(drift_status(&d, NULL, &s), 0);
	assert_true(s.present);
	assert_string_equal(s.detected, "2026-01-01T00:00:00.000Z");
	assert_int_equal(s.total, 25);
	assert_int_equal(s.n_objects, PROTO_DRIFT_OBJECTS);
	assert_string_equal(s.objects[1].pointer, "/routes/1");
	assert_string_equal(s.objects[1].operation, "create fw-rule 10.66.0.0/16 accept");
	assert_string_equal(s.state, "reported");
	assert_null(s.repaired);
	proto_status_drift_done(&s);

	drift_repaired(&d, false, "watch", strdup("x"), "the kernel said no");
	assert_int_equal(drift_status(&d, NULL, &s), 0);
	assert_string_equal(s.state, "failed");
	assert_string_equal(s.error, "the kernel said no");
	assert_null(s.repaired);
	proto_status_drift_done(&s);

	drift_repaired(&d, true, "apply", strdup("2026-01-01T00:00:01.000Z"), NULL);
	assert_int_equal(drift_status(&d, NULL, &s), 0);
	assert_string_equal(s.state, "repaired");
	assert_string_equal(s.repaired, "2026-01-01T00:00:01.000Z");
	assert_string_equal(s.repaired_by, "apply");
	assert_null(s.error);
	proto_status_drift_done(&s);
	oplist_done(&ops);
	drift_done(&d);
}

static void test_enums(void **state)
{
	int i;

	for (i = DRIFT_REPAIR; i <= DRIFT_REPORT; i++)
		assert_int_equal(drift_mode_from_string(drift_mode_to_string(i)), i);
	assert_int_equal(drift_mode_from_string("fix"), -EINVAL);
	for (i = DRIFT_REPAIRED; i <= DRIFT_FAILED; i++)
		assert_non_null(drift_state_to_string(i));
	assert_null(drift_state_to_string(DRIFT_FAILED + 1));
}

/* ---- the watch's filter ---- */

static char buf[8192];

static struct nlmsghdr *nft_msg(uint16_t msg, uint8_t family, const char *table)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(memset(buf, 0, sizeof(buf)));
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | msg;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	if (table)
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	return nlh;
}

static struct nlmsghdr *route_msg(uint16_t type, uint8_t family, uint32_t table, unsigned flags,
				  const char *dst, uint8_t dst_len, uint8_t proto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(memset(buf, 0, sizeof(buf)));
	struct rtmsg *rt;
	uint8_t a[16];

	nlh->nlmsg_type = type;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = family;
	rt->rtm_table = table < 256 ? table : RT_TABLE_COMPAT;
	rt->rtm_flags = flags;
	rt->rtm_dst_len = dst_len;
	rt->rtm_protocol = proto;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (dst) {
		assert_int_equal(inet_pton(family, dst, a), 1);
		mnl_attr_put(nlh, RTA_DST, family == AF_INET6 ? 16 : 4, a);
	}
	return nlh;
}

static struct nlmsghdr *addr_msg(uint8_t family, int ifindex, const char *addr, int proto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(memset(buf, 0, sizeof(buf)));
	struct ifaddrmsg *ifa;
	uint8_t a[16];

	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_index = ifindex;
	assert_int_equal(inet_pton(family, addr, a), 1);
	mnl_attr_put(nlh, IFA_ADDRESS, family == AF_INET6 ? 16 : 4, a);
	if (proto >= 0)
		mnl_attr_put_u8(nlh, IFA_PROTO, (uint8_t)proto);
	return nlh;
}

static struct nlmsghdr *link_msg(uint16_t type, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(memset(buf, 0, sizeof(buf)));
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	return nlh;
}

static void test_filter(void **state)
{
#define NFT(msg, fam, table, want)                                                                 \
	assert_int_equal(kernel_watch_relevant(nft_msg(msg, fam, table), true, "vrouter"), want)
	NFT(NFT_MSG_NEWRULE, NFPROTO_INET, "vrouter", true);
	NFT(NFT_MSG_DELTABLE, NFPROTO_INET, "vrouter", true);
	NFT(NFT_MSG_DELSETELEM, NFPROTO_INET, "vrouter", true);
	NFT(NFT_MSG_NEWRULE, NFPROTO_INET, "other", false);
	NFT(NFT_MSG_NEWRULE, NFPROTO_IPV4, "vrouter", false);
	NFT(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, NULL, false);
	NFT(NFT_MSG_DELRULE, NFPROTO_INET, NULL, true); /* unreadable: kept */
#undef NFT
#define RT(msg)                                                                                    \
	kernel_watch_relevant(msg, false, "vrouter")
	assert_true(RT(route_msg(RTM_DELROUTE, AF_INET, RT_TABLE_MAIN, 0, "10.2.0.0", 16, 86)));
	assert_true(RT(route_msg(RTM_NEWROUTE, AF_INET, RT_TABLE_MAIN, 0, "10.2.0.0", 16, 4)));
	assert_false(RT(route_msg(RTM_NEWROUTE, AF_INET, 100, 0, "10.2.0.0", 16, 86)));
	assert_false(RT(route_msg(RTM_NEWROUTE, AF_INET, 1000, 0, "10.2.0.0", 16, 86)));
	assert_false(RT(route_msg(RTM_DELROUTE, AF_INET, RT_TABLE_LOCAL, 0, "10.1.1.1", 32, 2)));
	assert_false(RT(route_msg(RTM_NEWROUTE, AF_INET6, RT_TABLE_MAIN, RTM_F_CLONED,
				  "2001:db8::1", 128, 2)));
	assert_false(RT(route_msg(RTM_NEWROUTE, AF_INET6, RT_TABLE_MAIN, 0, "fe80::", 64,
				  RTPROT_KERNEL)));
	assert_true(RT(route_msg(RTM_NEWROUTE, AF_INET6, RT_TABLE_MAIN, 0, "2001:db8::", 64,
				 RTPROT_KERNEL)));
	assert_false(RT(addr_msg(AF_INET, 1, "127.0.0.2", -1)));
	assert_true(RT(addr_msg(AF_INET, 2, "10.1.1.1", 86)));
	assert_true(RT(addr_msg(AF_INET, 2, "10.1.1.1", -1)));
	assert_false(RT(addr_msg(AF_INET6, 2, "fe80::1", -1)));
	assert_true(RT(addr_msg(AF_INET6, 2, "fe80::1", 86)));
	assert_true(RT(addr_msg(AF_INET6, 2, "2001:db8::1", -1)));
	assert_false(RT(link_msg(RTM_NEWLINK, 1)));
	assert_true(RT(link_msg(RTM_NEWLINK, 2)));
	assert_true(RT(link_msg(RTM_DELLINK, 7)));
	assert_false(RT(link_msg(RTM_NEWNEIGH, 2)));
#undef RT
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_verified),
		cmocka_unit_test(test_check_error),
		cmocka_unit_test(test_repair_and_hold),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_failed_repairs_count),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_apply_repairs),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
