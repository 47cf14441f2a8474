/* SPDX-License-Identifier: MIT */
/* "vpn": IPsec tunnels (strongSwan, pre-shared keys) and WireGuard tunnels. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "base64.h"
#include "proposal.h"
#include "read.h"
#include "sections.h"

#define PSK_MIN_LEN 16
#define PSK_MAX_LEN 256
#define IDENTITY_MAX_LEN 255
#define IPSEC_DPD_DEFAULT 30
#define IPSEC_DPD_MAX 3600
#define WG_MTU_DEFAULT 1420 /* the kernel's default for a WireGuard link */
#define MTU_MIN 68
#define MTU_MIN_IPV6 1280

static const char *const vpn_keys[] = {"ipsec", "wireguard", NULL};
static const char *const ipsec_keys[] = {
	"local_address", "remote_address", "psk",	    "local_id",	   "remote_id",
	"local_subnets", "remote_subnets", "ike_version",   "ike_proposals", "esp_proposals",
	"dpd_seconds",	 "initiate",	   NULL,
};
static const char *const wg_keys[] = {
	"private_key", "listen_port", "addresses", "mtu", "peers", NULL,
};
static const char *const peer_keys[] = {
	"public_key", "preshared_key", "endpoint", "allowed_ips", "keepalive_seconds", NULL,
};

/* ---- IPsec ---- */

/* remote_address: a unicast address or "%any" (responder only). */
static int read_remote(struct jr *r, const struct json_t *v, void *ret)
{
	struct ipsec_tunnel *t = ret;
	struct ip_addr a;
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (!strcmp(s, "%any")) {
		t->remote_any = true;
		return 1;
	}
	if (!strchr(s, '/') && addr_parse(s, &a) < 0) {
		jr_error(r, "\"%.64s\" is not an IPv4 or IPv6 address, nor \"%%any\"", s);
		return -1;
	}
	return read_unicast_addr(r, v, &t->remote_address);
}

/* The pre-shared key: a secret, never part of a message. */
static int read_psk(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	size_t i, n;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			jr_error(r, "character %zu of the psk is not printable ASCII", i + 1);
			return -1;
		}
	if (n < PSK_MIN_LEN) {
		jr_error(r, "the psk has %zu characters, at least %d are required", n, PSK_MIN_LEN);
		return -1;
	}
	if (n > PSK_MAX_LEN) {
		jr_error(r, "the psk has %zu characters, more than the limit of %d", n,
			 PSK_MAX_LEN);
		return -1;
	}
	return jr_string_value(r, v, ret);
}

/* local_id/remote_id: strongSwan identities, 1-255 printable characters except '"'. */
static int read_identity(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	size_t i, n;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	n = strlen(s);
	if (n == 0) {
		jr_error(r, "an identity must not be empty");
		return -1;
	}
	if (n > IDENTITY_MAX_LEN) {
		jr_error(r, "identity of %zu characters is longer than the limit of %d", n,
			 IDENTITY_MAX_LEN);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"') {
			jr_error(r, "character %zu of the identity is not allowed (printable ASCII "
				    "except '\"')",
				 i + 1);
			return -1;
		}
	return jr_string_value(r, v, ret);
}

static int read_proposal(struct jr *r, const struct json_t *v, char **ret,
			 enum proposal_kind kind)
{
	struct strbuf msg = {0};
	const char *s;

	if (jr_string_ref(r, v, &s) < 0)
		return -1;
	if (proposal_check(s, kind, &msg) < 0) {
		jr_error(r, "%s", strbuf_str(&msg));
		strbuf_done(&msg);
		return -1;
	}
	return jr_string_value(r, v, ret);
}

static int read_ike_proposal(struct jr *r, const struct json_t *v, void *ret)
{
	return read_proposal(r, v, ret, PROPOSAL_IKE);
}

static int read_esp_proposal(struct jr *r, const struct json_t *v, void *ret)
{
	return read_proposal(r, v, ret, PROPOSAL_ESP);
}

static int read_proposals(struct jr *r, const struct json_t *obj, const char *key,
			  enum proposal_kind kind, char ***ret, size_t *ret_n)
{
	size_t i, j;
	int res;

