/* SPDX-License-Identifier: MIT */
/* What the agent does on VRRP transitions, and the planned handover (vrrp.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "lib/cleanup.h"
#include "runner.h"
#include "vrrp.h"
#include "wireguard.h"

#define CTL_TIMEOUT_MS 5000
/* How long the peer may stay silent on the sync link (conntrackd's FTFW sends at least an
 * alive message a second). */
#define PEER_HEARD_MS 2500
#define STEP_TIMEOUT_MS 3000

/* conntrackd -C CONF OPTION [ARG]: its exit status (see runner_run) and output in out. */
static int ctl(struct svcd *c, const char *option, const char *arg, struct strbuf *out)
{
	char *argv[] = {(char *)c->def->program, (char *)"-C", c->conf_path, (char *)option,
			(char *)arg, NULL};

	return runner_run(argv, CTL_TIMEOUT_MS, NULL, out);
}

int vrrp_sync_stats(struct svcd *c, struct vrrp_sync_stats *ret)
{
	struct strbuf out = {0}, q = {0};
	int r;

	*ret = (struct vrrp_sync_stats){0};
	if (!c || !svcd_running(c))
		return -ESRCH;
	r = ctl(c, "-s", NULL, &out);
	if (r == 0)
		r = ctl(c, "-s", "rsqueue", &q);
	if (r == 0)
		vrrp_sync_stats_parse(strbuf_str(&out), strbuf_str(&q), ret);
	strbuf_done(&out);
	strbuf_done(&q);
	return r == 0 ? 0 : r < 0 ? r : -EIO;
}

/* conntrackd in step with the router's state (vrrp_follow). */
static void follow_conntrackd(struct svcd *c, enum vrrp_state state, struct strbuf *log)
{
	static const char *const as_master[] = {"-c", "-f", "-R", "-B"};
	struct strbuf out = {0};
	size_t i;
	int r;

	if (!c || !svcd_running(c))
		return;
	if (state == VRRP_MASTER) {
		for (i = 0; i < ELEMENTSOF(as_master); i++) {
			r = ctl(c, as_master[i], NULL, &out);
			if (r != 0)
				strbuf_printf(log, "vrrp: conntrackd %s failed (%d): %s\n",
					      as_master[i], r, strbuf_str(&out));
			strbuf_truncate(&out, 0);
		}
	} else if (state == VRRP_BACKUP) {
		r = ctl(c, "-n", NULL, &out);
		if (r != 0)
			strbuf_printf(log, "vrrp: conntrackd -n failed (%d): %s\n", r,
				      strbuf_str(&out));
	}
	strbuf_done(&out);
}

static void wg_log(int r, struct strbuf *out, const char *what, struct strbuf *log)
{
	if (r < 0)
		strbuf_printf(log, "vrrp: WireGuard: %s\n", strbuf_str(out));
	else if (r > 0)
		strbuf_printf(log, "vrrp: WireGuard: %d tunnel%s %s\n", r, r > 1 ? "s" : "", what);
}

/* Became master: the sessions of the last time dropped now if they were not yet; the tunnels
 * whose peers have keepalives configured afresh (wgsync_renew), the others left as they are
 * (a handshake a client's packet began is not cut). */
static void wg_master(struct vrrp_watch *w, struct wgsync *wg, struct strbuf *log)
{
	struct strbuf out = {0};
	bool all = w->wg_drop_ms != 0;

	w->wg_drop_ms = 0;
	wg_log(wgsync_renew(wg, !all, &out), &out,
	       all ? "without sessions (master)" : "with keepalives configured afresh (master)",
	       log);
	strbuf_done(&out);
}

void vrrp_follow(struct vrrp_watch *w, const struct vrrp_daemons *d, enum vrrp_state before,
		 struct strbuf *log)
{
	struct strbuf out = {0};
	int r;

	if (w->state == before)
		return;
	r = vrrp_dhcp_standby(w->state != VRRP_MASTER, &out);
	if (r < 0)
		strbuf_printf(log, "vrrp: %s\n", strbuf_str(&out));
	else if (r > 0 && d->dnsmasq && svcd_running(d->dnsmasq) &&
		 svcd_signal(d->dnsmasq, d->dnsmasq->def->reload_signal, &out) < 0)
		strbuf_printf(log, "vrrp: %s\n", strbuf_str(&out));
	else if (r > 0)
		strbuf_printf(log, "vrrp: DHCP %s\n",
			      w->state == VRRP_MASTER ? "served (master)" : "on standby");
	follow_conntrackd(d->conntrackd, w->state, log);
	vrrp_ipsec_follow(d->charon, w->state, true, log);
	if (before == VRRP_MASTER && (w->state == VRRP_BACKUP || w->state == VRRP_FAULT))
		w->wg_drop_ms = svcd_now_ms() + VRRP_WG_DROP_MS;
	else if (w->state == VRRP_MASTER && d->wg)
		wg_master(w, d->wg, log);
	strbuf_done(&out);
}

uint64_t vrrp_wg_due(struct vrrp_watch *w, struct wgsync *wg, uint64_t now_ms, struct strbuf *log)
{
	struct strbuf out = {0};
	int r;

	if (!w->wg_drop_ms)
		return UINT64_MAX;
	if (now_ms < w->wg_drop_ms)
		return w->wg_drop_ms - now_ms;
	w->wg_drop_ms = 0;
	r = wgsync_renew(wg, false, &out);
	wg_log(r, &out,
	       w->state == VRRP_FAULT ? "without sessions (fault)" : "without sessions (backup)",
	       log);
	strbuf_done(&out);
	return UINT64_MAX;
}

