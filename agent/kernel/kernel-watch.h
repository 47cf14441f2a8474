/* SPDX-License-Identifier: MIT */
/*
 * The watch of the agent's kernel objects (drift, docs/architecture.md "Drift"): one rtnetlink
 * socket in the link, IPv4/IPv6 address and IPv4/IPv6 route groups, and one nfnetlink socket in
 * NFNLGRP_NFTABLES. It only says whether something that may concern the agent's objects
 * happened; what changed is found by observing and planning (the engine), as `plan` does.
 *
 * kernel_watch_relevant() is the filter, pure (a message in, a verdict out): what can never
 * change a plan is left out, so that unrelated kernel churn costs no observe. Kept when in
 * doubt (a message it cannot read): a check that finds nothing is harmless.
 */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/strbuf.h"

struct kernel_watch;

/* Opens and subscribes both sockets. nft_table: the agent's nftables table (family inet); the
 * events of other tables are left out. 0, or negative errno with the reason in err. */
int kernel_watch_open(struct kernel_watch **ret, const char *nft_table, struct strbuf *err);
/* Accepts NULL; returns NULL. */
struct kernel_watch *kernel_watch_close(struct kernel_watch *w);

#define KERNEL_WATCH_FDS 2
/* The descriptors to poll for input (at most max, w may be NULL): how many. */
size_t kernel_watch_fds(const struct kernel_watch *w, int *ret, size_t max);

/* Reads every queued event of both sockets. 1 when one of them may concern the agent's
 * objects (or some were lost: the socket overflowed), 0 when none, or negative errno. */
int kernel_watch_read(struct kernel_watch *w);

/* Whether the event nlh (rtnetlink when nfnetlink is false) may concern the agent's objects:
 *   nftables: an event of the table nft_table in family inet (table, chain, rule, set,
 *             element, object); not NEWGEN, which every commit of anyone sends;
 *   links:    any but the loopback;
 *   addresses: any but on the loopback and the kernel's own IPv6 link-local ones;
 *   routes:   of the main table (others are not the agent's), not cached clones, not the
 *             kernel's fe80::/64. */
bool kernel_watch_relevant(const struct nlmsghdr *nlh, bool nfnetlink, const char *nft_table);
