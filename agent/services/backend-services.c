/* SPDX-License-Identifier: MIT */
/* The services backend: files written atomically, daemons driven and supervised (services.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "files.h"
#include "lib/cleanup.h"
#include "render/render.h"
#include "runner.h"
#include "services.h"
#include "svc-charon.h"
#include "vici.h"
#include "vrrp.h"
#include "wireguard.h"

#define SVC_CHECK_TIMEOUT_MS 10000

/* In start order: conntrackd runs before keepalived's first transition asks things of it;
 * keepalived's start puts DHCP on standby before dnsmasq reads the standby directory. */
static const struct svcd_def *const svc_defs[] = {&svcd_conntrackd, &svcd_keepalived,
						  &svcd_dnsmasq, &svcd_charon};
enum { SVC_CONNTRACKD, SVC_KEEPALIVED, SVC_DNSMASQ, SVC_CHARON };
#define N_DEFS ELEMENTSOF(svc_defs)

/* A file as it was before this apply's commit (old NULL: it did not exist). */
struct svc_undo {
	char *rel;
	struct object *old;
};

struct svc_backend {
	struct backend b;
	char *confdir;
	struct svcd daemons[N_DEFS];
	struct vrrp_watch vrrp;
	struct vrrp_sync_seen sync_seen; /* the looks at the sync link (status) */
	struct wgsync wg; /* WireGuard tunnels' files: no daemon, applied with wg (wireguard.h) */
	/* The IPsec tunnels on virtual addresses are followed again (vrrp_ipsec_follow) after
	 * charon's files changed, and by a charon that is not the one that last followed. */
	bool ipsec_due;
	pid_t ipsec_pid;
	/* What the files are after the last commit, while the directories' stamps hold. */
	bool view_valid;
	struct objset view;
	uint64_t stamps[N_DEFS], wg_stamp;
	/* Queued since begin; staged once check wrote them. */
	struct oplist pending;
	bool staged;
	/* This apply's commit, for revert. */
	bool committed;
	struct svc_undo *undo;
	size_t n_undo;
	struct {
		bool running, want;
		uint32_t hash;
	} before[N_DEFS];
	/* What it found in its state files (svc_notes): one line each. */
	struct strbuf warnings, notices;
};

static struct svc_backend *svc_of(struct backend *b)
{
	return (struct svc_backend *)b;
}

static struct vrrp_daemons vrrp_daemons(struct svc_backend *s)
{
	return (struct vrrp_daemons){.keepalived = &s->daemons[SVC_KEEPALIVED],
				     .conntrackd = &s->daemons[SVC_CONNTRACKD],
				     .dnsmasq = &s->daemons[SVC_DNSMASQ],
				     .charon = &s->daemons[SVC_CHARON],
				     .wg = &s->wg};
}

static size_t def_index(const struct svcd_def *def)
{
	size_t i;

	for (i = 0; i < N_DEFS - 1 && svc_defs[i] != def; i++)
		;
	return i;
}

/* The daemon whose directory holds rel, or -1. */
static int def_of(const char *rel)
{
	size_t i, n;

	for (i = 0; i < N_DEFS; i++) {
		n = strlen(svc_defs[i]->dir);
		if (!strncmp(rel, svc_defs[i]->dir, n) && rel[n] == '/')
			return (int)i;
	}
	return -1;
}

static bool svc_accepts(const struct backend *b, const struct object *o)
{
	size_t i;

	if (wgsync_accepts(o))
		return true;
	for (i = 0; o->file.service && i < N_DEFS; i++)
		if (!strcmp(o->file.service, svc_defs[i]->name))
			return def_of(o->key) == (int)i;
	return false;
}

/* ---- observe ---- */

