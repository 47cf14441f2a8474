/* SPDX-License-Identifier: MIT */
/*
 * The agent proper: answers one request at a time (apply, check, plan, show, status) with
 * the engine, the persisted intent and the generation rules. Transport-free: server.c gives
 * it request lines and sends back the answers. One request runs to its end before the next
 * starts, so applies are serialized by construction.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "status.h"

struct agent_config {
	/* "kernel", or "record:PATH" (the recording backend over the state file PATH, which it
	 * rewrites after each successful apply: tests without root). */
	const char *backend;
	const char *state_dir;
	const char *confdir;
	/* Called with a one-line summary after each apply (sd_notify STATUS=), or NULL. */
	void (*notify_status)(const char *line);
	/* Drift of the kernel objects (drift.h) only reported, not repaired (--drift=report). */
	bool drift_report;
	/* The version of the image the agent runs in (--image-version), or NULL. */
	const char *image_version;
};

struct agent;

int agent_new(const struct agent_config *cfg, struct agent **ret, struct strbuf *err);
struct agent *agent_free(struct agent *a);

/*
 * At start: loads the persisted intent, applies the boot payload if it holds a newer
 * generation (payload: the path, may not exist), and otherwise re-applies the persisted
 * intent, so that a reboot converges. Logs what it does; never fails.
 */
void agent_boot(struct agent *a, const char *payload);

/*
 * The agent busy with a long piece of work (a request being read and answered, an apply of its
 * own: boot, drift, a confirmation's deadline). begin: brief is what `status` answers
 * meanwhile (status_brief(), with busy_since and busy_origin; taken: the hook releases it),
 * persist_error why nothing is persisted (NULL: it is; taken). end: the work is done; the
 * agent's state may have changed. Called on the agent's thread; between begin and end the
 * agent touches nothing of the hook's.
 */
struct agent_busy_hook {
	void (*begin)(void *ctx, struct proto_status *brief, char *persist_error);
	void (*end)(void *ctx);
	void *ctx;
};
/* NULL: none. */
void agent_set_busy_hook(struct agent *a, const struct agent_busy_hook *hook);

/* The answer line (with its newline) to one request line; NULL only when out of memory. */
char *agent_handle(struct agent *a, const char *line, size_t len, enum status_origin origin);

/* Supervision of the daemons the agent drives (services/services.h): call it when one of
 * agent_supervise_fds() is readable and when the returned ms have passed (UINT64_MAX: no
 * need). Logs each event. */
uint64_t agent_supervise(struct agent *a);
#define AGENT_SUPERVISE_FDS 10

/* The agent's own timers: the history entries written after their answers, and the deadline of
 * a pending confirmation (apply --confirm: the previous content applied again when it passes).
 * Call it in the poll loop, before each poll; it returns the ms until it is due again
 * (UINT64_MAX: not before a request). Logs each event. */
uint64_t agent_timers(struct agent *a);
/* The watch of the kernel objects (drift.h: its events are read, and a due check runs, in
 * agent_supervise()), the pidfds of the running daemons and keepalived's FIFO (at most max). */
size_t agent_supervise_fds(struct agent *a, int *ret, size_t max);

/*
 * For the wait for late links (linkwait.c): the intent agent_boot() would apply if it ran now
 * (the boot payload when its generation is newer than the persisted intent's, otherwise the
 * persisted intent unless it is in effect), planned against the router. Returns how many of
 * its links the router lacks, with their MACs as the plan gives them in *ret, and its
 * generation in *ret_generation (0: no such intent); or a negative errno (*ret untouched).
 * Logs nothing; callable before agent_boot() too.
 */
int agent_boot_missing_links(struct agent *a, const char *payload, int64_t *ret_generation,
			     struct missing_links *ret);
