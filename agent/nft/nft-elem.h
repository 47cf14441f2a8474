/* SPDX-License-Identifier: MIT */
/*
 * Elements of interval sets, between the intent's text and the kernel's bytes (pure).
 *
 * A single-field interval set (the kernel's rbtree) holds an interval [a, b] as two
 * elements: a, and b + 1 flagged NFT_SET_ELEM_INTERVAL_END (none when b is the largest key).
 * A concatenation with intervals (pipapo) holds one element with key a and key_end b.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/strbuf.h"

/* Big-endian numbers of len bytes. Increment: false when it wrapped around to zero. */
bool nft_expr_inc(uint8_t *v, size_t len);
/* Decrement: false when it wrapped around. */
bool nft_expr_dec(uint8_t *v, size_t len);
/* The first and last address of a prefix (len 4 or 16 bytes each). */
void nft_expr_prefix_bounds(const struct ip_prefix *p, uint8_t lo[16], uint8_t hi[16]);
/* Port as a 2-byte big-endian key. */
void nft_expr_port(uint16_t port, uint8_t out[2]);

/* An interval of keys [lo, hi], inclusive, len bytes each. */
struct nft_expr_interval {
	uint8_t lo[16];
	uint8_t hi[16];
};
/* Sorts and merges overlapping or adjacent intervals in place; returns the new count. */
size_t nft_expr_merge(struct nft_expr_interval *v, size_t n, size_t len);

/* The text of the interval [lo, hi] of a set of that family (AF_INET, AF_INET6: a prefix, a
 * bare address for a host, "a-b" if it is no prefix; 0: ports "p" or "a-b"), as desired-fw.c
 * writes set elements. */
int nft_expr_format(int family, const uint8_t *lo, const uint8_t *hi, struct strbuf *out);
/* The interval of an element's text (the inverse of nft_expr_format). 0 or -EINVAL. */
int nft_expr_parse(int family, const char *text, struct nft_expr_interval *ret);