static int svc_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	struct svc_backend *s = svc_of(b);
	struct strbuf err = {0};
	struct objset read = {0};
	uint64_t stamps[N_DEFS], wg_stamp;
	bool same = s->view_valid;
	size_t i;
	int r = 0;

	for (i = 0; i < N_DEFS; i++) {
		stamps[i] = svcfile_tree_stamp(s->confdir, svc_defs[i]->dir);
		same = same && stamps[i] == s->stamps[i];
	}
	wg_stamp = svcfile_tree_stamp(s->confdir, WGSYNC_DIR);
	same = same && wg_stamp == s->wg_stamp;
	if (!same) {
		for (i = 0; i < N_DEFS && r >= 0; i++)
			r = svcfile_read_tree(s->confdir, svc_defs[i]->dir, svc_defs[i]->name,
					      &read, &err);
		if (r >= 0)
			r = svcfile_read_tree(s->confdir, WGSYNC_DIR, WGSYNC_SERVICE, &read, &err);
		if (r < 0) {
			errlist_add(errs, "", "%s", err.len ? strbuf_str(&err) : strerror(-r));
			objset_done(&read);
			strbuf_done(&err);
			return r;
		}
		objset_done(&s->view);
		s->view = read;
		memcpy(s->stamps, stamps, sizeof(stamps));
		s->wg_stamp = wg_stamp;
		s->view_valid = true;
	}
	strbuf_done(&err);
	objset_done(&obs->files);
	r = objset_copy(&s->view, &obs->files);
	if (r < 0)
		errlist_add(errs, "", "out of memory");
	return r;
}

/* ---- apply ---- */

static void drop_staged(struct svc_backend *s)
{
	size_t i;

	for (i = 0; i < s->pending.n; i++)
		if (s->pending.v[i].type != OP_DELETE)
			svcfile_drop_tmp(s->confdir, s->pending.v[i].obj->key);
	s->staged = false;
}

static void undo_clear(struct svc_backend *s)
{
	size_t i;

	for (i = 0; i < s->n_undo; i++) {
		free(s->undo[i].rel);
		object_unref(s->undo[i].old);
	}
	free(s->undo);
	s->undo = NULL;
	s->n_undo = 0;
	s->committed = false;
}

static int svc_prepare(struct backend *b, const struct intent *in, struct strbuf *err)
{
	int r = wgsync_prepare(&svc_of(b)->wg, in);

	if (r < 0)
		strbuf_printf(err, "out of memory");
	return r;
}

static int svc_begin(struct backend *b, struct strbuf *err)
{
	struct svc_backend *s = svc_of(b);

	oplist_done(&s->pending);
	s->staged = false;
	undo_clear(s);
	return 0;
}

static int svc_apply_op(struct backend *b, const struct op *op, struct strbuf *err)
{
	int r = oplist_append(&svc_of(b)->pending, op);

	if (r < 0)
		strbuf_printf(err, "out of memory");
	return r;
}

/* The daemon's own checker on its staged main file. */
static int check_main(struct svc_backend *s, const struct svcd_def *def, const struct object *o,
		      struct errlist *errs)
{
	struct strbuf tmp = {0}, out = {0};
	char *argv[16], buf[4096];
	int r;

	if (!def->check_argv)
		return 0;
	/* keepalived 2.3's checker refuses a tracked file in a directory that is missing. */
	r = svcd_make_dirs(&s->daemons[def_index(def)], &out);
	if (r >= 0)
		r = svcfile_tmp_path(s->confdir, def->main, &tmp);
	if (r >= 0)
		r = def->check_argv(tmp.s, argv, buf, sizeof(buf));
	if (r >= 0)
		r = runner_run(argv, SVC_CHECK_TIMEOUT_MS, NULL, &out);
	if (r != 0)
		errlist_add(errs, o->ptr ? o->ptr : "", "%s refuses its configuration: %s",
			    def->name,
			    out.len ? strbuf_str(&out) : r < 0 ? strerror(-r) : "check failed");
	strbuf_done(&tmp);
	strbuf_done(&out);
	return r == 0 ? 0 : -EINVAL;
}

