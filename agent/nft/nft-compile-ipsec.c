/* SPDX-License-Identifier: MIT */
/*
 * The compiler, IPsec tunnels named in a rule's `in` or `out`. An IPsec tunnel is no link:
 * its traffic is what its policies carry, the packets between its subnets that the data path
 * marks as IPsec. Inbound (`in`): from its remote subnets to its local ones, decrypted;
 * outbound (`out`): from its local subnets to its remote ones, to be encrypted.
 *
 * The data path is charon's choice (agent/services/svc-charon.c: the kernel's ESP, or
 * kernel-libipsec's where the kernel has none), so a tunnel is matched by two alternatives,
 * each of which only its own data path's packets can meet:
 *
 *   the kernel's ESP   in: meta secpath exists (the packet was decrypted by an SA)
 *                      out: rt ipsec exists (its route goes through a transform)
 *   kernel-libipsec    in: iifname "ipsec0"; out: oifname "ipsec0" (the TUN device through
 *                      which charon hands over decrypted packets and takes those to encrypt)
 *
 * A clear packet between the subnets meets neither. The second is left out when a link of
 * the intent is named ipsec0: on the kernel's data path that would be a real interface, and on
 * libipsec's charon's device then has another name (the rule then matches nothing there).
 *
 * Remote subnets of tunnels to different peers may overlap; such tunnels' inbound traffic is
 * told apart by its source only, as the routes tell their outbound traffic apart.
 */
#include <errno.h>
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft-compile-internal.h"

#define LIBIPSEC_DEV "ipsec0"

bool nft_compile_names_ipsec(const struct intent *in, char *const *names, size_t n)
{
	size_t i;

	for (i = 0; in->vpn.n_ipsec && i < n; i++)
		if (intent_ipsec(in, names[i]))
			return true;
	return false;
}

int nft_side_init(struct nft_side *s, const struct intent *in, char *const *names, size_t n)
{
	size_t i;

	*s = (struct nft_side){.ifs = (char **)names, .n_ifs = n};
	if (!nft_compile_names_ipsec(in, names, n))
		return 0;
	s->ifs = calloc(n, sizeof(*s->ifs));
	s->tunnels = calloc(n, sizeof(*s->tunnels));
	s->owned = true;
	if (!s->ifs || !s->tunnels) {
		nft_side_done(s);
		return -ENOMEM;
	}
	s->n_ifs = 0;
	for (i = 0; i < n; i++) {
		const struct ipsec_tunnel *t = intent_ipsec(in, names[i]);

		if (t)
			s->tunnels[s->n_tunnels++] = t;
		else
			s->ifs[s->n_ifs++] = names[i];
	}
	s->n_paths = intent_has_link(in, LIBIPSEC_DEV) ? 1 : 2;
	return 0;
}

void nft_side_done(struct nft_side *s)
{
	if (s->owned) {
		free(s->ifs);
		free(s->tunnels);
	}
	*s = (struct nft_side){0};
}

size_t nft_side_alts(const struct nft_side *s)
{
	size_t n = (s->n_ifs ? 1 : 0) + s->n_tunnels * s->n_paths;

	return n ? n : 1;
}

const struct ipsec_tunnel *nft_side_tunnel(const struct nft_side *s, size_t i)
{
	if (s->n_ifs && i-- == 0)
		return NULL;
	return i < s->n_tunnels * s->n_paths ? s->tunnels[i / s->n_paths] : NULL;
}

static bool has_family(const struct ip_prefix *p, size_t n, int family)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].addr.family == family)
			return true;
	return false;
}

bool nft_ipsec_has_family(const struct ipsec_tunnel *t, int family)
{
	return has_family(t->local_subnets, t->n_local_subnets, family) &&
	       has_family(t->remote_subnets, t->n_remote_subnets, family);
}

/* The address (source or destination) in the prefixes of the family. */
static void match_subnets(struct nft_compiler *c, struct nft_desc_rule *r, int family, bool source,
			  const struct ip_prefix *p, size_t n)
{
	struct ip_prefix *v = calloc(n, sizeof(*v));
	size_t i, k = 0;

	if (!v) {
		c->d->oom = true;
		return;
	}
	for (i = 0; i < n; i++)
		if (p[i].addr.family == family)
			v[k++] = p[i];
	nft_compile_load_addr(r, family, source);
	nft_compile_match_prefixes(c, r, family, v, k);
	free(v);
}

void nft_compile_match_side(struct nft_compiler *c, struct nft_desc_rule *r,
			    const struct nft_side *s, size_t i, bool in, int family)
{
	static const uint8_t yes = 1;
	const struct ipsec_tunnel *t = nft_side_tunnel(s, i);
	uint8_t dev[IFNAMSIZ];

	if (!t) {
		nft_compile_match_ifnames(c, r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME, s->ifs,
					  s->n_ifs);
		return;
	}
	if ((i - (s->n_ifs ? 1 : 0)) % s->n_paths == 0) {
		if (in)
			nft_desc_meta(r, NFT_META_SECPATH, REG(0));
		else
			nft_desc_rt(r, NFT_RT_XFRM, REG(0));
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), &yes, 1);
	} else {
		nft_compile_ifname(LIBIPSEC_DEV, dev);
		nft_desc_meta(r, in ? NFT_META_IIFNAME : NFT_META_OIFNAME, REG(0));
		nft_desc_cmp(r, NFT_CMP_EQ, REG(0), dev, IFNAMSIZ);
	}
	match_subnets(c, r, family, true, in ? t->remote_subnets : t->local_subnets,
		      in ? t->n_remote_subnets : t->n_local_subnets);
	match_subnets(c, r, family, false, in ? t->local_subnets : t->remote_subnets,
		      in ? t->n_local_subnets : t->n_remote_subnets);
}

static void key_prefixes(struct strbuf *b, const struct ip_prefix *p, size_t n)
{
	char buf[PREFIX_STRLEN];
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_printf(b, " %s", prefix_format_short(&p[i], buf));
}

char *nft_compile_ipsec_key(const struct intent *in)
{
	struct strbuf b = {0};
	size_t i;

	if (!in->vpn.n_ipsec)
		return strdup("");
	strbuf_append(&b, intent_has_link(in, LIBIPSEC_DEV) ? "ipsec0-taken" : "");
	for (i = 0; i < in->vpn.n_ipsec; i++) {
		const struct ipsec_tunnel *t = &in->vpn.ipsec[i];

		strbuf_printf(&b, ";%s", t->name);
		key_prefixes(&b, t->local_subnets, t->n_local_subnets);
		strbuf_append(&b, " >");
		key_prefixes(&b, t->remote_subnets, t->n_remote_subnets);
	}
	if (b.oom) {
		strbuf_done(&b);
		return NULL;
	}
	return strbuf_steal(&b);
}
