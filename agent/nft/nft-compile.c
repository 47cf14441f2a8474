/* SPDX-License-Identifier: MIT */
/* The compiler, filter part: the base chains, the always-on rules, the intent's sets and
 * rules. */
#include <errno.h>
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "nft-compile-internal.h"
#include "nft-elem.h"
#include "plan/desired.h"

#define LOG_RATE 10 /* per second, per rule */
#define LOG_BURST 5

static const char *const chain_name[_FW_CHAIN_MAX] = {
	[FW_INPUT] = "input",
	[FW_FORWARD] = "forward",
	[FW_OUTPUT] = "output",
};
static const int chain_hook[_FW_CHAIN_MAX] = {
	[FW_INPUT] = NF_INET_LOCAL_IN,
	[FW_FORWARD] = NF_INET_FORWARD,
	[FW_OUTPUT] = NF_INET_LOCAL_OUT,
};

/* ---- matches ---- */

void nft_compile_match_nfproto(struct nft_desc_rule *r, int family)
{
	uint8_t v = family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	if (!family)
		return;
	nft_desc_meta(r, NFT_META_NFPROTO, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), &v, 1);
}

void nft_compile_match_l4proto(struct nft_desc_rule *r, uint8_t proto)
{
	nft_desc_meta(r, NFT_META_L4PROTO, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), &proto, 1);
}

void nft_compile_ifname(const char *name, uint8_t out[IFNAMSIZ])
{
	memset(out, 0, IFNAMSIZ);
	strncpy((char *)out, name, IFNAMSIZ - 1);
}

void nft_compile_match_ifnames(struct nft_compiler *c, struct nft_desc_rule *r, uint32_t key,
			       char *const *names, size_t n)
{
	uint8_t v[IFNAMSIZ];
	struct nft_desc_set *s;
	size_t i;

	if (!n)
		return;
	nft_desc_meta(r, key, REG(0));
	if (n == 1) {
		nft_compile_ifname(names[0], v);
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), v, IFNAMSIZ);
		return;
	}
	s = nft_desc_set(c->d, NULL, 0, NFT_DESC_TYPE_IFNAME, IFNAMSIZ, 0, 0, NULL, 0, NULL, NULL);
	for (i = 0; s && i < n; i++) {
		nft_compile_ifname(names[i], v);
		nft_desc_elem(c->d, s, v, NULL, NULL, 0, NULL);
	}
	nft_desc_lookup(r, s, REG(0), 0, false);
}

/* An anonymous interval set of single-field keys (len bytes) holding the intervals. */
static struct nft_desc_set *interval_set(struct nft_compiler *c, uint32_t type, size_t len,
					 struct nft_expr_interval *v, size_t n)
{
	struct nft_desc_set *s = nft_desc_set(c->d, NULL, NFT_SET_INTERVAL, type, (uint32_t)len, 0,
					      0, NULL, 0, NULL, NULL);
	size_t i;

	n = nft_expr_merge(v, n, len);
	for (i = 0; s && i < n; i++)
		nft_compile_interval_elem(c->d, s, &v[i]);
	return s;
}

void nft_compile_interval_elem(struct nft_desc *d, struct nft_desc_set *s,
			       const struct nft_expr_interval *iv)
{
	uint8_t end[16];

	nft_desc_elem(d, s, iv->lo, NULL, NULL, 0, NULL);
	memcpy(end, iv->hi, s->key_len);
	if (nft_expr_inc(end, s->key_len))
		nft_desc_elem(d, s, end, NULL, NULL, NFT_SET_ELEM_INTERVAL_END, NULL);
}

/* Loads the source or destination address of the family into REG(0). */
void nft_compile_load_addr(struct nft_desc_rule *r, int family, bool source)
{
	if (family == AF_INET6)
		nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER, source ? 8 : 24, 16, REG(0));
	else
		nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER, source ? 12 : 16, 4, REG(0));
}

