/* SPDX-License-Identifier: MIT */
/* "nat": source NAT, port forwarding (destination NAT) and one-to-one (static) NAT. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "read.h"
#include "sections.h"
#include "lib/utf8.h"

static const char *const nat_keys[] = {"source", "destination", "one_to_one", NULL};
static const char *const source_keys[] = {"out", "source", "to", "masquerade", NULL};
static const char *const dest_keys[] = {
	"in", "destination", "protocol", "ports", "to", "to_ports", "open_firewall", NULL,
};
static const char *const one_keys[] = {"interface", "public", "private", "open_firewall", NULL};

/* Reports that the address at member `key` is not of the family of `other` (member
 * `other_key`). */
static void family_error(struct jr *r, const char *key, const struct ip_addr *a,
			 const char *other_key, const struct ip_addr *other)
{
	char x[ADDR_STRLEN], y[ADDR_STRLEN];
	size_t mark = jr_push_key(r, key);

	jr_error(r, "%s is %s, \"%s\" %s is %s", addr_format(a, x), addr_family_name(a->family),
		 other_key, addr_format(other, y), addr_family_name(other->family));
	jr_pop(r, mark);
}

/* ---- source ---- */

static int parse_source(struct jr *r, const struct json_t *v, void *ret)
{
	struct nat_source *s = ret;
	size_t errors = r->errs->n, mark, i;
	int src, masq = 0;

	*s = (struct nat_source){0};
	s->ptr = jr_ptr_dup(r);
	if (!s->ptr)
		jr_error(r, "out of memory");
	if (!jr_object(r, v, source_keys))
		return -1;
	read_member(r, v, "out", true, read_name, &s->out);
	src = read_array(r, v, "source", false, LIMIT_LIST, sizeof(*s->sources),
			 read_prefix_or_host, &s->sources, &s->n_sources);
	if (src > 0 && !s->n_sources) {
		mark = jr_push_key(r, "source");
		jr_error(r, "must not be empty");
		jr_pop(r, mark);
		src = -1;
	} else if (src > 0) {
		s->has |= NAT_SOURCE_HAS_SOURCE;
	}
	if (read_member(r, v, "to", false, read_unicast_addr, &s->to) > 0)
		s->has |= NAT_SOURCE_HAS_TO;
	masq = jr_bool(r, v, "masquerade", false, &s->masquerade);
	if (masq > 0)
		s->has |= NAT_SOURCE_HAS_MASQUERADE;
	if (s->has & NAT_SOURCE_HAS_TO && s->masquerade)
		jr_error(r, "\"to\" and \"masquerade\": true exclude each other");
	else if (!jr_member(v, "to") && masq >= 0 && !s->masquerade)
		jr_error(r, "source NAT needs \"to\" or \"masquerade\": true");
	if (s->has & NAT_SOURCE_HAS_TO && src > 0) {
		for (i = 0; i < s->n_sources; i++) {
			char x[PREFIX_STRLEN], y[ADDR_STRLEN];

			if (s->sources[i].addr.family == s->to.family)
				continue;
			mark = jr_push_key(r, "source");
			jr_push_index(r, i);
			jr_error(r, "%s is %s, \"to\" %s is %s", prefix_format(&s->sources[i], x),
				 addr_family_name(s->sources[i].addr.family), addr_format(&s->to, y),
				 addr_family_name(s->to.family));
			jr_pop(r, mark);
		}
	}
	return r->errs->n == errors ? 1 : -1;
}

/* ---- destination (port forwarding) ---- */

static int read_nat_proto(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	int p;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	p = nat_proto_from_string(s);
	if (p < 0) {
		jr_error(r, "unknown protocol \"%.*s\" (expected tcp, udp or tcp_udp)",
			 UTF8_CUT(s, 32));
		return -1;
	}
	*(enum nat_proto *)ret = (enum nat_proto)p;
	return 1;
}

