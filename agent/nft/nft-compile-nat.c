/* SPDX-License-Identifier: MIT */
/*
 * The compiler, NAT part. Keys of concatenations are laid out as the kernel loads them into
 * registers: each field padded to 4 bytes (address, protocol byte, port).
 *
 * Port forwards are maps, so that their number does not change the cost of a packet:
 *   _pf4/_pf6   daddr . l4proto . dport -> address . port, one element per port: a map
 *              gives each key one value, so a range forwarded to other ports (8000-8010 to
 *              9000-9010) becomes one element per port (the kernel's NAT can map a range
 *              to a range only by load-balancing, not by shifting).
 *   _pfr4/_pfr6 the same key as intervals -> address only, for ranges forwarded to the same
 *              ports (the port is kept): one element per forward however wide.
 * Neither map looks at the input interface: a guest inside that connects to the public
 * address is forwarded too (hairpin), and its reply comes back through the router because
 * the hairpin rule masquerades traffic that was DNATed and leaves on the subnet it came from
 * (set _lan4/_lan6: interface prefix . interface name).
 *
 * Each element's comment is the tag of the forward or one-to-one entry it comes from, whose
 * key is its content (desired_dnat_key): inserting a forward adds its own elements and
 * leaves every other element as it was. The elements of the maps that translate (_pf*,
 * _pfr*, _o2od*, _o2os*) count (the map's counter expression: an element added alone gets
 * one too), so that status shows each entry's connections; the pointer is not in the kernel
 * (it moves when an entry is inserted before), status takes it from the intent.
 */
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft-compile-internal.h"
#include "plan/desired.h"

#define KEY_SPACE 40 /* an IPv6 address, a protocol and a port, or an address and a name */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static uint32_t addr_type(int family)
{
	return family == AF_INET6 ? NFT_DESC_TYPE_IP6ADDR : NFT_DESC_TYPE_IPADDR;
}

static uint32_t concat_type(const uint32_t *t, size_t n)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << NFT_DESC_TYPE_BITS | t[i];
	return v;
}

/* "4" or "6" appended to a base name. */
static const char *set_name(char buf[16], const char *base, int family)
{
	snprintf(buf, 16, "%s%c", base, family == AF_INET6 ? '6' : '4');
	return buf;
}

/* The key address . protocol . port (size alen + 8). */
static void key_app(uint8_t *k, const struct ip_addr *a, uint8_t proto, uint16_t port)
{
	size_t alen = addr_len(a->family);

	memset(k, 0, alen + 8);
	memcpy(k, a->bytes, alen);
	k[alen] = proto;
	nft_expr_port(port, k + alen + 4);
}

static struct nft_desc_set *app_set(struct nft_compiler *c, const char *base, int family,
				    uint32_t flags, uint32_t data_type, uint32_t data_len)
{
	const uint32_t t[] = {addr_type(family), NFT_DESC_TYPE_INET_PROTOCOL,
			      NFT_DESC_TYPE_INET_SERVICE};
	uint8_t fields[] = {(uint8_t)addr_len(family), 1, 2};
	bool interval = flags & NFT_SET_INTERVAL;
	char name[16];

	return nft_desc_set(c->d, set_name(name, base, family),
			    flags | (interval ? NFT_SET_CONCAT : 0), concat_type(t, 3),
			    (uint32_t)addr_len(family) + 8, data_type, data_len,
			    interval ? fields : NULL, interval ? 3 : 0, NULL, NULL);
}

/* The tag of the elements of a forward or a one-to-one entry: its plan object's, "nat-rule
 * dnat/public/203.0.113.11/tcp/8000", "nat-rule one-to-one/203.0.113.12" (keys by content:
 * another entry inserted before it changes neither its tag nor its elements). */
static const char *tag_dnat(struct nft_compiler *c, struct strbuf *b, const struct nat_dest *d)
{
	strbuf_truncate(b, 0);
	strbuf_append(b, "nat-rule ");
	if (desired_dnat_key(d, b) < 0)
		c->d->oom = true;
	return strbuf_str(b);
}

