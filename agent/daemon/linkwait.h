/* SPDX-License-Identifier: MIT */
/*
 * The wait for late links. A NIC may appear after vrouterd starts (its driver loaded late, a
 * hot-plug), and an intent that names it by MAC cannot be applied before it exists. So, with
 * the kernel backend, vrouterd subscribes to rtnetlink's link events (RTNLGRP_LINK) before its
 * start's apply and plans the start's intent (agent_boot_missing_links). When links are
 * missing, the start's apply fails as before; then the daemon watches the events, plans again
 * whenever a link with one of the missing MACs appears (or takes one), and once none is
 * missing runs agent_boot() again. It gives up at the deadline (--link-wait seconds after the
 * start), and stops early when nothing waits any more (a request applied an intent).
 *
 * The server's poll loop watches the socket and the deadline: requests are served meanwhile.
 * Subscribing before the first plan means that a link appearing at any moment, even during
 * the start's apply, is seen.
 */
#pragma once

#include <stdint.h>

#include "agent.h"
#include "lib/strbuf.h"

struct linkwait;

/* Before agent_boot(): subscribes to link events and plans the start's intent. *ret is NULL
 * when no link is missing (nothing to wait for). 0, or negative errno with the reason in err. */
int linkwait_new(struct agent *a, const char *payload, unsigned timeout_s, struct linkwait **ret,
		 struct strbuf *err);
struct linkwait *linkwait_free(struct linkwait *w);

/* After agent_boot(): starts waiting when the start's intent still lacks links (and logs
 * which), applies it at once when they appeared during agent_boot(), else ends the wait. */
void linkwait_start(struct linkwait *w);

/* For the server's poll loop (w may be NULL): the descriptor to watch for input, -1 when not
 * waiting; the deadline in CLOCK_MONOTONIC milliseconds, UINT64_MAX when not waiting. */
int linkwait_fd(const struct linkwait *w);
uint64_t linkwait_deadline(const struct linkwait *w);
/* The descriptor is readable or the deadline passed (now: CLOCK_MONOTONIC milliseconds). */
void linkwait_run(struct linkwait *w, uint64_t now);