void nft_compile_match_prefixes(struct nft_compiler *c, struct nft_desc_rule *r, int family,
				const struct ip_prefix *prefixes, size_t n)
{
	size_t len = family == AF_INET6 ? 16 : 4, i;
	struct nft_expr_interval *v;

	if (n == 1) {
		struct nft_expr_interval iv;
		uint8_t mask[16];

		nft_expr_prefix_bounds(&prefixes[0], iv.lo, iv.hi);
		if (prefixes[0].len < 8 * len) {
			for (i = 0; i < len; i++)
				mask[i] = (uint8_t)~(iv.lo[i] ^ iv.hi[i]);
			nft_desc_bitwise(r, REG(0), (uint32_t)len, mask);
		}
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), iv.lo, (uint32_t)len);
		return;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < n; i++)
		nft_expr_prefix_bounds(&prefixes[i], v[i].lo, v[i].hi);
	nft_desc_lookup(
	    r,
	    interval_set(c, family == AF_INET6 ? NFT_DESC_TYPE_IP6ADDR : NFT_DESC_TYPE_IPADDR, len,
			 v, n),
	    REG(0), 0, false);
	free(v);
}

/* prefixes (n > 0) or the named set `set`. */
static void match_addrs(struct nft_compiler *c, struct nft_desc_rule *r, int family, bool source,
			const struct ip_prefix *prefixes, size_t n, const char *set)
{
	nft_compile_load_addr(r, family, source);
	if (set)
		nft_desc_lookup(r, nft_desc_set_find(c->d, set), REG(0), 0, false);
	else
		nft_compile_match_prefixes(c, r, family, prefixes, n);
}

static void match_ports(struct nft_compiler *c, struct nft_desc_rule *r, bool source,
			const struct port_range *ranges, size_t n, const char *set)
{
	struct nft_expr_interval *v;
	uint8_t a[2], b[2];
	size_t i;

	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, source ? 0 : 2, 2, REG(0));
	if (set) {
		nft_desc_lookup(r, nft_desc_set_find(c->d, set), REG(0), 0, false);
		return;
	}
	if (n == 1) {
		nft_expr_port(ranges[0].first, a);
		nft_expr_port(ranges[0].last, b);
		if (ranges[0].first == ranges[0].last) {
			nft_desc_cmp(r, NFT_CMP_EQ, REG(0), a, 2);
		} else {
			nft_desc_cmp(r, NFT_CMP_GTE, REG(0), a, 2);
			nft_desc_cmp(r, NFT_CMP_LTE, REG(0), b, 2);
		}
		return;
	}
	v = calloc(n, sizeof(*v));
	if (!v) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < n; i++) {
		nft_expr_port(ranges[i].first, v[i].lo);
		nft_expr_port(ranges[i].last, v[i].hi);
	}
	nft_desc_lookup(r, interval_set(c, NFT_DESC_TYPE_INET_SERVICE, 2, v, n), REG(0), 0, false);
	free(v);
}

static void match_icmp_types(struct nft_compiler *c, struct nft_desc_rule *r, bool v6,
			     const uint8_t *t, size_t n)
{
	struct nft_desc_set *s;
	size_t i;

	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, REG(0));
	if (n == 1) {
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), t, 1);
		return;
	}
	s = nft_desc_set(c->d, NULL, 0, v6 ? NFT_DESC_TYPE_ICMP6_TYPE : NFT_DESC_TYPE_ICMP_TYPE, 1,
			 0, 0, NULL, 0, NULL, NULL);
	for (i = 0; s && i < n; i++)
		nft_desc_elem(c->d, s, &t[i], NULL, NULL, 0, NULL);
	nft_desc_lookup(r, s, REG(0), 0, false);
}

/* ---- the always-on rules ---- */

struct nft_desc_rule *nft_compile_builtin_rule(struct nft_compiler *c, const char *chain,
					       const char *what)
{
	char label[64];

	snprintf(label, sizeof(label), "%s%s/%s", NFT_DESC_BUILTIN_PREFIX, chain, what);
	return nft_desc_rule(c->d, chain, label, NULL);
}

/* Counted: established traffic is most of what a router passes, and invalid what it drops
 * unasked; one counter expression, run only on a packet that matched. */
static void rule_ct_state(struct nft_compiler *c, const char *chain, const char *what,
			  uint32_t bits, int verdict)
{
	struct nft_desc_rule *r = nft_compile_builtin_rule(c, chain, what);
	uint32_t zero = 0;

	nft_desc_ct(r, NFT_CT_STATE, -1, REG(0));
	nft_desc_bitwise(r, REG(0), 4, &bits);
	nft_desc_cmp(r, NFT_CMP_NEQ, REG(0), &zero, 4);
	nft_desc_counter(r);
	nft_desc_verdict(r, verdict);
}

