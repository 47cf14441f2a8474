/* SPDX-License-Identifier: MIT */
/* Round trips of the rtnetlink builders and parsers (agent/kernel/netlink-msg.c): build a
 * message, parse it back, compare. No kernel, no root. */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/netlink-msg.h"
#include "lib/cleanup.h"

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct ip_prefix prefix(const char *s)
{
	struct ip_prefix p;

	assert_int_equal(prefix_parse(s, &p), 0);
	return p;
}

static void assert_prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];

	assert_string_equal(prefix_format(a, x), prefix_format(b, y));
	assert_true(addr_equal(&a->addr, &b->addr));
}

/* Appends an attribute to a message by hand (for messages no builder makes). */
static struct nlattr *put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data, size_t n)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	if (n)
		memcpy((char *)a + NLA_HDRLEN, data, n);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

/* ---- links ---- */

static struct obj_link mklink(const char *name, bool has_mtu, uint32_t mtu, bool up)
{
	struct obj_link l = {.mtu = mtu, .up = up};

	snprintf(l.name, sizeof(l.name), "%s", name);
	if (has_mtu)
		l.has |= OBJ_LINK_HAS_MTU;
	return l;
}

static void test_link_change(void **state)
{
	static const struct {
		const char *name;
		uint32_t mtu;
		bool up;
		unsigned what;
		uint32_t group;
	} v[] = {
	    {"web", 1450, true, NETLINK_MSG_LINK_NAME, 0},    /* rename */
	    {"public", 9000, false, NETLINK_MSG_LINK_MTU, 0}, /* MTU */
	    {"db", 1500, false, NETLINK_MSG_LINK_UP, 0},      /* down */
	    {"db", 1500, true, NETLINK_MSG_LINK_UP, 0},	      /* up */
	    {"wg0", 1420, true, NETLINK_MSG_LINK_GROUP, NETLINK_MSG_GROUP_SELF},
	    {"a-long-name-15c", 68, true,
	     NETLINK_MSG_LINK_NAME | NETLINK_MSG_LINK_MTU | NETLINK_MSG_LINK_UP, 0},
	};
	char buf[NETLINK_MSG_BUF_SIZE];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct obj_link l = mklink(v[i].name, true, v[i].mtu, v[i].up);
		struct nlmsghdr *nlh = netlink_msg_link_change(buf, 7, &l, v[i].what, v[i].group);
		const struct ifinfomsg *ifi = (const void *)NLMSG_DATA(nlh);
		struct netlink_msg_link p;

		assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
		assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
		assert_int_equal(ifi->ifi_change, v[i].what & NETLINK_MSG_LINK_UP ? IFF_UP : 0);
		/* A change without a name is not a link the parser accepts: give it one. */
		if (!(v[i].what & NETLINK_MSG_LINK_NAME))
			put_attr(nlh, IFLA_IFNAME, v[i].name, strlen(v[i].name) + 1);
		assert_int_equal(netlink_msg_link_parse(nlh, &p), 0);
		assert_int_equal(p.ifindex, 7);
		assert_string_equal(p.link.name, v[i].name);
		assert_int_equal(!!(p.link.has & OBJ_LINK_HAS_MTU),
				 !!(v[i].what & NETLINK_MSG_LINK_MTU));
		if (v[i].what & NETLINK_MSG_LINK_MTU)
			assert_int_equal(p.link.mtu, v[i].mtu);
		if (v[i].what & NETLINK_MSG_LINK_UP)
			assert_int_equal(p.link.up, v[i].up);
		assert_int_equal(p.group, v[i].what & NETLINK_MSG_LINK_GROUP ? v[i].group : 0);
		assert_false(p.link.has & OBJ_LINK_HAS_MAC);
		assert_false(netlink_msg_link_parse_promote(nlh));
	}
}