static const char *tag_one_to_one(struct nft_compiler *c, struct strbuf *b,
				  const struct nat_one_to_one *o)
{
	strbuf_truncate(b, 0);
	strbuf_append(b, "nat-rule ");
	if (desired_one_to_one_key(o, b) < 0)
		c->d->oom = true;
	return strbuf_str(b);
}

static size_t n_protos(enum nat_proto p, uint8_t out[2])
{
	if (p == NAT_TCP_UDP) {
		out[0] = IPPROTO_TCP;
		out[1] = IPPROTO_UDP;
		return 2;
	}
	out[0] = p == NAT_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	return 1;
}

/* `ct status dnat`: the connection's destination was translated. */
static void match_dnat(struct nft_desc_rule *r)
{
	static const uint32_t dnat_bit = IPS_DST_NAT, zero = 0;

	nft_desc_ct(r, NFT_CT_STATUS, -1, REG(0));
	nft_desc_bitwise(r, REG(0), 4, &dnat_bit);
	nft_desc_cmp(r, NFT_CMP_NEQ, REG(0), &zero, 4);
}

/* ---- the forward chain: what NAT opens ---- */

/*
 * Only a connection whose destination was translated can match (its original destination is
 * an entry's, which prerouting translates whatever the interface): `ct status dnat` first, so
 * that no other new connection pays for the look-ups.
 * Port forwards (tcp, udp): ct original daddr . l4proto . ct original proto-dst (the public
 * side) looked up in s, after `meta l4proto { tcp, udp }`, which only the forwards' keys hold
 * anyway: without it nft cannot tell the type of the ct port and refuses the listing back
 * (nft -f: "can not use variable sized data types (invalid) in concat expressions").
 * One-to-one (ports false): ct original daddr in s, every protocol.
 */
static void open_rule(struct nft_compiler *c, int family, const struct nft_desc_set *s,
		      bool ports)
{
	static const uint8_t tcp_udp[] = {IPPROTO_TCP, IPPROTO_UDP};
	size_t alen = addr_len(family), i;
	struct nft_desc_rule *r = nft_compile_builtin_rule(c, "forward", "nat-open");
	struct nft_desc_set *protos;

	match_dnat(r);
	nft_compile_match_nfproto(r, family);
	if (ports) {
		protos = nft_desc_set(c->d, NULL, 0, NFT_DESC_TYPE_INET_PROTOCOL, 1, 0, 0, NULL, 0,
				      NULL, NULL);
		for (i = 0; protos && i < sizeof(tcp_udp); i++)
			nft_desc_elem(c->d, protos, &tcp_udp[i], NULL, NULL, 0, NULL);
		nft_desc_meta(r, NFT_META_L4PROTO, REG(0));
		nft_desc_lookup(r, protos, REG(0), 0, false);
	}
	nft_desc_ct(r, family == AF_INET6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP, IP_CT_DIR_ORIGINAL,
		    REG(0));
	if (ports) {
		nft_desc_meta(r, NFT_META_L4PROTO, REG(alen / 4));
		nft_desc_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, REG(alen / 4 + 1));
	}
	nft_desc_lookup(r, s, REG(0), 0, false);
	nft_desc_counter(r);
	nft_desc_verdict(r, NF_ACCEPT);
}

/*
 * What port forwards and one-to-one entries open: forwards of one port in the hash set
 * _open4/_open6, port ranges in the interval set _openr4/_openr6, one-to-one entries (every
 * protocol and port of the address) in the hash set of addresses _openo4/_openo6. Not one
 * interval set for all forwards: its elements share the address, and inserting each one into
 * the kernel's concatenated-interval set looks it up among all those before it (thousands of
 * forwards on one public address: tens of ms).
 */
