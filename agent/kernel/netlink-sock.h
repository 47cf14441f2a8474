/* SPDX-License-Identifier: MIT */
/*
 * The netlink socket: the agent's one wrapper of netlink I/O, for rtnetlink (the kernel
 * backend), nfnetlink (the nftables backend) and rtnetlink's link events (the wait for late
 * links, agent/daemon/linkwait.c). Three uses:
 *
 *   requests  netlink_sock_talk(): one request, then its replies or its dump to the end, then the
 *             kernel's ACK with its extended ACK message on failure;
 *   batches   netlink_sock_batch(): one nfnetlink transaction (BEGIN ... END), and the kernel's
 * error for each message it refused; events    a socket from netlink_sock_subscribe()
 * (non-blocking, in multicast groups): netlink_sock_fd() for poll, netlink_sock_read() for what is
 * queued.
 *
 * A request socket has extended ACKs (NETLINK_EXT_ACK: the kernel's own words), capped ACKs
 * (NETLINK_CAP_ACK: an error does not echo the request) and strict checking of dump requests
 * (NETLINK_GET_STRICT_CHK: rtnetlink filters dumps by table, protocol and link) on.
 */
#pragma once

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct netlink_sock;

/* A request socket of the netlink protocol (NETLINK_ROUTE, NETLINK_NETFILTER). 0, or
 * negative errno with the reason appended to err. */
int netlink_sock_open(struct netlink_sock **ret, int protocol, struct strbuf *err);
/* A non-blocking socket in the multicast groups (a mask of RTMGRP_*-style bits). 0, or
 * negative errno with the reason appended to err. */
int netlink_sock_subscribe(struct netlink_sock **ret, int protocol, unsigned groups,
			   struct strbuf *err);
/* Accepts NULL; returns NULL. */
struct netlink_sock *netlink_sock_close(struct netlink_sock *s);
/* The descriptor, for poll. */
int netlink_sock_fd(const struct netlink_sock *s);

/* Called for each message of a reply; a negative return stops the calls and is returned. */
typedef int (*netlink_sock_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Sends the request nlh (with the next sequence number and NLM_F_ACK, which the kernel does
 * not answer for a dump: its NLMSG_DONE ends it) and reads its answer to the end, passing each
 * message before the ACK or the end of the dump to fn (NULL: none expected). Returns 0 or
 * negative errno: the kernel's error, -EINTR for a dump that a concurrent change interrupted
 * (retry it), or fn's error.
 */
int netlink_sock_talk(struct netlink_sock *s, struct nlmsghdr *nlh, netlink_sock_fn fn, void *data);
/* The kernel's message about the error r of the last netlink_sock_talk (its extended ACK), or
 * strerror(-r) when it said nothing. */
const char *netlink_sock_error(const struct netlink_sock *s, int r);

/* The first of n + 1 sequence numbers, taken for the messages of a batch. */
uint32_t netlink_sock_seq(struct netlink_sock *s, size_t n);
/* Called for each message of a batch the kernel refused: its sequence number, its error
 * (negative errno) and the kernel's message ("" when none). */
typedef void (*netlink_sock_err_fn)(uint32_t seq, int error, const char *msg, void *data);
/* Sends a batch (BEGIN ... END, len bytes, numbered with netlink_sock_seq()) and reads the kernel's
 * errors for it. 0 when the kernel committed it, else the first error (the batch is then
 * dropped whole). */
int netlink_sock_batch(struct netlink_sock *s, const void *buf, size_t len, netlink_sock_err_fn fn,
		       void *data);

/* Reads every message queued on a subscribed socket, passing each to fn. 0; 1 when some were
 * lost (the socket overflowed, or a message was cut or malformed: read the state again); or
 * negative errno (fn's error stops the reading). */
int netlink_sock_read(struct netlink_sock *s, netlink_sock_fn fn, void *data);