static void test_link_create_delete(void **state)
{
	static const struct {
		const char *name;
		bool has_mtu;
		uint32_t mtu;
		bool up;
		uint32_t group;
	} v[] = {
	    {"wg0", true, 1420, true, NETLINK_MSG_GROUP_SELF},
	    {"wg1", false, 0, false, 0},
	};
	char buf[NETLINK_MSG_BUF_SIZE];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct obj_link l = mklink(v[i].name, v[i].has_mtu, v[i].mtu, v[i].up);
		struct nlmsghdr *nlh = netlink_msg_link_create(buf, &l, "wireguard", v[i].group);
		struct netlink_msg_link p;

		assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
		assert_int_equal(netlink_msg_link_parse(nlh, &p), 0);
		assert_int_equal(p.ifindex, 0);
		assert_string_equal(p.link.name, v[i].name);
		assert_string_equal(p.kind, "wireguard");
		assert_int_equal(p.group, v[i].group);
		assert_int_equal(p.link.up, v[i].up);
		assert_int_equal(p.link.has, l.has);
		assert_int_equal(p.link.mtu, v[i].mtu);

		nlh = netlink_msg_link_delete(buf, 12);
		assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
		assert_int_equal(((struct ifinfomsg *)NLMSG_DATA(nlh))->ifi_index, 12);
		assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
	}
}

static void test_link_other(void **state)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct netlink_msg_link p;
	uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 3};

	nlh = netlink_msg_link_promote(buf, 3);
	assert_true(netlink_msg_link_parse_promote(nlh));
	assert_int_equal(((struct ifinfomsg *)NLMSG_DATA(nlh))->ifi_index, 3);

	nlh = netlink_msg_link_get(buf, "web");
	assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
	assert_false(nlh->nlmsg_flags & NLM_F_DUMP);
	nlh->nlmsg_type = RTM_NEWLINK; /* the parser reads the name back */
	assert_int_equal(netlink_msg_link_parse(nlh, &p), 0);
	assert_string_equal(p.link.name, "web");

	nlh = netlink_msg_link_dump(buf);
	assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);

	/* A dumped NIC: its MAC; a hardware address of another length is no MAC. */
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.name = "eth0"},
				      NETLINK_MSG_LINK_NAME, 0);
	put_attr(nlh, IFLA_ADDRESS, mac, 6);
	assert_int_equal(netlink_msg_link_parse(nlh, &p), 0);
	assert_true(p.link.has & OBJ_LINK_HAS_MAC);
	assert_memory_equal(p.link.mac, mac, 6);
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.name = "gre0"},
				      NETLINK_MSG_LINK_NAME, 0);
	put_attr(nlh, IFLA_ADDRESS, mac, 4);
	assert_int_equal(netlink_msg_link_parse(nlh, &p), 0);
	assert_false(p.link.has & OBJ_LINK_HAS_MAC);
}

static void test_link_malformed(void **state)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct netlink_msg_link p;
	uint16_t two = 2;

	/* No name. */
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.mtu = 1500}, NETLINK_MSG_LINK_MTU,
				      0);
	assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
	/* An MTU of two bytes. */
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.name = "x"},
				      NETLINK_MSG_LINK_NAME, 0);
	put_attr(nlh, IFLA_MTU, &two, sizeof(two));
	assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
	/* A name without its NUL, and one too long for a link. */
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.mtu = 1}, 0, 0);
	put_attr(nlh, IFLA_IFNAME, "eth0", 4);
	assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.mtu = 1}, 0, 0);
	put_attr(nlh, IFLA_IFNAME, "sixteen-chars-xx", 17);
	assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
	/* Shorter than its header. */
	nlh = netlink_msg_link_change(buf, 3, &(struct obj_link){.name = "x"},
				      NETLINK_MSG_LINK_NAME, 0);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	assert_int_equal(netlink_msg_link_parse(nlh, &p), -EINVAL);
}

/* ---- addresses ---- */