static int parse_dest(struct jr *r, const struct json_t *v, void *ret)
{
	struct nat_dest *d = ret;
	size_t errors = r->errs->n, mark;
	int dst, ports, to, to_ports;

	*d = (struct nat_dest){.open_firewall = true};
	d->ptr = jr_ptr_dup(r);
	if (!d->ptr)
		jr_error(r, "out of memory");
	if (!jr_object(r, v, dest_keys))
		return -1;
	read_member(r, v, "in", true, read_name, &d->in);
	dst = read_member(r, v, "destination", true, read_unicast_addr, &d->destination);
	read_member(r, v, "protocol", true, read_nat_proto, &d->protocol);
	ports = read_member(r, v, "ports", true, read_port_range, &d->ports);
	to = read_member(r, v, "to", true, read_unicast_addr, &d->to);
	to_ports = read_member(r, v, "to_ports", false, read_port_range, &d->to_ports);
	if (to_ports > 0)
		d->has |= NAT_DEST_HAS_TO_PORTS;
	else if (to_ports == 0)
		d->to_ports = d->ports;
	if (jr_bool(r, v, "open_firewall", false, &d->open_firewall) > 0)
		d->has |= NAT_DEST_HAS_OPEN_FIREWALL;
	if (ports > 0 && to_ports > 0 &&
	    port_range_len(&d->ports) != port_range_len(&d->to_ports)) {
		char buf[PORT_RANGE_STRLEN];

		mark = jr_push_key(r, "to_ports");
		if (d->to_ports.first == d->to_ports.last)
			jr_error(r, "port %u is a single port, \"ports\" has %u", d->to_ports.first,
				 port_range_len(&d->ports));
		else
			jr_error(r, "port range %s has %u ports, \"ports\" has %u",
				 port_range_format(&d->to_ports, buf), port_range_len(&d->to_ports),
				 port_range_len(&d->ports));
		jr_pop(r, mark);
	}
	if (dst > 0 && to > 0 && d->destination.family != d->to.family)
		family_error(r, "to", &d->to, "destination", &d->destination);
	return r->errs->n == errors ? 1 : -1;
}

/* ---- one_to_one ---- */

static int parse_one(struct jr *r, const struct json_t *v, void *ret)
{
	struct nat_one_to_one *o = ret;
	size_t errors = r->errs->n;
	int pub, priv;

	*o = (struct nat_one_to_one){.open_firewall = true};
	o->ptr = jr_ptr_dup(r);
	if (!o->ptr)
		jr_error(r, "out of memory");
	if (!jr_object(r, v, one_keys))
		return -1;
	read_member(r, v, "interface", true, read_name, &o->interface);
	pub = read_member(r, v, "public", true, read_unicast_addr, &o->public_addr);
	priv = read_member(r, v, "private", true, read_unicast_addr, &o->private_addr);
	if (jr_bool(r, v, "open_firewall", false, &o->open_firewall) > 0)
		o->has |= NAT_ONE_HAS_OPEN_FIREWALL;
	if (pub > 0 && priv > 0 && o->public_addr.family != o->private_addr.family)
		family_error(r, "private", &o->private_addr, "public", &o->public_addr);
	return r->errs->n == errors ? 1 : -1;
}

void parse_nat(struct jr *r, const struct json_t *v, struct intent *in)
{
	struct nat *nat = in->nat;

	nat->present = true;
	if (!jr_object(r, v, nat_keys))
		return;
	read_array(r, v, "source", false, LIMIT_MANY, sizeof(*nat->source), parse_source,
		   &nat->source, &nat->n_source);
	read_array(r, v, "destination", false, LIMIT_MANY, sizeof(*nat->destination), parse_dest,
		   &nat->destination, &nat->n_destination);
	read_array(r, v, "one_to_one", false, LIMIT_MANY, sizeof(*nat->one_to_one), parse_one,
		   &nat->one_to_one, &nat->n_one_to_one);
}

/* ---- cross-field checks ---- */

/* The link named at ptr/key must be an interface or a WireGuard tunnel; the public address
 * (if any) must be one of its addresses or a VRRP virtual address on it (owned: the links'
 * addresses, NULL: asked of the intent). */
