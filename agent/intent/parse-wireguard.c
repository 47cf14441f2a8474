/* SPDX-License-Identifier: MIT */
/* "vpn"/"wireguard": WireGuard tunnels and their peers: the structure of one tunnel, and the
 * checks across tunnels, peers and the interfaces' addresses. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "read.h"
#include "vpn.h"
#include "lib/cleanup.h"
#include "lib/utf8.h"

#define WG_MTU_DEFAULT 1420 /* the kernel's default for a WireGuard link */
#define MTU_MIN 68

static const char *const wg_keys[] = {
	"private_key", "listen_port", "addresses", "mtu", "peers", NULL,
};
static const char *const peer_keys[] = {
	"public_key", "preshared_key", "endpoint", "allowed_ips", "keepalive_seconds", NULL,
};

/* A key: 32 bytes in base64. Keys are never part of a message (private and preshared keys
 * are secrets). */
static int read_key(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (base64_key_decode(s, ret) < 0) {
		jr_error(r, "not a WireGuard key: expected 32 bytes in base64, 44 characters ending "
			    "in '=' (as \"wg genkey\" prints)");
		return -1;
	}
	return 1;
}

static int read_public_key(struct jr *r, const struct json_t *v, void *ret)
{
	static const uint8_t zero[BASE64_KEY_LEN];
	uint8_t key[BASE64_KEY_LEN];

	if (read_key(r, v, key) < 0)
		return -1;
	if (!memcmp(key, zero, sizeof(key))) {
		jr_error(r, "the public key is all zeros");
		return -1;
	}
	memcpy(ret, key, sizeof(key));
	return 1;
}

/* "address:port" or "[IPv6 address]:port"; host names are not resolved. */
static int read_endpoint(struct jr *r, const struct json_t *v, void *ret)
{
	struct wg_peer *p = ret;
	char host[ADDR_STRLEN], buf[ADDR_STRLEN];
	const char *s, *start, *end, *port;
	unsigned long n = 0;
	struct ip_addr a;
	size_t len;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (s[0] == '[') {
		start = s + 1;
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			goto bad;
		port = end + 2;
	} else {
		start = s;
		end = strchr(s, ':');
		if (!end || strchr(end + 1, ':'))
			goto bad;
		port = end + 1;
	}
	len = (size_t)(end - start);
	if (len == 0 || len >= sizeof(host))
		goto bad;
	memcpy(host, start, len);
	host[len] = '\0';
	if (addr_parse(host, &a) < 0 || (s[0] == '[') != (a.family == AF_INET6))
		goto bad;
	if (!*port || *port == '0' || strspn(port, "0123456789") != strlen(port))
		goto bad;
	if (strlen(port) > 5 || (n = strtoul(port, NULL, 10)) > 65535) {
		jr_error(r, "endpoint port %.*s is out of range (1-65535)", UTF8_CUT(port, 16));
		return -1;
	}
	if (!addr_is_unicast(&a)) {
		jr_error(r, "endpoint address %s is not a unicast address", addr_format(&a, buf));
		return -1;
	}
	p->endpoint = a;
	p->endpoint_port = (uint16_t)n;
	return 1;
bad:
	jr_error(r,
		 "\"%.*s\" is not an endpoint: expected \"address:port\" or \"[IPv6 "
		 "address]:port\" (host names are not accepted)",
		 UTF8_CUT(s, 64));
	return -1;
}

static void parse_peer(struct jr *r, const char *name, const struct json_t *v, struct wg_peer *p)
{
	int64_t i;

	p->name = strdup(name);
	p->ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, peer_keys))
		return;
	read_member(r, v, "public_key", true, read_public_key, p->public_key);
	if (read_member(r, v, "preshared_key", false, read_key, p->preshared_key) > 0)
		p->has |= WG_PEER_HAS_PRESHARED_KEY;
	if (read_member(r, v, "endpoint", false, read_endpoint, p) > 0)
		p->has |= WG_PEER_HAS_ENDPOINT;
	read_array(r, v, "allowed_ips", false, LIMIT_LIST, sizeof(struct ip_prefix), read_prefix,
		   &p->allowed_ips, &p->n_allowed_ips);
	if (jr_int(r, v, "keepalive_seconds", false, 0, 65535, &i) > 0) {
		p->keepalive_seconds = (uint16_t)i;
		p->has |= WG_PEER_HAS_KEEPALIVE;
	}
}