	res = read_array(r, obj, key, false, LIMIT_SMALL, sizeof(char *),
			 kind == PROPOSAL_IKE ? read_ike_proposal : read_esp_proposal, ret, ret_n);
	if (res > 0 && *ret_n == 0) {
		jr_error_member(r, key, -1, "must not be empty (leave it out for the defaults)");
		return -1;
	}
	for (i = 1; res > 0 && i < *ret_n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp((*ret)[i], (*ret)[j])) {
				jr_error_member(r, key, (long)i, "duplicate proposal (also at index %zu)",
					     j);
				res = -1;
				break;
			}
	return res;
}

static int read_subnets(struct jr *r, const struct json_t *obj, const char *key,
			struct ip_prefix **ret, size_t *ret_n)
{
	int res = read_array(r, obj, key, true, LIMIT_SMALL, sizeof(struct ip_prefix),
			     read_prefix, ret, ret_n);

	if (res > 0 && *ret_n == 0) {
		jr_error_member(r, key, -1, "must not be empty");
		return -1;
	}
	return res;
}

/* Address families present in a list of prefixes: bit 0 IPv4, bit 1 IPv6. */
static unsigned prefix_families(const struct ip_prefix *p, size_t n)
{
	unsigned f = 0;
	size_t i;

	for (i = 0; i < n; i++)
		f |= p[i].addr.family == AF_INET6 ? 2 : 1;
	return f;
}

static void check_ipsec_subnets(struct jr *r, const struct ipsec_tunnel *t)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j;

	if (!(prefix_families(t->local_subnets, t->n_local_subnets) &
	      prefix_families(t->remote_subnets, t->n_remote_subnets))) {
		jr_error_member(r, "remote_subnets", -1,
			     "no address family in common with local_subnets");
		return;
	}
	for (i = 0; i < t->n_remote_subnets; i++)
		for (j = 0; j < t->n_local_subnets; j++)
			if (prefix_overlaps(&t->remote_subnets[i], &t->local_subnets[j])) {
				jr_error_member(r, "remote_subnets", (long)i,
					     "%s overlaps local subnet %s",
					     prefix_format(&t->remote_subnets[i], x),
					     prefix_format(&t->local_subnets[j], y));
				break;
			}
}

static void parse_ipsec(struct jr *r, const char *name, const struct json_t *v,
			struct ipsec_tunnel *t)
{
	char x[ADDR_STRLEN], y[ADDR_STRLEN];
	bool local_ok, remote_ok, subnets_ok;
	int64_t i;

	t->name = strdup(name);
	t->ptr = jr_ptr_dup(r);
	t->ike_version = 2;
	t->dpd_seconds = IPSEC_DPD_DEFAULT;
	if (!jr_object(r, v, ipsec_keys))
		return;
	local_ok = read_member(r, v, "local_address", true, read_unicast_addr, &t->local_address) > 0;
	remote_ok = read_member(r, v, "remote_address", true, read_remote, t) > 0;
	if (local_ok && remote_ok && !t->remote_any &&
	    t->local_address.family != t->remote_address.family)
		jr_error_member(r, "remote_address", -1, "%s is %s but local_address %s is %s",
			     addr_format(&t->remote_address, x),
			     addr_family_name(t->remote_address.family),
			     addr_format(&t->local_address, y),
			     addr_family_name(t->local_address.family));
	read_member(r, v, "psk", true, read_psk, &t->psk);
	if (read_member(r, v, "local_id", false, read_identity, &t->local_id) > 0)
		t->has |= IPSEC_HAS_LOCAL_ID;
	if (read_member(r, v, "remote_id", false, read_identity, &t->remote_id) > 0)
		t->has |= IPSEC_HAS_REMOTE_ID;
	subnets_ok = read_subnets(r, v, "local_subnets", &t->local_subnets,
				  &t->n_local_subnets) > 0;
	subnets_ok &= read_subnets(r, v, "remote_subnets", &t->remote_subnets,
				   &t->n_remote_subnets) > 0;
	if (subnets_ok)
		check_ipsec_subnets(r, t);
	if (jr_int(r, v, "ike_version", false, 1, 2, &i) > 0) {
		t->ike_version = (unsigned)i;
		t->has |= IPSEC_HAS_IKE_VERSION;
	}
	if (read_proposals(r, v, "ike_proposals", PROPOSAL_IKE, &t->ike_proposals,
			   &t->n_ike_proposals) > 0)
		t->has |= IPSEC_HAS_IKE_PROPOSALS;
	if (read_proposals(r, v, "esp_proposals", PROPOSAL_ESP, &t->esp_proposals,
			   &t->n_esp_proposals) > 0)
		t->has |= IPSEC_HAS_ESP_PROPOSALS;
	if (jr_int(r, v, "dpd_seconds", false, 0, IPSEC_DPD_MAX, &i) > 0) {
		t->dpd_seconds = (uint32_t)i;
		t->has |= IPSEC_HAS_DPD;
	}
	if (jr_bool(r, v, "initiate", false, &t->initiate) > 0) {
		t->has |= IPSEC_HAS_INITIATE;
		if (t->initiate && t->remote_any)
			jr_error_member(r, "initiate", -1,
				     "a tunnel with remote_address \"%%any\" cannot initiate");
	} else {
		t->initiate = !t->remote_any;
	}
}

