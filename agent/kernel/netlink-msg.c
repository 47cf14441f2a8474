/* SPDX-License-Identifier: MIT */
/* rtnetlink messages for links, addresses and routes: builders and parsers. Pure. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "netlink-msg.h"

static size_t family_size(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Whether the message holds a family header of hdr bytes. */
static bool has_header(const struct nlmsghdr *nlh, size_t hdr)
{
	return nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + hdr;
}

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NETLINK_MSG_BUF_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* An address attribute of the right family into ret (zeroed); false if malformed. */
static bool get_addr(const struct nlattr *a, int family, struct ip_addr *ret)
{
	size_t n = family_size(family);

	if (mnl_attr_get_payload_len(a) != n)
		return false;
	*ret = (struct ip_addr){.family = family};
	memcpy(ret->bytes, mnl_attr_get_payload(a), n);
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *ret)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*ret = mnl_attr_get_u32(a);
	return true;
}

/* A NUL-terminated string attribute that fits in size bytes. */
static bool get_str(const struct nlattr *a, char *ret, size_t size)
{
	const char *s = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a), len = strnlen(s, n);

	if (len == n || len >= size)
		return false;
	memcpy(ret, s, len + 1);
	return true;
}

/* ---- links ---- */

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

static void put_up(struct ifinfomsg *ifi, bool up)
{
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
}

struct nlmsghdr *netlink_msg_link_change(void *buf, int ifindex, const struct obj_link *l,
					 unsigned what, uint32_t group)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = put_ifinfo(nlh, ifindex);

	if (what & NETLINK_MSG_LINK_UP)
		put_up(ifi, l->up);
	if (what & NETLINK_MSG_LINK_NAME)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (what & NETLINK_MSG_LINK_MTU)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (what & NETLINK_MSG_LINK_GROUP)
		mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return nlh;
}

struct nlmsghdr *netlink_msg_link_create(void *buf, const struct obj_link *l, const char *kind,
					 uint32_t group)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = put_ifinfo(nlh, 0);
	struct nlattr *info;

	put_up(ifi, l->up);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (l->has & OBJ_LINK_HAS_MTU)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *netlink_msg_link_delete(void *buf, int ifindex)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_DELLINK, 0);

	put_ifinfo(nlh, ifindex);
	return nlh;
}

struct nlmsghdr *netlink_msg_link_promote(void *buf, int ifindex)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, 0);
	struct nlattr *spec, *inet, *conf;

	put_ifinfo(nlh, ifindex);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_PROMOTE_SECONDARIES, 1);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return nlh;
}

struct nlmsghdr *netlink_msg_link_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, 0);

	put_ifinfo(nlh, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

struct nlmsghdr *netlink_msg_link_dump(void *buf)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, NLM_F_DUMP);

	put_ifinfo(nlh, 0);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

static bool parse_linkinfo(const struct nlattr *info, struct netlink_msg_link *l)
{
	const struct nlattr *a;

	if (mnl_attr_validate(info, MNL_TYPE_NESTED) < 0)
		return false;
	mnl_attr_for_each_nested(a, info)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    !get_str(a, l->kind, sizeof(l->kind)))
			return false;
	return true;
}

/* The counters of IFLA_STATS64 (struct rtnl_link_stats64, possibly a shorter older one). */
static void parse_stats(const struct nlattr *a, struct netlink_msg_link *l)
{
	struct rtnl_link_stats64 st = {0};
	size_t len = mnl_attr_get_payload_len(a);

	memcpy(&st, mnl_attr_get_payload(a), len < sizeof(st) ? len : sizeof(st));
	if (len < offsetof(struct rtnl_link_stats64, tx_dropped) + sizeof(st.tx_dropped))
		return;
	l->has_stats = true;
	l->rx_packets = st.rx_packets;
	l->rx_bytes = st.rx_bytes;
	l->rx_errors = st.rx_errors;
	l->rx_dropped = st.rx_dropped;
	l->tx_packets = st.tx_packets;
	l->tx_bytes = st.tx_bytes;
	l->tx_errors = st.tx_errors;
	l->tx_dropped = st.tx_dropped;
}