static void parse_peers(struct jr *r, const struct json_t *v, struct wg_tunnel *t)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	t->peers = calloc(jr_size(v) ? jr_size(v) : 1, sizeof(*t->peers));
	if (!t->peers) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_peer(r, key, val, &t->peers[t->n_peers++]);
		jr_pop(r, mark);
	}
}

void parse_wireguard(struct jr *r, const char *name, const struct json_t *v, struct wg_tunnel *t)
{
	const struct json_t *peers;
	char buf[PREFIX_STRLEN];
	size_t i, j, mark;
	int64_t n;

	t->name = strdup(name);
	t->ptr = jr_ptr_dup(r);
	t->mtu = WG_MTU_DEFAULT;
	if (!jr_object(r, v, wg_keys))
		return;
	read_member(r, v, "private_key", true, read_key, t->private_key);
	if (jr_int(r, v, "listen_port", false, 1, 65535, &n) > 0) {
		t->listen_port = (uint16_t)n;
		t->has |= WG_HAS_LISTEN_PORT;
	}
	if (read_array(r, v, "addresses", false, LIMIT_SMALL, sizeof(struct ip_prefix),
		       read_iface_addr, &t->addrs, &t->n_addrs) > 0) {
		t->has |= WG_HAS_ADDRESSES;
		for (i = 1; i < t->n_addrs; i++)
			for (j = 0; j < i; j++)
				if (addr_equal(&t->addrs[i].addr, &t->addrs[j].addr)) {
					jr_error_member(r, "addresses", (long)i,
							"duplicate address (also at index %zu)", j);
					break;
				}
	}
	if (jr_int(r, v, "mtu", false, MTU_MIN, 65535, &n) > 0) {
		t->mtu = (uint32_t)n;
		t->has |= WG_HAS_MTU;
		for (i = 0; i < t->n_addrs; i++)
			if (t->addrs[i].addr.family == AF_INET6 && n < MTU_MIN_IPV6) {
				jr_error_member(r, "mtu", -1,
						"mtu %u is below %d, the minimum for IPv6 "
						"(address %s)",
						t->mtu, MTU_MIN_IPV6,
						prefix_format(&t->addrs[i], buf));
				break;
			}
	}
	peers = jr_member(v, "peers");
	if (peers) {
		mark = jr_push_key(r, "peers");
		parse_peers(r, peers, t);
		jr_pop(r, mark);
	}
}

/* ---- cross-field checks ---- */

static void check_wireguard_addrs(const struct intent *in, const struct wg_tunnel *t, size_t ti,
				  struct errlist *errs)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j, k;

	for (k = 0; k < t->n_addrs; k++) {
		const struct ip_prefix *a = &t->addrs[k];
		bool found = false;

		for (i = 0; i < in->n_ifaces && !found; i++) {
			const struct iface *ifc = &in->ifaces[i];

			for (j = 0; j < ifc->n_addrs && !found; j++)
				if (prefix_overlaps(a, &ifc->addrs[j])) {
					errlist_add_member(errs, t->ptr, "addresses", (long)k,
							   "%s overlaps %s of interface \"%s\"",
							   prefix_format(a, x),
							   prefix_format(&ifc->addrs[j], y),
							   ifc->name);
					found = true;
				}
		}
		for (i = 0; i < ti && !found; i++) {
			const struct wg_tunnel *o = &in->vpn.wireguard[i];

			for (j = 0; j < o->n_addrs && !found; j++)
				if (prefix_overlaps(a, &o->addrs[j])) {
					errlist_add_member(errs, t->ptr, "addresses", (long)k,
							   "%s overlaps %s of tunnel \"%s\"",
							   prefix_format(a, x),
							   prefix_format(&o->addrs[j], y), o->name);
					found = true;
				}
		}
	}
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, 32);
}