/* ---- WireGuard ---- */

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
		jr_error(r, "endpoint port %.16s is out of range (1-65535)", port);
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
	jr_error(r, "\"%.64s\" is not an endpoint: expected \"address:port\" or \"[IPv6 "
		    "address]:port\" (host names are not accepted)",
		 s);
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

static void parse_wg(struct jr *r, const char *name, const struct json_t *v, struct wg_tunnel *t)
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
					     "mtu %u is below %d, the minimum for IPv6 (address %s)",
					     t->mtu, MTU_MIN_IPV6, prefix_format(&t->addrs[i], buf));
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

/* ---- the section ---- */

static void parse_ipsec_map(struct jr *r, const struct json_t *v, struct vpn *vpn)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	vpn->ipsec = calloc(jr_size(v) ? jr_size(v) : 1, sizeof(*vpn->ipsec));
	if (!vpn->ipsec) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_ipsec(r, key, val, &vpn->ipsec[vpn->n_ipsec++]);
		jr_pop(r, mark);
	}
}

static void parse_wg_map(struct jr *r, const struct json_t *v, struct vpn *vpn)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	vpn->wireguard = calloc(jr_size(v) ? jr_size(v) : 1, sizeof(*vpn->wireguard));
	if (!vpn->wireguard) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_wg(r, key, val, &vpn->wireguard[vpn->n_wireguard++]);
		jr_pop(r, mark);
	}
}

void parse_vpn(struct jr *r, const struct json_t *v, struct intent *in)
{
	const struct json_t *m;
	size_t mark;

	in->vpn.present = true;
	if (!jr_object(r, v, vpn_keys))
		return;
	m = jr_member(v, "ipsec");
	if (m) {
		mark = jr_push_key(r, "ipsec");
		parse_ipsec_map(r, m, &in->vpn);
		jr_pop(r, mark);
	}
	m = jr_member(v, "wireguard");
	if (m) {
		mark = jr_push_key(r, "wireguard");
		parse_wg_map(r, m, &in->vpn);
		jr_pop(r, mark);
	}
}

/* ---- cross-field checks ---- */

/* Tunnels are links: their names share one namespace with the interfaces. */
static void check_link_names(const struct intent *in, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		if (intent_iface(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an interface",
				  t->name);
	}
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &in->vpn.wireguard[i];

		if (intent_iface(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an interface",
				  t->name);
		else if (intent_ipsec(in, t->name))
			errlist_add_member(errs, t->ptr, NULL, -1, "name \"%s\" is already an IPsec tunnel",
				  t->name);
	}
}

