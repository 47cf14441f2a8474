/* SPDX-License-Identifier: MIT */
/*
 * The dhcp section's own interface, between parse-dhcp.c (the pools, their checks, the
 * destructor) and parse-dhcp-hosts.c (reservations). Not for other sections: they see the
 * pools through sections.h and intent.h.
 */
#pragma once

#include "intent.h"
#include "lib/errlist.h"
#include "lib/jread.h"

/* A pool's "hosts" map, its pointer pushed on r: fills pool->hosts. */
void parse_dhcp_hosts(struct jr *r, const struct json_t *v, struct dhcp_pool *pool);

/* Names, MACs and addresses of reservations unique across every pool (run after the whole
 * document parsed). */
void check_dhcp_hosts(const struct intent *in, struct errlist *errs);
