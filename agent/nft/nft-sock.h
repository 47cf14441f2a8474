/* SPDX-License-Identifier: MIT */
/*
 * The nfnetlink socket of the nftables backend: dumps (one request, its messages to the end)
 * and batches (one transaction: the kernel applies all of it or none). Extended ACKs are on,
 * so a failed message comes back with the kernel's own words.
 */
#pragma once

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"

struct nsock;

/* 0, or negative errno with the reason appended to err. */
int nsock_open(struct nsock **ret, struct strbuf *err);
/* Accepts NULL; returns NULL. */
struct nsock *nsock_close(struct nsock *s);
/* A sequence number for the next request or batch, with room for n messages. */
uint32_t nsock_seq(struct nsock *s, size_t n);

/* Called for each message of a dump; a negative return stops the calls and is returned. */
typedef int (*nsock_fn)(const struct nlmsghdr *nlh, void *data);
/* Sends the dump request nlh (its sequence number set) and passes each message to fn. 0, or
 * negative errno: the kernel's error (-ENOENT: no such table), -EINTR when a concurrent
 * change interrupted it (retry), or fn's. */
int nsock_dump(struct nsock *s, struct nlmsghdr *nlh, nsock_fn fn, void *data);

/* Called for each message of a batch the kernel refused: its sequence number, its error
 * (negative errno) and the kernel's message ("" when none). */
typedef void (*nsock_err_fn)(uint32_t seq, int error, const char *msg, void *data);
/* Sends a batch (BEGIN ... END, len bytes) and reads the kernel's errors for it. 0 when the
 * kernel committed it, else the first error (the batch is then dropped whole). */
int nsock_batch(struct nsock *s, const void *buf, size_t len, nsock_err_fn fn, void *data);