int netlink_msg_link_parse(const struct nlmsghdr *nlh, struct netlink_msg_link *ret)
{
	const struct ifinfomsg *ifi;
	struct netlink_msg_link l = {0};
	const struct nlattr *a;
	bool ok = true, named = false;

	if (nlh->nlmsg_type != RTM_NEWLINK || !has_header(nlh, sizeof(*ifi)))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	l.ifindex = ifi->ifi_index;
	l.type = ifi->ifi_type;
	l.link.up = ifi->ifi_flags & IFF_UP;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			ok = named = get_str(a, l.link.name, sizeof(l.link.name));
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(l.link.mac, mnl_attr_get_payload(a), 6);
				l.link.has |= OBJ_LINK_HAS_MAC;
			}
			break;
		case IFLA_MTU:
			ok = get_u32(a, &l.link.mtu);
			l.link.has |= OBJ_LINK_HAS_MTU;
			break;
		case IFLA_GROUP:
			ok = get_u32(a, &l.group);
			break;
		case IFLA_LINKINFO:
			ok = parse_linkinfo(a, &l);
			break;
		case IFLA_STATS64:
			parse_stats(a, &l);
			break;
		default:
			break;
		}
		if (!ok)
			return -EINVAL;
	}
	if (!named)
		return -EINVAL;
	*ret = l;
	return 0;
}

bool netlink_msg_link_parse_promote(const struct nlmsghdr *nlh)
{
	const struct nlattr *spec, *inet, *conf, *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || !has_header(nlh, sizeof(struct ifinfomsg)))
		return false;
	mnl_attr_for_each(spec, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(spec) != IFLA_AF_SPEC)
			continue;
		mnl_attr_for_each_nested(inet, spec) {
			if (mnl_attr_get_type(inet) != AF_INET)
				continue;
			mnl_attr_for_each_nested(conf, inet) {
				if (mnl_attr_get_type(conf) != IFLA_INET_CONF)
					continue;
				mnl_attr_for_each_nested(a, conf)
					if (mnl_attr_get_type(a) ==
						    IPV4_DEVCONF_PROMOTE_SECONDARIES &&
					    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
						return mnl_attr_get_u32(a) == 1;
			}
		}
	}
	return false;
}

/* ---- addresses ---- */

struct nlmsghdr *netlink_msg_addr_build(void *buf, uint16_t type, uint16_t flags,
					const struct netlink_msg_addr *a)
{
	struct nlmsghdr *nlh = put_header(buf, type, flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t n = family_size(a->addr.addr.family);

	ifa->ifa_family = (uint8_t)a->addr.addr.family;
	ifa->ifa_prefixlen = a->addr.len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)a->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, n, a->addr.addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, n, a->addr.addr.bytes);
	if (type == RTM_NEWADDR) {
		mnl_attr_put_u8(nlh, IFA_PROTO, a->proto);
		if (a->flags)
			mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	}
	return nlh;
}

struct nlmsghdr *netlink_msg_addr_dump(void *buf, int family, int ifindex)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (uint32_t)(ifindex > 0 ? ifindex : 0);
	return nlh;
}

int netlink_msg_addr_parse(const struct nlmsghdr *nlh, struct netlink_msg_addr *ret)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *a, *local = NULL, *address = NULL;
	struct netlink_msg_addr r = {0};

	if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
	    !has_header(nlh, sizeof(*ifa)))
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    ifa->ifa_prefixlen > addr_max_len(ifa->ifa_family))
		return -EINVAL;
	r.ifindex = (int)ifa->ifa_index;
	r.addr.len = ifa->ifa_prefixlen;
	r.flags = ifa->ifa_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(a)) {
		case IFA_LOCAL:
			local = a;
			break;
		case IFA_ADDRESS:
			address = a;
			break;
		case IFA_PROTO:
			if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
				return -EINVAL;
			r.proto = mnl_attr_get_u8(a);
			break;
		case IFA_FLAGS:
			if (!get_u32(a, &r.flags))
				return -EINVAL;
			break;
		default:
			break;
		}
	}
	/* IFA_LOCAL is the local address; IFA_ADDRESS alone is it too (else the peer). */
	if (!local)
		local = address;
	if (!local || !get_addr(local, ifa->ifa_family, &r.addr.addr))
		return -EINVAL;
	*ret = r;
	return 0;
}

/* ---- routes ---- */

