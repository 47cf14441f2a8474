/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink messages for links, addresses and routes: pure builders (a request from the
 * plan's typed payloads) and parsers (a dumped or built message back into them), so that every
 * pair is round-trip tested without a kernel. No I/O: netlink-sock.c sends and receives.
 *
 * Builders write into a caller buffer of NETLINK_MSG_BUF_SIZE bytes and return the message, with
 * NLM_F_REQUEST and the given flags set; the socket adds NLM_F_ACK and the sequence number.
 * Parsers return 0, or -EINVAL for a message that is not what they read (wrong type, short
 * header, malformed or missing attributes). They read nlmsg_len bytes rounded up to netlink's
 * 4-byte alignment, as received messages are laid out.
 *
 * Ownership marks: the agent's routes carry rtm_protocol NETLINK_MSG_PROTO_SELF, its addresses
 * IFA_PROTO NETLINK_MSG_PROTO_SELF (the kernel keeps IFA_PROTO since Linux 6.1), its tunnel links
 * the device group NETLINK_MSG_GROUP_SELF.
 */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/object.h"

#define NETLINK_MSG_BUF_SIZE 1024 /* room for any request built here */
#define NETLINK_MSG_PROTO_SELF 86 /* "vrouter" in /etc/iproute2/rt_protos.d/vrouter.conf */
#define NETLINK_MSG_GROUP_SELF 86 /* device group of the agent's tunnel links */
#define NETLINK_MSG_KIND_SIZE 32

/* ---- links ---- */

struct netlink_msg_link {
	struct obj_link link; /* name, MAC (a 6-byte hardware address), MTU, up (IFF_UP) */
	int ifindex;
	unsigned type;		     /* ARPHRD_* */
	uint32_t group;
	char kind[NETLINK_MSG_KIND_SIZE]; /* IFLA_INFO_KIND; "" when none */
	bool has_stats;		     /* IFLA_STATS64 was there */
	uint64_t rx_packets, rx_bytes, rx_errors, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_errors, tx_dropped;
};

/* What netlink_msg_link_change() changes. */
enum {
	NETLINK_MSG_LINK_NAME = 1 << 0,
	NETLINK_MSG_LINK_MTU = 1 << 1,
	NETLINK_MSG_LINK_UP = 1 << 2,	 /* IFF_UP set to link->up */
	NETLINK_MSG_LINK_GROUP = 1 << 3, /* the device group `group` */
};

/* RTM_NEWLINK on ifindex changing the parts of l in `what`. */
struct nlmsghdr *netlink_msg_link_change(void *buf, int ifindex, const struct obj_link *l,
					 unsigned what, uint32_t group);
/* RTM_NEWLINK creating a link of `kind` (NLM_F_CREATE|NLM_F_EXCL): name, MTU (if set), up,
 * group. */
struct nlmsghdr *netlink_msg_link_create(void *buf, const struct obj_link *l, const char *kind,
					 uint32_t group);
struct nlmsghdr *netlink_msg_link_delete(void *buf, int ifindex);
/* RTM_NEWLINK setting net.ipv4.conf.<link>.promote_secondaries to 1 (IFLA_AF_SPEC). */
struct nlmsghdr *netlink_msg_link_promote(void *buf, int ifindex);
/* RTM_GETLINK of the link named `name` (no statistics). */
struct nlmsghdr *netlink_msg_link_get(void *buf, const char *name);
/* RTM_GETLINK dump of every link (no statistics). */
struct nlmsghdr *netlink_msg_link_dump(void *buf);
/* RTM_NEWLINK (dumped or built). */
int netlink_msg_link_parse(const struct nlmsghdr *nlh, struct netlink_msg_link *ret);
/* Whether a built RTM_NEWLINK asks for promote_secondaries = 1 (for the round-trip test). */
bool netlink_msg_link_parse_promote(const struct nlmsghdr *nlh);

/* ---- addresses ---- */

struct netlink_msg_addr {
	int ifindex;
	struct ip_prefix addr; /* the local address and its prefix length */
	uint8_t proto;	       /* IFA_PROTO; 0 when absent */
	uint32_t flags;	       /* IFA_F_* */
};

/* RTM_NEWADDR (with IFA_PROTO) or RTM_DELADDR (without) of a->addr on a->ifindex. */
struct nlmsghdr *netlink_msg_addr_build(void *buf, uint16_t type, uint16_t flags,
					const struct netlink_msg_addr *a);
/* RTM_GETADDR dump of one family (AF_UNSPEC: both), of one link (ifindex > 0) or all. */
struct nlmsghdr *netlink_msg_addr_dump(void *buf, int family, int ifindex);
int netlink_msg_addr_parse(const struct nlmsghdr *nlh, struct netlink_msg_addr *ret);

/* ---- routes ---- */

struct netlink_msg_route {
	struct obj_route route; /* to, metric, via (dev is the caller's: oif) */
	int oif;		/* 0: none */
	uint32_t table;
	uint8_t proto;
	uint8_t type;  /* RTN_* */
	uint8_t scope; /* RT_SCOPE_* */
	uint8_t tos;	 /* parsed only */
	uint8_t src_len; /* parsed only: of a source prefix (IPv6 source routing) */
	unsigned flags;	 /* rtm_flags */
	/* More than an obj_route says: several nexthops, a nexthop object, a gateway of the
	 * other family, a source prefix, a TOS, or not a unicast route. */
	bool opaque;
};

/*
 * RTM_NEWROUTE or RTM_DELROUTE of r->route in r->table, with r->proto, r->oif and, for a new
 * route, type unicast and the scope a unicast route needs (link without a gateway in IPv4,
 * universe otherwise). A delete matches any scope and type.
 */
struct nlmsghdr *netlink_msg_route_build(void *buf, uint16_t type, uint16_t flags,
					 const struct netlink_msg_route *r);
/* RTM_GETROUTE dump of one family (AF_UNSPEC: both) and table, of one protocol (proto > 0)
 * or all, through one link (oif > 0) or all. */
struct nlmsghdr *netlink_msg_route_dump(void *buf, int family, uint32_t table, uint8_t proto,
					int oif);
int netlink_msg_route_parse(const struct nlmsghdr *nlh, struct netlink_msg_route *ret);

/* ---- dumped messages sent back ---- */

/*
 * A dumped RTM_NEWADDR or RTM_NEWROUTE turned into a request with `flags` (e.g. to restore
 * an object exactly as it was). The attributes the kernel only reports are dropped (address
 * cache information stays: it carries the lifetimes). Returns NULL when it does not fit.
 */
struct nlmsghdr *netlink_msg_from_dump(void *buf, size_t size, const struct nlmsghdr *dumped,
				       uint16_t flags);

/* ---- names of protocols (owners) ---- */

#define NETLINK_MSG_PROTO_STRLEN 16
/* A route protocol's name as iproute2 spells it ("kernel", "static", "dhcp"), else its
 * number. */
const char *netlink_msg_route_proto_to_string(uint8_t proto, char buf[NETLINK_MSG_PROTO_STRLEN]);
/* A name or a number 0-255; -EINVAL otherwise. */
int netlink_msg_route_proto_from_string(const char *s);
/* An address protocol's name ("unspec", "kernel_lo", "kernel_ra", "kernel_ll"), else its
 * number. */
const char *netlink_msg_addr_proto_to_string(uint8_t proto, char buf[NETLINK_MSG_PROTO_STRLEN]);
int netlink_msg_addr_proto_from_string(const char *s);
