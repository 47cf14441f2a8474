/* SPDX-License-Identifier: MIT */
/*
 * The compiler, the router's own services: the traffic the spec admits without a firewall
 * rule, accepted in the input chain after the other always-on rules and before the intent's
 * rules, and the same traffic leaving the router in the output chain (so that an output
 * policy of drop cannot cut a tunnel, VRRP or the sync either):
 *
 *   IKE (udp 500 and 4500) and ESP to (from) an IPsec tunnel's local address:
 *       named sets _ike4/_ike6 of the local addresses
 *   the listen port (udp) of each WireGuard tunnel, on any address: named set _wg
 *   VRRP (IP protocol 112) on a group's interface: to 224.0.0.18 / ff02::12 for groups
 *       without unicast peers, from (to) the unicast peers for the others
 *   conntrackd's sync (udp RENDER_CONNTRACKD_PORT, as its configuration says) on
 *       vrrp.sync's interface from (to) the sync peer
 *
 *   DHCP (udp 67) on each interface with a pool, and DHCPv6 (udp 547) on those whose pool
 *       has ipv6 stateless or stateful
 *   DNS (udp and tcp 53) on the interfaces the resolver listens on (dns.listen, by default
 *       the pools' interfaces, as render-dnsmasq.c configures dnsmasq)
 *
 * The address and port lists are named sets: a tunnel added, changed or removed is an
 * element change, sent alone. Each rule is counted and labelled "builtin:CHAIN/WHAT" (WHAT:
 * ike, esp, wireguard, vrrp, conntrack-sync, dhcp, dhcpv6, dns), the name status shows.
 */
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "nft-compile-internal.h"
#include "render/render.h"

#define IPPROTO_VRRP 112

static const uint8_t vrrp_group4[4] = {224, 0, 0, 18};
static const uint8_t vrrp_group6[16] = {0xff, 0x02, [15] = 0x12};

struct dir {
	bool in; /* the input chain; else output */
	const char *chain;
	uint32_t ifkey; /* NFT_META_IIFNAME or NFT_META_OIFNAME */
};

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* The router's end of the packet: its destination in input, its source in output. */
static void load_local(struct nft_desc_rule *r, const struct dir *d, int family)
{
	nft_compile_load_addr(r, family, !d->in);
}

static void load_remote(struct nft_desc_rule *r, const struct dir *d, int family)
{
	nft_compile_load_addr(r, family, d->in);
}

/* The port of the router's end (dport in input, sport in output) into REG(0). */
static void load_local_port(struct nft_desc_rule *r, const struct dir *d)
{
	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, d->in ? 2 : 0, 2, REG(0));
}

static void counted_accept(struct nft_desc_rule *r)
{
	nft_desc_counter(r);
	nft_desc_verdict(r, NF_ACCEPT);
}

/* ---- IPsec ---- */

static struct nft_desc_set *ike_set(struct nft_compiler *c, int family)
{
	const char *name = family == AF_INET6 ? "_ike6" : "_ike4";
	struct nft_desc_set *s = nft_desc_set_find(c->d, name);
	size_t i;

	if (s)
		return s;
	for (i = 0; i < c->in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &c->in->vpn.ipsec[i];

		if (t->local_address.family != family)
			continue;
		if (!s)
			s = nft_desc_set(c->d, name, 0,
					 family == AF_INET6 ? NFT_DESC_TYPE_IP6ADDR
							    : NFT_DESC_TYPE_IPADDR,
					 (uint32_t)addr_len(family), 0, 0, NULL, 0, NULL, NULL);
		if (!s)
			return NULL;
		nft_desc_elem(c->d, s, t->local_address.bytes, NULL, NULL, 0, NULL);
		nft_desc_elem_ptr(c->d, s, t->ptr);
	}
	return s;
}