static void check_link(const struct intent *in, const struct owned_addrs *owned,
		       struct errlist *errs, const char *ptr, const char *key, const char *name,
		       const char *addr_key, const struct ip_addr *a)
{
	char buf[ADDR_STRLEN];

	if (!intent_iface(in, name) && !intent_wg(in, name)) {
		errlist_add_member(errs, ptr, key, -1, "unknown interface \"%s\"", name);
		return;
	}
	if (a && !(owned ? owned_addrs_has(owned, name, a) : intent_iface_owns_addr(in, name, a)))
		errlist_add_member(errs, ptr, addr_key, -1, "%s is not an address of interface \"%s\"",
			  addr_format(a, buf), name);
}

/* Port forwards by interface, address, transport protocol (a tcp_udp forward counts once
 * for each) and first port, to find overlaps in O(n log n). */
struct fwd_key {
	const struct nat_dest *d;
	size_t idx;
	unsigned l4; /* 0 tcp, 1 udp */
};

static int fwd_key_cmp(const void *a, const void *b)
{
	const struct fwd_key *x = a, *y = b;
	int c = strcmp(x->d->in, y->d->in);

	if (!c)
		c = addr_cmp(&x->d->destination, &y->d->destination);
	if (c)
		return c;
	if (x->l4 != y->l4)
		return x->l4 < y->l4 ? -1 : 1;
	if (x->d->ports.first != y->d->ports.first)
		return x->d->ports.first < y->d->ports.first ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool fwd_same_group(const struct fwd_key *x, const struct fwd_key *y)
{
	return !strcmp(x->d->in, y->d->in) && addr_equal(&x->d->destination, &y->d->destination) &&
	       x->l4 == y->l4;
}

static void check_forward_overlaps(const struct nat *nat, struct errlist *errs)
{
	static const char *const l4_name[] = {"tcp", "udp"};
	struct fwd_key *k;
	bool *reported;
	size_t i, m = 0, n = 0;

	if (nat->n_destination < 2)
		return;
	k = calloc(nat->n_destination * 2, sizeof(*k));
	reported = calloc(nat->n_destination, sizeof(*reported));
	if (!k || !reported) {
		errs->oom = 1;
		goto out;
	}
	for (i = 0; i < nat->n_destination; i++) {
		const struct nat_dest *d = &nat->destination[i];

		if (d->protocol != NAT_UDP)
			k[n++] = (struct fwd_key){.d = d, .idx = i, .l4 = 0};
		if (d->protocol != NAT_TCP)
			k[n++] = (struct fwd_key){.d = d, .idx = i, .l4 = 1};
	}
	qsort(k, n, sizeof(*k), fwd_key_cmp);
	for (i = 1; i < n; i++) {
		const struct fwd_key *at, *other;
		char a[PORT_RANGE_STRLEN], b[PORT_RANGE_STRLEN], addr[ADDR_STRLEN];

		if (!fwd_same_group(&k[i], &k[m])) {
			m = i;
			continue;
		}
		if (k[i].d->ports.first <= k[m].d->ports.last) {
			/* Report at the later forward, naming the earlier one. */
			at = k[i].idx > k[m].idx ? &k[i] : &k[m];
			other = at == &k[i] ? &k[m] : &k[i];
			if (!reported[at->idx]) {
				reported[at->idx] = true;
				errlist_add_at(errs, at->d->ptr, "/ports",
					  "duplicate port forward: %s %s on %s overlaps %s of %s",
					  l4_name[at->l4], port_range_format(&at->d->ports, a),
					  addr_format(&at->d->destination, addr),
					  port_range_format(&other->d->ports, b), other->d->ptr);
			}
		}
		if (k[i].d->ports.last > k[m].d->ports.last)
			m = i;
	}
out:
	free(k);
	free(reported);
}

struct addr_idx {
	struct ip_addr a;
	size_t idx;
};

static int addr_idx_cmp(const void *a, const void *b)
{
	const struct addr_idx *x = a, *y = b;
	int c = addr_cmp(&x->a, &y->a);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first (lowest index) of the sorted v[0..n) with address a, or NULL. */
static const struct addr_idx *addr_idx_find(const struct addr_idx *v, size_t n,
					    const struct ip_addr *a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(&v[mid].a, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && addr_equal(&v[lo].a, a) ? &v[lo] : NULL;
}

/* Sorts v[0..n), the public or private (key) addresses of the one-to-one entries, and
 * reports each entry whose address an earlier one has. */
static void check_one_to_one_shared(const struct nat *nat, struct addr_idx *v, size_t n,
				    const char *key, struct errlist *errs)
{
	char buf[ADDR_STRLEN];
	size_t i;

	qsort(v, n, sizeof(*v), addr_idx_cmp);
	for (i = 1; i < n; i++) {
		const char *ptr = nat->one_to_one[v[i].idx].ptr;

		if (addr_equal(&v[i].a, &v[i - 1].a))
			errlist_add_member(errs, ptr, key, -1, "%s address %s is also used by %s", key,
				  addr_format(&v[i].a, buf), nat->one_to_one[v[i - 1].idx].ptr);
	}
}

/* One-to-one entries own their public and private addresses: no other one-to-one entry may
 * use them, nor a port forward the public one. */
static void check_one_to_one_addrs(const struct nat *nat, struct errlist *errs)
{
	struct addr_idx *fwd = NULL, *pub = NULL, *priv = NULL;
	size_t i, n = nat->n_one_to_one;
	char buf[ADDR_STRLEN];

	if (!n)
		return;
	fwd = calloc(nat->n_destination + 1, sizeof(*fwd));
	pub = calloc(n, sizeof(*pub));
	priv = calloc(n, sizeof(*priv));
	if (!fwd || !pub || !priv) {
		errs->oom = 1;
		goto out;
	}
	for (i = 0; i < nat->n_destination; i++)
		fwd[i] = (struct addr_idx){.a = nat->destination[i].destination, .idx = i};
	qsort(fwd, nat->n_destination, sizeof(*fwd), addr_idx_cmp);
	for (i = 0; i < n; i++) {
		const struct nat_one_to_one *o = &nat->one_to_one[i];
		const struct addr_idx *f = addr_idx_find(fwd, nat->n_destination, &o->public_addr);

		if (f)
			errlist_add_at(errs, o->ptr, "/public",
				  "%s is also used by the port forward at %s",
				  addr_format(&o->public_addr, buf), nat->destination[f->idx].ptr);
		pub[i] = (struct addr_idx){.a = o->public_addr, .idx = i};
		priv[i] = (struct addr_idx){.a = o->private_addr, .idx = i};
	}
	check_one_to_one_shared(nat, pub, n, "public", errs);
	check_one_to_one_shared(nat, priv, n, "private", errs);
out:
	free(fwd);
	free(pub);
	free(priv);
}

void check_nat(const struct intent *in, struct errlist *errs)
{
	const struct nat *nat = in->nat;
	struct owned_addrs owned = {0};
	/* Thousands of forwards on an interface of hundreds of addresses: looked up, not scanned
	 * (out of memory: scanned). */
	const struct owned_addrs *known = intent_owned_addrs(in, &owned) < 0 ? NULL : &owned;
	size_t i;

	for (i = 0; i < nat->n_source; i++)
		check_link(in, known, errs, nat->source[i].ptr, "out", nat->source[i].out, NULL, NULL);
	for (i = 0; i < nat->n_destination; i++) {
		const struct nat_dest *d = &nat->destination[i];

		check_link(in, known, errs, d->ptr, "in", d->in, "destination", &d->destination);
	}
	for (i = 0; i < nat->n_one_to_one; i++) {
		const struct nat_one_to_one *o = &nat->one_to_one[i];

		check_link(in, known, errs, o->ptr, "interface", o->interface, "public",
			   &o->public_addr);
	}
	owned_addrs_done(&owned);
	check_forward_overlaps(nat, errs);
	check_one_to_one_addrs(nat, errs);
}

void free_nat(struct nat *nat)
{
	size_t i;

	for (i = 0; i < nat->n_source; i++) {
		free(nat->source[i].ptr);
		free(nat->source[i].out);
		free(nat->source[i].sources);
	}
	free(nat->source);
	for (i = 0; i < nat->n_destination; i++) {
		free(nat->destination[i].ptr);
		free(nat->destination[i].in);
	}
	free(nat->destination);
	for (i = 0; i < nat->n_one_to_one; i++) {
		free(nat->one_to_one[i].ptr);
		free(nat->one_to_one[i].interface);
	}
	free(nat->one_to_one);
	free(nat);
}