static int network_cmp(const void *a, const void *b)
{
	const struct ip_prefix *x = a, *y = b;
	int c = x->addr.family - y->addr.family;

	if (!c)
		c = memcmp(x->addr.bytes, y->addr.bytes, sizeof(x->addr.bytes));
	return c ? c : x->len - y->len;
}

/* Whether two of t's peers may share a public key, or allowed IPs of t may overlap: false
 * means surely not. Sorted, only neighbours can: prefixes are nested or apart, and a prefix
 * comes before all it contains, the first of them right after it. */
static bool peers_may_clash(const struct wg_tunnel *t)
{
	_cleanup_free_ const uint8_t **keys = calloc(t->n_peers, sizeof(*keys));
	_cleanup_free_ struct ip_prefix *nets = NULL;
	size_t i, k, n = 0;

	for (i = 0; i < t->n_peers; i++)
		n += t->peers[i].n_allowed_ips;
	nets = calloc(n, sizeof(*nets));
	if (!keys || (n && !nets))
		return true;
	for (i = n = 0; i < t->n_peers; i++) {
		keys[i] = t->peers[i].public_key;
		for (k = 0; k < t->peers[i].n_allowed_ips; k++)
			nets[n++] = prefix_network(&t->peers[i].allowed_ips[k]);
	}
	if (t->n_peers > 1)
		qsort(keys, t->n_peers, sizeof(*keys), key_cmp);
	for (i = 1; i < t->n_peers; i++)
		if (!key_cmp(&keys[i - 1], &keys[i]))
			return true;
	if (n > 1)
		qsort(nets, n, sizeof(*nets), network_cmp);
	for (i = 1; i < n; i++)
		if (prefix_overlaps(&nets[i - 1], &nets[i]))
			return true;
	return false;
}

/* Peers that share a public key or overlapping allowed IPs, each error at the later peer
 * naming the first earlier one; quadratic, so only after peers_may_clash. */
static void check_wireguard_peers(const struct wg_tunnel *t, struct errlist *errs)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j, k, l;

	if (!peers_may_clash(t))
		return;
	for (i = 0; i < t->n_peers; i++) {
		const struct wg_peer *p = &t->peers[i];

		for (j = 0; j < i; j++) {
			const struct wg_peer *q = &t->peers[j];

			if (!memcmp(p->public_key, q->public_key, sizeof(p->public_key))) {
				errlist_add_member(errs, p->ptr, "public_key", -1,
						   "the same public key as peer \"%s\"", q->name);
				break;
			}
		}
		for (k = 0; k < p->n_allowed_ips; k++) {
			bool found = false;

			for (j = 0; j < i && !found; j++) {
				const struct wg_peer *q = &t->peers[j];

				for (l = 0; l < q->n_allowed_ips && !found; l++)
					if (prefix_overlaps(&p->allowed_ips[k], &q->allowed_ips[l])) {
						errlist_add_member(errs, p->ptr, "allowed_ips", (long)k,
							  "%s overlaps %s of peer \"%s\"",
							  prefix_format(&p->allowed_ips[k], x),
							  prefix_format(&q->allowed_ips[l], y),
							  q->name);
						found = true;
					}
			}
		}
	}
}

void check_wireguard(const struct intent *in, struct errlist *errs)
{
	size_t i, j;

	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &in->vpn.wireguard[i];

		if (t->has & WG_HAS_LISTEN_PORT) {
			for (j = 0; j < i; j++) {
				const struct wg_tunnel *o = &in->vpn.wireguard[j];

				if (o->has & WG_HAS_LISTEN_PORT && o->listen_port == t->listen_port) {
					errlist_add_member(errs, t->ptr, "listen_port", -1,
							   "port %u is also the listen port "
							   "of tunnel \"%s\"",
							   t->listen_port, o->name);
					break;
				}
			}
			if ((t->listen_port == 500 || t->listen_port == 4500) && in->vpn.n_ipsec)
				errlist_add_member(errs, t->ptr, "listen_port", -1,
						   "port %u is taken by IKE (IPsec tunnel \"%s\")",
						   t->listen_port, in->vpn.ipsec[0].name);
		}
		check_wireguard_addrs(in, t, i, errs);
		check_wireguard_peers(t, errs);
	}
}
