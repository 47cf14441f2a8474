/* SPDX-License-Identifier: MIT */
/*
 * The addresses of management interfaces kept from an earlier intent. The plan never deletes
 * an address of a management interface (plan/diff.c), so one that a later intent no longer
 * lists stays on the link; status marks it kept, with the generation of the last intent that
 * listed it when the agent saw that intent replaced since it started (the kernel keeps no such
 * fact, and a reboot takes the addresses away with it). Pure: the agent updates the list
 * after each apply.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intent/intent.h"

struct kept_addr {
	char ifname[IFNAMSIZ]; /* the link's name in the intent in effect */
	uint8_t mac[6];
	struct ip_prefix addr;
	int64_t generation; /* the last intent's that listed it */
};

struct kept_addrs {
	struct kept_addr *v;
	size_t n;
};

/* After old (NULL: not known) was replaced by new: each address old listed on a link that
 * new manages (the same MAC, under new's name) and no longer lists is kept from old's
 * generation, unless it already is (from an earlier one); an address new lists again, or on
 * a link new does not manage, is no longer kept. 0 or -ENOMEM (k then as it was). */
int kept_addrs_update(struct kept_addrs *k, const struct intent *old, const struct intent *new);
/* Whether addr on ifname is kept from an earlier intent: in (the intent in effect) manages
 * the link and does not list the address. */
bool kept_addrs_is_kept(const struct intent *in, const char *ifname, const struct ip_prefix *addr);
/* The generation addr on ifname is kept from; 0: not known. */
int64_t kept_addrs_generation(const struct kept_addrs *k, const char *ifname,
			      const struct ip_prefix *addr);
void kept_addrs_done(struct kept_addrs *k);
