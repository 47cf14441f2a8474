/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "lib/cleanup.h"
#include "nft/nft.h"
#include "services/services.h"
#include "plan/observed.h"
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

int status_init(struct status *st, const char *backend)
{
	*st = (struct status){0};
	st->backend = strdup(backend);
	st->started = status_now_iso8601();
	if (!st->backend || !st->started) {
		status_done(st);
		return -ENOMEM;
	}
	return 0;
}

static void apply_done(struct proto_status_apply *a)
{
	free(a->when);
	free(a->origin);
	free(a->result);
	*a = (struct proto_status_apply){0};
}

void status_done(struct status *st)
{
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
		st->last.errors = res->errs.n + res->errs.dropped;
		st->last.undo_failed = res->undo_failed;
	}
	/* Out of memory: no record rather than half of one. */
	if (!st->last.when || !st->last.origin || !st->last.result)
		apply_done(&st->last);
}

static struct backend *first_handler(struct backend *const *bs, size_t n, enum object_kind k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (backend_handles(bs[i], k))
			return bs[i];
	return NULL;
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

static void fill_addrs(const struct observed *obs, struct proto_status *ret, bool *ok)
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

/* Observes through the backend handling each of links, addresses and routes (each backend
 * once) and fills the lists. A failure goes to ret->observe_error. */
static void status_observe(struct backend *const *bs, size_t n, struct proto_status *ret,
			   bool *ok)
{
	static const enum object_kind kinds[] = {OBJ_LINK, OBJ_ADDRESS, OBJ_ROUTE};
	struct backend *seen[ELEMENTSOF(kinds)] = {0};
	struct errlist errs = {0};
	size_t k, j;

	for (k = 0; k < ELEMENTSOF(kinds) && *ok && !ret->observe_error; k++) {
		struct backend *b = first_handler(bs, n, kinds[k]);
		struct observed obs = {0};
		bool again = false;

		for (j = 0; j < k; j++)
			again |= seen[j] == b;
		seen[k] = b;
		if (!b || again)
			continue;
		if (backend_observe(b, &obs, &errs) < 0) {
			if (asprintf(&ret->observe_error, "%s backend: %s%s%s", b->ops->name,
				     errs.n ? errs.v[0].pointer : "", errs.n ? ": " : "",
				     errs.n ? errs.v[0].message : "cannot observe") < 0) {
				ret->observe_error = NULL;
				*ok = false;
			}
		} else {
			if (first_handler(bs, n, OBJ_LINK) == b)
				fill_links(&obs, ret, ok);
			if (first_handler(bs, n, OBJ_ADDRESS) == b)
				fill_addrs(&obs, ret, ok);
			if (first_handler(bs, n, OBJ_ROUTE) == b)
				fill_routes(&obs, ret, ok);
		}
		observed_done(&obs);
	}
	errlist_done(&errs);
}

/* The rules' counters, from the backend of firewall rules when it counts them (nftables). */
static void status_counters(struct backend *const *bs, size_t n, struct proto_status *ret,
			    bool *ok)
{
	struct backend *b = first_handler(bs, n, OBJ_FW_RULE);
	struct nft_counter *v = NULL;
	struct strbuf err = {0};
	size_t nv = 0, i;
	int r;

	if (!b)
		return;
	r = backend_nft_counters(b, &v, &nv, &err);
	if (r == -EOPNOTSUPP) {
		strbuf_done(&err);
		return;
	}
	if (r < 0) {
		if (asprintf(&ret->observe_error, "%s backend: %s", b->ops->name,
			     err.len ? strbuf_str(&err) : strerror(-r)) < 0) {
			ret->observe_error = NULL;
			*ok = false;
		}
		strbuf_done(&err);
		return;
	}
	strbuf_done(&err);
	ret->has_rules = true;
	ret->rules = calloc(nv ? nv : 1, sizeof(*ret->rules));
	if (!ret->rules)
		*ok = false;
	for (i = 0; ret->rules && i < nv; i++) {
		struct proto_status_rule *d = &ret->rules[ret->n_rules++];

		d->pointer = dup_str(v[i].pointer, ok);
		if (v[i].comment)
			d->comment = dup_str(v[i].comment, ok);
		d->packets = v[i].packets;
		d->bytes = v[i].bytes;
	}
	nft_counters_free(v, nv);
}

/* The links' traffic counters, from the backend of links when it counts them (the kernel). */
static void status_link_counters(struct backend *const *bs, size_t n, struct proto_status *ret)
{
	struct backend *b = first_handler(bs, n, OBJ_LINK);
	struct link_counters *v = NULL;
	struct strbuf err = {0};
	size_t nv = 0, i, j;

	/* Counters are extra information: without them status still answers. */
	if (b && backend_kernel_counters(b, &v, &nv, &err) >= 0)
		for (i = 0; i < ret->n_links; i++)
			for (j = 0; j < nv; j++) {
				struct proto_status_link *l = &ret->links[i];

				if (strcmp(l->name, v[j].name))
					continue;
				l->has_counters = true;
				l->rx_packets = v[j].rx_packets;
				l->rx_bytes = v[j].rx_bytes;
				l->rx_errors = v[j].rx_errors;
				l->rx_dropped = v[j].rx_dropped;
				l->tx_packets = v[j].tx_packets;
				l->tx_bytes = v[j].tx_bytes;
				l->tx_errors = v[j].tx_errors;
				l->tx_dropped = v[j].tx_dropped;
				break;
			}
	free(v);
	strbuf_done(&err);
}

static void copy_apply(const struct proto_status_apply *a, struct proto_status_apply *d, bool *ok)
{
	*d = *a;
	d->when = d->origin = d->result = NULL;
	if (!a->present)
		return;
	d->when = dup_str(a->when, ok);
	d->origin = dup_str(a->origin, ok);
	d->result = dup_str(a->result, ok);
}

/* The daemons of the services backend, when there is one. */
static void status_services(struct backend *const *bs, size_t n, struct proto_status *ret,
			    bool *ok)
{
	struct backend *b = first_handler(bs, n, OBJ_FILE);
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

int status_build(const struct status *st, struct backend *const *backends, size_t n,
		 int64_t applied_generation, bool in_effect, struct proto_status *ret)
{
	bool ok = true;

	*ret = (struct proto_status){
		.pid = getpid(),
		.applied_generation = applied_generation,
		.in_effect = in_effect,
	};
	ret->version = dup_str(VROUTER_VERSION, &ok);
	ret->backend = dup_str(st->backend, &ok);
	ret->started = dup_str(st->started, &ok);
	copy_apply(&st->last, &ret->last, &ok);
	if (ok)
		status_observe(backends, n, ret, &ok);
	if (ok && !ret->observe_error)
		status_link_counters(backends, n, ret);
	if (ok && !ret->observe_error)
		status_counters(backends, n, ret, &ok);
	if (ok)
		status_services(backends, n, ret, &ok);
	if (!ok) {
		proto_status_done(ret);
		return -ENOMEM;
	}
	return 0;
}
