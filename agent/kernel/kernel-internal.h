/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend's parts: observe (kernel-observe.c), links (kernel-link.c), addresses
 * and routes (kernel-route.c), and what they share (backend-kernel.c).
 */
#pragma once

#include "kernel.h"
#include "netlink-msg.h"
#include "netlink-sock.h"
#include "plan/backend.h"

/*
 * A kernel object as it was before an operation of this apply displaced it: a foreign address
 * or route the agent took over, or one that was in the way of an object the agent created
 * (one the observed state did not show). Its dump message goes back to the kernel when the
 * operation is undone, so that the undo is exact. For a tunnel link taken over, its group
 * (kind OBJ_LINK, no message); for a link taken down, each route through it that the kernel
 * dropped (kind OBJ_LINK with the route's message), put back when the link comes up.
 */
struct saved {
	enum object_kind kind;
	int ifindex;	      /* address, link */
	struct ip_prefix p;   /* address; route: its destination */
	uint32_t metric;      /* route */
	uint32_t group;	      /* link */
	struct nlmsghdr *msg; /* address, route: malloc'd dump message */
};

/* Per-link settings this apply has made (KERNEL_CONF_*). */
struct link_conf {
	int ifindex;
	unsigned done;
};

struct ifname_cache {
	int ifindex;
	char name[OBJ_NAME_SIZE];
};

struct kernel {
	struct backend b;
	struct netlink_sock *sock; /* opened on first use */
	struct saved *saved;
	size_t n_saved;
	struct link_conf *conf;
	size_t n_conf;
	struct ifname_cache *names; /* current names of links, until the next link operation */
	size_t n_names;
};

/* The socket, opened on first use. 0 or negative errno with the reason in err. */
int kernel_sock(struct kernel *k, struct strbuf *err);
/* Appends the message (the kernel's own, or what failed) to err; returns r. */
int kernel_fail(const struct op *op, int r, struct strbuf *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The index of the link currently named `name` (cached until the next link operation).
 * -ENODEV when there is none. */
int kernel_ifindex(struct kernel *k, const char *name);
/* The link currently named `name`. -ENODEV when there is none. */
int kernel_link_get(struct kernel *k, const char *name, struct netlink_msg_link *ret);
/* Forgets cached link names (after a link changed). */
void kernel_names_forget(struct kernel *k);
/*
 * Settings of the links the agent manages, made once per apply before the first change that
 * needs them (a link replaced, an address added or deleted) and never taken back:
 *   KERNEL_CONF_PROMOTE  net.ipv4.conf.<link>.promote_secondaries=1 (through rtnetlink):
 *                        deleting a primary IPv4 address keeps the secondaries of its network
 *   KERNEL_CONF_KEEP     net.ipv6.conf.<link>.keep_addr_on_down=1 (/proc/sys): a link taken
 *                        down keeps its IPv6 addresses, as it keeps its IPv4 ones
 * A link without IPv4 or IPv6 is left as it is. 0 or negative errno.
 */
enum {
	KERNEL_CONF_PROMOTE = 1 << 0,
	KERNEL_CONF_KEEP = 1 << 1,
};
int kernel_link_conf(struct kernel *k, int ifindex, const char *name, unsigned what);

/* Keeps s (and its message). 0 or -ENOMEM. */
int kernel_save(struct kernel *k, const struct saved *s);
/* The saved object of that identity (address: link, address and for IPv4 length; route:
 * destination and metric; link: ifindex, its group), or NULL. */
struct saved *kernel_saved_find(struct kernel *k, enum object_kind kind, int ifindex,
				const struct ip_prefix *p, uint32_t metric);
void kernel_saved_drop(struct kernel *k, struct saved *s);
/* Sends the kept object back to the kernel as it was (create or replace). */
int kernel_saved_send(struct kernel *k, const struct saved *s);
/* A malloc'd copy of a message, or NULL. */
struct nlmsghdr *kernel_msg_dup(const struct nlmsghdr *nlh);
void kernel_saved_clear(struct kernel *k);

int kernel_observe(struct backend *b, struct observed *obs, struct errlist *errs);
/* The traffic counters of every link but the loopback (IFLA_STATS64), in kernel order. */
int kernel_counters(struct backend *b, struct counterlist *list, struct strbuf *err);
int kernel_link_apply(struct kernel *k, const struct op *op, struct strbuf *err);
int kernel_addr_apply(struct kernel *k, const struct op *op, struct strbuf *err);
int kernel_route_apply(struct kernel *k, const struct op *op, struct strbuf *err);