static int svc_check(struct backend *b, struct errlist *errs)
{
	struct svc_backend *s = svc_of(b);
	struct strbuf err = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < s->pending.n && r >= 0; i++) {
		const struct object *o = s->pending.v[i].obj;

		if (s->pending.v[i].type == OP_DELETE)
			continue;
		r = svcfile_stage(s->confdir, o->key, o->file.content, o->file.size, o->file.mode,
				  &err);
		if (r < 0)
			errlist_add(errs, o->ptr ? o->ptr : "", "%s", strbuf_str(&err));
	}
	s->staged = true;
	for (i = 0; i < s->pending.n && r >= 0; i++) {
		const struct object *o = s->pending.v[i].obj;
		int d = def_of(o->key);

		if (s->pending.v[i].type != OP_DELETE && d >= 0 && !strcmp(o->key, svc_defs[d]->main))
			r = check_main(s, svc_defs[d], o, errs);
	}
	if (r < 0)
		drop_staged(s);
	strbuf_done(&err);
	return r;
}

/* Puts the files of the journal back, then each daemon in its state before the commit. */
static int put_back(struct svc_backend *s, struct strbuf *err)
{
	bool reload[N_DEFS] = {false};
	size_t i;
	int r = 0, q;

	s->view_valid = false;
	/* The tunnels get their files again once their links are back (svc_abort). */
	wgsync_revert(&s->wg);
	for (i = s->n_undo; i-- > 0;) {
		const struct object *old = s->undo[i].old;
		int d = def_of(s->undo[i].rel);

		if (d >= 0 && strcmp(s->undo[i].rel, svc_defs[d]->main))
			reload[d] = true;
		svcfile_drop_tmp(s->confdir, s->undo[i].rel);
		q = old ? svcfile_write(s->confdir, s->undo[i].rel, old->file.content,
					old->file.size, old->file.mode, err)
			: svcfile_remove(s->confdir, s->undo[i].rel, err);
		if (q < 0)
			r = q;
	}
	for (i = 0; i < N_DEFS; i++) {
		struct svcd *d = &s->daemons[i];
		struct strbuf ignored = {0};
		bool running = svcd_running(d);

		d->want = s->before[i].want;
		if (running && s->before[i].running && d->def->reload_main &&
		    d->conf_hash != s->before[i].hash) {
			q = svcd_reload(d, err);
			if (q >= 0)
				svcd_reloaded(d);
		} else if (running && (!s->before[i].running || d->conf_hash != s->before[i].hash))
			q = svcd_stop(d, err);
		else if (running && reload[i])
			/* It re-reads its other files as they were. */
			q = svcd_reload(d, err);
		else
			q = 0;
		if (q >= 0 && s->before[i].running && !svcd_running(d))
			q = svcd_start(d, err);
		if (q >= 0 && !s->before[i].running && d->state == SVCD_FAILED) {
			/* It did not run before: stopped, not failed by this apply. */
			svcd_stop(d, &ignored);
		}
		strbuf_done(&ignored);
		if (q < 0)
			r = q;
	}
	undo_clear(s);
	s->ipsec_due = true;
	return r;
}

static int journal(struct svc_backend *s, const struct op *op)
{
	struct svc_undo *u = &s->undo[s->n_undo];

	u->rel = strdup(op->obj->key);
	if (!u->rel)
		return -ENOMEM;
	u->old = object_ref(op->type == OP_REPLACE ? op->old
			    : op->type == OP_DELETE ? op->obj
						    : NULL);
	s->n_undo++;
	return 0;
}