/* Reads the FIFO until the router is in state want or ms passed. Whether it is. */
static bool wait_state(struct vrrp_watch *w, const struct vrrp_daemons *d, enum vrrp_state want,
		       int ms, struct strbuf *log)
{
	uint64_t end = svcd_now_ms() + (uint64_t)ms, now;
	enum vrrp_state before;

	for (;;) {
		if (vrrp_watch_read(w, &before, log) > 0)
			vrrp_follow(w, d, before, log);
		if (w->state == want)
			return true;
		now = svcd_now_ms();
		if (now >= end || w->fd < 0)
			return false;
		poll(&(struct pollfd){.fd = w->fd, .events = POLLIN}, 1, (int)(end - now));
	}
}

/* The peer heard on the sync link and acknowledging: every message that waited for its
 * acknowledgement at the first look has it by a later one (under traffic the queue is rarely
 * empty), or the reason. */
static int check_peer(struct svcd *c, struct strbuf *msg)
{
	struct vrrp_sync_stats a, b;
	uint64_t end = svcd_now_ms() + PEER_HEARD_MS;
	int r;

	r = vrrp_sync_stats(c, &a);
	if (r < 0) {
		strbuf_printf(msg, "conntrackd does not answer (%s)", strerror(-r));
		return -EPERM;
	}
	do {
		poll(NULL, 0, 100);
		r = vrrp_sync_stats(c, &b);
	} while (r >= 0 &&
		 (b.packets_received == a.packets_received || !vrrp_acked_since(&a, &b)) &&
		 svcd_now_ms() < end);
	if (r < 0) {
		strbuf_printf(msg, "conntrackd does not answer (%s)", strerror(-r));
		return -EPERM;
	}
	if (b.packets_received == a.packets_received) {
		strbuf_printf(msg, "the peer is not heard on the sync link (nothing from it in %d ms)",
			      PEER_HEARD_MS);
		return -EPERM;
	}
	if (!vrrp_acked_since(&a, &b)) {
		strbuf_printf(msg, "the peer is not in sync: %llu messages not acknowledged in %d ms",
			      b.unacknowledged, PEER_HEARD_MS);
		return -EPERM;
	}
	return 0;
}

int vrrp_handover(struct vrrp_watch *w, const struct vrrp_daemons *d, unsigned advert_ms,
		  bool cancel, struct strbuf *log, struct strbuf *msg, double *ms)
{
	struct svcd *c = d->conntrackd, *k = d->keepalived;
	uint64_t t0 = svcd_now_ms(), released;
	enum vrrp_state before;
	struct strbuf err = {0};
	int r;

	*ms = 0;
	if (!k || !svcd_running(k)) {
		strbuf_printf(msg, "no VRRP: keepalived does not run (the intent has no vrrp)");
		return -EPERM;
	}
	if (cancel) {
		r = vrrp_hold_write(0, msg);
		if (r >= 0)
			strbuf_printf(msg, "hold ended: this router's priority and preempt apply again");
		return r;
	}
	if (vrrp_watch_read(w, &before, log) > 0)
		vrrp_follow(w, d, before, log);
	if (w->state != VRRP_MASTER) {
		strbuf_printf(msg, "this router is %s, not master", vrrp_state_to_string(w->state));
		return -EPERM;
	}
	if (!c || !svcd_running(c)) {
		strbuf_printf(msg, "no connection sync (vrrp.sync): connections would not survive");
		return -EPERM;
	}
	r = check_peer(c, msg);
	if (r < 0)
		return r;
	t0 = svcd_now_ms();
	/* Fault: keepalived leaves mastership at once and sends priority 0, on which the peer
	 * takes over without waiting for the master-down interval. */
	r = vrrp_hold_write(VRRP_HOLD_FAULT, msg);
	if (r >= 0 && !wait_state(w, d, VRRP_FAULT, STEP_TIMEOUT_MS, log)) {
		strbuf_printf(msg, "keepalived did not leave mastership within %d ms",
			      STEP_TIMEOUT_MS);
		r = -EIO;
	}
	released = svcd_now_ms();
	/* Held backup (priority 1): it does not take mastership back, whatever preempt says. */
	if (r >= 0)
		r = vrrp_hold_write(VRRP_HOLD_BACKUP, msg);
	if (r >= 0 && !wait_state(w, d, VRRP_BACKUP, STEP_TIMEOUT_MS, log)) {
		strbuf_printf(msg, "keepalived did not become backup within %d ms", STEP_TIMEOUT_MS);
		r = -EIO;
	}
	/* A backup that hears no master takes over after 3 adverts and its skew (nearly one
	 * advert at priority 1): staying backup longer proves a master, the peer. */
	if (r >= 0 && wait_state(w, d, VRRP_MASTER, (int)(4 * advert_ms + 100), log)) {
		vrrp_hold_write(0, &err);
		strbuf_printf(msg, "the peer did not take over: this router is master again");
		r = -ETIMEDOUT;
	}
	if (r < 0 && r != -ETIMEDOUT)
		vrrp_hold_write(0, &err);
	strbuf_done(&err);
	*ms = (double)(released - t0);
	if (r >= 0)
		strbuf_printf(msg, "mastership released in %llu ms; peer master (confirmed after %llu "
				   "ms); this router is held as backup",
			      (unsigned long long)(released - t0),
			      (unsigned long long)(svcd_now_ms() - t0));
	return r;
}
