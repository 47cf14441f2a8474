/* SPDX-License-Identifier: MIT */
/* What the compiler's files share (nft-compile.c, nft-compile-acl.c, nft-compile-nat.c). */
#pragma once

#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include "nft-compile.h"
#include "nft-elem.h"

/* The n-th 32-bit register. */
#define REG(n) ((uint32_t)NFT_REG32_00 + (n))

struct nft_compiler {
	const struct intent *in;
	struct nft_desc *d;
	bool reject_chains; /* the chains access-list maps reject with are made */
};

void nft_compile_match_nfproto(struct nft_desc_rule *r, int family);
void nft_compile_match_l4proto(struct nft_desc_rule *r, uint8_t proto);
void nft_compile_ifname(const char *name, uint8_t out[IFNAMSIZ]);
/* meta key (IIFNAME/OIFNAME) in names (n > 0). */
void nft_compile_match_ifnames(struct nft_compiler *c, struct nft_desc_rule *r, uint32_t key,
			       char *const *names, size_t n);
/* Loads the source or destination address of the family into REG(0). */
void nft_compile_load_addr(struct nft_desc_rule *r, int family, bool source);
/* REG(0) (an address of the family) in prefixes (n > 0). */
void nft_compile_match_prefixes(struct nft_compiler *c, struct nft_desc_rule *r, int family,
				const struct ip_prefix *prefixes, size_t n);
/* An interval of a single-field interval set: its start and end elements. */
void nft_compile_interval_elem(struct nft_desc *d, struct nft_desc_set *s,
			       const struct nft_expr_interval *iv);

/* A rule at the end of chain that no intent element is behind (an always-on rule), labelled
 * "builtin:CHAIN/WHAT" (NFT_DESC_BUILTIN_PREFIX): status shows its counter under that name. */
struct nft_desc_rule *nft_compile_builtin_rule(struct nft_compiler *c, const char *chain,
					       const char *what);

/* The tag of rule i of a chain, "fw-rule forward/3", into b. */
void nft_compile_rule_tag(struct strbuf *b, const char *chain, size_t i);
/* Rule i of a chain as kernel rules (one per combination of its alternatives). */
void nft_compile_compile_rule(struct nft_compiler *c, const char *chain,
			      const struct fw_rule *rules, size_t i);

/* nft-compile-ipsec.c: a rule's `in` or `out` as alternatives: its interfaces and WireGuard
 * tunnels (one alternative: the set of their names), then each IPsec tunnel it names through
 * each data path (n_paths). ifs and tunnels are the rule's own when it names no IPsec tunnel. */
struct nft_side {
	char **ifs;
	size_t n_ifs;
	const struct ipsec_tunnel **tunnels;
	size_t n_tunnels;
	unsigned n_paths;
	bool owned;
};

/* Whether one of the names is an IPsec tunnel of the intent. */
bool nft_compile_names_ipsec(const struct intent *in, char *const *names, size_t n);
/* 0 or -ENOMEM. */
int nft_side_init(struct nft_side *s, const struct intent *in, char *const *names, size_t n);
void nft_side_done(struct nft_side *s);
/* The number of alternatives (1 for a side without names: no match). */
size_t nft_side_alts(const struct nft_side *s);
/* The IPsec tunnel of alternative i, or NULL (the interfaces, or no names). */
const struct ipsec_tunnel *nft_side_tunnel(const struct nft_side *s, size_t i);
/* Whether the tunnel has local and remote subnets of the family. */
bool nft_ipsec_has_family(const struct ipsec_tunnel *t, int family);
/* The match of alternative i of a rule's `in` (in true) or `out`; family: the rule's, a
 * tunnel's alternative needs one. */
void nft_compile_match_side(struct nft_compiler *c, struct nft_desc_rule *r,
			    const struct nft_side *s, size_t i, bool in, int family);
/* What the firewall's part reads of the intent besides its section: the IPsec tunnels' names
 * and subnets, and whether a link is named like libipsec's device. NULL when out of memory. */
char *nft_compile_ipsec_key(const struct intent *in);

/* nft-compile-acl.c: a chain's rules, runs of them as verdict maps. */
void nft_compile_compile_rules(struct nft_compiler *c, const char *chain,
			       const struct fw_rule *rules, size_t n);

/* nft-compile-admit.c: the router's own services (IKE, ESP, WireGuard, VRRP, conntrackd's
 * sync), accepted at the end of the input chain's always-on rules (input true) or of the
 * output chain's. */
void nft_compile_admit_services(struct nft_compiler *c, bool input);

/* nft-compile-nat.c: the forward chain's accept of port-forwarded and one-to-one traffic,
 * then the nat chains. */
void nft_compile_forward_open(struct nft_compiler *c);
void nft_compile_compile_nat(struct nft_compiler *c);
