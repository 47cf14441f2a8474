/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "intent/base64.h"
#include "lib/cleanup.h"
#include "services/services.h"
#include "plan/desired.h"
#include "plan/observed.h"
#include "state/statefile.h"
#include "status.h"

#ifndef VROUTER_VERSION
#define VROUTER_VERSION "unknown"
#endif

const char *status_origin_to_string(enum status_origin o)
{
	static const char *const names[] = {
		[ORIGIN_SOCKET] = "socket",
		[ORIGIN_SERIAL] = "serial",
		[ORIGIN_BOOT] = "boot",
		[ORIGIN_PAYLOAD] = "payload",
		[ORIGIN_DRIFT] = "drift", /* a repair of drift (drift.h) */
		[ORIGIN_ROLLBACK] = "rollback",
		[ORIGIN_CONFIRM_TIMEOUT] = "confirm-timeout",
	};

	return (size_t)o < ELEMENTSOF(names) ? names[o] : NULL;
}

const char *status_result_to_string(enum status_result r)
{
	static const char *const names[] = {
		[RESULT_APPLIED] = "applied", [RESULT_UNCHANGED] = "unchanged",
		[RESULT_INVALID] = "invalid", [RESULT_FAILED] = "failed",
		[RESULT_STALE] = "stale",
	};

	return (size_t)r < ELEMENTSOF(names) ? names[r] : NULL;
}

char *status_now_iso8601(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *s;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&s, "%s.%03ldZ", buf, ts.tv_nsec / 1000000) < 0)
		return NULL;
	return s;
}

int status_init(struct status *st, const char *backend, const char *image_version)
{
	*st = (struct status){0};
	st->backend = strdup(backend);
	st->started = status_now_iso8601();
	st->image_version = image_version ? strdup(image_version) : NULL;
	if (!st->backend || !st->started || (image_version && !st->image_version)) {
		status_done(st);
		return -ENOMEM;
	}
	return 0;
}

static void apply_done(struct proto_status_apply *a)
{
	size_t i;

	free(a->when);
	free(a->origin);
	free(a->result);
	for (i = 0; i < a->n_error_list; i++) {
		free(a->error_list[i].pointer);
		free(a->error_list[i].message);
	}
	free(a->error_list);
	*a = (struct proto_status_apply){0};
}

void status_record_errors(struct status *st, const struct errlist *errs)
{
	struct proto_status_apply *a = &st->last;
	size_t i, n = errs->n < PROTO_STATUS_ERRORS ? errs->n : PROTO_STATUS_ERRORS;

	if (!a->present)
		return;
	a->errors = errs->n + errs->dropped;
	a->error_list = n ? calloc(n, sizeof(*a->error_list)) : NULL;
	for (i = 0; a->error_list && i < n; i++) {
		a->error_list[i].pointer = strdup(errs->v[i].pointer);
		a->error_list[i].message = strdup(errs->v[i].message);
		a->n_error_list = i + 1;
		if (!a->error_list[i].pointer || !a->error_list[i].message)
			break;
	}
}

void status_done(struct status *st)
{
	free(st->image_version);
	free(st->backend);
	free(st->started);
	apply_done(&st->last);
}

void status_record(struct status *st, enum status_origin origin, enum status_result result,
		   int64_t generation, const struct apply_result *res)
{
	apply_done(&st->last);
	st->last = (struct proto_status_apply){
		.present = true,
		.generation = generation,
		.when = status_now_iso8601(),
		.origin = strdup(status_origin_to_string(origin)),
		.result = strdup(status_result_to_string(result)),
	};
	if (res) {
		st->last.duration_ms = res->duration_ms;
		st->last.changes = result == RESULT_APPLIED ? res->changes : 0;
		st->last.undo_failed = res->undo_failed;
	}
	/* Out of memory: no record rather than half of one. */
	if (!st->last.when || !st->last.origin || !st->last.result)
		apply_done(&st->last);
	if (res)
		status_record_errors(st, &res->errs);
}