static void admit_ipsec(struct nft_compiler *c, const struct dir *d, int family)
{
	static const uint16_t ike_ports[] = {500, 4500};
	struct nft_desc_set *s = ike_set(c, family), *ports;
	struct nft_desc_rule *r;
	uint8_t p[2];
	size_t i;

	if (!s)
		return;
	r = nft_compile_builtin_rule(c, d->chain, "ike");
	nft_compile_match_nfproto(r, family);
	nft_compile_match_l4proto(r, IPPROTO_UDP);
	load_local_port(r, d);
	ports =
	    nft_desc_set(c->d, NULL, 0, NFT_DESC_TYPE_INET_SERVICE, 2, 0, 0, NULL, 0, NULL, NULL);
	for (i = 0; ports && i < ELEMENTSOF(ike_ports); i++) {
		nft_expr_port(ike_ports[i], p);
		nft_desc_elem(c->d, ports, p, NULL, NULL, 0, NULL);
	}
	nft_desc_lookup(r, ports, REG(0), 0, false);
	load_local(r, d, family);
	nft_desc_lookup(r, s, REG(0), 0, false);
	counted_accept(r);

	r = nft_compile_builtin_rule(c, d->chain, "esp");
	nft_compile_match_nfproto(r, family);
	nft_compile_match_l4proto(r, IPPROTO_ESP);
	load_local(r, d, family);
	nft_desc_lookup(r, s, REG(0), 0, false);
	counted_accept(r);
}

/* ---- WireGuard ---- */

static void admit_wireguard(struct nft_compiler *c, const struct dir *d)
{
	struct nft_desc_set *s = nft_desc_set_find(c->d, "_wg");
	bool made = s != NULL;
	struct nft_desc_rule *r;
	uint8_t p[2];
	size_t i;

	for (i = 0; !made && i < c->in->vpn.n_wireguard; i++) {
		const struct wg_tunnel *t = &c->in->vpn.wireguard[i];

		if (!(t->has & WG_HAS_LISTEN_PORT))
			continue;
		if (!s)
			s = nft_desc_set(c->d, "_wg", 0, NFT_DESC_TYPE_INET_SERVICE, 2, 0, 0, NULL,
					 0, NULL, NULL);
		if (!s)
			return;
		nft_expr_port(t->listen_port, p);
		nft_desc_elem(c->d, s, p, NULL, NULL, 0, NULL);
		nft_desc_elem_ptr(c->d, s, t->ptr);
	}
	if (!s)
		return;
	r = nft_compile_builtin_rule(c, d->chain, "wireguard");
	nft_compile_match_l4proto(r, IPPROTO_UDP);
	load_local_port(r, d);
	nft_desc_lookup(r, s, REG(0), 0, false);
	counted_accept(r);
}

/* ---- VRRP ---- */

static int group_family(const struct vrrp_group *g)
{
	return g->n_vips ? g->vips[0].addr.family : 0;
}

/* Groups without unicast peers: the interfaces of the family's, to the VRRP multicast group. */
static void admit_vrrp_multicast(struct nft_compiler *c, const struct dir *d, int family)
{
	const struct vrrp *v = &c->in->vrrp;
	_cleanup_free_ char **names = calloc(v->n_groups + 1, sizeof(*names));
	struct nft_desc_rule *r;
	size_t i, n = 0;

	if (!names) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < v->n_groups; i++)
		if (!v->groups[i].n_unicast_peers && group_family(&v->groups[i]) == family)
			names[n++] = v->groups[i].interface;
	if (!n)
		return;
	r = nft_compile_builtin_rule(c, d->chain, "vrrp");
	nft_compile_match_nfproto(r, family);
	nft_compile_match_ifnames(c, r, d->ifkey, names, n);
	nft_compile_match_l4proto(r, IPPROTO_VRRP);
	nft_compile_load_addr(r, family, false);
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), family == AF_INET6 ? vrrp_group6 : vrrp_group4,
		     (uint32_t)addr_len(family));
	counted_accept(r);
}

/* Groups with unicast peers: peer address . interface, from (to) the peer on that link. */
static void admit_vrrp_unicast(struct nft_compiler *c, const struct dir *d, int family)
{
	const struct vrrp *v = &c->in->vrrp;
	const uint32_t at = family == AF_INET6 ? NFT_DESC_TYPE_IP6ADDR : NFT_DESC_TYPE_IPADDR;
	size_t alen = addr_len(family), i, j;
	struct nft_desc_set *s = NULL;
	struct nft_desc_rule *r;

	for (i = 0; i < v->n_groups; i++) {
		const struct vrrp_group *g = &v->groups[i];

		for (j = 0; j < g->n_unicast_peers; j++) {
			uint8_t key[16 + IFNAMSIZ];

			if (g->unicast_peers[j].family != family)
				continue;
			if (!s)
				s = nft_desc_set(
				    c->d, NULL, 0, at << NFT_DESC_TYPE_BITS | NFT_DESC_TYPE_IFNAME,
				    (uint32_t)(alen + IFNAMSIZ), 0, 0, NULL, 0, NULL, NULL);
			if (!s)
				return;
			memcpy(key, g->unicast_peers[j].bytes, alen);
			nft_compile_ifname(g->interface, key + alen);
			nft_desc_elem(c->d, s, key, NULL, NULL, 0, NULL);
		}
	}
	if (!s)
		return;
	r = nft_compile_builtin_rule(c, d->chain, "vrrp");
	nft_compile_match_nfproto(r, family);
	nft_compile_match_l4proto(r, IPPROTO_VRRP);
	load_remote(r, d, family);
	nft_desc_meta(r, d->ifkey, REG(alen / 4));
	nft_desc_lookup(r, s, REG(0), 0, false);
	counted_accept(r);
}