static void test_addr(void **state)
{
	static const struct {
		const char *addr;
		uint8_t proto;
		uint32_t flags;
	} v[] = {
	    {"10.1.1.1/24", NETLINK_MSG_PROTO_SELF, 0},
	    {"203.0.113.10/32", 0, 0},
	    {"fd00:1::1/64", NETLINK_MSG_PROTO_SELF, 0},
	    {"2001:db8::1/128", IFAPROT_KERNEL_RA, IFA_F_NODAD},
	    {"fe80::1/64", IFAPROT_KERNEL_LL, IFA_F_NOPREFIXROUTE},
	    {"169.254.3.10/16", 200, 0},
	};
	char buf[NETLINK_MSG_BUF_SIZE];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct netlink_msg_addr a = {.ifindex = 4,
					     .addr = prefix(v[i].addr),
					     .proto = v[i].proto,
					     .flags = v[i].flags};
		struct netlink_msg_addr p;
		struct nlmsghdr *nlh;

		nlh = netlink_msg_addr_build(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &a);
		assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
		assert_int_equal(netlink_msg_addr_parse(nlh, &p), 0);
		assert_int_equal(p.ifindex, 4);
		assert_prefix_equal(&p.addr, &a.addr);
		assert_int_equal(p.proto, v[i].proto);
		assert_int_equal(p.flags, v[i].flags);

		nlh = netlink_msg_addr_build(buf, RTM_DELADDR, 0, &a);
		assert_int_equal(nlh->nlmsg_type, RTM_DELADDR);
		assert_int_equal(netlink_msg_addr_parse(nlh, &p), 0);
		assert_prefix_equal(&p.addr, &a.addr);
		assert_int_equal(p.proto, 0);
	}
}

static void test_addr_peer_and_malformed(void **state)
{
	struct netlink_msg_addr a = {.ifindex = 4, .addr = prefix("10.0.0.1/32")};
	struct ip_addr peer = addr("10.0.0.2");
	char buf[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct netlink_msg_addr p;

	/* IFA_ADDRESS is the peer when IFA_LOCAL is there: the local address wins. */
	nlh = netlink_msg_addr_build(buf, RTM_NEWADDR, 0, &a);
	ifa = NLMSG_DATA(nlh);
	memcpy((char *)ifa + NLMSG_ALIGN(sizeof(*ifa)) + NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 4),
	       peer.bytes, 4);
	assert_int_equal(netlink_msg_addr_parse(nlh, &p), 0);
	assert_prefix_equal(&p.addr, &a.addr);

	/* An IPv4 address of 16 bytes; a prefix too long; another family; no address. */
	nlh = netlink_msg_addr_build(buf, RTM_NEWADDR, 0, &a);
	ifa = NLMSG_DATA(nlh);
	ifa->ifa_family = AF_INET6;
	assert_int_equal(netlink_msg_addr_parse(nlh, &p), -EINVAL);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 33;
	assert_int_equal(netlink_msg_addr_parse(nlh, &p), -EINVAL);
	ifa->ifa_prefixlen = 32;
	ifa->ifa_family = AF_PACKET;
	assert_int_equal(netlink_msg_addr_parse(nlh, &p), -EINVAL);
	nlh = netlink_msg_addr_dump(buf, AF_UNSPEC, 0);
	nlh->nlmsg_type = RTM_NEWADDR;
	((struct ifaddrmsg *)NLMSG_DATA(nlh))->ifa_family = AF_INET;
	assert_int_equal(netlink_msg_addr_parse(nlh, &p), -EINVAL);

	nlh = netlink_msg_addr_dump(buf, AF_INET6, 9);
	assert_int_equal(nlh->nlmsg_type, RTM_GETADDR);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);
	assert_int_equal(((struct ifaddrmsg *)NLMSG_DATA(nlh))->ifa_index, 9);
	assert_int_equal(((struct ifaddrmsg *)NLMSG_DATA(nlh))->ifa_family, AF_INET6);
}

/* ---- routes ---- */

static struct netlink_msg_route route(const char *to, uint32_t metric, const char *via, int oif,
				      uint8_t proto)
{
	struct netlink_msg_route r = {.route = {.to = prefix(to), .metric = metric},
				      .oif = oif,
				      .table = RT_TABLE_MAIN,
				      .proto = proto};

	if (via) {
		r.route.via = addr(via);
		r.route.has |= OBJ_ROUTE_HAS_VIA;
	}
	return r;
}