/* The SSH admission of one family (0: both) from prefixes (n > 0; none: any source). */
static void accept_ssh_rule(struct nft_compiler *c, char *const *names, size_t n_names, int family,
			    const struct ip_prefix *prefixes, size_t n)
{
	struct nft_desc_rule *r = nft_compile_builtin_rule(c, "input", "ssh");
	uint8_t ssh[2];

	nft_compile_match_nfproto(r, family);
	nft_compile_match_ifnames(c, r, NFT_META_IIFNAME, names, n_names);
	nft_compile_match_l4proto(r, IPPROTO_TCP);
	nft_expr_port(22, ssh);
	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), ssh, 2);
	if (n) {
		nft_compile_load_addr(r, family, true);
		nft_compile_match_prefixes(c, r, family, prefixes, n);
	}
	nft_desc_counter(r);
	nft_desc_verdict(r, NF_ACCEPT);
}

/*
 * SSH to a management interface: no rule of the intent can lock the orchestrator out. From
 * the firewall's management_sources when it has them: a rule per family of theirs (a family
 * they do not name is not admitted here); else from any source.
 */
static void accept_ssh(struct nft_compiler *c)
{
	const struct firewall *fw = c->in->firewall;
	_cleanup_free_ char **names = calloc(c->in->n_ifaces + 1, sizeof(*names));
	_cleanup_free_ struct ip_prefix *v =
	    calloc(fw->n_management_sources + 1, sizeof(struct ip_prefix));
	size_t i, n = 0, nv;
	int family;

	if (!names || !v) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < c->in->n_ifaces; i++)
		if (c->in->ifaces[i].management)
			names[n++] = c->in->ifaces[i].name;
	if (!n)
		return;
	if (!(fw->has & FW_HAS_MANAGEMENT_SOURCES)) {
		accept_ssh_rule(c, names, n, 0, NULL, 0);
		return;
	}
	for (family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
		for (i = nv = 0; i < fw->n_management_sources; i++)
			if (fw->management_sources[i].addr.family == family)
				v[nv++] = fw->management_sources[i];
		if (nv)
			accept_ssh_rule(c, names, n, family, v, nv);
	}
}

static void always_on(struct nft_compiler *c, enum fw_chain_kind k)
{
	static const uint8_t nd[] = {133, 134, 135, 136, 137};
	static const uint8_t frag_needed[2] = {3, 4}, too_big = 2;
	const char *chain = chain_name[k];
	uint8_t lo[IFNAMSIZ];
	struct nft_desc_rule *r;

	rule_ct_state(c, chain, "established",
		      NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED),
		      NF_ACCEPT);
	rule_ct_state(c, chain, "invalid", NF_CT_STATE_INVALID_BIT, NF_DROP);
	if (k != FW_FORWARD) {
		r = nft_desc_rule(c->d, chain, NULL, NULL);
		nft_compile_ifname("lo", lo);
		nft_desc_meta(r, k == FW_INPUT ? NFT_META_IIFNAME : NFT_META_OIFNAME, REG(0));
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), lo, IFNAMSIZ);
		nft_desc_verdict(r, NF_ACCEPT);

		r = nft_desc_rule(c->d, chain, NULL, NULL);
		nft_compile_match_l4proto(r, IPPROTO_ICMPV6);
		match_icmp_types(c, r, true, nd, ELEMENTSOF(nd));
		nft_desc_verdict(r, NF_ACCEPT);
	}
	r = nft_desc_rule(c->d, chain, NULL, NULL);
	nft_compile_match_l4proto(r, IPPROTO_ICMP);
	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), frag_needed, 2);
	nft_desc_verdict(r, NF_ACCEPT);
	r = nft_desc_rule(c->d, chain, NULL, NULL);
	nft_compile_match_l4proto(r, IPPROTO_ICMPV6);
	nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, REG(0));
	nft_desc_cmp(r, NFT_CMP_EQ, REG(0), &too_big, 1);
	nft_desc_verdict(r, NF_ACCEPT);

	if (k == FW_INPUT)
		accept_ssh(c);
	if (k != FW_FORWARD)
		nft_compile_admit_services(c, k == FW_INPUT);
}

/* ---- the intent's rules ---- */

/*
 * A match written "{ literals, @a, @b }" is one of several alternatives: the literals (as
 * one anonymous set), or set a, or set b. A rule is compiled into one kernel rule per
 * combination of alternatives of its lists.
 */
static size_t n_alts(size_t n_literals, size_t n_sets)
{
	return (n_literals ? 1 : 0) + n_sets;
}

