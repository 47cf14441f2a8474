/* SPDX-License-Identifier: MIT */
/*
 * The parsers of netlink-msg.h (kmsg_link_parse, kmsg_addr_parse, kmsg_route_parse) through
 * libnl-route-3's objects instead of hand-written attribute walks: each message is copied into
 * an nl_msg and parsed by libnl into an rtnl_link, rtnl_addr or rtnl_route, whose getters fill
 * the kmsg structures. Built instead of the hand-written parsers with -DKMSG_PARSE_LIBNL, to
 * measure one against the other (docs/architecture.md, "Why libmnl and not libnl-route-3").
 *
 * What libnl 3.7 does not read or tell is read from the message itself: IFA_PROTO (the owner
 * of an address), RTA_NH_ID (a route through a nexthop object), RTA_MULTIPATH of one nexthop,
 * whether IFLA_MTU, IFLA_STATS64 and an address are there at all (libnl gives 0 for an absent
 * MTU, zero counters, an address of zeros).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <string.h>

#include "netlink-msg.h"

static void keep_object(struct nl_object *obj, void *data)
{
	struct nl_object **ret = data;

	if (!*ret) {
		nl_object_get(obj);
		*ret = obj;
	}
}

/* The message parsed by libnl into its object (nl_object_put() it), or NULL. */
static struct nl_object *parse(const struct nlmsghdr *nlh, size_t hdr)
{
	struct nl_object *obj = NULL;
	struct nl_msg *msg;

	if (nlh->nlmsg_len < NLMSG_LENGTH(hdr))
		return NULL;
	msg = nlmsg_convert((struct nlmsghdr *)nlh);
	if (!msg)
		return NULL;
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	if (nl_msg_parse(msg, keep_object, &obj) < 0 && obj) {
		nl_object_put(obj);
		obj = NULL;
	}
	nlmsg_free(msg);
	return obj;
}

/* An nl_addr of the family into ret. */
static bool get_addr(struct nl_addr *a, int family, struct ip_addr *ret)
{
	size_t n = family == AF_INET6 ? 16 : 4;

	if (!a || nl_addr_get_len(a) != n)
		return false;
	*ret = (struct ip_addr){.family = family};
	memcpy(ret->bytes, nl_addr_get_binary_addr(a), n);
	return true;
}

static const struct nlattr *find_attr(const struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdr)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

int kmsg_link_parse(const struct nlmsghdr *nlh, struct kmsg_link *ret)
{
	struct nl_object *obj;
	struct rtnl_link *link;
	struct kmsg_link l = {0};
	struct nl_addr *mac;
	const char *name, *kind;
	int r = -EINVAL;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -EINVAL;
	obj = parse(nlh, sizeof(struct ifinfomsg));
	if (!obj)
		return -EINVAL;
	link = (struct rtnl_link *)obj;
	name = rtnl_link_get_name(link);
	kind = rtnl_link_get_type(link);
	if (!name || strlen(name) >= sizeof(l.link.name) ||
	    (kind && strlen(kind) >= sizeof(l.kind)))
		goto out;
	strcpy(l.link.name, name);
	if (kind)
		strcpy(l.kind, kind);
	l.ifindex = rtnl_link_get_ifindex(link);
	l.type = rtnl_link_get_arptype(link);
	l.link.up = rtnl_link_get_flags(link) & IFF_UP;
	mac = rtnl_link_get_addr(link);
	if (mac && nl_addr_get_len(mac) == 6) {
		memcpy(l.link.mac, nl_addr_get_binary_addr(mac), 6);
		l.link.has |= OBJ_LINK_HAS_MAC;
	}
	if (find_attr(nlh, sizeof(struct ifinfomsg), IFLA_MTU)) {
		l.link.mtu = rtnl_link_get_mtu(link);
		l.link.has |= OBJ_LINK_HAS_MTU;
	}
	l.group = rtnl_link_get_group(link);
	if (find_attr(nlh, sizeof(struct ifinfomsg), IFLA_STATS64)) {
		l.has_stats = true;
		l.rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
		l.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
		l.rx_errors = rtnl_link_get_stat(link, RTNL_LINK_RX_ERRORS);
		l.rx_dropped = rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED);
		l.tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
		l.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
		l.tx_errors = rtnl_link_get_stat(link, RTNL_LINK_TX_ERRORS);
		l.tx_dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
	}
	*ret = l;
	r = 0;