static char *dup_owner(const struct object *o, bool *ok)
{
	char *s;

	if (!o->owner)
		return NULL;
	s = strdup(o->owner);
	if (!s)
		*ok = false;
	return s;
}

static char *dup_str(const char *s, bool *ok)
{
	char *c = strdup(s);

	if (!c)
		*ok = false;
	return c;
}

static void fill_links(const struct observed *obs, struct proto_status *ret, bool *ok)
{
	size_t i;

	ret->links = calloc(obs->n_links ? obs->n_links : 1, sizeof(*ret->links));
	if (!ret->links) {
		*ok = false;
		return;
	}
	for (i = 0; i < obs->n_links; i++) {
		const struct obj_link *l = &obs->links[i]->link;
		struct proto_status_link *d = &ret->links[ret->n_links++];
		char mac[MAC_STRLEN];

		d->name = dup_str(l->name, ok);
		if (l->has & OBJ_LINK_HAS_MAC)
			d->mac = dup_str(mac_format(l->mac, mac), ok);
		d->has_mtu = l->has & OBJ_LINK_HAS_MTU;
		d->mtu = l->mtu;
		d->up = l->up;
		d->owner = dup_owner(obs->links[i], ok);
	}
}

/* The addresses, those of management interfaces that in no longer lists marked kept. */
static void fill_addrs(const struct observed *obs, const struct intent *in,
		       const struct kept_addrs *kept, struct proto_status *ret, bool *ok)
{
	const struct object *o;
	size_t i;

	ret->addrs = calloc(obs->addrs.n_live ? obs->addrs.n_live : 1, sizeof(*ret->addrs));
	if (!ret->addrs) {
		*ok = false;
		return;
	}
	objset_foreach(&obs->addrs, i, o) {
		struct proto_status_address *d = &ret->addrs[ret->n_addrs++];
		char buf[PREFIX_STRLEN];

		d->interface = dup_str(o->address.ifname, ok);
		d->address = dup_str(prefix_format(&o->address.addr, buf), ok);
		d->owner = dup_owner(o, ok);
		d->kept = !o->owner &&
			  kept_addrs_is_kept(in, o->address.ifname, &o->address.addr);
		if (d->kept && kept)
			d->kept_generation =
			    kept_addrs_generation(kept, o->address.ifname, &o->address.addr);
	}
}

static void fill_routes(const struct observed *obs, struct proto_status *ret, bool *ok)
{
	const struct object *o;
	size_t i;

	ret->routes = calloc(obs->routes.n_live ? obs->routes.n_live : 1, sizeof(*ret->routes));
	if (!ret->routes) {
		*ok = false;
		return;
	}
	objset_foreach(&obs->routes, i, o) {
		struct proto_status_route *d = &ret->routes[ret->n_routes++];
		char buf[PREFIX_STRLEN];

		d->to = dup_str(prefix_format(&o->route.to, buf), ok);
		if (o->route.has & OBJ_ROUTE_HAS_VIA)
			d->via = dup_str(addr_format(&o->route.via, buf), ok);
		if (o->route.has & OBJ_ROUTE_HAS_DEV)
			d->interface = dup_str(o->route.dev, ok);
		d->metric = o->route.metric;
		d->owner = dup_owner(o, ok);
	}
}

/* Sets ret->observe_error to what, and *ok false on OOM. */
static void observe_failed(struct proto_status *ret, const char *what, bool *ok)
{
	ret->observe_error = strdup(what);
	if (!ret->observe_error)
		*ok = false;
}

/* The router as the engine observes it, into the lists. A failure goes to
 * ret->observe_error. */
static void status_observe(struct engine *e, const struct intent *in,
			   const struct kept_addrs *kept, struct proto_status *ret, bool *ok)
{
	struct observed obs = {0};
	struct errlist errs = {0};
	struct strbuf msg = {0};

	if (engine_observe(e, &obs, &errs) < 0) {
		if (!errs.n)
			strbuf_printf(&msg, "cannot observe the router");
		else if (errs.v[0].pointer[0])
			strbuf_printf(&msg, "%s: %s", errs.v[0].pointer, errs.v[0].message);
		else
			strbuf_printf(&msg, "%s", errs.v[0].message);
		observe_failed(ret, strbuf_str(&msg), ok);
	} else {
		fill_links(&obs, ret, ok);
		fill_addrs(&obs, in, kept, ret, ok);
		fill_routes(&obs, ret, ok);
	}
	if (msg.oom)
		*ok = false;
	strbuf_done(&msg);
	observed_done(&obs);
	errlist_done(&errs);
}