static void assert_route_equal(const struct netlink_msg_route *p, const struct netlink_msg_route *r)
{
	char x[ADDR_STRLEN], y[ADDR_STRLEN];

	assert_prefix_equal(&p->route.to, &r->route.to);
	assert_int_equal(p->route.metric, r->route.metric);
	assert_int_equal(p->route.has, r->route.has);
	if (r->route.has & OBJ_ROUTE_HAS_VIA)
		assert_string_equal(addr_format(&p->route.via, x), addr_format(&r->route.via, y));
	assert_int_equal(p->oif, r->oif);
	assert_int_equal(p->table, r->table);
	assert_int_equal(p->proto, r->proto);
}

static void test_route(void **state)
{
	static const struct {
		const char *to;
		uint32_t metric;
		const char *via;
		int oif;
		uint8_t proto;
		uint8_t scope; /* of the new route */
	} v[] = {
	    {"0.0.0.0/0", 0, "203.0.113.1", 0, NETLINK_MSG_PROTO_SELF, RT_SCOPE_UNIVERSE},
	    {"10.9.0.0/16", 100, "10.1.2.254", 3, NETLINK_MSG_PROTO_SELF, RT_SCOPE_UNIVERSE},
	    {"10.8.0.0/16", 0, NULL, 3, NETLINK_MSG_PROTO_SELF, RT_SCOPE_LINK},
	    {"192.0.2.7/32", UINT32_MAX, NULL, 5, RTPROT_STATIC, RT_SCOPE_LINK},
	    {"::/0", 1024, "fe80::1", 4, NETLINK_MSG_PROTO_SELF, RT_SCOPE_UNIVERSE},
	    {"2001:db8:9::/48", 1024, "fd00:1::fe", 0, NETLINK_MSG_PROTO_SELF, RT_SCOPE_UNIVERSE},
	    {"2001:db8:8::/48", 1, NULL, 4, RTPROT_BOOT, RT_SCOPE_UNIVERSE},
	};
	char buf[NETLINK_MSG_BUF_SIZE];
	size_t i;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		struct netlink_msg_route r =
		    route(v[i].to, v[i].metric, v[i].via, v[i].oif, v[i].proto);
		struct netlink_msg_route p;
		struct nlmsghdr *nlh;

		nlh = netlink_msg_route_build(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r);
		assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
		assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
		assert_route_equal(&p, &r);
		assert_int_equal(p.type, RTN_UNICAST);
		assert_int_equal(p.scope, v[i].scope);
		assert_false(p.opaque);

		nlh = netlink_msg_route_build(buf, RTM_DELROUTE, 0, &r);
		assert_int_equal(nlh->nlmsg_type, RTM_DELROUTE);
		assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
		assert_route_equal(&p, &r);
		assert_int_equal(p.scope, RT_SCOPE_NOWHERE);
		assert_false(p.opaque);
	}
}

/* A dumped IPv4 route with two nexthops, as the kernel sends it. */
static struct nlmsghdr *multipath_dump(char *buf)
{
	struct netlink_msg_route r = route("10.7.0.0/16", 0, NULL, 0, RTPROT_STATIC);
	struct nlmsghdr *nlh = netlink_msg_route_build(buf, RTM_NEWROUTE, 0, &r);
	char mp[64] = {0};
	size_t n = 0;
	int k;

	for (k = 0; k < 2; k++) {
		struct rtnexthop *nh = (struct rtnexthop *)(mp + n);
		struct nlattr *gw = (struct nlattr *)((char *)nh + RTNH_LENGTH(0));
		struct ip_addr a = addr(k ? "10.1.2.253" : "10.1.2.254");

		nh->rtnh_len = RTNH_LENGTH(NLA_HDRLEN + 4);
		nh->rtnh_flags = RTNH_F_LINKDOWN | RTNH_F_ONLINK;
		nh->rtnh_ifindex = 3 + k;
		gw->nla_type = RTA_GATEWAY;
		gw->nla_len = NLA_HDRLEN + 4;
		memcpy((char *)gw + NLA_HDRLEN, a.bytes, 4);
		n += RTNH_ALIGN(nh->rtnh_len);
	}
	put_attr(nlh, RTA_MULTIPATH, mp, n);
	nlh->nlmsg_flags = NLM_F_MULTI;
	return nlh;
}

