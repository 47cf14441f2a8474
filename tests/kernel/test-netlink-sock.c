/* SPDX-License-Identifier: MIT */
/*
 * The netlink socket (agent/kernel/netlink-sock.c) against the real kernel, in a network
 * namespace of its own (unshare; root, else exit 77): rtnetlink requests with the kernel's
 * ACK and extended ACK message, dumps, nfnetlink requests, a batch committed and one refused
 * (the error of the message at fault), link events read and their loss reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "kernel/netlink-msg.h"
#include "kernel/netlink-sock.h"

#define LO 1 /* the loopback's index in a new namespace */

static struct netlink_sock *open_sock(int protocol)
{
	struct strbuf err = {0};
	struct netlink_sock *s = NULL;

	assert_int_equal(netlink_sock_open(&s, protocol, &err), 0);
	strbuf_done(&err);
	return s;
}

static int count(const struct nlmsghdr *nlh, void *data)
{
	(*(int *)data)++;
	return 0;
}

static int refuse(const struct nlmsghdr *nlh, void *data)
{
	return -ECANCELED;
}

/* RTM_NEWLINK events for the loopback: counted in data. */
static int count_lo(const struct nlmsghdr *nlh, void *data)
{
	struct netlink_msg_link l;

	if (netlink_msg_link_parse(nlh, &l) == 0 && l.ifindex == LO)
		(*(int *)data)++;
	return 0;
}

static void set_lo_mtu(struct netlink_sock *s, uint32_t mtu)
{
	struct obj_link l = {.mtu = mtu};
	char buf[NETLINK_MSG_BUF_SIZE];

	assert_int_equal(
	    netlink_sock_talk(s, netlink_msg_link_change(buf, LO, &l, NETLINK_MSG_LINK_MTU, 0),
			      NULL, NULL),
	    0);
}

static void test_route_requests(void **state)
{
	struct netlink_sock *s = open_sock(NETLINK_ROUTE);
	struct obj_link up = {.up = true};
	struct netlink_msg_route r = {.table = RT_TABLE_MAIN, .proto = NETLINK_MSG_PROTO_SELF};
	char buf[NETLINK_MSG_BUF_SIZE];
	int n = 0, e;

	/* An ACK: the loopback up. A dump: its one link, every message to fn. */
	assert_int_equal(
	    netlink_sock_talk(s, netlink_msg_link_change(buf, LO, &up, NETLINK_MSG_LINK_UP, 0),
			      NULL, NULL),
	    0);
	assert_int_equal(netlink_sock_talk(s, netlink_msg_link_dump(buf), count, &n), 0);
	assert_int_equal(n, 1);
	/* fn's error stops the calls and is returned; the socket reads the dump to its end, so
	 * the next request gets its own answer. */
	assert_int_equal(netlink_sock_talk(s, netlink_msg_link_dump(buf), refuse, NULL),
			 -ECANCELED);
	assert_string_equal(netlink_sock_error(s, -ECANCELED), strerror(ECANCELED));
	n = 0;
	assert_int_equal(netlink_sock_talk(s, netlink_msg_addr_dump(buf, AF_INET, 0), count, &n),
			 0);
	assert_int_equal(n, 1); /* 127.0.0.1 */

	/* The kernel's error, with its extended ACK message: a gateway no route reaches. */
	assert_int_equal(prefix_parse("10.9.0.0/16", &r.route.to), 0);
	assert_int_equal(addr_parse("192.0.2.1", &r.route.via), 0);
	r.route.has = OBJ_ROUTE_HAS_VIA;
	e = netlink_sock_talk(
	    s, netlink_msg_route_build(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r), NULL,
	    NULL);
	assert_true(e < 0);
	assert_string_not_equal(netlink_sock_error(s, e), strerror(-e));
	assert_non_null(strstr(netlink_sock_error(s, e), "ateway"));
	/* A request for a link that is not there: an error without a message. */
	e = netlink_sock_talk(s, netlink_msg_link_get(buf, "nosuch"), NULL, NULL);
	assert_int_equal(e, -ENODEV);
	netlink_sock_close(s);
	assert_null(netlink_sock_close(NULL));
}

/* An nfnetlink message: of nf_tables (NFT_MSG_*) with an attribute naming the table or
 * nothing (name NULL), or the start or end of a batch (NFNL_MSG_BATCH_*, batch true). */
static struct nlmsghdr *nfnl_msg(char *buf, bool batch, uint16_t type, uint16_t flags, uint32_t seq,
				 uint16_t name_attr, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = batch ? type : (NFNL_SUBSYS_NFTABLES << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g->nfgen_family = batch ? AF_UNSPEC : NFPROTO_INET;
	g->version = NFNETLINK_V0;
	g->res_id = batch ? htons(NFNL_SUBSYS_NFTABLES) : 0;
	if (name)
		mnl_attr_put_strz(nlh, name_attr, name);
	return nlh;
}

static struct nlmsghdr *nft_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
				uint16_t name_attr, const char *name)
{
	return nfnl_msg(buf, false, type, flags, seq, name_attr, name);
}