/* A link's counters, when the engine counted that link. */
static void link_counters(struct proto_status_link *l, const struct counterlist *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		const struct counter *c = &cs->v[i];

		if (c->kind != OBJ_LINK || strcmp(l->name, c->name))
			continue;
		l->has_counters = true;
		l->rx_packets = c->rx.packets;
		l->rx_bytes = c->rx.bytes;
		l->rx_errors = c->rx.errors;
		l->rx_dropped = c->rx.dropped;
		l->tx_packets = c->tx.packets;
		l->tx_bytes = c->tx.bytes;
		l->tx_errors = c->tx.errors;
		l->tx_dropped = c->tx.dropped;
		return;
	}
}

/* The links' traffic and, with rule_counters, the intent rules' matches, as the backends count
 * them: on the links, and the rules' list (there when some backend counts rules, even none):
 * the intent's rules, forwards and one-to-one entries by pointer (in: the intent in effect,
 * NULL when unknown; the entries are named by content in the kernel), the always-on rules and
 * the policies by name. A failure goes to ret->observe_error. */
static void status_counters(struct engine *e, const struct intent *in, bool rule_counters,
			    struct proto_status *ret, bool *ok)
{
	const unsigned rules = BACKEND_KIND(OBJ_FW_RULE) | BACKEND_KIND(OBJ_NAT_RULE);
	struct counterlist cs = {0};
	struct strbuf err = {0};
	size_t i;

	if (engine_counters(e, rule_counters ? ~0u : BACKEND_KIND(OBJ_LINK), &cs, &err) < 0) {
		observe_failed(ret, err.len ? strbuf_str(&err) : "cannot read the counters", ok);
		strbuf_done(&err);
		return;
	}
	strbuf_done(&err);
	if (in && desired_nat_counter_pointers(in, &cs) < 0)
		*ok = false;
	for (i = 0; i < ret->n_links; i++)
		link_counters(&ret->links[i], &cs);
	ret->has_rules = cs.kinds & rules;
	if (ret->has_rules) {
		ret->rules = calloc(cs.n ? cs.n : 1, sizeof(*ret->rules));
		if (!ret->rules)
			*ok = false;
	}
	for (i = 0; ret->rules && i < cs.n; i++) {
		const struct counter *c = &cs.v[i];
		struct proto_status_rule *d;

		if (!(BACKEND_KIND(c->kind) & rules) ||
		    (!c->pointer && !c->builtin && c->kind != OBJ_NAT_RULE))
			continue;
		d = &ret->rules[ret->n_rules++];
		if (c->pointer)
			d->pointer = dup_str(c->pointer, ok);
		else
			d->name = dup_str(c->name, ok);
		if (c->comment)
			d->comment = dup_str(c->comment, ok);
		d->packets = c->rx.packets;
		d->bytes = c->rx.bytes;
	}
	counterlist_done(&cs);
}

static void copy_apply(const struct proto_status_apply *a, struct proto_status_apply *d, bool *ok)
{
	size_t i;

	*d = *a;
	d->when = d->origin = d->result = NULL;
	d->error_list = NULL;
	d->n_error_list = 0;
	if (!a->present)
		return;
	d->when = dup_str(a->when, ok);
	d->origin = dup_str(a->origin, ok);
	d->result = dup_str(a->result, ok);
	if (!a->n_error_list)
		return;
	d->error_list = calloc(a->n_error_list, sizeof(*d->error_list));
	if (!d->error_list) {
		*ok = false;
		return;
	}
	for (i = 0; i < a->n_error_list; i++) {
		d->error_list[i].pointer = dup_str(a->error_list[i].pointer, ok);
		d->error_list[i].message = dup_str(a->error_list[i].message, ok);
		d->n_error_list = i + 1;
	}
}