/* The set name of alternative i, or NULL for the literals. */
static const char *alt_set(size_t i, size_t n_literals, char *const *sets)
{
	if (n_literals)
		return i ? sets[i - 1] : NULL;
	return sets[i];
}

/* The alternatives a kernel rule takes, one of each list's; fam: the family's index (below). */
enum { K_IN, K_OUT, K_FAM, K_SRC, K_DST, K_SPORT, K_DPORT, K_MAX };

struct rule_sides {
	struct nft_side in, out;
};

static void rule_matches(struct nft_compiler *c, struct nft_desc_rule *r, const struct fw_rule *fr,
			 const struct rule_sides *sd, const size_t *k, int family)
{
	nft_compile_match_nfproto(r, family);
	if (fr->n_in)
		nft_compile_match_side(c, r, &sd->in, k[K_IN], true, family);
	if (fr->n_out)
		nft_compile_match_side(c, r, &sd->out, k[K_OUT], false, family);
	if (n_alts(fr->source.n_prefixes, fr->source.n_sets)) {
		const char *s = alt_set(k[K_SRC], fr->source.n_prefixes, fr->source.sets);

		match_addrs(c, r, family, true, fr->source.prefixes, fr->source.n_prefixes, s);
	}
	if (n_alts(fr->destination.n_prefixes, fr->destination.n_sets)) {
		const char *s = alt_set(k[K_DST], fr->destination.n_prefixes, fr->destination.sets);

		match_addrs(c, r, family, false, fr->destination.prefixes,
			    fr->destination.n_prefixes, s);
	}
	if (!(fr->has & FW_RULE_HAS_PROTOCOL))
		return;
	nft_compile_match_l4proto(r, fr->protocol);
	if (n_alts(fr->source_ports.n_ranges, fr->source_ports.n_sets))
		match_ports(c, r, true, fr->source_ports.ranges, fr->source_ports.n_ranges,
			    alt_set(k[K_SPORT], fr->source_ports.n_ranges, fr->source_ports.sets));
	if (n_alts(fr->ports.n_ranges, fr->ports.n_sets))
		match_ports(c, r, false, fr->ports.ranges, fr->ports.n_ranges,
			    alt_set(k[K_DPORT], fr->ports.n_ranges, fr->ports.sets));
	if (fr->has & FW_RULE_HAS_ICMP_TYPES && fr->n_icmp_types)
		match_icmp_types(c, r, fr->protocol == IPPROTO_ICMPV6, fr->icmp_types,
				 fr->n_icmp_types);
}

