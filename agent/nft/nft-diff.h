/* SPDX-License-Identifier: MIT */
/*
 * Element changes (pure): the list an element-only batch sends, and the difference between
 * the elements the kernel holds in a named set and those of the description.
 *
 * Elements are matched by key (and, in single-field interval sets, the interval-end flag).
 * One whose key_end, value or comment differs is deleted and added again: the kernel applies
 * the whole batch at once, so no packet sees the set without it. Deletions come before the
 * additions of the same set.
 */
#pragma once

#include <stddef.h>

#include "nft-desc.h"
#include "nft-observe.h"

struct nftdiff {
	struct nft_desc_elem_change *v;
	size_t n, cap;
};

/* Appends a copy of c. 0 or -ENOMEM. */
int nft_diff_push(struct nftdiff *l, const struct nft_desc_elem_change *c);
/* Appends the changes that turn have (NULL: an empty set) into want. Sorts have's elements.
 * 0 or -ENOMEM. */
int nft_diff_set(const struct nft_desc_set *want, struct nft_observed_set *have, struct nftdiff *l);
void nft_diff_reset(struct nftdiff *l);
void nft_diff_done(struct nftdiff *l);
