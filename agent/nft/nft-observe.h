/* SPDX-License-Identifier: MIT */
/*
 * What the kernel holds of the table `inet vrouter`, read back (nft-observe.c): whether it
 * exists, its fingerprint, the tags of its chains, sets, rules and elements, how many chains
 * and rules it has, and every named set with its elements. And the counters of its rules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/netlink-sock.h"
#include "nft-desc.h"
#include "nft.h"

struct nft_observed_elem {
	uint8_t key[NFT_DESC_KEY_MAX];
	uint8_t key_end[NFT_DESC_KEY_MAX];
	uint8_t data[NFT_DESC_KEY_MAX]; /* maps: the value */
	bool has_key_end, has_data;
	uint32_t flags;
	char *comment;
};

struct nft_observed_set {
	char *name;
	char *tag;
	uint32_t flags, key_len, data_len;
	struct nft_observed_elem *elems;
	size_t n, cap;
	/* Assumed (nft_observed_assume): the description's set it holds the elements of (a
	 * reference); NULL when read from the kernel. */
	struct nft_desc_set *from;
};

struct nft_observed {
	uint32_t genid; /* the ruleset's generation (NFT_MSG_GETGEN) it was read at */
	bool exists;
	char fingerprint[17]; /* "" when the table has none */
	size_t n_chains, n_rules;
	char **tags;
	size_t n_tags, cap_tags;
	struct nft_observed_set *sets;
	size_t n_sets, cap_sets;
};

/* 0, or negative errno with the reason in err. An absent table is no error. The labels of
 * elements are tags too. The table is read as of one generation of the ruleset (ret->genid). */
int nft_observed_read(struct netlink_sock *s, struct nft_observed *ret, struct strbuf *err);
/* The ruleset's generation: every committed transaction (anybody's) moves it on by one. */
int nft_observed_genid(struct netlink_sock *s, uint32_t *ret);
/* What the kernel holds once the description d, of that fingerprint, is committed, as
 * nft_observed_read would read it at generation genid (but without tags, which only observe's own
 * check of the records needs). A set of prev (NULL: none) assumed from the same description
 * set as one of d's (a part included again) is moved over instead of copied. 0 or -ENOMEM. */
int nft_observed_assume(const struct nft_desc *d, const char *fingerprint, uint32_t genid,
			struct nft_observed *prev, struct nft_observed *ret);
void nft_observed_done(struct nft_observed *o);
/* Sorts a set's elements by key, an interval's end before a start at the same key (the
 * order in which a single-field interval set's elements pair up into intervals). */
void nft_observed_sort(struct nft_observed_set *s);
/* The set of that name, or NULL (sets moved away by nft_observed_assume have none). */
struct nft_observed_set *nft_observed_set_find(const struct nft_observed *o, const char *name);

/* Appends to list the counter of each intent rule (a firewall rule, a source NAT rule) in the
 * table, summed over the kernel rules compiled from it, in chain and rule order, with the
 * always-on rules' and each drop policy's (after its chain's rules), then those of the port
 * forwards and one-to-one entries (nft-counters.h). An absent table has none. 0, or negative
 * errno with the reason in err (list as it was). */
int nft_observed_counters(struct netlink_sock *s, struct counterlist *list, struct strbuf *err);