static void rule_action(struct nft_desc_rule *r, const struct fw_rule *fr)
{
	switch (fr->action) {
	case FW_ACCEPT:
		nft_desc_verdict(r, NF_ACCEPT);
		break;
	case FW_DROP:
		nft_desc_verdict(r, NF_DROP);
		break;
	default:
		if (fr->has & FW_RULE_HAS_PROTOCOL && fr->protocol == IPPROTO_TCP)
			nft_desc_reject(r, NFT_REJECT_TCP_RST, 0);
		else
			nft_desc_reject(r, NFT_REJECT_ICMPX_UNREACH,
					NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		break;
	}
}

static size_t at_least_one(size_t n)
{
	return n ? n : 1;
}

/* The next combination of alternatives, the last list's first (false: there is none). */
static bool next_combo(size_t *k, const size_t *n)
{
	int i;

	for (i = K_MAX - 1; i >= 0; i--) {
		if (++k[i] < n[i])
			return true;
		k[i] = 0;
	}
	return false;
}

/*
 * The family of combination k, or -1 when it is no kernel rule. A rule of both families that
 * names an IPsec tunnel takes each family of its tunnels (K_FAM: 0 IPv4, 1 IPv6): a tunnel's
 * alternative is one of a family its subnets have; the others are the rule's once (K_FAM 0).
 */
static int combo_family(const struct fw_rule *fr, const struct rule_sides *sd, const size_t *k)
{
	const struct ipsec_tunnel *in = nft_side_tunnel(&sd->in, k[K_IN]);
	const struct ipsec_tunnel *out = nft_side_tunnel(&sd->out, k[K_OUT]);
	int family = fr->family ? fr->family : k[K_FAM] ? AF_INET6 : AF_INET;

	if (!in && !out)
		return fr->family || !k[K_FAM] ? fr->family : -1;
	if ((in && !nft_ipsec_has_family(in, family)) ||
	    (out && !nft_ipsec_has_family(out, family)))
		return -1;
	return family;
}

static void compile_rule(struct nft_compiler *c, const char *chain, const struct fw_rule *fr,
			 const char *tag)
{
	struct rule_sides sd;
	size_t n[K_MAX], k[K_MAX] = {0};
	int family;

	if (nft_side_init(&sd.in, c->in, fr->in, fr->n_in) < 0 ||
	    nft_side_init(&sd.out, c->in, fr->out, fr->n_out) < 0) {
		c->d->oom = true;
		nft_side_done(&sd.in);
		return;
	}
	n[K_IN] = nft_side_alts(&sd.in);
	n[K_OUT] = nft_side_alts(&sd.out);
	n[K_FAM] = !fr->family && (sd.in.n_tunnels || sd.out.n_tunnels) ? 2 : 1;
	n[K_SRC] = at_least_one(n_alts(fr->source.n_prefixes, fr->source.n_sets));
	n[K_DST] = at_least_one(n_alts(fr->destination.n_prefixes, fr->destination.n_sets));
	n[K_SPORT] = at_least_one(n_alts(fr->source_ports.n_ranges, fr->source_ports.n_sets));
	n[K_DPORT] = at_least_one(n_alts(fr->ports.n_ranges, fr->ports.n_sets));
	do {
		struct nft_desc_rule *r;

		family = combo_family(fr, &sd, k);
		if (family < 0)
			continue;
		/* Logging is rate-limited; the verdict is not. */
		if (fr->has & FW_RULE_HAS_LOG && fr->log) {
			r = nft_desc_rule(c->d, chain, tag, fr->ptr);
			if (fr->has & FW_RULE_HAS_COMMENT)
				nft_desc_rule_note(r, fr->comment);
			rule_matches(c, r, fr, &sd, k, family);
			nft_desc_limit(r, LOG_RATE, LOG_BURST);
			nft_desc_log(r, fr->log_prefix);
		}
		r = nft_desc_rule(c->d, chain, tag, fr->ptr);
		if (fr->has & FW_RULE_HAS_COMMENT)
			nft_desc_rule_note(r, fr->comment);
		rule_matches(c, r, fr, &sd, k, family);
		nft_desc_counter(r);
		rule_action(r, fr);
	} while (next_combo(k, n));
	nft_side_done(&sd.in);
	nft_side_done(&sd.out);
}

void nft_compile_rule_tag(struct strbuf *b, const char *chain, size_t i)
{
	strbuf_truncate(b, 0);
	strbuf_append(b, "fw-rule ");
	strbuf_append(b, chain);
	strbuf_append(b, "/");
	strbuf_append_uint(b, i);
}

void nft_compile_compile_rule(struct nft_compiler *c, const char *chain,
			      const struct fw_rule *rules, size_t i)
{
	struct strbuf tag = {0};

	nft_compile_rule_tag(&tag, chain, i);
	if (tag.oom)
		c->d->oom = true;
	else
		compile_rule(c, chain, &rules[i], strbuf_str(&tag));
	strbuf_done(&tag);
}

static void compile_sets(struct nft_compiler *c)
{
	const struct firewall *fw = c->in->firewall;
	struct strbuf tag = {0};
	size_t i, j;

	for (i = 0; i < fw->n_sets; i++) {
		const struct fw_set *s = &fw->sets[i];
		bool port = s->type == FW_SET_PORT;
		size_t len = port ? 2 : s->type == FW_SET_IPV6 ? 16 : 4;
		uint32_t type = port			 ? NFT_DESC_TYPE_INET_SERVICE
				: s->type == FW_SET_IPV6 ? NFT_DESC_TYPE_IP6ADDR
							 : NFT_DESC_TYPE_IPADDR;
		struct nft_desc_set *ks;

		strbuf_truncate(&tag, 0);
		strbuf_printf(&tag, "fw-set %s", s->name);
		ks = nft_desc_set(c->d, s->name, NFT_SET_INTERVAL, type, (uint32_t)len, 0, 0, NULL,
				  0, strbuf_str(&tag), s->ptr);
		if (!ks)
			break;
		ks->plan_elements = true;
		for (j = 0; j < (port ? s->n_ports : s->n_prefixes); j++) {
			struct nft_expr_interval iv;

			memset(&iv, 0, sizeof(iv));
			if (port) {
				nft_expr_port(s->ports[j].first, iv.lo);
				nft_expr_port(s->ports[j].last, iv.hi);
			} else {
				nft_expr_prefix_bounds(&s->prefixes[j], iv.lo, iv.hi);
			}
			nft_compile_interval_elem(c->d, ks, &iv);
		}
	}
	if (tag.oom)
		c->d->oom = true;
	strbuf_done(&tag);
}

static void compile_filter(struct nft_compiler *c, const struct objset *objs)
{
	struct strbuf tag = {0};
	int k;

	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		const struct object *o = objset_get(objs, OBJ_FW_CHAIN, chain_name[k]);
		bool drop = o && strstr(o->attrs, "policy=drop");

		strbuf_truncate(&tag, 0);
		strbuf_printf(&tag, "fw-chain %s", chain_name[k]);
		nft_desc_chain(c->d, chain_name[k], "filter", chain_hook[k], 0,
			       drop ? NF_DROP : NF_ACCEPT, strbuf_str(&tag), o ? o->ptr : NULL);
		/* What the policy drops, for status ("builtin:input/policy-drop"). */
		if (drop)
			nft_desc_chain_counters(c->d);
		always_on(c, (enum fw_chain_kind)k);
		if (k == FW_FORWARD)
			nft_compile_forward_open(c);
	}
	if (tag.oom)
		c->d->oom = true;
	strbuf_done(&tag);
}