/* The daemons of the services backend, when there is one. */
static void status_services(struct backend *b, struct proto_status *ret, bool *ok)
{
	struct services_status v[8];
	size_t nv, i;

	nv = b ? backend_services_status(b, v, ELEMENTSOF(v)) : 0;
	ret->services = calloc(nv ? nv : 1, sizeof(*ret->services));
	if (!ret->services) {
		*ok = false;
		return;
	}
	for (i = 0; i < nv; i++) {
		struct proto_status_service *d = &ret->services[ret->n_services++];

		d->name = dup_str(v[i].name, ok);
		d->state = dup_str(v[i].state, ok);
		d->pid = v[i].pid;
		d->restarts = v[i].restarts;
		d->since = dup_str(v[i].since, ok);
		if (v[i].last_error)
			d->last_error = dup_str(v[i].last_error, ok);
	}
}

/* Whether every virtual address of g is among the observed addresses of its link. */
static bool vips_present(const struct proto_status *st, const struct vrrp_group *g)
{
	char buf[PREFIX_STRLEN];
	size_t i, j;

	for (i = 0; i < g->n_vips; i++) {
		prefix_format(&g->vips[i], buf);
		for (j = 0; j < st->n_addrs; j++)
			if (!strcmp(st->addrs[j].interface, g->interface) &&
			    !strcmp(st->addrs[j].address, buf))
				break;
		if (j == st->n_addrs)
			return false;
	}
	return true;
}

/* VRRP as keepalived runs it, with the intent in effect (in: NULL when unknown). */
static void status_vrrp(struct backend *b, const struct intent *in, struct proto_status *ret,
			bool *ok)
{
	static struct services_vrrp v; /* large; the daemon answers one request at a time */
	struct proto_status_vrrp *d = &ret->vrrp;
	char buf[ADDR_STRLEN];
	size_t i, j;

	if (!b || backend_services_vrrp(b, &v) <= 0)
		return;
	d->present = true;
	d->state = dup_str(v.state, ok);
	d->since = dup_str(v.since, ok);
	d->held = v.held;
	d->priority = v.n_groups ? v.groups[0].priority : 0;
	d->groups = calloc(v.n_groups ? v.n_groups : 1, sizeof(*d->groups));
	if (!d->groups) {
		*ok = false;
		return;
	}
	for (i = 0; i < v.n_groups; i++) {
		struct proto_status_vrrp_group *g = &d->groups[d->n_groups++];

		g->name = dup_str(v.groups[i].name, ok);
		g->state = dup_str(v.groups[i].state, ok);
		g->since = dup_str(v.groups[i].since, ok);
		g->priority = v.groups[i].priority;
		for (j = 0; in && j < in->vrrp.n_groups; j++)
			if (!strcmp(in->vrrp.groups[j].name, v.groups[i].name))
				g->addresses_present = vips_present(ret, &in->vrrp.groups[j]);
	}
	d->has_sync = v.has_sync;
	if (in && (in->vrrp.has & VRRP_HAS_SYNC))
		d->peer = dup_str(addr_format(&in->vrrp.sync_peer, buf), ok);
	d->entries = (int64_t)v.sync_entries;
	d->injected = (int64_t)v.sync_injected;
	d->packets_sent = (int64_t)v.sync_sent;
	d->packets_received = (int64_t)v.sync_received;
	d->unacknowledged = (int64_t)v.sync_unacknowledged;
	d->last_heard = v.sync_heard ? dup_str(v.sync_heard, ok) : NULL;
	d->ready = !v.not_ready;
	d->not_ready = v.not_ready ? dup_str(v.not_ready, ok) : NULL;
}

/* The name the intent gives the peer with this public key, or NULL. */
static const char *peer_name(const struct wg_tunnel *t, const char *public_key)
{
	char k[BASE64_KEY_STRLEN + 1];
	size_t i;

	for (i = 0; i < t->n_peers; i++) {
		base64_key_encode(t->peers[i].public_key, k);
		if (!strcmp(k, public_key))
			return t->peers[i].name;
	}
	return NULL;
}