void nft_compile_forward_open(struct nft_compiler *c)
{
	const struct nat *nat = c->in->nat;
	struct strbuf tag = {0};
	int family;

	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		struct nft_desc_set *exact = NULL, *ranges = NULL, *hosts = NULL;
		bool need_exact = false, need_ranges = false, need_hosts = false;
		size_t i, j;

		/* The sets in a fixed order, whatever the order of the entries: an entry of the
		 * other kind inserted first must not change the table's structure. */
		for (i = 0; i < nat->n_destination; i++) {
			const struct nat_dest *d = &nat->destination[i];

			if (d->destination.family == family && d->open_firewall) {
				need_exact |= d->ports.first == d->ports.last;
				need_ranges |= d->ports.first != d->ports.last;
			}
		}
		for (i = 0; i < nat->n_one_to_one; i++)
			need_hosts |= nat->one_to_one[i].public_addr.family == family &&
				      nat->one_to_one[i].open_firewall;
		if (need_exact)
			exact = app_set(c, "_open", family, 0, 0, 0);
		if (need_ranges)
			ranges = app_set(c, "_openr", family, NFT_SET_INTERVAL, 0, 0);
		if (need_hosts) {
			char name[16];

			hosts = nft_desc_set(c->d, set_name(name, "_openo", family), 0,
					     addr_type(family), (uint32_t)addr_len(family), 0, 0,
					     NULL, 0, NULL, NULL);
		}
		for (i = 0; i < nat->n_destination; i++) {
			const struct nat_dest *d = &nat->destination[i];
			bool range = d->ports.first != d->ports.last;
			uint8_t protos[2], lo[KEY_SPACE], hi[KEY_SPACE];
			struct nft_desc_set *s = range ? ranges : exact;

			if (d->destination.family != family || !d->open_firewall)
				continue;
			tag_dnat(c, &tag, d);
			for (j = 0; s && j < n_protos(d->protocol, protos); j++) {
				key_app(lo, &d->destination, protos[j], d->ports.first);
				key_app(hi, &d->destination, protos[j], d->ports.last);
				nft_desc_elem(c->d, s, lo, range ? hi : NULL, NULL, 0,
					      strbuf_str(&tag));
				nft_desc_elem_ptr(c->d, s, d->ptr);
			}
		}
		for (i = 0; hosts && i < nat->n_one_to_one; i++) {
			const struct nat_one_to_one *o = &nat->one_to_one[i];

			if (o->public_addr.family != family || !o->open_firewall)
				continue;
			nft_desc_elem(c->d, hosts, o->public_addr.bytes, NULL, NULL, 0,
				      tag_one_to_one(c, &tag, o));
			nft_desc_elem_ptr(c->d, hosts, o->ptr);
		}
		if (exact)
			open_rule(c, family, exact, true);
		if (ranges)
			open_rule(c, family, ranges, true);
		if (hosts)
			open_rule(c, family, hosts, false);
	}
	strbuf_done(&tag);
}

/* ---- prerouting: port forwards and one-to-one ---- */

static void dnat_rule(struct nft_compiler *c, int family, const struct nft_desc_set *map,
		      bool ports)
{
	size_t alen = addr_len(family);
	struct nft_desc_rule *r = nft_desc_rule(c->d, "dstnat", NULL, NULL);

	nft_compile_match_nfproto(r, family);
	nft_compile_load_addr(r, family, false);
	if (ports) {
		nft_desc_meta(r, NFT_META_L4PROTO, REG(alen / 4));
		nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, REG(alen / 4 + 1));
	}
	nft_desc_lookup(r, map, REG(0), REG(0), false);
	nft_desc_nat(r, NFT_NAT_DNAT, family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4, REG(0),
		     map->data_len > alen ? REG(alen / 4) : 0);
}