/* What each daemon needs after the files changed: its smallest change. */
static int drive(struct svc_backend *s, const bool reload[N_DEFS], struct strbuf *err)
{
	size_t i;
	int r = 0;

	for (i = 0; i < N_DEFS && r >= 0; i++) {
		struct svcd *d = &s->daemons[i];
		bool exists, running = svcd_running(d);
		uint32_t hash = svcd_file_hash(d, &exists);

		d->want = exists;
		d->next_start_ms = 0;
		d->window_restarts = 0;
		if (!exists)
			r = running ? svcd_stop(d, err) : 0;
		else if (!running)
			r = svcd_start(d, err);
		else if (hash != d->conf_hash && d->def->reload_main)
			r = svcd_reload(d, err);
		else if (hash != d->conf_hash)
			r = svcd_stop(d, err) < 0 ? -EIO : svcd_start(d, err);
		else if (reload[i])
			r = svcd_reload(d, err);
		if (r >= 0 && running && hash != d->conf_hash && d->def->reload_main)
			svcd_reloaded(d);
		if (r >= 0 && !exists && running && i == SVC_KEEPALIVED)
			vrrp_end(&s->vrrp);
	}
	return r;
}

static int svc_commit(struct backend *b, struct strbuf *err)
{
	struct svc_backend *s = svc_of(b);
	bool reload[N_DEFS] = {false};
	size_t i;
	int r = 0;

	for (i = 0; i < N_DEFS; i++) {
		s->before[i].running = svcd_running(&s->daemons[i]);
		s->before[i].want = s->daemons[i].want;
		s->before[i].hash = s->daemons[i].conf_hash;
	}
	s->undo = calloc(s->pending.n ? s->pending.n : 1, sizeof(*s->undo));
	if (!s->undo) {
		strbuf_printf(err, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < s->pending.n && r >= 0; i++) {
		const struct op *op = &s->pending.v[i];
		const char *rel = op->obj->key;
		int d = def_of(rel);

		r = journal(s, op);
		if (r >= 0)
			r = op->type == OP_DELETE ? svcfile_remove(s->confdir, rel, err)
						  : svcfile_install(s->confdir, rel, err);
		/* The reload signal re-reads every file but the main one (which restarts the
		 * daemon, drive()). */
		if (d >= 0 && strcmp(rel, svc_defs[d]->main) &&
		    (op->type == OP_DELETE || op->obj->file.change != CHANGE_NONE))
			reload[d] = true;
	}
	s->staged = false;
	if (r >= 0)
		r = drive(s, reload, err);
	if (r >= 0)
		r = wgsync_commit(&s->wg, &s->pending, err);
	if (r < 0) {
		put_back(s, err);
		oplist_done(&s->pending);
		return r;
	}
	/* The view observe would read: the files as they are now. */
	for (i = 0; s->view_valid && i < s->pending.n; i++) {
		const struct op *op = &s->pending.v[i];

		if ((op->type == OP_DELETE
			     ? objset_remove(&s->view, OBJ_FILE, op->obj->key)
			     : objset_put(&s->view, op->obj)) == -ENOMEM)
			s->view_valid = false;
	}
	for (i = 0; i < N_DEFS; i++)
		s->stamps[i] = svcfile_tree_stamp(s->confdir, svc_defs[i]->dir);
	s->wg_stamp = svcfile_tree_stamp(s->confdir, WGSYNC_DIR);
	oplist_done(&s->pending);
	s->committed = true;
	s->ipsec_due = true;
	return 0;
}

static int svc_revert(struct backend *b, struct strbuf *err)
{
	struct svc_backend *s = svc_of(b);

	return s->committed ? put_back(s, err) : 0;
}

static int svc_abort(struct backend *b, struct strbuf *err)
{
	struct svc_backend *s = svc_of(b);

	if (s->staged)
		drop_staged(s);
	oplist_done(&s->pending);
	return wgsync_abort(&s->wg, err);
}

static void svc_free(struct backend *b)
{
	struct svc_backend *s = svc_of(b);
	size_t i;

	oplist_done(&s->pending);
	undo_clear(s);
	objset_done(&s->view);
	for (i = 0; i < N_DEFS; i++)
		svcd_done(&s->daemons[i]);
	vrrp_watch_done(&s->vrrp);
	wgsync_done(&s->wg);
	strbuf_done(&s->warnings);
	strbuf_done(&s->notices);
	free(s->confdir);
	free(s);
}

static void svc_notes(struct backend *b, struct strbuf *warnings, struct strbuf *notices)
{
	struct svc_backend *s = svc_of(b);

	strbuf_append_n(warnings, s->warnings.s ? s->warnings.s : "", s->warnings.len);
	strbuf_append_n(notices, s->notices.s ? s->notices.s : "", s->notices.len);
	strbuf_truncate(&s->warnings, 0);
	strbuf_truncate(&s->notices, 0);
}

static const struct backend_ops svc_ops = {
	.name = "services",
	.kinds = BACKEND_KIND(OBJ_FILE),
	.accepts = svc_accepts,
	.observe = svc_observe,
	.prepare = svc_prepare,
	.begin = svc_begin,
	.apply_op = svc_apply_op,
	.check = svc_check,
	.commit = svc_commit,
	.revert = svc_revert,
	.abort = svc_abort,
	.notes = svc_notes,
	.free = svc_free,
};

struct backend *backend_services_new(const char *confdir, const char *state_dir)
{
	struct svc_backend *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->b.ops = &svc_ops;
	s->confdir = strdup(confdir);
	s->wg.confdir = s->confdir;
	s->vrrp.fd = -1;
	for (i = 0; i < N_DEFS; i++)
		s->daemons[i].pidfd = -1;
	for (i = 0; s->confdir && i < N_DEFS; i++) {
		if (svcd_init(&s->daemons[i], svc_defs[i], confdir, state_dir) < 0)
			break;
		svcd_adopt(&s->daemons[i], &s->warnings, &s->notices);
	}
	if (!s->confdir || i < N_DEFS ||
	    vrrp_watch_init(&s->vrrp, state_dir, &s->warnings, &s->notices) < 0) {
		svc_free(&s->b);
		return NULL;
	}
	return &s->b;
}

uint64_t backend_services_supervise(struct backend *b, struct strbuf *log)
{
	struct svc_backend *s = svc_of(b);
	uint64_t now = svcd_now_ms(), next = UINT64_MAX, t;
	size_t i;
	enum vrrp_state before;
	struct vrrp_daemons d;

	if (b->ops != &svc_ops)
		return UINT64_MAX;
	d = vrrp_daemons(s);
	for (i = 0; i < N_DEFS; i++) {
		t = svcd_supervise(&s->daemons[i], now, log);
		if (t < next)
			next = t;
	}
	if (vrrp_watch_read(&s->vrrp, &before, log) > 0)
		vrrp_follow(&s->vrrp, &d, before, log);
	t = vrrp_wg_due(&s->vrrp, &s->wg, now, log);
	if (t < next)
		next = t;
	if (svcd_running(d.charon) && (s->ipsec_due || d.charon->pid != s->ipsec_pid)) {
		vrrp_ipsec_follow(d.charon, s->vrrp.state, false, log);
		s->ipsec_due = false;
		s->ipsec_pid = d.charon->pid;
	}
	return next;
}

size_t backend_services_status(struct backend *b, struct services_status *ret, size_t max)
{
	struct svc_backend *s = svc_of(b);
	size_t i;

	if (b->ops != &svc_ops)
		return 0;
	for (i = 0; i < N_DEFS && i < max; i++) {
		struct svcd *d = &s->daemons[i];

		ret[i] = (struct services_status){
			.name = d->def->name,
			.state = svcd_state_to_string(d->state),
			.pid = d->state == SVCD_RUNNING ? (int)d->pid : 0,
			.restarts = d->restarts,
			.since = d->since,
			.last_error = d->last_error,
		};
	}
	return i;
}

size_t backend_services_fds(struct backend *b, int *ret, size_t max)
{
	struct svc_backend *s = svc_of(b);
	size_t i, n = 0;

	if (b->ops != &svc_ops)
		return 0;
	for (i = 0; i < N_DEFS && n < max; i++)
		if (s->daemons[i].state == SVCD_RUNNING && s->daemons[i].pidfd >= 0)
			ret[n++] = s->daemons[i].pidfd;
	if (s->vrrp.fd >= 0 && n < max)
		ret[n++] = s->vrrp.fd;
	return n;
}

int backend_services_handover(struct backend *b, unsigned advert_ms, bool cancel,
			      struct strbuf *log, struct strbuf *msg, double *ms)
{
	struct svc_backend *s = svc_of(b);
	struct vrrp_daemons d;

	if (b->ops != &svc_ops) {
		strbuf_printf(msg, "no VRRP on this backend");
		return -EPERM;
	}
	d = vrrp_daemons(s);
	return vrrp_handover(&s->vrrp, &d, advert_ms, cancel, log, msg, ms);
}

int backend_services_vrrp(struct backend *b, struct services_vrrp *ret)
{
	struct svc_backend *s = svc_of(b);
	size_t i;

	*ret = (struct services_vrrp){0};
	if (b->ops != &svc_ops || !svcd_running(&s->daemons[SVC_KEEPALIVED]))
		return 0;
	/* The states as the loop last read them from keepalived's FIFO (it reads before each
	 * wait, and acts on each transition). */
	ret->present = true;
	ret->state = vrrp_state_to_string(s->vrrp.state);
	ret->since = s->vrrp.since;
	ret->held = vrrp_hold_read() == VRRP_HOLD_BACKUP;
	ret->n_groups = s->vrrp.n_groups;
	for (i = 0; i < s->vrrp.n_groups && i < SERVICES_VRRP_GROUPS; i++) {
		ret->groups[i].name = s->vrrp.groups[i].name;
		ret->groups[i].state = vrrp_state_to_string(s->vrrp.groups[i].state);
		ret->groups[i].priority = s->vrrp.groups[i].priority;
		ret->groups[i].since = s->vrrp.groups[i].since;
	}
	if (ret->n_groups > SERVICES_VRRP_GROUPS)
		ret->n_groups = SERVICES_VRRP_GROUPS;
	if (svcd_running(&s->daemons[SVC_CONNTRACKD])) {
		struct vrrp_sync_stats st;

		ret->has_sync = vrrp_sync_stats(&s->daemons[SVC_CONNTRACKD], &st) >= 0;
		if (ret->has_sync) {
			char now[64];

			svcd_now_iso(now);
			vrrp_sync_look(&s->sync_seen, &st, svcd_now_ms(), now);
		}
		ret->sync_heard = s->sync_seen.heard_iso[0] ? s->sync_seen.heard_iso : NULL;
		ret->sync_entries = st.entries;
		ret->sync_injected = st.injected;
		ret->sync_sent = st.packets_sent;
		ret->sync_received = st.packets_received;
		ret->sync_unacknowledged = st.unacknowledged;
	} else {
		s->sync_seen = (struct vrrp_sync_seen){0};
	}
	ret->not_ready = vrrp_not_ready(s->vrrp.state, ret->has_sync, &s->sync_seen, svcd_now_ms());
	return 1;
}

int backend_services_wireguard(struct backend *b, const char *name, const char **ret_impl,
			       struct wgshow *ret, struct strbuf *err)
{
	if (b->ops != &svc_ops) {
		strbuf_printf(err, "no WireGuard on this backend");
		return -EPERM;
	}
	return wgsync_show(name, ret_impl, ret, err);
}

int backend_services_ipsec(struct backend *b, const char **ret_data_path, struct vici_sas *ret,
			   struct strbuf *err)
{
	struct svc_backend *s = svc_of(b);

	if (b->ops != &svc_ops) {
		strbuf_printf(err, "no IPsec on this backend");
		return -EPERM;
	}
	if (!svcd_running(&s->daemons[SVC_CHARON])) {
		strbuf_printf(err, "charon is not running");
		return -ESRCH;
	}
	*ret_data_path = charon_data_path();
	return vici_list_sas(RENDER_CHARON_VICI, VICI_TIMEOUT_MS, ret, err);
}