static char *iso_time(int64_t t, bool *ok)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return dup_str("?", ok);
	return dup_str(buf, ok);
}

static void wg_fill(struct proto_status_wg *d, const struct wg_tunnel *t, const struct wgshow *s,
		    bool *ok)
{
	size_t i;

	d->peers = calloc(s->n_peers ? s->n_peers : 1, sizeof(*d->peers));
	if (!d->peers) {
		*ok = false;
		return;
	}
	for (i = 0; i < s->n_peers; i++) {
		const struct wgshow_peer *p = &s->peers[i];
		struct proto_status_wg_peer *e = &d->peers[d->n_peers++];
		const char *name = peer_name(t, p->public_key);

		e->name = dup_str(name ? name : p->public_key, ok);
		e->public_key = dup_str(p->public_key, ok);
		if (p->has & WGSHOW_HAS_ENDPOINT)
			e->endpoint = dup_str(p->endpoint, ok);
		if (p->has & WGSHOW_HAS_HANDSHAKE)
			e->latest_handshake = iso_time(p->latest_handshake, ok);
		e->rx_bytes = (int64_t)p->rx_bytes;
		e->tx_bytes = (int64_t)p->tx_bytes;
	}
}

/* Each WireGuard tunnel of the intent in effect, as wg shows it. */
static void status_wireguard(struct backend *b, const struct intent *in, struct proto_status *ret,
			     bool *ok)
{
	size_t i;

	if (!b || !in || !in->vpn.n_wireguard)
		return;
	ret->wireguard = calloc(in->vpn.n_wireguard, sizeof(*ret->wireguard));
	if (!ret->wireguard) {
		*ok = false;
		return;
	}
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &in->vpn.wireguard[i];
		struct proto_status_wg *d = &ret->wireguard[ret->n_wireguard++];
		struct wgshow s = {0};
		struct strbuf err = {0};
		const char *impl = NULL;

		d->name = dup_str(t->name, ok);
		if (backend_services_wireguard(b, t->name, &impl, &s, &err) < 0) {
			d->error = dup_str(err.len ? strbuf_str(&err) : "cannot be read", ok);
		} else {
			d->implementation = dup_str(impl, ok);
			wg_fill(d, t, &s, ok);
		}
		wgshow_done(&s);
		strbuf_done(&err);
	}
}

/* Each IPsec tunnel of the intent in effect, as charon shows it (one list-sas for all). */
static void status_ipsec(struct backend *b, const struct intent *in, struct proto_status *ret,
			 bool *ok)
{
	struct vici_sas sas = {0};
	struct strbuf err = {0};
	const char *path = NULL;
	time_t now = time(NULL);
	size_t i;
	int r;

	if (!b || !in || !in->vpn.n_ipsec)
		return;
	ret->ipsec = calloc(in->vpn.n_ipsec, sizeof(*ret->ipsec));
	if (!ret->ipsec) {
		*ok = false;
		return;
	}
	r = backend_services_ipsec(b, &path, &sas, &err);
	if (path)
		ret->ipsec_data_path = dup_str(path, ok);
	for (i = 0; i < in->vpn.n_ipsec; i++) {
		struct proto_status_ipsec *d = &ret->ipsec[ret->n_ipsec++];
		struct vici_tunnel t;

		d->name = dup_str(in->vpn.ipsec[i].name, ok);
		if (r < 0) {
			d->error = dup_str(err.len ? strbuf_str(&err) : strerror(-r), ok);
			continue;
		}
		vici_sas_tunnel(&sas, in->vpn.ipsec[i].name, &t);
		if (t.has & VICI_TUNNEL_HAS_IKE)
			d->ike_state = dup_str(t.ike_state, ok);
		d->child_sas = t.child_sas;
		d->bytes_in = (int64_t)(t.bytes_in > INT64_MAX ? INT64_MAX : t.bytes_in);
		d->bytes_out = (int64_t)(t.bytes_out > INT64_MAX ? INT64_MAX : t.bytes_out);
		d->packets_in = (int64_t)(t.packets_in > INT64_MAX ? INT64_MAX : t.packets_in);
		d->packets_out = (int64_t)(t.packets_out > INT64_MAX ? INT64_MAX : t.packets_out);
		if ((t.has & VICI_TUNNEL_HAS_INSTALL) && t.newest_install <= (uint64_t)now)
			d->last_rekey = iso_time((int64_t)now - (int64_t)t.newest_install, ok);
	}
	vici_sas_done(&sas);
	strbuf_done(&err);
}