static void compile_forwards(struct nft_compiler *c, int family)
{
	const struct nat *nat = c->in->nat;
	size_t alen = addr_len(family), i, j;
	const uint32_t dt[] = {addr_type(family), NFT_DESC_TYPE_INET_SERVICE};
	struct nft_desc_set *pf = NULL, *pfr = NULL;
	bool need_pf = false, need_pfr = false;
	struct strbuf tag = {0};
	const char *label;

	/* The maps in a fixed order (as the sets of nft_compile_forward_open). */
	for (i = 0; i < nat->n_destination; i++) {
		const struct nat_dest *d = &nat->destination[i];

		if (d->destination.family == family) {
			need_pf |= d->ports.first != d->to_ports.first;
			need_pfr |= d->ports.first == d->to_ports.first;
		}
	}
	if (need_pf)
		pf = app_set(c, NFT_DESC_PF_PREFIX, family, NFT_SET_MAP, concat_type(dt, 2),
			     (uint32_t)alen + 4);
	if (need_pfr)
		pfr = app_set(c, NFT_DESC_PF_PREFIX "r", family, NFT_SET_MAP | NFT_SET_INTERVAL,
			      addr_type(family), (uint32_t)alen);
	/* Each element counts the connections it translated (a nat chain sees a connection's
	 * first packet only), for status under its forward's pointer. */
	if (pf)
		pf->counters = true;
	if (pfr)
		pfr->counters = true;
	for (i = 0; i < nat->n_destination; i++) {
		const struct nat_dest *d = &nat->destination[i];
		bool same = d->ports.first == d->to_ports.first;
		uint8_t protos[2], lo[KEY_SPACE], hi[KEY_SPACE], data[KEY_SPACE];
		unsigned p;

		if (d->destination.family != family)
			continue;
		label = tag_dnat(c, &tag, d);
		memset(data, 0, sizeof(data));
		memcpy(data, d->to.bytes, alen);
		for (j = 0; j < n_protos(d->protocol, protos); j++) {
			if (same) {
				key_app(lo, &d->destination, protos[j], d->ports.first);
				key_app(hi, &d->destination, protos[j], d->ports.last);
				nft_desc_elem(c->d, pfr, lo, hi, data, 0, label);
				nft_desc_elem_ptr(c->d, pfr, d->ptr);
				continue;
			}
			for (p = d->ports.first; pf && p <= d->ports.last; p++) {
				key_app(lo, &d->destination, protos[j], (uint16_t)p);
				nft_expr_port((uint16_t)(d->to_ports.first + (p - d->ports.first)),
					      data + alen);
				nft_desc_elem(c->d, pf, lo, NULL, data, 0, label);
				nft_desc_elem_ptr(c->d, pf, d->ptr);
			}
		}
	}
	strbuf_done(&tag);
	if (pf)
		dnat_rule(c, family, pf, true);
	if (pfr)
		dnat_rule(c, family, pfr, true);
}

/* _o2od: public -> private (prerouting); _o2os: private . oifname -> public (postrouting). */
static struct nft_desc_set *compile_one_to_one(struct nft_compiler *c, int family)
{
	const struct nat *nat = c->in->nat;
	size_t alen = addr_len(family), i;
	const uint32_t kt[] = {addr_type(family), NFT_DESC_TYPE_IFNAME};
	struct nft_desc_set *od = NULL, *os = NULL;
	struct strbuf tag = {0};
	char name[16];

	for (i = 0; i < nat->n_one_to_one; i++) {
		const struct nat_one_to_one *o = &nat->one_to_one[i];
		uint8_t key[KEY_SPACE] = {0};

		if (o->public_addr.family != family)
			continue;
		if (!od) {
			od = nft_desc_set(c->d, set_name(name, NFT_DESC_O2O_PREFIX "d", family),
					  NFT_SET_MAP, addr_type(family), (uint32_t)alen,
					  addr_type(family), (uint32_t)alen, NULL, 0, NULL, NULL);
			os =
			    nft_desc_set(c->d, set_name(name, NFT_DESC_O2O_PREFIX "s", family),
					 NFT_SET_MAP, concat_type(kt, 2), (uint32_t)alen + IFNAMSIZ,
					 addr_type(family), (uint32_t)alen, NULL, 0, NULL, NULL);
			/* Connections translated, inbound and outbound (as the forwards'). */
			if (od && os)
				od->counters = os->counters = true;
		}
		if (!od || !os)
			break;
		tag_one_to_one(c, &tag, o);
		nft_desc_elem(c->d, od, o->public_addr.bytes, NULL, o->private_addr.bytes, 0,
			      strbuf_str(&tag));
		nft_desc_elem_ptr(c->d, od, o->ptr);
		memcpy(key, o->private_addr.bytes, alen);
		nft_compile_ifname(o->interface, key + alen);
		nft_desc_elem(c->d, os, key, NULL, o->public_addr.bytes, 0, strbuf_str(&tag));
		nft_desc_elem_ptr(c->d, os, o->ptr);
	}
	strbuf_done(&tag);
	if (!od || !os)
		return NULL;
	dnat_rule(c, family, od, false);
	return os;
}