struct refusal {
	int n;
	uint32_t seq;
	int error;
	char msg[256];
};

static void on_refused(uint32_t seq, int error, const char *msg, void *data)
{
	struct refusal *f = data;

	f->n++;
	f->seq = seq;
	f->error = error;
	snprintf(f->msg, sizeof(f->msg), "%s", msg);
}

/* BEGIN, a new table, a chain in a table that does not exist (with want_fail), END. */
static int send_batch(struct netlink_sock *s, bool want_fail, struct refusal *f, uint32_t *ret_seq)
{
	static char buf[4096];
	size_t len = 0;
	uint32_t seq = netlink_sock_seq(s, 4);
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nfnl_msg(buf, true, NFNL_MSG_BATCH_BEGIN, 0, seq++, 0, NULL);
	len += nlh->nlmsg_len;
	nlh = nft_msg(buf + len, NFT_MSG_NEWTABLE, NLM_F_CREATE, seq++, NFTA_TABLE_NAME, "t");
	len += nlh->nlmsg_len;
	if (want_fail) {
		*ret_seq = seq;
		nlh = nft_msg(buf + len, NFT_MSG_NEWCHAIN, NLM_F_CREATE, seq++, NFTA_CHAIN_TABLE,
			      "nosuch");
		mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "c");
		len += nlh->nlmsg_len;
	}
	nlh = nfnl_msg(buf + len, true, NFNL_MSG_BATCH_END, 0, seq, 0, NULL);
	len += nlh->nlmsg_len;
	return netlink_sock_batch(s, buf, len, on_refused, f);
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh,
			  sizeof(struct nfgenmsg)) if (mnl_attr_get_type(a) == NFTA_GEN_ID) *
	    (uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return 0;
}

static void test_nft(void **state)
{
	struct netlink_sock *s = open_sock(NETLINK_NETFILTER);
	struct refusal f = {0};
	uint32_t gen = 0, gen2 = 0, bad_seq = 0;
	char buf[1024] = {0};
	int n = 0;

	/* A request answered by one message and the ACK; one refused by the kernel. */
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETGEN, 0, 0, 0, NULL), gen_cb, &gen), 0);
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETTABLE, 0, 0, NFTA_TABLE_NAME, "t"), count,
			      &n),
	    -ENOENT);
	/* A refused batch: the error of the message at fault, and nothing committed. */
	assert_true(send_batch(s, true, &f, &bad_seq) < 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.seq, bad_seq);
	assert_int_equal(f.error, -ENOENT);
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETTABLE, 0, 0, NFTA_TABLE_NAME, "t"), count,
			      &n),
	    -ENOENT);
	/* A committed one: the table is there, the generation moved by one. */
	f = (struct refusal){0};
	assert_int_equal(send_batch(s, false, &f, &bad_seq), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETTABLE, 0, 0, NFTA_TABLE_NAME, "t"), count,
			      &n),
	    0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETTABLE, NLM_F_DUMP, 0, 0, NULL), count, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(
	    netlink_sock_talk(s, nft_msg(buf, NFT_MSG_GETGEN, 0, 0, 0, NULL), gen_cb, &gen2), 0);
	assert_int_equal(gen2, gen + 1);
	netlink_sock_close(s);
}

static void test_events(void **state)
{
	struct netlink_sock *s = open_sock(NETLINK_ROUTE), *ev = NULL;
	struct strbuf err = {0};
	int n = 0, small = 1, i;

	assert_int_equal(netlink_sock_subscribe(&ev, NETLINK_ROUTE, RTMGRP_LINK, &err), 0);
	assert_true(netlink_sock_fd(ev) >= 0);
	/* Nothing queued: nothing read, nothing lost (the socket does not block). */
	assert_int_equal(netlink_sock_read(ev, count_lo, &n), 0);
	assert_int_equal(n, 0);
	set_lo_mtu(s, 1280);
	set_lo_mtu(s, 65536);
	assert_int_equal(netlink_sock_read(ev, count_lo, &n), 0);
	assert_int_equal(n, 2);
	/* fn's error stops the reading. */
	set_lo_mtu(s, 1280);
	assert_int_equal(netlink_sock_read(ev, refuse, NULL), -ECANCELED);
	assert_int_equal(netlink_sock_read(ev, count_lo, &n), 0);
	/* More events than the socket holds: the loss is reported, what is left read. */
	assert_int_equal(
	    setsockopt(netlink_sock_fd(ev), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	for (i = 0; i < 64; i++)
		set_lo_mtu(s, 1280 + (uint32_t)(i % 2));
	n = 0;
	assert_int_equal(netlink_sock_read(ev, count_lo, &n), 1);
	assert_true(n < 64);
	assert_int_equal(netlink_sock_read(ev, count_lo, &n), 0);
	netlink_sock_close(ev);
	netlink_sock_close(s);
	strbuf_done(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_requests),
	    cmocka_unit_test(test_nft),
	    cmocka_unit_test(test_events),
	};

	if (unshare(CLONE_NEWNET) < 0) {
		printf("skip: cannot make a network namespace: %s\n", strerror(errno));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
