/* SPDX-License-Identifier: MIT */
/* The watch of the agent's kernel objects: the two subscribed sockets and the filter. */
#include <errno.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-watch.h"
#include "netlink-msg.h"
#include "netlink-sock.h"

#define LOOPBACK_IFINDEX 1 /* the loopback is the first link of every namespace */

struct kernel_watch {
	struct netlink_sock *rt, *nf;
	char *nft_table;
	bool hit;
};

struct kernel_watch *kernel_watch_close(struct kernel_watch *w)
{
	if (!w)
		return NULL;
	netlink_sock_close(w->rt);
	netlink_sock_close(w->nf);
	free(w->nft_table);
	free(w);
	return NULL;
}

int kernel_watch_open(struct kernel_watch **ret, const char *nft_table, struct strbuf *err)
{
	struct kernel_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w || !(w->nft_table = strdup(nft_table))) {
		kernel_watch_close(w);
		return -ENOMEM;
	}
	r = netlink_sock_subscribe(&w->rt, NETLINK_ROUTE,
				   RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
					   RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
				   err);
	if (r >= 0)
		r = netlink_sock_subscribe(&w->nf, NETLINK_NETFILTER, 1u << (NFNLGRP_NFTABLES - 1),
					   err);
	if (r < 0) {
		kernel_watch_close(w);
		return r;
	}
	*ret = w;
	return 0;
}

size_t kernel_watch_fds(const struct kernel_watch *w, int *ret, size_t max)
{
	size_t n = 0;

	if (w && n < max)
		ret[n++] = netlink_sock_fd(w->rt);
	if (w && n < max)
		ret[n++] = netlink_sock_fd(w->nf);
	return n;
}

/* The first attribute of type type after a header of hdr_len bytes, or NULL. */
static const struct nlattr *watch_attr(const struct nlmsghdr *nlh, size_t hdr_len, uint16_t type)
{
	const struct nlattr *a;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(hdr_len))
		return NULL;
	mnl_attr_for_each(a, nlh, hdr_len) {
		if (mnl_attr_type_valid(a, UINT16_MAX) < 0)
			return NULL;
		if (mnl_attr_get_type(a) == type)
			return a;
	}
	return NULL;
}

static bool watch_nft(const struct nlmsghdr *nlh, const char *table)
{
	const struct nfgenmsg *g;
	const struct nlattr *name;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return false;
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN)
		return false;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g))
		return true;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != NFPROTO_INET)
		return false;
	/* Attribute 1 is the table's name in every message of a table's objects (NFTA_TABLE_NAME,
	 * NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, ...). */
	name = watch_attr(nlh, sizeof(*g), NFTA_TABLE_NAME);
	if (!name || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0)
		return true;
	return !strcmp(mnl_attr_get_str(name), table);
}

static bool watch_addr(const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *proto;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifa))
		return true;
	if (ifa->ifa_index == LOOPBACK_IFINDEX)
		return false;
	if (ifa->ifa_family != AF_INET6)
		return true;
	a = watch_attr(nlh, sizeof(*ifa), IFA_ADDRESS);
	if (!a || mnl_attr_get_payload_len(a) != 16)
		return true;
	proto = watch_attr(nlh, sizeof(*ifa), IFA_PROTO);
	if (proto && mnl_attr_get_payload_len(proto) >= 1 &&
	    *(const uint8_t *)mnl_attr_get_payload(proto) == NETLINK_MSG_PROTO_SELF)
		return true;
	/* fe80::/10 the kernel made: never the agent's. */
	return !(((const uint8_t *)mnl_attr_get_payload(a))[0] == 0xfe &&
		 (((const uint8_t *)mnl_attr_get_payload(a))[1] & 0xc0) == 0x80);
}

static bool watch_route(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*rt))
		return true;
	if (rt->rtm_flags & RTM_F_CLONED)
		return false;
	table = rt->rtm_table;
	a = watch_attr(nlh, sizeof(*rt), RTA_TABLE);
	if (a && mnl_attr_get_payload_len(a) >= 4)
		table = mnl_attr_get_u32(a);
	if (table != RT_TABLE_MAIN)
		return false;
	if (rt->rtm_family == AF_INET6 && rt->rtm_dst_len == 64 &&
	    rt->rtm_protocol == RTPROT_KERNEL) {
		a = watch_attr(nlh, sizeof(*rt), RTA_DST);
		if (a && mnl_attr_get_payload_len(a) == 16 &&
		    ((const uint8_t *)mnl_attr_get_payload(a))[0] == 0xfe &&
		    ((const uint8_t *)mnl_attr_get_payload(a))[1] == 0x80)
			return false;
	}
	return true;
}

bool kernel_watch_relevant(const struct nlmsghdr *nlh, bool nfnetlink, const char *nft_table)
{
	if (nfnetlink)
		return watch_nft(nlh, nft_table);
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		return nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifi) ||
		       ifi->ifi_index != LOOPBACK_IFINDEX;
	}
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return watch_addr(nlh);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return watch_route(nlh);
	default:
		return false;
	}
}

static int watch_rt_event(const struct nlmsghdr *nlh, void *data)
{
	struct kernel_watch *w = data;

	if (!w->hit && kernel_watch_relevant(nlh, false, w->nft_table))
		w->hit = true;
	return 0;
}

static int watch_nf_event(const struct nlmsghdr *nlh, void *data)
{
	struct kernel_watch *w = data;

	if (!w->hit && kernel_watch_relevant(nlh, true, w->nft_table))
		w->hit = true;
	return 0;
}

int kernel_watch_read(struct kernel_watch *w)
{
	int r, q;

	w->hit = false;
	r = netlink_sock_read(w->rt, watch_rt_event, w);
	q = netlink_sock_read(w->nf, watch_nf_event, w);
	if (r < 0)
		return r;
	if (q < 0)
		return q;
	return w->hit || r > 0 || q > 0;
}
