/* SPDX-License-Identifier: MIT */
/*
 * The table's counters as status shows them, from the labels of what counted (pure: the
 * kernel's rules, elements and chains are read by nft-observe.c):
 *
 *   a rule or an access-list map element labelled "fw-rule input/3 /firewall/input/rules/3
 *       web egress", "nat-rule snat/0 /nat/source/0": the intent rule's counter, with its
 *       pointer and comment;
 *   an element of a NAT map labelled "nat-rule dnat/public/203.0.113.11/tcp/8000",
 *       "nat-rule one-to-one/203.0.113.12" (keyed by content: no pointer in the kernel, see
 *       nft-compile-nat.c): the entry's counter, without a pointer (counter_name_entries()
 *       gives it the intent's);
 *   a rule labelled "builtin:input/established" (an always-on rule): a built-in counter of
 *       that name;
 *   a base chain's counter: "builtin:input/policy-drop", what its policy dropped.
 */
#pragma once

#include <stdint.h>

#include "plan/counter.h"

/* Adds what one kernel rule or element with label counted: to the last counter when it has
 * the label's tag (the kernel rules of one intent rule are consecutive, and so are the
 * elements of one entry once sorted by label), to the counter of the same name for a
 * built-in rule (its rules may be apart: one per family), else to a new one. A label of
 * another shape counts nothing. 0 or -ENOMEM. */
int nft_counters_add(struct counterlist *l, const char *label, uint64_t packets, uint64_t bytes);
/* The counter of what the base chain's policy dropped: "builtin:CHAIN/policy-drop". */
int nft_counters_add_policy(struct counterlist *l, const char *chain, uint64_t packets,
			    uint64_t bytes);