/* "set_aside": the files set aside in the state directory, its services/ and its history/, then
 * the ones the store could not set aside yet. */
static void status_aside(const struct store *store, struct proto_status *ret, bool *ok)
{
	_cleanup_free_ char *services = NULL, *history = NULL;
	const struct store_pending *pending;
	struct statefile_aside *v = NULL;
	size_t n = 0, n_pending, i;

	pending = store_pending(store, &n_pending);
	if (asprintf(&services, "%s/services", store_dir(store)) < 0) {
		services = NULL;
		*ok = false;
		return;
	}
	if (asprintf(&history, "%s/history", store_dir(store)) < 0) {
		history = NULL;
		*ok = false;
		return;
	}
	if (statefile_aside_list(store_dir(store), &v, &n) < 0 ||
	    statefile_aside_list(services, &v, &n) < 0 ||
	    statefile_aside_list(history, &v, &n) < 0)
		*ok = false;
	if (*ok && n + n_pending) {
		ret->aside = calloc(n + n_pending, sizeof(*ret->aside));
		if (!ret->aside)
			*ok = false;
	}
	for (i = 0; *ok && ret->aside && i < n; i++) {
		struct proto_status_aside *a = &ret->aside[ret->n_aside++];

		a->file = dup_str(v[i].file, ok);
		a->problem = dup_str(seal_problem_to_string(v[i].problem), ok);
		a->moved_to = dup_str(v[i].moved_to, ok);
		a->when = dup_str(v[i].when, ok);
	}
	for (i = 0; *ok && ret->aside && i < n_pending; i++) {
		struct proto_status_aside *a = &ret->aside[ret->n_aside++];

		a->file = dup_str(pending[i].path, ok);
		a->problem = dup_str(seal_problem_to_string(pending[i].problem), ok);
		a->error = dup_str(pending[i].error, ok);
	}
	statefile_aside_free(v, n);
}

int status_brief(const struct status *st, const struct store *store, bool in_effect,
		 struct proto_status *ret)
{
	bool ok = true;

	*ret = (struct proto_status){
		.pid = getpid(),
		.applied_generation = store_generation(store),
		.in_effect = in_effect,
	};
	ret->version = dup_str(VROUTER_VERSION, &ok);
	ret->backend = dup_str(st->backend, &ok);
	ret->started = dup_str(st->started, &ok);
	if (st->image_version)
		ret->image_version = dup_str(st->image_version, &ok);
	copy_apply(&st->last, &ret->last, &ok);
	if (ok)
		status_aside(store, ret, &ok);
	if (!ok) {
		proto_status_done(ret);
		return -ENOMEM;
	}
	return 0;
}

int status_build(const struct status *st, struct engine *e, struct backend *services,
		 const struct intent *in, const struct kept_addrs *kept,
		 const struct store *store, bool in_effect, bool rule_counters,
		 struct proto_status *ret)
{
	bool ok = true;

	if (status_brief(st, store, in_effect, ret) < 0)
		return -ENOMEM;
	status_observe(e, in, kept, ret, &ok);
	if (ok && !ret->observe_error)
		status_counters(e, in, rule_counters, ret, &ok);
	if (ok)
		status_services(services, ret, &ok);
	if (ok)
		status_vrrp(services, in, ret, &ok);
	if (ok)
		status_ipsec(services, in, ret, &ok);
	if (ok)
		status_wireguard(services, in, ret, &ok);
	if (!ok) {
		proto_status_done(ret);
		return -ENOMEM;
	}
	return 0;
}