out:
	nl_object_put(obj);
	return r;
}

int kmsg_addr_parse(const struct nlmsghdr *nlh, struct kmsg_addr *ret)
{
	struct kmsg_addr r = {0};
	const struct nlattr *proto;
	struct nl_object *obj;
	struct rtnl_addr *a;
	int family, q = -EINVAL;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -EINVAL;
	obj = parse(nlh, sizeof(struct ifaddrmsg));
	if (!obj)
		return -EINVAL;
	a = (struct rtnl_addr *)obj;
	family = rtnl_addr_get_family(a);
	/* libnl makes an address of zeros when the message has none. */
	if ((!find_attr(nlh, sizeof(struct ifaddrmsg), IFA_LOCAL) &&
	     !find_attr(nlh, sizeof(struct ifaddrmsg), IFA_ADDRESS)) ||
	    (family != AF_INET && family != AF_INET6) ||
	    rtnl_addr_get_prefixlen(a) > (int)addr_max_len(family) ||
	    !get_addr(rtnl_addr_get_local(a), family, &r.addr.addr))
		goto out;
	r.ifindex = rtnl_addr_get_ifindex(a);
	r.addr.len = (uint8_t)rtnl_addr_get_prefixlen(a);
	r.flags = rtnl_addr_get_flags(a);
	proto = find_attr(nlh, sizeof(struct ifaddrmsg), IFA_PROTO);
	if (proto) {
		if (mnl_attr_validate(proto, MNL_TYPE_U8) < 0)
			goto out;
		r.proto = mnl_attr_get_u8(proto);
	}
	*ret = r;
	q = 0;
out:
	nl_object_put(obj);
	return q;
}

int kmsg_route_parse(const struct nlmsghdr *nlh, struct kmsg_route *ret)
{
	struct kmsg_route r = {0};
	struct rtnl_nexthop *nh;
	struct nl_object *obj;
	struct rtnl_route *rt;
	struct nl_addr *dst, *src;
	int family, q = -EINVAL, n;

	if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
		return -EINVAL;
	obj = parse(nlh, sizeof(struct rtmsg));
	if (!obj)
		return -EINVAL;
	rt = (struct rtnl_route *)obj;
	family = rtnl_route_get_family(rt);
	dst = rtnl_route_get_dst(rt);
	if ((family != AF_INET && family != AF_INET6) || !dst ||
	    nl_addr_get_prefixlen(dst) > addr_max_len(family))
		goto out;
	r.route.to = (struct ip_prefix){.addr = {.family = family},
					.len = (uint8_t)nl_addr_get_prefixlen(dst)};
	if (nl_addr_get_len(dst) && !get_addr(dst, family, &r.route.to.addr))
		goto out;
	r.table = rtnl_route_get_table(rt);
	r.proto = rtnl_route_get_protocol(rt);
	r.type = rtnl_route_get_type(rt);
	r.scope = rtnl_route_get_scope(rt);
	r.tos = rtnl_route_get_tos(rt);
	src = rtnl_route_get_src(rt);
	r.src_len = src ? (uint8_t)nl_addr_get_prefixlen(src) : 0;
	r.flags = rtnl_route_get_flags(rt);
	r.route.metric = rtnl_route_get_priority(rt);
	n = rtnl_route_get_nnexthops(rt);
	nh = n > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
	if (nh) {
		r.oif = rtnl_route_nh_get_ifindex(nh);
		if (rtnl_route_nh_get_gateway(nh)) {
			if (!get_addr(rtnl_route_nh_get_gateway(nh), family, &r.route.via))
				goto out;
			r.route.has |= OBJ_ROUTE_HAS_VIA;
		}
		if (rtnl_route_nh_get_via(nh))
			r.opaque = true;
	}
	if (n > 1 || find_attr(nlh, sizeof(struct rtmsg), RTA_MULTIPATH) ||
	    find_attr(nlh, sizeof(struct rtmsg), RTA_NH_ID) || r.src_len || r.tos ||
	    (r.type != RTN_UNICAST && r.type != RTN_UNSPEC))
		r.opaque = true;
	*ret = r;
	q = 0;
out:
	nl_object_put(obj);
	return q;
}