void nft_compile_kept_done(struct nft_compile_kept *k)
{
	k->firewall = firewall_unref(k->firewall);
	free(k->ipsec);
	k->ipsec = NULL;
	k->part = nft_desc_free(k->part);
	objset_done(&k->objs);
}

/*
 * The firewall section's part of the table: the intent's sets and the chains' rules (with their
 * access-list maps). Returned to be included in a description (its rules after the always-on
 * ones of each chain); NULL when out of memory. What it compiles (compile_sets,
 * nft_compile_compile_rules) reads nothing of the intent but its firewall section and what
 * nft_compile_ipsec_key() covers: another intent that shares both includes the same part.
 */
static struct nft_desc *compile_firewall(const struct intent *in)
{
	struct nft_compiler pc = {.in = in};
	int k;

	pc.d = nft_desc_new_part(NFT_COMPILE_PART_IDS);
	if (!pc.d)
		return NULL;
	compile_sets(&pc);
	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		const struct fw_chain *ch = &in->firewall->chains[k];

		nft_compile_compile_rules(&pc, chain_name[k], ch->rules, ch->n_rules);
	}
	if (pc.d->oom)
		pc.d = nft_desc_free(pc.d);
	return pc.d;
}

/* k holds the part and plan objects of the intent's firewall section: kept from before, or
 * made now. 0 or -ENOMEM (k then holds nothing). */
static int firewall_part(const struct intent *in, struct nft_compile_kept *k)
{
	_cleanup_free_ char *ipsec = nft_compile_ipsec_key(in);
	int r;

	if (!ipsec)
		return -ENOMEM;
	if (k->firewall == in->firewall && !strcmp(k->ipsec, ipsec))
		return 0;
	nft_compile_kept_done(k);
	k->ipsec = TAKE_PTR(ipsec);
	r = desired_firewall(in, &k->objs);
	if (r >= 0) {
		k->part = compile_firewall(in);
		r = k->part ? 0 : -ENOMEM;
	}
	if (r < 0) {
		nft_compile_kept_done(k);
		return r;
	}
	k->firewall = firewall_ref(in->firewall);
	return 0;
}

int nft_compile_compile(const struct intent *in, struct nft_compile_kept *kept,
			struct nft_desc **ret, struct objset *ret_objs)
{
	struct nft_compile_kept none = {0}, *k = kept ? kept : &none;
	struct objset objs = {0};
	struct nft_compiler c = {.in = in};
	int r;

	c.d = nft_desc_new();
	if (!c.d)
		return -ENOMEM;
	r = firewall_part(in, k);
	if (r >= 0)
		r = objset_copy(&k->objs, &objs);
	if (r >= 0)
		r = desired_nat(in, &objs);
	if (r >= 0) {
		compile_filter(&c, &objs);
		nft_compile_compile_nat(&c);
		nft_desc_include(c.d, k->part);
		r = nft_desc_oom(c.d);
	}
	nft_compile_kept_done(&none);
	if (r < 0) {
		objset_done(&objs);
		nft_desc_free(c.d);
		return r;
	}
	*ret = c.d;
	if (ret_objs)
		*ret_objs = objs;
	else
		objset_done(&objs);
	return 0;
}