struct nlmsghdr *netlink_msg_route_build(void *buf, uint16_t type, uint16_t flags,
					 const struct netlink_msg_route *r)
{
	struct nlmsghdr *nlh = put_header(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	const struct obj_route *o = &r->route;
	int family = o->to.addr.family;
	bool via = o->has & OBJ_ROUTE_HAS_VIA;

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = o->to.len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->proto;
	if (type == RTM_DELROUTE) {
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		rtm->rtm_type = RTN_UNSPEC;
	} else {
		rtm->rtm_scope = family == AF_INET && !via ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
		rtm->rtm_type = RTN_UNICAST;
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (o->to.len)
		mnl_attr_put(nlh, RTA_DST, family_size(family), o->to.addr.bytes);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, o->metric);
	if (via)
		mnl_attr_put(nlh, RTA_GATEWAY, family_size(family), o->via.bytes);
	if (r->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	return nlh;
}

struct nlmsghdr *netlink_msg_route_dump(void *buf, int family, uint32_t table, uint8_t proto,
					int oif)
{
	struct nlmsghdr *nlh = put_header(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_protocol = proto;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

/* The first nexthop of RTA_MULTIPATH: its device and gateway. */
static bool parse_multipath(const struct nlattr *mp, int family, struct netlink_msg_route *r)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	const struct nlattr *a;

	if (len < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return false;
	r->oif = nh->rtnh_ifindex;
	for (a = (const struct nlattr *)((const char *)nh + RTNH_LENGTH(0));
	     mnl_attr_ok(a, (int)((const char *)nh + nh->rtnh_len - (const char *)a));
	     a = mnl_attr_next(a))
		if (mnl_attr_get_type(a) == RTA_GATEWAY) {
			if (!get_addr(a, family, &r->route.via))
				return false;
			r->route.has |= OBJ_ROUTE_HAS_VIA;
		}
	return true;
}

static bool parse_route_attr(const struct nlattr *a, int family, struct netlink_msg_route *r)
{
	uint32_t u;

	switch (mnl_attr_get_type(a)) {
	case RTA_TABLE:
		return get_u32(a, &r->table);
	case RTA_DST:
		return get_addr(a, family, &r->route.to.addr);
	case RTA_PRIORITY:
		return get_u32(a, &r->route.metric);
	case RTA_GATEWAY:
		if (!get_addr(a, family, &r->route.via))
			return false;
		r->route.has |= OBJ_ROUTE_HAS_VIA;
		return true;
	case RTA_OIF:
		if (!get_u32(a, &u))
			return false;
		r->oif = (int)u;
		return true;
	case RTA_MULTIPATH:
		r->opaque = true;
		return parse_multipath(a, family, r);
	case RTA_VIA:
	case RTA_NH_ID:
		r->opaque = true;
		return true;
	default:
		return true;
	}
}

int netlink_msg_route_parse(const struct nlmsghdr *nlh, struct netlink_msg_route *ret)
{
	const struct rtmsg *rtm;
	struct netlink_msg_route r = {0};
	const struct nlattr *a;
	bool has_dst = false;
	int family;

	if ((nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) ||
	    !has_header(nlh, sizeof(*rtm)))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	family = rtm->rtm_family;
	if ((family != AF_INET && family != AF_INET6) || rtm->rtm_dst_len > addr_max_len(family))
		return -EINVAL;
	r.route.to = (struct ip_prefix){.addr = {.family = family}, .len = rtm->rtm_dst_len};
	r.table = rtm->rtm_table;
	r.proto = rtm->rtm_protocol;
	r.type = rtm->rtm_type;
	r.scope = rtm->rtm_scope;
	r.tos = rtm->rtm_tos;
	r.src_len = rtm->rtm_src_len;
	r.flags = rtm->rtm_flags;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (!parse_route_attr(a, family, &r))
			return -EINVAL;
		has_dst |= mnl_attr_get_type(a) == RTA_DST;
	}
	if (rtm->rtm_dst_len && !has_dst)
		return -EINVAL;
	if (rtm->rtm_src_len || rtm->rtm_tos || (r.type != RTN_UNICAST && r.type != RTN_UNSPEC))
		r.opaque = true;
	*ret = r;
	return 0;
}

/* ---- dumped messages sent back ---- */

/* Copies the attributes of a dumped route, leaving out what the kernel only reports and
 * clearing the nexthop flags it refuses in a request (dead, link down, offload). */
static bool copy_route_attrs(struct nlmsghdr *nlh, size_t size, const struct nlmsghdr *dumped)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, dumped, sizeof(struct rtmsg)) {
		uint16_t t = mnl_attr_get_type(a);
		struct nlattr *copy;

		if (t == RTA_CACHEINFO)
			continue;
		copy = (struct nlattr *)mnl_nlmsg_get_payload_tail(nlh);
		if (!mnl_attr_put_check(nlh, size, t, mnl_attr_get_payload_len(a),
					mnl_attr_get_payload(a)))
			return false;
		if (t == RTA_MULTIPATH) {
			char *p = mnl_attr_get_payload(copy);
			char *end = p + mnl_attr_get_payload_len(copy);

			while (p + sizeof(struct rtnexthop) <= end) {
				struct rtnexthop *nh = (struct rtnexthop *)p;

				if (nh->rtnh_len < sizeof(*nh))
					break;
				nh->rtnh_flags &= RTNH_F_ONLINK;
				p += RTNH_ALIGN(nh->rtnh_len);
			}
		}
	}
	return true;
}

struct nlmsghdr *netlink_msg_from_dump(void *buf, size_t size, const struct nlmsghdr *dumped,
				       uint16_t flags)
{
	size_t hdr = dumped->nlmsg_type == RTM_NEWROUTE ? sizeof(struct rtmsg)
		     : dumped->nlmsg_type == RTM_NEWADDR ? sizeof(struct ifaddrmsg)
							 : 0;
	struct nlmsghdr *nlh;
	const struct nlattr *a;

	if (!hdr || !has_header(dumped, hdr) ||
	    size < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr))
		return NULL;
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = dumped->nlmsg_type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdr), mnl_nlmsg_get_payload(dumped), hdr);
	if (hdr == sizeof(struct rtmsg)) {
		struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		rtm->rtm_flags &= RTNH_F_ONLINK;
		return copy_route_attrs(nlh, size, dumped) ? nlh : NULL;
	}
	mnl_attr_for_each(a, dumped, hdr)
		if (!mnl_attr_put_check(nlh, size, mnl_attr_get_type(a),
					mnl_attr_get_payload_len(a), mnl_attr_get_payload(a)))
			return NULL;
	return nlh;
}

