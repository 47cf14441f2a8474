/* SPDX-License-Identifier: MIT */
/*
 * The services backend (agent/services/): the files of the daemons the agent drives (today
 * dnsmasq; svcd_def of daemon.h describes one) and the daemons themselves. It implements
 * plan/backend.h for file objects of those daemons (accepts: other services' files are
 * refused by the engine before anything is touched).
 *
 *   observe  the files under each daemon's directory of the configuration directory (kept
 *            after a commit while the directories' modification times do not move: only
 *            the agent writes there)
 *   apply_op queues
 *   check    writes each new or changed file beside its place (".NAME.vrtmp") and runs
 *            the daemon's own checker on a staged main file (dnsmasq --test); a refusal is
 *            reported at the intent's pointer of the file
 *   commit   renames the staged files into place, removes the deleted ones, then each daemon's
 *            smallest change: stop when its main file went, start when it is not running,
 *            restart when its main file changed, the reload signal when another of its
 *            files came, changed or went, nothing otherwise; a
 *            started daemon's health check is its start (daemon.h), a signalled one must be
 *            alive after it. A failure puts back the files and the daemons' state as they were
 *            (a daemon that ran runs again with its previous files), and commit fails.
 *   revert   the same, after a successful commit, when a later step of the apply fails
 *
 * The daemons run in sessions of their own and outlive the agent; a new backend adopts the
 * ones that run (daemon.h). backend_services_supervise() restarts those that die.
 *
 * WireGuard tunnels' files ("wireguard/NAME.conf") have no daemon: commit applies them to their
 * links with wg (the peers that differ, or the whole file), revert puts them back and abort
 * applies them again (wireguard.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "lib/vicimsg.h"
#include "lib/wgshow.h"
#include "plan/backend.h"

/* confdir: the service files; state_dir: the daemons' pid files and state (leases), in its
 * subdirectory "services". Adopts the daemons that run. NULL on OOM. */
struct backend *backend_services_new(const char *confdir, const char *state_dir);

/* Supervision, to be called when it asks (and after an apply): notices dead daemons and
 * starts them again (daemon.h). Appends one line per event to log (for the caller to log).
 * Returns the ms until it wants to be called again (UINT64_MAX: no need). */
uint64_t backend_services_supervise(struct backend *b, struct strbuf *log);

/* The pidfds of the running daemons (readable when one exits), at most max: for the caller's
 * poll, which then calls backend_services_supervise(). Returns how many. */
size_t backend_services_fds(struct backend *b, int *ret, size_t max);

struct services_status {
	const char *name;
	const char *state; /* "running", "stopped", "failed" */
	int pid;	   /* 0: none */
	unsigned restarts;
	const char *since;	/* ISO 8601 */
	const char *last_error; /* NULL: none */
};

/* The daemons' status, valid until the next call on b. Returns how many (at most max). */
size_t backend_services_status(struct backend *b, struct services_status *ret, size_t max);

/* VRRP as keepalived runs it (vrrp.h), for status: valid until the next call on b. */
#define SERVICES_VRRP_GROUPS 4096
struct services_vrrp {
	bool present; /* keepalived runs */
	const char *state, *since;
	bool held; /* held as backup after a handover */
	struct {
		const char *name, *state, *since;
		unsigned priority;
	} groups[SERVICES_VRRP_GROUPS];
	size_t n_groups;
	bool has_sync; /* conntrackd runs and answered */
	unsigned long long sync_entries, sync_injected, sync_sent, sync_received,
		sync_unacknowledged;
	const char *sync_heard; /* ISO 8601: the peer last heard (vrrp.h's looks); NULL: never */
	const char *not_ready;	/* NULL: ready for a planned handover; else why not */
};
/* 1 (filled), 0 (no VRRP). */
int backend_services_vrrp(struct backend *b, struct services_vrrp *ret);

/* The planned handover, or the end of the hold (vrrp.h's vrrp_handover). */
int backend_services_handover(struct backend *b, unsigned advert_ms, bool cancel,
			      struct strbuf *log, struct strbuf *msg, double *ms);

/* WireGuard tunnel name as it runs (services/wireguard.h): "kernel" or "wireguard-go" in
 * ret_impl, its peers in ret (the caller's to wgshow_done). 0, or a negative errno with the
 * reason in err. */
int backend_services_wireguard(struct backend *b, const char *name, const char **ret_impl,
			       struct wgshow *ret, struct strbuf *err);

/* IPsec as charon runs it: its data path ("kernel" or "libipsec"; NULL when it cannot be read)
 * in ret_data_path and its IKE SAs in ret (the caller's to vici_sas_done), asked over VICI
 * within VICI_TIMEOUT_MS (vici.h). 0, or a negative errno with the reason in err (-ESRCH:
 * charon does not run). */
int backend_services_ipsec(struct backend *b, const char **ret_data_path, struct vici_sas *ret,
			   struct strbuf *err);
