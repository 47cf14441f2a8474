/* SPDX-License-Identifier: MIT */
/* The wait for late links: rtnetlink link events (agent/kernel/), the missing MACs (from the
 * plan), the deadline. */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/netlink-msg.h"
#include "kernel/netlink-sock.h"
#include "lib/addr.h"
#include "lib/cleanup.h"
#include "linkwait.h"
#include "log.h"

struct linkwait {
	struct agent *agent;
	const char *payload;
	unsigned timeout_s;
	uint64_t deadline;
	struct netlink_sock *events;  /* NULL: not waiting */
	int64_t generation;	      /* of the intent that waits */
	struct missing_links missing; /* its missing MACs, as its plan gives them */
	struct strbuf text;	      /* the same, for the log: "MAC MAC ..." */
	char *announced;	      /* the missing MACs last logged */
	bool hit;		      /* an event brought a missing MAC */
};

static uint64_t linkwait_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Ends the wait: no more events, no deadline. */
static void linkwait_stop(struct linkwait *w)
{
	w->events = netlink_sock_close(w->events);
}

struct linkwait *linkwait_free(struct linkwait *w)
{
	if (!w)
		return NULL;
	linkwait_stop(w);
	missing_links_done(&w->missing);
	strbuf_done(&w->text);
	free(w->announced);
	free(w);
	return NULL;
}

/* Plans the start's intent: how many links it lacks (w->missing, w->text), or negative errno. */
static int linkwait_query(struct linkwait *w)
{
	struct missing_links m = {0};
	size_t i;
	int n;

	n = agent_boot_missing_links(w->agent, w->payload, &w->generation, &m);
	if (n < 0)
		return n;
	missing_links_done(&w->missing);
	w->missing = m;
	strbuf_truncate(&w->text, 0);
	for (i = 0; i < m.n; i++) {
		char mac[MAC_STRLEN];

		strbuf_printf(&w->text, "%s%s", i ? " " : "", mac_format(m.mac[i], mac));
	}
	return w->text.oom ? -ENOMEM : n;
}

/* A link that is new or changed: a hit when it has one of the missing MACs, or when the
 * message does not read as a link (look again). */
static int linkwait_event(const struct nlmsghdr *nlh, void *data)
{
	struct linkwait *w = data;
	struct netlink_msg_link l;
	size_t i;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (netlink_msg_link_parse(nlh, &l) < 0) {
		w->hit = true;
		return 0;
	}
	for (i = 0; i < w->missing.n && l.link.has & OBJ_LINK_HAS_MAC; i++)
		if (!memcmp(l.link.mac, w->missing.mac[i], 6))
			w->hit = true;
	return 0;
}

/* Reads every queued event. Sets w->hit when one may bring a missing link (events lost
 * count as such). 0 or negative errno. */
static int linkwait_read(struct linkwait *w)
{
	int r = netlink_sock_read(w->events, linkwait_event, w);

	if (r > 0)
		w->hit = true;
	return r < 0 ? r : 0;
}

int linkwait_new(struct agent *a, const char *payload, unsigned timeout_s, struct linkwait **ret,
		 struct strbuf *err)
{
	struct linkwait *w = calloc(1, sizeof(*w));
	int n;

	*ret = NULL;
	if (!w)
		return -ENOMEM;
	w->agent = a;
	w->payload = payload;
	w->timeout_s = timeout_s;
	w->deadline = linkwait_now() + (uint64_t)timeout_s * 1000;
	n = netlink_sock_subscribe(&w->events, NETLINK_ROUTE, RTMGRP_LINK, err);
	if (n < 0) {
		linkwait_free(w);
		return n;
	}
	n = linkwait_query(w);
	if (n < 0) {
		strbuf_printf(err, "cannot plan the start's intent: %s", strerror(-n));
		linkwait_free(w);
		return n;
	}
	if (n == 0) {
		linkwait_free(w);
		return 0;
	}
	*ret = w;
	return 0;
}

int linkwait_fd(const struct linkwait *w)
{
	return w && w->events ? netlink_sock_fd(w->events) : -1;
}

uint64_t linkwait_deadline(const struct linkwait *w)
{
	return w && w->events ? w->deadline : UINT64_MAX;
}

enum linkwait_moment { AT_START, AT_EVENT, AT_DEADLINE };

/* Plans again and acts on what is missing now. */
static void linkwait_check(struct linkwait *w, enum linkwait_moment when)
{
	_cleanup_free_ char *before = strdup(strbuf_str(&w->text));
	const char *was = before ? before : "";
	int n;

	w->hit = false;
	n = linkwait_query(w);
	if (n < 0) {
		log_err("no longer waiting for links with MAC %s: cannot plan generation %lld: %s",
			was, (long long)w->generation, strerror(-n));
		linkwait_stop(w);
	} else if (!w->generation) {
		/* In effect: the start's apply got its links after all, or a request applied an
		 * intent since. */
		if (when != AT_START)
			log_notice("no longer waiting for links with MAC %s: an intent applied since "
				 "is in effect", was);
		linkwait_stop(w);
	} else if (n == 0) {
		log_notice("links with MAC %s appeared%s: applying generation %lld again", was,
			 when == AT_START ? " during the start's apply" : "",
			 (long long)w->generation);
		linkwait_stop(w);
		agent_boot(w->agent, w->payload);
	} else if (when == AT_DEADLINE) {
		log_err("gave up waiting for links with MAC %s after %u s: generation %lld is not "
			"applied", strbuf_str(&w->text), w->timeout_s, (long long)w->generation);
		linkwait_stop(w);
	} else if (!w->announced) {
		log_notice("generation %lld waits for links with MAC %s: it is applied once they "
			 "appear (for up to %u s after the start)", (long long)w->generation,
			 strbuf_str(&w->text), w->timeout_s);
		w->announced = strdup(strbuf_str(&w->text));
	} else if (strcmp(w->announced, strbuf_str(&w->text))) {
		log_notice("generation %lld still waits for links with MAC %s",
			 (long long)w->generation, strbuf_str(&w->text));
		free(w->announced);
		w->announced = strdup(strbuf_str(&w->text));
	}
}

void linkwait_start(struct linkwait *w)
{
	int r;

	if (!w || !w->events)
		return;
	/* The events since the subscription: whatever came during agent_boot() is in effect or
	 * is seen by the plan below. */
	r = linkwait_read(w);
	if (r < 0) {
		log_err("cannot read link events: %s; not waiting for links", strerror(-r));
		linkwait_stop(w);
		return;
	}
	linkwait_check(w, AT_START);
}

void linkwait_run(struct linkwait *w, uint64_t now)
{
	int r;

	if (!w || !w->events)
		return;
	r = linkwait_read(w);
	if (r < 0) {
		log_err("cannot read link events: %s; no longer waiting for links with MAC %s",
			strerror(-r), strbuf_str(&w->text));
		linkwait_stop(w);
		return;
	}
	if (now >= w->deadline)
		linkwait_check(w, AT_DEADLINE);
	else if (w->hit)
		linkwait_check(w, AT_EVENT);
}