/* ---- names of protocols ---- */

struct proto_name {
	uint8_t n;
	const char *name;
};

/* iproute2's /etc/iproute2/rt_protos, and the agent's own. */
static const struct proto_name route_protos[] = {
    {RTPROT_UNSPEC, "unspec"},
    {RTPROT_REDIRECT, "redirect"},
    {RTPROT_KERNEL, "kernel"},
    {RTPROT_BOOT, "boot"},
    {RTPROT_STATIC, "static"},
    {RTPROT_GATED, "gated"},
    {RTPROT_RA, "ra"},
    {RTPROT_MRT, "mrt"},
    {RTPROT_ZEBRA, "zebra"},
    {RTPROT_BIRD, "bird"},
    {RTPROT_DNROUTED, "dnrouted"},
    {RTPROT_XORP, "xorp"},
    {RTPROT_NTK, "ntk"},
    {RTPROT_DHCP, "dhcp"},
    {RTPROT_MROUTED, "mrouted"},
    {RTPROT_KEEPALIVED, "keepalived"},
    {RTPROT_BABEL, "babel"},
    {RTPROT_OPENR, "openr"},
    {RTPROT_BGP, "bgp"},
    {RTPROT_ISIS, "isis"},
    {RTPROT_OSPF, "ospf"},
    {RTPROT_RIP, "rip"},
    {RTPROT_EIGRP, "eigrp"},
    {NETLINK_MSG_PROTO_SELF, OBJECT_OWNER_SELF},
};

static const struct proto_name addr_protos[] = {
    {IFAPROT_UNSPEC, "unspec"},
    {IFAPROT_KERNEL_LO, "kernel_lo"},
    {IFAPROT_KERNEL_RA, "kernel_ra"},
    {IFAPROT_KERNEL_LL, "kernel_ll"},
    {NETLINK_MSG_PROTO_SELF, OBJECT_OWNER_SELF},
};

static const char *proto_to_string(const struct proto_name *t, size_t n, uint8_t proto,
				   char buf[NETLINK_MSG_PROTO_STRLEN])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].n == proto)
			return t[i].name;
	snprintf(buf, NETLINK_MSG_PROTO_STRLEN, "%u", proto);
	return buf;
}

static int proto_from_string(const struct proto_name *t, size_t n, const char *s)
{
	unsigned long v;
	char *end;
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, s))
			return t[i].n;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 255)
		return -EINVAL;
	return (int)v;
}

const char *netlink_msg_route_proto_to_string(uint8_t proto, char buf[NETLINK_MSG_PROTO_STRLEN])
{
	return proto_to_string(route_protos, ELEMENTSOF(route_protos), proto, buf);
}

int netlink_msg_route_proto_from_string(const char *s)
{
	return proto_from_string(route_protos, ELEMENTSOF(route_protos), s);
}

const char *netlink_msg_addr_proto_to_string(uint8_t proto, char buf[NETLINK_MSG_PROTO_STRLEN])
{
	return proto_to_string(addr_protos, ELEMENTSOF(addr_protos), proto, buf);
}

int netlink_msg_addr_proto_from_string(const char *s)
{
	return proto_from_string(addr_protos, ELEMENTSOF(addr_protos), s);
}