/* ---- conntrackd ---- */

static void admit_sync(struct nft_compiler *c, const struct dir *d)
{
	const struct vrrp *v = &c->in->vrrp;
	int family = v->sync_peer.family;
	struct nft_desc_rule *r;
	uint8_t port[2];

	if (!v->present || !(v->has & VRRP_HAS_SYNC))
		return;
	r = nft_compile_builtin_rule(c, d->chain, "conntrack-sync");
	nft_compile_match_nfproto(r, family);
	nft_compile_match_ifnames(c, r, d->ifkey, &v->sync_interface, 1);
	load_remote(r, d, family);
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), v->sync_peer.bytes, (uint32_t)addr_len(family));
	nft_compile_match_l4proto(r, IPPROTO_UDP);
	nft_expr_port(RENDER_CONNTRACKD_PORT, port);
	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), port, 2);
	counted_accept(r);
}

/* ---- DHCP and DNS ---- */

/* Protocol proto to the router's port (from it, in output) on the interfaces names; what:
 * the rule's name in status. */
static void admit_port(struct nft_compiler *c, const struct dir *d, const char *what,
		       char *const *names, size_t n, uint8_t proto, uint16_t port)
{
	struct nft_desc_rule *r;
	uint8_t p[2];

	if (!n)
		return;
	r = nft_compile_builtin_rule(c, d->chain, what);
	nft_compile_match_ifnames(c, r, d->ifkey, names, n);
	nft_compile_match_l4proto(r, proto);
	load_local_port(r, d);
	nft_expr_port(port, p);
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), p, 2);
	counted_accept(r);
}

static void admit_dhcp_dns(struct nft_compiler *c, const struct dir *d)
{
	const struct intent *in = c->in;
	_cleanup_free_ char **pools = calloc(in->dhcp->n + 1, sizeof(*pools));
	_cleanup_free_ char **pools6 = calloc(in->dhcp->n + 1, sizeof(*pools6));
	size_t i, n6 = 0;

	if (!pools || !pools6) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < in->dhcp->n; i++) {
		pools[i] = in->dhcp->v[i].interface;
		if (in->dhcp->v[i].has & DHCP_HAS_IPV6 && in->dhcp->v[i].ipv6_mode != DHCP6_SLAAC)
			pools6[n6++] = in->dhcp->v[i].interface;
	}
	admit_port(c, d, "dhcp", pools, in->dhcp->n, IPPROTO_UDP, 67);
	admit_port(c, d, "dhcpv6", pools6, n6, IPPROTO_UDP, 547);
	if (in->dns.has & DNS_HAS_LISTEN) {
		admit_port(c, d, "dns", in->dns.listen, in->dns.n_listen, IPPROTO_UDP, 53);
		admit_port(c, d, "dns", in->dns.listen, in->dns.n_listen, IPPROTO_TCP, 53);
	} else {
		admit_port(c, d, "dns", pools, in->dhcp->n, IPPROTO_UDP, 53);
		admit_port(c, d, "dns", pools, in->dhcp->n, IPPROTO_TCP, 53);
	}
}

void nft_compile_admit_services(struct nft_compiler *c, bool input)
{
	const struct dir d = {
		.in = input,
		.chain = input ? "input" : "output",
		.ifkey = input ? NFT_META_IIFNAME : NFT_META_OIFNAME,
	};
	int family;

	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0)
		admit_ipsec(c, &d, family);
	admit_wireguard(c, &d);
	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		admit_vrrp_multicast(c, &d, family);
		admit_vrrp_unicast(c, &d, family);
	}
	admit_sync(c, &d);
	admit_dhcp_dns(c, &d);
}