/* ---- postrouting ---- */

/* Traffic between an IPsec tunnel's local and remote subnets keeps its addresses. */
static void compile_nonat(struct nft_compiler *c, int family)
{
	const struct vpn *vpn = &c->in->vpn;
	size_t alen = addr_len(family), i, j, k;
	uint8_t fields[] = {(uint8_t)alen, (uint8_t)alen};
	const uint32_t t[] = {addr_type(family), addr_type(family)};
	struct nft_desc_set *s = NULL;
	struct nft_desc_rule *r;
	char name[16];

	for (i = 0; i < vpn->n_ipsec; i++) {
		const struct ipsec_tunnel *t_ = &vpn->ipsec[i];

		for (j = 0; j < t_->n_local_subnets; j++)
			for (k = 0; k < t_->n_remote_subnets; k++) {
				const struct ip_prefix *l = &t_->local_subnets[j];
				const struct ip_prefix *rm = &t_->remote_subnets[k];
				struct nft_expr_interval a, b;
				uint8_t lo[KEY_SPACE], hi[KEY_SPACE];

				if (l->addr.family != family || rm->addr.family != family)
					continue;
				if (!s)
					s = nft_desc_set(c->d, set_name(name, "_nonat", family),
							 NFT_SET_INTERVAL | NFT_SET_CONCAT,
							 concat_type(t, 2), (uint32_t)(2 * alen), 0,
							 0, fields, 2, NULL, NULL);
				if (!s)
					return;
				nft_expr_prefix_bounds(l, a.lo, a.hi);
				nft_expr_prefix_bounds(rm, b.lo, b.hi);
				memcpy(lo, a.lo, alen);
				memcpy(lo + alen, b.lo, alen);
				memcpy(hi, a.hi, alen);
				memcpy(hi + alen, b.hi, alen);
				nft_desc_elem(c->d, s, lo, hi, NULL, 0, NULL);
				nft_desc_elem_ptr(c->d, s, t_->ptr);
			}
	}
	if (!s)
		return;
	r = nft_desc_rule(c->d, "srcnat", NULL, NULL);
	nft_compile_match_nfproto(r, family);
	nft_compile_load_addr(r, family, true);
	if (family == AF_INET6)
		nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, REG(alen / 4));
	else
		nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, REG(alen / 4));
	nft_desc_lookup(r, s, REG(0), 0, false);
	nft_desc_verdict(r, NF_ACCEPT);
}

static bool has_dnat(const struct nat *nat, int family)
{
	size_t i;

	for (i = 0; i < nat->n_destination; i++)
		if (nat->destination[i].destination.family == family)
			return true;
	for (i = 0; i < nat->n_one_to_one; i++)
		if (nat->one_to_one[i].public_addr.family == family)
			return true;
	return false;
}

