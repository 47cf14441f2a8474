/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink socket: one request at a time, each answered by the kernel's ACK (with its
 * extended ACK message on failure) or by a dump. Extended ACKs (NETLINK_EXT_ACK), strict
 * checking of dump requests (NETLINK_GET_STRICT_CHK: the kernel filters dumps by table,
 * protocol and link) and capped ACKs (NETLINK_CAP_ACK) are on.
 */
#pragma once

#include <linux/netlink.h>

#include "lib/strbuf.h"

struct ksock;

/* 0, or negative errno with the reason appended to err. */
int ksock_open(struct ksock **ret, struct strbuf *err);
/* Accepts NULL; returns NULL. */
struct ksock *ksock_close(struct ksock *s);

/* Called for each message of a reply; a negative return stops the calls and is returned. */
typedef int (*ksock_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Sends the request nlh (adding a sequence number, and NLM_F_ACK unless it is a dump) and
 * reads its answer to the end, passing each message before the ACK or the end of the dump to
 * fn (NULL: none expected). Returns 0 or negative errno: the kernel's error, -EINTR for a dump
 * that a concurrent change interrupted (retry it), or fn's error.
 */
int ksock_talk(struct ksock *s, struct nlmsghdr *nlh, ksock_fn fn, void *data);
/* The kernel's message about the error r of the last ksock_talk (its extended ACK), or
 * strerror(-r) when it said nothing. */
const char *ksock_error(const struct ksock *s, int r);