static void check_ipsec(const struct intent *in, struct errlist *errs)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j, k, l;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		if (!intent_owns_addr(in, &t->local_address))
			errlist_add_member(errs, t->ptr, "local_address", -1,
				  "%s is not an address of this router",
				  addr_format(&t->local_address, x));
		if (t->remote_any)
			continue;
		if (intent_owns_addr(in, &t->remote_address))
			errlist_add_member(errs, t->ptr, "remote_address", -1,
				  "%s is an address of this router",
				  addr_format(&t->remote_address, x));
		for (j = 0; j < i; j++) {
			const struct ipsec_tunnel *o = &in->vpn.ipsec[j];

			if (o->remote_any || !addr_equal(&o->remote_address, &t->remote_address))
				continue;
			for (k = 0; k < t->n_remote_subnets; k++)
				for (l = 0; l < o->n_remote_subnets; l++) {
					if (!prefix_overlaps(&t->remote_subnets[k],
							     &o->remote_subnets[l]))
						continue;
					errlist_add_member(errs, t->ptr, "remote_subnets", (long)k,
						  "%s overlaps %s of tunnel \"%s\" to the same "
						  "remote address",
						  prefix_format(&t->remote_subnets[k], x),
						  prefix_format(&o->remote_subnets[l], y), o->name);
					break;
				}
		}
	}
}

static void check_wg_addrs(const struct intent *in, const struct wg_tunnel *t, size_t ti,
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
						  prefix_format(&ifc->addrs[j], y), ifc->name);
					found = true;
				}
		}
		for (i = 0; i < ti && !found; i++) {
			const struct wg_tunnel *o = &in->vpn.wireguard[i];

			for (j = 0; j < o->n_addrs && !found; j++)
				if (prefix_overlaps(a, &o->addrs[j])) {
					errlist_add_member(errs, t->ptr, "addresses", (long)k,
						  "%s overlaps %s of tunnel \"%s\"",
						  prefix_format(a, x), prefix_format(&o->addrs[j], y),
						  o->name);
					found = true;
				}
		}
	}
}

static void check_wg_peers(const struct wg_tunnel *t, struct errlist *errs)
{
	char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
	size_t i, j, k, l;

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

static void check_wireguard(const struct intent *in, struct errlist *errs)
{
	size_t i, j;

	for (i = 0; i < in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &in->vpn.wireguard[i];

		if (t->has & WG_HAS_LISTEN_PORT) {
			for (j = 0; j < i; j++) {
				const struct wg_tunnel *o = &in->vpn.wireguard[j];

				if (o->has & WG_HAS_LISTEN_PORT && o->listen_port == t->listen_port) {
					errlist_add_member(errs, t->ptr, "listen_port", -1,
						  "port %u is also the listen port of tunnel \"%s\"",
						  t->listen_port, o->name);
					break;
				}
			}
			if ((t->listen_port == 500 || t->listen_port == 4500) && in->vpn.n_ipsec)
				errlist_add_member(errs, t->ptr, "listen_port", -1,
					  "port %u is taken by IKE (IPsec tunnel \"%s\")",
					  t->listen_port, in->vpn.ipsec[0].name);
		}
		check_wg_addrs(in, t, i, errs);
		check_wg_peers(t, errs);
	}
}

void check_vpn(const struct intent *in, struct errlist *errs)
{
	check_link_names(in, errs);
	check_ipsec(in, errs);
	check_wireguard(in, errs);
}

void free_vpn(struct intent *in)
{
	size_t i, j;

	for (i = 0; i < in->vpn.n_ipsec; i++) {
		struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		free(t->name);
		free(t->ptr);
		if (t->psk) {
			explicit_bzero(t->psk, strlen(t->psk));
			free(t->psk);
		}
		free(t->local_id);
		free(t->remote_id);
		free(t->local_subnets);
		free(t->remote_subnets);
		strv_free(t->ike_proposals, t->n_ike_proposals);
		strv_free(t->esp_proposals, t->n_esp_proposals);
	}
	free(in->vpn.ipsec);
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		struct wg_tunnel *t = &in->vpn.wireguard[i];

		free(t->name);
		free(t->ptr);
		free(t->addrs);
		for (j = 0; j < t->n_peers; j++) {
			free(t->peers[j].name);
			free(t->peers[j].ptr);
			free(t->peers[j].allowed_ips);
		}
		if (t->peers)
			explicit_bzero(t->peers, t->n_peers * sizeof(*t->peers));
		free(t->peers);
	}
	if (in->vpn.wireguard)
		explicit_bzero(in->vpn.wireguard,
			       in->vpn.n_wireguard * sizeof(*in->vpn.wireguard));
	free(in->vpn.wireguard);
	in->vpn = (struct vpn){0};
}