/* DNATed traffic that leaves on the subnet it came from gets the router's address. */
static void compile_hairpin(struct nft_compiler *c, int family)
{
	size_t alen = addr_len(family), i, j;
	uint8_t fields[] = {(uint8_t)alen, IFNAMSIZ};
	const uint32_t t[] = {addr_type(family), NFT_DESC_TYPE_IFNAME};
	struct nft_desc_set *s = NULL;
	struct nft_desc_rule *r;
	char name[16];

	if (!has_dnat(c->in->nat, family))
		return;
	for (i = 0; i < c->in->n_ifaces; i++) {
		const struct iface *f = &c->in->ifaces[i];

		for (j = 0; j < f->n_addrs; j++) {
			struct nft_expr_interval iv;
			uint8_t lo[KEY_SPACE], hi[KEY_SPACE];

			if (f->addrs[j].addr.family != family)
				continue;
			if (!s)
				s = nft_desc_set(c->d, set_name(name, "_lan", family),
						 NFT_SET_INTERVAL | NFT_SET_CONCAT,
						 concat_type(t, 2), (uint32_t)alen + IFNAMSIZ, 0, 0,
						 fields, 2, NULL, NULL);
			if (!s)
				return;
			nft_expr_prefix_bounds(&f->addrs[j], iv.lo, iv.hi);
			memcpy(lo, iv.lo, alen);
			memcpy(hi, iv.hi, alen);
			nft_compile_ifname(f->name, lo + alen);
			nft_compile_ifname(f->name, hi + alen);
			nft_desc_elem(c->d, s, lo, hi, NULL, 0, NULL);
			nft_desc_elem_ptr(c->d, s, f->ptr);
		}
	}
	if (!s)
		return;
	r = nft_compile_builtin_rule(c, "srcnat", "hairpin");
	match_dnat(r);
	nft_compile_match_nfproto(r, family);
	nft_compile_load_addr(r, family, true);
	nft_desc_meta(r, NFT_META_OIFNAME, REG(alen / 4));
	nft_desc_lookup(r, s, REG(0), 0, false);
	nft_desc_counter(r);
	nft_desc_masq(r);
}

static void snat_one_to_one(struct nft_compiler *c, int family, const struct nft_desc_set *os)
{
	size_t alen = addr_len(family);
	struct nft_desc_rule *r = nft_desc_rule(c->d, "srcnat", NULL, NULL);

	nft_compile_match_nfproto(r, family);
	nft_compile_load_addr(r, family, true);
	nft_desc_meta(r, NFT_META_OIFNAME, REG(alen / 4));
	nft_desc_lookup(r, os, REG(0), REG(0), false);
	nft_desc_nat(r, NFT_NAT_SNAT, family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4, REG(0), 0);
}

static void compile_source(struct nft_compiler *c, size_t i)
{
	const struct nat_source *s = &c->in->nat->source[i];
	int family = s->has & NAT_SOURCE_HAS_TO ? s->to.family
		     : s->n_sources		    ? s->sources[0].addr.family
						    : 0;
	struct nft_desc_rule *r;
	char tag[48];

	snprintf(tag, sizeof(tag), "nat-rule snat/%zu", i);
	r = nft_desc_rule(c->d, "srcnat", tag, s->ptr);
	nft_compile_match_nfproto(r, family);
	nft_compile_match_ifnames(c, r, NFT_META_OIFNAME, &s->out, 1);
	if (s->n_sources) {
		nft_compile_load_addr(r, family, true);
		nft_compile_match_prefixes(c, r, family, s->sources, s->n_sources);
	}
	nft_desc_counter(r);
	if (s->masquerade) {
		nft_desc_masq(r);
		return;
	}
	nft_desc_immediate(r, REG(0), s->to.bytes, (uint32_t)addr_len(family));
	nft_desc_nat(r, NFT_NAT_SNAT, family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4, REG(0), 0);
}

void nft_compile_compile_nat(struct nft_compiler *c)
{
	struct nft_desc_set *os[2] = {NULL, NULL};
	size_t i;

	nft_desc_chain(c->d, "dstnat", "nat", NF_INET_PRE_ROUTING, -100, -1, NULL, NULL);
	nft_desc_chain(c->d, "srcnat", "nat", NF_INET_POST_ROUTING, 100, -1, NULL, NULL);
	compile_forwards(c, AF_INET);
	compile_forwards(c, AF_INET6);
	os[0] = compile_one_to_one(c, AF_INET);
	os[1] = compile_one_to_one(c, AF_INET6);
	compile_nonat(c, AF_INET);
	compile_nonat(c, AF_INET6);
	compile_hairpin(c, AF_INET);
	compile_hairpin(c, AF_INET6);
	if (os[0])
		snat_one_to_one(c, AF_INET, os[0]);
	if (os[1])
		snat_one_to_one(c, AF_INET6, os[1]);
	for (i = 0; i < c->in->nat->n_source; i++)
		compile_source(c, i);
}
