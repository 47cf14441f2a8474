/* SPDX-License-Identifier: MIT */
/*
 * VRRP as keepalived runs it, seen by the agent: the transitions keepalived writes to its
 * FIFO (render.h), the state of each group and of the router, and the hold file through
 * which the agent hands over.
 *
 * The FIFO is made by the agent before keepalived starts, and both open it read-write, so
 * neither ever blocks on it nor sees it closed: what keepalived writes while no agent runs
 * waits in the pipe (64 KiB, thousands of transitions) for the next agent. The states read
 * are kept in the state directory ("services/vrrp.state", one line per group, after its
 * checksum line: state/statefile.h) for the next agent too.
 *
 * FIFO lines: INSTANCE "web" MASTER 150 | GROUP "VROUTER" BACKUP (then an INSTANCE line per
 * member). States: MASTER, BACKUP, FAULT, STOP.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "lib/vicimsg.h"

struct wgsync;

enum vrrp_state { VRRP_INIT, VRRP_BACKUP, VRRP_MASTER, VRRP_FAULT, VRRP_STOP, _VRRP_STATE_MAX };

#define VRRP_NAME_MAX 64
#define VRRP_GROUPS_MAX 4096 /* the intent's limit on groups */

struct vrrp_line {
	bool sync_group; /* GROUP (the sync group), not INSTANCE */
	char name[VRRP_NAME_MAX];
	enum vrrp_state state;
	unsigned priority; /* 0: not given (GROUP lines) */
};

/* One FIFO line (without its newline). 0 or -EINVAL (not a VRRP transition line). Pure. */
int vrrp_line_parse(const char *line, struct vrrp_line *ret);
const char *vrrp_state_to_string(enum vrrp_state s);

struct vrrp_group_state {
	char name[VRRP_NAME_MAX];
	enum vrrp_state state;
	unsigned priority;
	char since[64]; /* ISO 8601 */
};

struct vrrp_watch {
	int fd; /* the FIFO; -1: not open */
	char *state_path;
	char partial[256]; /* a line not yet ended */
	size_t n_partial;
	struct vrrp_group_state groups[VRRP_GROUPS_MAX];
	size_t n_groups;
	enum vrrp_state state; /* the router's: its sync group's, or its one group's */
	char since[64];
	/* 0, or when (monotonic ms) the WireGuard tunnels' sessions are to be dropped
	 * (vrrp_wg_due): VRRP_WG_DROP_MS after the router left mastership. */
	uint64_t wg_drop_ms;
};

/* How long after leaving mastership a router drops its WireGuard tunnels' sessions: once the
 * packets that clients sent it as master have passed (they would begin handshakes, which fail
 * without a route and then wait for WireGuard's retry, 5 s, when it is master again). */
#define VRRP_WG_DROP_MS 2000

/* keepalived's prepare hook: the FIFO made (0600) when it is missing; DHCP on standby (a
 * starting keepalived is backup until it becomes master). */
int vrrp_prepare(struct strbuf *err);
/* DHCP on standby (dnsmasq ignores all but reserved clients) or not: the line in
 * RENDER_DHCP_STANDBY_DIR written or removed. Returns whether it changed, or a negative errno. */
int vrrp_dhcp_standby(bool standby, struct strbuf *err);

/* Opens the FIFO (made if missing) and reads the states kept in state_dir (a damaged file set
 * aside: the states are then keepalived's next report), with a line for the daemon's log in
 * warnings or notices for what it found. */
int vrrp_watch_init(struct vrrp_watch *w, const char *state_dir, struct strbuf *warnings,
		    struct strbuf *notices);
void vrrp_watch_done(struct vrrp_watch *w);
/* Takes n bytes of what keepalived wrote (lines may be cut anywhere). Pure but for the clock.
 * Returns whether the router's state changed; a log line per transition and per line it
 * does not know. */
bool vrrp_watch_feed(struct vrrp_watch *w, const char *buf, size_t n, struct strbuf *log);
/* Reads what keepalived wrote. Returns whether the router's state changed (its previous one
 * in *before), or a negative errno. Appends a log line per transition. */
int vrrp_watch_read(struct vrrp_watch *w, enum vrrp_state *before, struct strbuf *log);
/* VRRP removed from the intent (keepalived stopped): every state forgotten, the hold and
 * DHCP's standby ended. */
void vrrp_end(struct vrrp_watch *w);

/* The hold's value (render.h): 0, VRRP_HOLD_BACKUP or VRRP_HOLD_FAULT; written so that
 * keepalived sees it at once (it watches the file). */
#define VRRP_HOLD_BACKUP (-253)
#define VRRP_HOLD_FAULT (-254)
int vrrp_hold_write(int value, struct strbuf *err);
/* The hold's value now (0 when the file is missing or unreadable). */
int vrrp_hold_read(void);

/* ---- what the agent does with them (vrrp-drive.c) ---- */

struct svcd;

/* The daemons that follow VRRP (any may be NULL or not running). */
struct vrrp_daemons {
	struct svcd *keepalived, *conntrackd, *dnsmasq, *charon;
	struct wgsync *wg; /* the WireGuard tunnels' files (wireguard.h) */
};

/* conntrackd's figures ("conntrackd -s", "-s rsqueue"). */
struct vrrp_sync_stats {
	unsigned long long entries;  /* this router's connections in its internal cache */
	unsigned long long injected; /* entries the peer sent, put into the kernel's table */
	unsigned long long packets_sent, packets_received;
	/* Connection states sent and not yet acknowledged (the resend queue's objects, not its
	 * control messages), and the sequence numbers of the oldest and the newest of them. */
	unsigned long long unacknowledged;
	uint32_t oldest_seq, newest_seq;
};
int vrrp_sync_stats(struct svcd *conntrackd, struct vrrp_sync_stats *ret);
/* Whether every state unacknowledged in a has been acknowledged by b, a later look: none left,
 * or the oldest left is newer than a's newest (sequence numbers wrap). Pure. */