static void test_route_opaque(void **state)
{
	char buf[NETLINK_MSG_BUF_SIZE], out[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_route r = route("10.6.0.0/16", 0, NULL, 3, RTPROT_STATIC), p;
	struct nlmsghdr *nlh, *req;
	struct rtmsg *rtm;

	/* Several nexthops: the first stands for the route, which is opaque. */
	nlh = multipath_dump(buf);
	assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
	assert_true(p.opaque);
	assert_int_equal(p.oif, 3);
	assert_true(p.route.has & OBJ_ROUTE_HAS_VIA);
	{
		struct ip_addr first = addr("10.1.2.254");

		assert_true(addr_equal(&p.route.via, &first));
	}
	/* Sent back: the nexthop flags the kernel refuses are cleared, ONLINK kept. */
	req = netlink_msg_from_dump(out, sizeof(out), nlh, NLM_F_CREATE | NLM_F_REPLACE);
	assert_non_null(req);
	assert_int_equal(req->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	assert_int_equal(netlink_msg_route_parse(req, &p), 0);
	assert_true(p.opaque);
	{
		const char *m = memmem(req, req->nlmsg_len, "\x0a\x01\x02\xfd", 4);
		const struct rtnexthop *nh;

		assert_non_null(m);
		nh = (const struct rtnexthop *)(m - NLA_HDRLEN - RTNH_LENGTH(0));
		assert_int_equal(nh->rtnh_flags, RTNH_F_ONLINK);
		assert_int_equal(nh->rtnh_ifindex, 4);
	}

	/* A blackhole, a TOS, a source prefix, a gateway of the other family: opaque. */
	nlh = netlink_msg_route_build(buf, RTM_NEWROUTE, 0, &r);
	rtm = NLMSG_DATA(nlh);
	rtm->rtm_type = RTN_BLACKHOLE;
	assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
	assert_true(p.opaque);
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_tos = 0x10;
	assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
	assert_true(p.opaque);
	rtm->rtm_tos = 0;
	put_attr(nlh, RTA_VIA, "\x0a\x00\x20\x01\x0d\xb8", 6);
	assert_int_equal(netlink_msg_route_parse(nlh, &p), 0);
	assert_true(p.opaque);
}

static void test_route_from_dump(void **state)
{
	char buf[NETLINK_MSG_BUF_SIZE], out[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_route r = route("2001:db8:9::/48", 1024, "fd00:1::fe", 4, RTPROT_STATIC),
				 p;
	struct rta_cacheinfo ci = {.rta_expires = 30};
	struct nlmsghdr *nlh, *req;
	struct rtmsg *rtm;

	nlh = netlink_msg_route_build(buf, RTM_NEWROUTE, 0, &r);
	put_attr(nlh, RTA_CACHEINFO, &ci, sizeof(ci));
	put_attr(nlh, RTA_PREF, "\x00", 1);
	nlh->nlmsg_flags = NLM_F_MULTI;
	rtm = NLMSG_DATA(nlh);
	rtm->rtm_flags = RTNH_F_LINKDOWN;
	req = netlink_msg_from_dump(out, sizeof(out), nlh, NLM_F_CREATE);
	assert_non_null(req);
	assert_int_equal(req->nlmsg_len, nlh->nlmsg_len - NLA_ALIGN(NLA_HDRLEN + sizeof(ci)));
	assert_int_equal(((struct rtmsg *)NLMSG_DATA(req))->rtm_flags, 0);
	assert_int_equal(netlink_msg_route_parse(req, &p), 0);
	assert_route_equal(&p, &r);
	assert_null(memmem(req, req->nlmsg_len, &ci, sizeof(ci)));
	/* Too small a buffer; not an address or a route. */
	assert_null(netlink_msg_from_dump(out, nlh->nlmsg_len / 2, nlh, 0));
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_null(netlink_msg_from_dump(out, sizeof(out), nlh, 0));
}

static void test_addr_from_dump(void **state)
{
	struct netlink_msg_addr a = {
	    .ifindex = 4, .addr = prefix("fd00:1::1/64"), .proto = 3, .flags = IFA_F_PERMANENT};
	struct ifa_cacheinfo ci = {.ifa_prefered = 100, .ifa_valid = 200};
	char buf[NETLINK_MSG_BUF_SIZE], out[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *nlh, *req;
	struct netlink_msg_addr p;

	nlh = netlink_msg_addr_build(buf, RTM_NEWADDR, 0, &a);
	put_attr(nlh, IFA_CACHEINFO, &ci, sizeof(ci));
	nlh->nlmsg_flags = NLM_F_MULTI;
	req = netlink_msg_from_dump(out, sizeof(out), nlh, NLM_F_CREATE | NLM_F_REPLACE);
	assert_non_null(req);
	assert_int_equal(req->nlmsg_len, nlh->nlmsg_len);
	assert_memory_equal(NLMSG_DATA(req), NLMSG_DATA(nlh), nlh->nlmsg_len - NLMSG_HDRLEN);
	assert_int_equal(netlink_msg_addr_parse(req, &p), 0);
	assert_prefix_equal(&p.addr, &a.addr);
	assert_int_equal(p.proto, 3);
}

static void test_route_malformed(void **state)
{
	struct netlink_msg_route r = route("10.9.0.0/16", 0, "10.1.2.254", 3,
					   NETLINK_MSG_PROTO_SELF),
				 p;
	char buf[NETLINK_MSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = netlink_msg_route_build(buf, RTM_NEWROUTE, 0, &r);
	rtm = NLMSG_DATA(nlh);
	rtm->rtm_family = AF_INET6; /* 4-byte addresses in an IPv6 route */
	assert_int_equal(netlink_msg_route_parse(nlh, &p), -EINVAL);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 33;
	assert_int_equal(netlink_msg_route_parse(nlh, &p), -EINVAL);
	rtm->rtm_dst_len = 16;
	put_attr(nlh, RTA_PRIORITY, "\x01", 1);
	assert_int_equal(netlink_msg_route_parse(nlh, &p), -EINVAL);

	nlh = netlink_msg_route_dump(buf, AF_UNSPEC, RT_TABLE_MAIN, NETLINK_MSG_PROTO_SELF, 0);
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);
	assert_int_equal(((struct rtmsg *)NLMSG_DATA(nlh))->rtm_protocol, NETLINK_MSG_PROTO_SELF);
	assert_int_equal(netlink_msg_route_parse(nlh, &p), -EINVAL);
}

/* ---- garbage ---- */

/* Every truncation and every single-byte change of valid messages: the parsers answer, and
 * read nothing outside the message (valgrind and ASan watch). */
static void parse_any(const struct nlmsghdr *nlh)
{
	char out[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_link l;
	struct netlink_msg_addr a;
	struct netlink_msg_route r;

	netlink_msg_link_parse(nlh, &l);
	netlink_msg_link_parse_promote(nlh);
	netlink_msg_addr_parse(nlh, &a);
	netlink_msg_route_parse(nlh, &r);
	netlink_msg_from_dump(out, sizeof(out), nlh, NLM_F_CREATE);
}

static void test_garbage(void **state)
{
	struct netlink_msg_addr a = {.ifindex = 4, .addr = prefix("fd00:1::1/64"), .proto = 86};
	struct netlink_msg_route r =
	    route("10.9.0.0/16", 7, "10.1.2.254", 3, NETLINK_MSG_PROTO_SELF);
	struct obj_link l = mklink("web", true, 1450, true);
	char src[4][NETLINK_MSG_BUF_SIZE];
	const struct nlmsghdr *v[4];
	size_t i, n, k;

	v[0] = netlink_msg_link_create(src[0], &l, "wireguard", 86);
	v[1] = netlink_msg_link_promote(src[1], 3);
	v[2] = netlink_msg_addr_build(src[2], RTM_NEWADDR, 0, &a);
	v[3] = netlink_msg_route_build(src[3], RTM_NEWROUTE, 0, &r);
	for (i = 0; i < 4; i++) {
		const struct nlmsghdr *m = v[i];

		for (n = 0; n <= m->nlmsg_len; n++) {
			/* A copy of n bytes claiming n (in a buffer padded to netlink's alignment,
			 * as every received message is), then each byte changed. */
			size_t len = n < NLMSG_HDRLEN ? NLMSG_HDRLEN : n;
			struct nlmsghdr *c = calloc(1, NLMSG_ALIGN(len));

			assert_non_null(c);
			memcpy(c, m, len);
			c->nlmsg_len = (uint32_t)len;
			parse_any(c);
			for (k = sizeof(*c); k < n; k++) {
				((uint8_t *)c)[k] ^= 0xa5;
				parse_any(c);
				((uint8_t *)c)[k] ^= 0xa5;
			}
			free(c);
		}
	}
	{
		char mp[NETLINK_MSG_BUF_SIZE];
		const struct nlmsghdr *m = multipath_dump(mp);

		for (k = sizeof(*m); k < m->nlmsg_len; k++) {
			struct nlmsghdr *c = malloc(m->nlmsg_len);

			assert_non_null(c);
			memcpy(c, m, m->nlmsg_len);
			((uint8_t *)c)[k] = 0xff;
			parse_any(c);
			((uint8_t *)c)[k] = 0x01;
			parse_any(c);
			free(c);
		}
	}
}

/* ---- names of protocols ---- */

static void test_proto_names(void **state)
{
	static const struct {
		const char *s;
		int route, addr;
	} v[] = {
	    {"vrouter", NETLINK_MSG_PROTO_SELF, NETLINK_MSG_PROTO_SELF},
	    {"kernel", RTPROT_KERNEL, -EINVAL},
	    {"static", RTPROT_STATIC, -EINVAL},
	    {"dhcp", RTPROT_DHCP, -EINVAL},
	    {"unspec", RTPROT_UNSPEC, IFAPROT_UNSPEC},
	    {"kernel_ll", -EINVAL, IFAPROT_KERNEL_LL},
	    {"255", 255, 255},
	    {"0", 0, 0},
	    {"256", -EINVAL, -EINVAL},
	    {"-1", -EINVAL, -EINVAL},
	    {"4x", -EINVAL, -EINVAL},
	    {" 4", -EINVAL, -EINVAL},
	    {"", -EINVAL, -EINVAL},
	    {"foreign", -EINVAL, -EINVAL},
	};
	char buf[NETLINK_MSG_PROTO_STRLEN];
	size_t i;
	int n;

	for (i = 0; i < ELEMENTSOF(v); i++) {
		assert_int_equal(netlink_msg_route_proto_from_string(v[i].s), v[i].route);
		assert_int_equal(netlink_msg_addr_proto_from_string(v[i].s), v[i].addr);
	}
	/* Every number has a name, and the name reads back as the number. */
	for (n = 0; n < 256; n++) {
		assert_int_equal(netlink_msg_route_proto_from_string(
				     netlink_msg_route_proto_to_string((uint8_t)n, buf)),
				 n);
		assert_int_equal(netlink_msg_addr_proto_from_string(
				     netlink_msg_addr_proto_to_string((uint8_t)n, buf)),
				 n);
	}
	assert_string_equal(netlink_msg_route_proto_to_string(NETLINK_MSG_PROTO_SELF, buf),
			    OBJECT_OWNER_SELF);
	assert_string_equal(netlink_msg_route_proto_to_string(RTPROT_BOOT, buf), "boot");
	assert_string_equal(netlink_msg_route_proto_to_string(77, buf), "77");
	assert_string_equal(netlink_msg_addr_proto_to_string(IFAPROT_KERNEL_RA, buf), "kernel_ra");
	assert_string_equal(netlink_msg_addr_proto_to_string(RTPROT_STATIC, buf), "4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_change),
		cmocka_unit_test(test_link_create_delete),
		cmocka_unit_test(test_link_other),
		cmocka_unit_test(test_link_malformed),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_peer_and_malformed),
		cmocka_unit_test(test_addr_from_dump),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_route_opaque),
		cmocka_unit_test(test_route_from_dump),
		cmocka_unit_test(test_route_malformed),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_proto_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