bool vrrp_acked_since(const struct vrrp_sync_stats *a, const struct vrrp_sync_stats *b);

/* ---- ready for a planned handover (vrrp-ready.c, pure) ---- */

/* The looks at the sync link (each status): a look at least VRRP_LOOK_WINDOW_MS after the
 * window's first one closes it, and records whether the peer sent anything in it (heard) and
 * acknowledged every state that waited at its start (acked). One look alone says nothing:
 * conntrackd's FTFW sends an alive message a second, so a peer heard is a counter that
 * moved. */
#define VRRP_LOOK_WINDOW_MS 1000
/* A window closed this long ago still counts. */
#define VRRP_READY_STALE_MS 3000
struct vrrp_sync_seen {
	bool has_base;
	struct vrrp_sync_stats base; /* at the window's first look */
	uint64_t base_ms;
	bool measured;		     /* a window closed */
	uint64_t heard_ms, acked_ms; /* the windows' ends (monotonic ms); 0: none yet */
	char heard_iso[64];	     /* heard_ms's wall time, ISO 8601; "" before */
};
void vrrp_sync_look(struct vrrp_sync_seen *seen, const struct vrrp_sync_stats *st,
		    uint64_t now_ms, const char *now_iso);
/* NULL when the router is ready for a planned handover (as master: the handover's
 * preconditions on this side; as backup: ready to take over), else the reason. A master is
 * ready when the peer is heard and acknowledges; a backup when the peer is heard (its own
 * sends are control messages, which need no acknowledgement). */
const char *vrrp_not_ready(enum vrrp_state state, bool has_sync, const struct vrrp_sync_seen *seen,
			   uint64_t now_ms);
/* The figures from the text of "conntrackd -s" and of "conntrackd -s rsqueue" (0 for what
 * they lack). Pure. */
void vrrp_sync_stats_parse(const char *stats, const char *rsqueue, struct vrrp_sync_stats *ret);

/* After the router's state changed from before: conntrackd in step with it (as master: its
 * cache resynchronised with the kernel's table and sent whole to the peer; as backup: a
 * resynchronisation asked of the peer); DHCP served as master only (dnsmasq re-reads the
 * standby directory on SIGHUP); the IPsec tunnels on virtual addresses followed
 * (vrrp_ipsec_follow); from master to backup or fault, the WireGuard tunnels' sessions set
 * to be dropped (vrrp_wg_due); to master, those dropped at once if they were not yet, and the
 * tunnels with keepalives configured afresh (wgsync_renew). Never conntrackd -t: the
 * replicated entries in the kernel's table keep their own timeouts, so a handover long after
 * joining keeps them. */
void vrrp_follow(struct vrrp_watch *w, const struct vrrp_daemons *d, enum vrrp_state before,
		 struct strbuf *log);

/* The WireGuard tunnels on a pair: keepalived's rules route their packets from the virtual
 * addresses on the master and nowhere on a backup (render-keepalived.c). A router that left
 * mastership drops their sessions VRRP_WG_DROP_MS later (wgsync_renew), or when it becomes
 * master again, if sooner: the peers make new ones with the next master, and these would be
 * stale when it is master again (the peers would not decrypt them until WireGuard's own timers
 * begin a handshake, 15 s). Called from the services' supervision: the ms until it is due
 * (UINT64_MAX: nothing pending). */
uint64_t vrrp_wg_due(struct vrrp_watch *w, struct wgsync *wg, uint64_t now_ms, struct strbuf *log);

/* ---- the IPsec tunnels on virtual addresses (vrrp-ipsec.c) ---- */

enum { VRRP_IPSEC_KEEP, VRRP_IPSEC_INITIATE, VRRP_IPSEC_TERMINATE, VRRP_IPSEC_RESTART };
/* One line of RENDER_IPSEC_FOLLOW ("NAME initiate" or "NAME respond", without its newline):
 * the tunnel's name into name, and what brings it in step with the router's state given
 * charon's IKE SAs. As master, one that initiates and has no IKE SA is started; at the
 * transition to master (transition), an IKE SA already there is closed first (and the tunnel
 * started again if it initiates): it was begun while the address was the peer's. Not master:
 * every IKE SA closed. -EINVAL for a line of another form. Pure. */
int vrrp_ipsec_step(const char *line, size_t len, enum vrrp_state state, bool transition,
		    const struct vici_sas *sas, char name[VICI_NAME_MAX + 1]);
/* Every tunnel of RENDER_IPSEC_FOLLOW (in charon's configuration directory) in step with the
 * router's state (transition: it just became so), through charon's VICI socket; a log line
 * for each one started or closed, and for each failure. Nothing when the file or charon is
 * missing. */
void vrrp_ipsec_follow(struct svcd *charon, enum vrrp_state state, bool transition,
		       struct strbuf *log);

/* The planned handover (docs/operators.md): refuses with the reason unless this router is
 * master, the peer is heard on the sync link and has acknowledged everything sent; then
 * releases mastership (fault: priority 0 sent), holds the router as backup, and returns once
 * it stayed backup for longer than a master-down interval (the peer is master). advert_ms: the
 * intent's advert interval. cancel: ends the hold instead. 0, -EPERM (refused: nothing
 * changed), -ETIMEDOUT (the peer did not take over: this router is master again, unheld),
 * another negative errno. msg: what happened, for the answer; *ms: the handover's time. */
int vrrp_handover(struct vrrp_watch *w, const struct vrrp_daemons *d, unsigned advert_ms,
		  bool cancel, struct strbuf *log, struct strbuf *msg, double *ms);
