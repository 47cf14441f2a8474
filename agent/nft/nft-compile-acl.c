/* SPDX-License-Identifier: MIT */
/*
 * The compiler, access-list part: runs of consecutive rules that one verdict map carries.
 *
 * 10,000 rules cost the kernel a parse of some 100,000 expressions at every load and a new
 * connection a walk through all of them. A run of consecutive rules of one shape becomes
 * verdict maps `_acl<chain>_<n>`, one per input interfaces, output interfaces and (for rules
 * with ports) protocol of its rules, each looked up by one rule that matches those first:
 *
 *     [iifname {..}] [oifname {..}] [meta l4proto P] saddr [. daddr] [. l4proto] [. sport]
 *         [. dport] vmap @_acl...
 *
 * (concatenated intervals, or a hash when each of the map's elements is a single key: see
 * compile_map; l4proto in the key for rules without ports, a rule without a protocol
 * covering 0-255), with one element per combination of a rule's lists, its verdict
 * as value (reject: a goto to the chain _reject_tcp or _reject, which rejects as the rule
 * would), its own counter (the map's counter expression) and the rule's label as comment:
 * its tag, JSON Pointer and comment, as a rule's (nft-desc.h), by which observe finds the
 * rule's plan object and status its counter. The kernel's cost of a map grows with the
 * length of its key, so the interfaces and a protocol of ports are matched before the
 * lookup rather than in it.

 * The first match decides, and a map has no order: a run only holds rules whose elements are
 * pairwise disjoint (no packet matches two of them, interfaces and protocol included), so
 * the map rules, where the run's first rule would be, pick the rule the linear walk would
 * have picked. A rule whose elements
 * overlap an element of an earlier rule of the run starts a new run; one whose elements
 * overlap each other stays a rule. The check is a sweep along the source (or, when that
 * leaves too much open, the destination port, destination or source port).
 *
 * A rule takes part when it does not log, it has source prefixes (so a family), no set
 * references, no ICMP types and no IPsec tunnel in `in` or `out` (nft-compile-ipsec.c), and
 * its map's key fits in NFT_DESC_KEY_MAX bytes; the rules of a run have the same fields. Runs of fewer than ACL_MIN_RUN rules stay rules.
 */
#include <errno.h>
#include <netinet/in.h> /* before the kernel's headers */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "nft-compile-internal.h"

#define ACL_MIN_RUN 4
#define ACL_MAX_ELEMS_PER_RULE 64
#define ACL_MAX_COMPARES (1u << 22) /* overlap checks of one sweep before giving up on it */
#define ACL_MAX_MAPS 64		    /* maps of one run (else its rules stay rules) */
#define REJECT_TCP_CHAIN "_reject_tcp"
#define REJECT_CHAIN "_reject"

/* The fields of a run's key, in key order. */
enum { F_IIF, F_OIF, F_SRC, F_DST, F_PROTO, F_SPORT, F_DPORT, F_MAX };

struct shape {
	int family;
	bool has[F_MAX];
};

/* A field's place in the key (offset, padded to 4 bytes) and its length (0: absent). */
struct layout {
	unsigned off[F_MAX], len[F_MAX];
	unsigned key_len, n_fields;
	uint8_t fields[F_MAX];
	uint32_t key_type;
};

#define ACL_KEY_MAX 96 /* the whole key, interfaces and protocol included */

struct elem {
	size_t rule; /* index in the chain */
	uint8_t lo[ACL_KEY_MAX], hi[ACL_KEY_MAX];
};

struct elems {
	struct elem *v;
	size_t n, cap;
};

/* How many values each field of the rule's elements takes (0: the field is absent). */
static void field_counts(const struct fw_rule *fr, size_t n[F_MAX])
{
	n[F_IIF] = fr->n_in;
	n[F_OIF] = fr->n_out;
	n[F_SRC] = fr->source.n_prefixes;
	n[F_DST] = fr->destination.n_prefixes;
	n[F_PROTO] = 1;
	n[F_SPORT] = fr->source_ports.n_ranges;
	n[F_DPORT] = fr->ports.n_ranges;
}

static struct shape shape_of(const struct fw_rule *fr)
{
	struct shape s = {.family = fr->family};
	size_t n[F_MAX];
	int f;

	field_counts(fr, n);
	for (f = 0; f < F_MAX; f++)
		s.has[f] = n[f] > 0;
	return s;
}

/* The whole key (for the overlaps), or the key of the kernel's map (map: without the
 * interfaces, and without the protocol when there are ports). */
static struct layout layout_of(const struct shape *s, bool map)
{
	static const uint32_t addr_types[2] = {NFT_DESC_TYPE_IPADDR, NFT_DESC_TYPE_IP6ADDR};
	bool v6 = s->family == AF_INET6, ports = s->has[F_SPORT] || s->has[F_DPORT];
	const unsigned len[F_MAX] = {IFNAMSIZ, IFNAMSIZ, v6 ? 16 : 4, v6 ? 16 : 4, 1, 2, 2};
	const uint32_t type[F_MAX] = {NFT_DESC_TYPE_IFNAME,
				      NFT_DESC_TYPE_IFNAME,
				      addr_types[v6],
				      addr_types[v6],
				      NFT_DESC_TYPE_INET_PROTOCOL,
				      NFT_DESC_TYPE_INET_SERVICE,
				      NFT_DESC_TYPE_INET_SERVICE};
	struct layout l = {0};
	int f;

	for (f = 0; f < F_MAX; f++) {
		if (!s->has[f] || (map && (f == F_IIF || f == F_OIF || (f == F_PROTO && ports))))
			continue;
		l.off[f] = l.key_len;
		l.len[f] = len[f];
		l.fields[l.n_fields++] = (uint8_t)len[f];
		l.key_len += (len[f] + 3) & ~3u;
		l.key_type = l.key_type << NFT_DESC_TYPE_BITS | type[f];
	}
	return l;
}

static bool qualifies(const struct nft_compiler *c, const struct fw_rule *fr)
{
	size_t n[F_MAX], total = 1;
	struct shape sh;
	int f;

	if ((fr->has & FW_RULE_HAS_LOG && fr->log) || !fr->family || !fr->source.n_prefixes ||
	    fr->source.n_sets || fr->destination.n_sets || fr->ports.n_sets ||
	    fr->source_ports.n_sets || fr->n_icmp_types ||
	    nft_compile_names_ipsec(c->in, fr->in, fr->n_in) ||
	    nft_compile_names_ipsec(c->in, fr->out, fr->n_out))
		return false;
	field_counts(fr, n);
	for (f = 0; f < F_MAX; f++) {
		if (n[f] > ACL_MAX_ELEMS_PER_RULE)
			return false;
		total *= n[f] ? n[f] : 1;
	}
	sh = shape_of(fr);
	return total <= ACL_MAX_ELEMS_PER_RULE && layout_of(&sh, false).key_len <= ACL_KEY_MAX &&
	       layout_of(&sh, true).key_len <= NFT_DESC_KEY_MAX;
}

static bool same_run(const struct fw_rule *a, const struct fw_rule *b)
{
	struct shape x = shape_of(a), y = shape_of(b);
	int f;

	for (f = 0; f < F_MAX; f++)
		if (x.has[f] != y.has[f])
			return false;
	return x.family == y.family;
}

static bool push(struct elems *e, size_t rule, struct elem **ret)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		struct elem *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return false;
		e->v = v;
		e->cap = cap;
	}
	*ret = &e->v[e->n++];
	memset(*ret, 0, sizeof(**ret));
	(*ret)->rule = rule;
	return true;
}

static void put_field(struct elem *x, const struct layout *l, int f, const uint8_t *lo,
		      const uint8_t *hi)
{
	memcpy(x->lo + l->off[f], lo, l->len[f]);
	memcpy(x->hi + l->off[f], hi, l->len[f]);
}

static void put_ports(struct elem *x, const struct layout *l, int f, const struct port_range *p)
{
	uint8_t lo[2], hi[2];

	nft_expr_port(p->first, lo);
	nft_expr_port(p->last, hi);
	put_field(x, l, f, lo, hi);
}

/* The elements of rule i (a qualifying rule of the layout's shape): every combination of its
 * lists in the layout's fields, the k-th counted in mixed radix over them. */
static bool rule_elems(const struct fw_rule *fr, size_t i, const struct layout *l, struct elems *e)
{
	size_t n[F_MAX], total = 1, k;
	int f;

	field_counts(fr, n);
	for (f = 0; f < F_MAX; f++) {
		if (!l->len[f])
			n[f] = 0;
		total *= n[f] ? n[f] : 1;
	}
	for (k = 0; k < total; k++) {
		uint8_t lo[IFNAMSIZ], hi[IFNAMSIZ];
		size_t rem = k, at[F_MAX];
		struct elem *x;

		for (f = 0; f < F_MAX; f++) {
			at[f] = n[f] ? rem % n[f] : 0;
			rem /= n[f] ? n[f] : 1;
		}
		if (!push(e, i, &x))
			return false;
		if (n[F_IIF]) {
			nft_compile_ifname(fr->in[at[F_IIF]], lo);
			put_field(x, l, F_IIF, lo, lo);
		}
		if (n[F_OIF]) {
			nft_compile_ifname(fr->out[at[F_OIF]], lo);
			put_field(x, l, F_OIF, lo, lo);
		}
		nft_expr_prefix_bounds(&fr->source.prefixes[at[F_SRC]], lo, hi);
		put_field(x, l, F_SRC, lo, hi);
		if (n[F_DST]) {
			nft_expr_prefix_bounds(&fr->destination.prefixes[at[F_DST]], lo, hi);
			put_field(x, l, F_DST, lo, hi);
		}
		if (n[F_PROTO]) {
			lo[0] = fr->has & FW_RULE_HAS_PROTOCOL ? fr->protocol : 0;
			hi[0] = fr->has & FW_RULE_HAS_PROTOCOL ? fr->protocol : 255;
			put_field(x, l, F_PROTO, lo, hi);
		}
		if (n[F_SPORT])
			put_ports(x, l, F_SPORT, &fr->source_ports.ranges[at[F_SPORT]]);
		if (n[F_DPORT])
			put_ports(x, l, F_DPORT, &fr->ports.ranges[at[F_DPORT]]);
	}
	return true;
}

/* Whether x and y overlap in every field. */
static bool overlap(const struct elem *x, const struct elem *y, const struct layout *l)
{
	int f;

	for (f = 0; f < F_MAX; f++) {
		const uint8_t *xl = x->lo + l->off[f], *xh = x->hi + l->off[f];
		const uint8_t *yl = y->lo + l->off[f], *yh = y->hi + l->off[f];

		if (l->len[f] && (memcmp(xl, yh, l->len[f]) > 0 || memcmp(yl, xh, l->len[f]) > 0))
			return false;
	}
	return true;
}

/* The field a sweep goes along, for qsort_r. */
struct sweep {
	unsigned off, len;
};

/* Order along the sweep's field, by the start of its intervals. */
static int by_start(const void *a, const void *b, void *sweep)
{
	const struct sweep *w = sweep;

	return memcmp(((const struct elem *)a)->lo + w->off, ((const struct elem *)b)->lo + w->off,
		      w->len);
}

/*
 * The conflicts among the elements of rules [first, end): conflict[j - first] is the last
 * rule before j whose elements overlap j's (first - 1: none), or j itself when j's own
 * elements overlap. A sweep along field f compares an element only with those whose
 * interval in f is still open. false: out of memory or too many comparisons (rules that all
 * share one source, say, leave every source interval open: try another field).
 */
static bool conflicts(struct elems *e, const struct layout *l, int f, size_t first,
		      size_t *conflict)
{
	struct sweep w = {l->off[f], l->len[f]};
	size_t *open, n_open = 0, i, k;
	unsigned long compares = 0;

	for (i = 0; i < e->n; i++)
		conflict[e->v[i].rule - first] = first - 1;
	open = malloc((e->n ? e->n : 1) * sizeof(*open));
	if (!open)
		return false;
	qsort_r(e->v, e->n, sizeof(*e->v), by_start, &w);
	for (i = 0; i < e->n; i++) {
		const struct elem *x = &e->v[i];
		size_t kept = 0;

		for (k = 0; k < n_open; k++) {
			const struct elem *y = &e->v[open[k]];

			if (memcmp(y->hi + w.off, x->lo + w.off, w.len) < 0)
				continue; /* closed before x: overlaps nothing after it either */
			open[kept++] = open[k];
			if (++compares > ACL_MAX_COMPARES) {
				free(open);
				return false;
			}
			if (overlap(x, y, l)) {
				size_t a = x->rule < y->rule ? x->rule : y->rule;
				size_t b = x->rule < y->rule ? y->rule : x->rule;

				if (conflict[b - first] == first - 1 || conflict[b - first] < a)
					conflict[b - first] = a;
			}
		}
		open[kept++] = i;
		n_open = kept;
	}
	free(open);
	return true;
}

/* The rule's label, as nft-desc.c writes a rule's: "TAG POINTER[ COMMENT]". */
static void label(struct strbuf *b, const char *tag, const struct fw_rule *fr)
{
	strbuf_truncate(b, 0);
	strbuf_append(b, tag);
	strbuf_append(b, " ");
	strbuf_append(b, fr->ptr);
	if (fr->has & FW_RULE_HAS_COMMENT && fr->comment) {
		strbuf_append(b, " ");
		strbuf_append(b, fr->comment);
	}
}

/* The chains a map's reject goes to, made with the first map (whether or not it rejects: a
 * rule's action changed is then its elements changed). */
static void reject_chains(struct nft_compiler *c)
{
	struct nft_desc_rule *r;

	if (c->reject_chains)
		return;
	c->reject_chains = true;
	nft_desc_chain(c->d, REJECT_TCP_CHAIN, NULL, 0, 0, -1, NULL, NULL);
	nft_desc_chain(c->d, REJECT_CHAIN, NULL, 0, 0, -1, NULL, NULL);
	/* Only TCP comes here; the match is what nft adds to `reject with tcp reset` when it
	 * reads the listing back, so the listing loads again as it is. */
	r = nft_desc_rule(c->d, REJECT_TCP_CHAIN, NULL, NULL);
	nft_compile_match_l4proto(r, IPPROTO_TCP);
	nft_desc_reject(r, NFT_REJECT_TCP_RST, 0);
	r = nft_desc_rule(c->d, REJECT_CHAIN, NULL, NULL);
	nft_desc_reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}

/* The map value of the rule's action (as rule_action in nft-compile.c decides a reject). */
static void verdict(const struct fw_rule *fr, uint8_t v[NFT_DESC_VERDICT_LEN])
{
	int32_t code = fr->action == FW_ACCEPT ? NF_ACCEPT
		       : fr->action == FW_DROP ? NF_DROP
					       : NFT_GOTO;

	memset(v, 0, NFT_DESC_VERDICT_LEN);
	memcpy(v, &code, sizeof(code));
	if (fr->action != FW_REJECT)
		return;
	strcpy((char *)v + sizeof(code),
	       fr->has & FW_RULE_HAS_PROTOCOL && fr->protocol == IPPROTO_TCP ? REJECT_TCP_CHAIN
									     : REJECT_CHAIN);
}

/* Loads the packet's key of a map's layout (no interfaces) into the registers from REG(0). */
static void load_key(struct nft_desc_rule *r, const struct layout *l, int family)
{
	int f;

	for (f = 0; f < F_MAX; f++) {
		uint32_t reg = REG(l->off[f] / 4);

		if (!l->len[f])
			continue;
		if (f == F_SRC || f == F_DST)
			nft_desc_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
					 (family == AF_INET6 ? 8 : 12) + (f == F_DST) * l->len[f],
					 l->len[f], reg);
		else if (f == F_PROTO)
			nft_desc_meta(r, NFT_META_L4PROTO, reg);
		else
			nft_desc_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, f == F_SPORT ? 0 : 2, 2,
					 reg);
	}
}

static bool names_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/* Whether a and b (of one shape) go to the same map: same interfaces, and the same protocol
 * when the protocol is not in the map's key. */
static bool same_map(const struct fw_rule *a, const struct fw_rule *b, const struct layout *l)
{
	return names_equal(a->in, a->n_in, b->in, b->n_in) &&
	       names_equal(a->out, a->n_out, b->out, b->n_out) &&
	       (l->len[F_PROTO] || a->protocol == b->protocol);
}

/* The elements of rules idx (n) in s, each with its rule's label as comment. */
static void fill_map(struct nft_compiler *c, const char *chain, const struct fw_rule *rules,
		     const size_t *idx, size_t n, const struct layout *l, struct nft_desc_set *s)
{
	struct strbuf tag = {0}, lab = {0};
	uint8_t value[NFT_DESC_VERDICT_LEN];
	struct elems e = {0};
	bool interval = nft_desc_set_concat_interval(s);
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct fw_rule *fr = &rules[idx[i]];

		e.n = 0;
		if (!rule_elems(fr, idx[i], l, &e)) {
			c->d->oom = true;
			break;
		}
		nft_compile_rule_tag(&tag, chain, idx[i]);
		label(&lab, strbuf_str(&tag), fr);
		verdict(fr, value);
		for (j = 0; j < e.n; j++) {
			nft_desc_elem(c->d, s, e.v[j].lo, interval ? e.v[j].hi : NULL, value, 0,
				      strbuf_str(&lab));
			nft_desc_elem_ptr(c->d, s, fr->ptr);
		}
	}
	if (tag.oom || lab.oom)
		c->d->oom = true;
	free(e.v);
	strbuf_done(&tag);
	strbuf_done(&lab);
}

static bool prefixes_whole(const struct ip_prefix *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].len != (p[i].addr.family == AF_INET6 ? 128 : 32))
			return false;
	return true;
}

static bool ranges_single(const struct port_range *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].first != p[i].last)
			return false;
	return true;
}

/* Whether each of the rule's elements in the map's layout is a single key: whole addresses,
 * single ports, the protocol given when it is in the key. */
static bool rule_exact(const struct fw_rule *fr, const struct layout *l)
{
	return prefixes_whole(fr->source.prefixes, fr->source.n_prefixes) &&
	       prefixes_whole(fr->destination.prefixes, fr->destination.n_prefixes) &&
	       ranges_single(fr->source_ports.ranges, fr->source_ports.n_ranges) &&
	       ranges_single(fr->ports.ranges, fr->ports.n_ranges) &&
	       (!l->len[F_PROTO] || fr->has & FW_RULE_HAS_PROTOCOL);
}

/* A map of rules idx (n) that go with rule fr0, and its rule: a hash map when every element
 * is a single key (exact), else a map of concatenated intervals. The rule goes in chain after
 * matches of fr0's interfaces, or in rule_chain (a chain of fr0's interface pair) without. */
static void compile_map_part(struct nft_compiler *c, const char *chain, const char *rule_chain,
			     const struct fw_rule *rules, const size_t *idx, size_t n, bool exact,
			     const struct layout *l, unsigned *n_maps)
{
	const struct fw_rule *fr0 = &rules[idx[0]];
	uint32_t flags = exact ? NFT_SET_MAP : NFT_SET_MAP | NFT_SET_INTERVAL | NFT_SET_CONCAT;
	struct strbuf name = {0};
	struct nft_desc_set *s;
	struct nft_desc_rule *r;

	strbuf_printf(&name, "%s%s_%u", NFT_DESC_ACL_PREFIX, chain, (*n_maps)++);
	s = name.oom
		? NULL
		: nft_desc_set(c->d, strbuf_str(&name), flags, l->key_type, l->key_len,
			       NFT_DATA_VERDICT, NFT_DESC_VERDICT_LEN, exact ? NULL : l->fields,
			       exact ? 0 : l->n_fields, NULL, fr0->ptr);
	strbuf_done(&name);
	if (!s) {
		c->d->oom = true;
		return;
	}
	s->counters = true;
	fill_map(c, chain, rules, idx, n, l, s);
	r = nft_desc_rule(c->d, rule_chain ? rule_chain : chain, NULL, fr0->ptr);
	nft_compile_match_nfproto(r, fr0->family);
	if (!rule_chain) {
		nft_compile_match_ifnames(c, r, NFT_META_IIFNAME, fr0->in, fr0->n_in);
		nft_compile_match_ifnames(c, r, NFT_META_OIFNAME, fr0->out, fr0->n_out);
	}
	if (!l->len[F_PROTO])
		nft_compile_match_l4proto(r, fr0->protocol);
	load_key(r, l, fr0->family);
	nft_desc_vmap(r, s, REG(0));
}

/*
 * The maps (the k-th of the run's: map_of[i - first] == k) of the rules of [first, end) that go
 * with rule m (the first of them), and their rules: the rules whose elements are all single
 * keys in a hash map, the others in a map of concatenated intervals. The kernel inserts into a
 * hash in constant time, into intervals (pipapo) at a cost that grows with the map (its lookup
 * table is reallocated and cleared as it grows: the benchmark's 9,000 single-port entries, in
 * four maps, cost about 10 ms of its full apply that way). The run's elements are disjoint,
 * so a packet matches at most one element of the two maps and their order does not matter.
 */
static void compile_map(struct nft_compiler *c, const char *chain, const char *rule_chain,
			const struct fw_rule *rules, size_t first, size_t end, size_t m, unsigned k,
			const uint8_t *map_of, const struct layout *l, unsigned *n_maps)
{
	_cleanup_free_ size_t *idx = malloc((end - m) * sizeof(*idx));
	size_t i, n_exact = 0, n = 0;
	int pass;

	if (!idx) {
		c->d->oom = true;
		return;
	}
	reject_chains(c);
	for (pass = 0; pass < 2; pass++) {
		for (i = m; i < end; i++)
			if (map_of[i - first] == k && rule_exact(&rules[i], l) == !pass)
				idx[n++] = i;
		if (!pass)
			n_exact = n;
	}
	if (n_exact)
		compile_map_part(c, chain, rule_chain, rules, idx, n_exact, true, l, n_maps);
	if (n > n_exact)
		compile_map_part(c, chain, rule_chain, rules, idx + n_exact, n - n_exact, false, l,
				 n_maps);
}

/* Whether each of the maps (their first rules reps) has one input and one output interface,
 * and some pair has more than one map: then a dispatch on the pair saves loads. */
static bool by_pairs(const struct fw_rule *rules, const size_t *reps, size_t n_reps)
{
	bool shared = false;
	size_t k, j;

	for (k = 0; k < n_reps; k++) {
		const struct fw_rule *a = &rules[reps[k]];

		if (a->n_in != 1 || a->n_out != 1)
			return false;
		for (j = 0; j < k; j++)
			shared |= !strcmp(rules[reps[j]].in[0], a->in[0]) &&
				  !strcmp(rules[reps[j]].out[0], a->out[0]);
	}
	return shared;
}

/*
 * The maps of a run whose maps each have one input and one output interface, behind a
 * dispatch on the pair: `meta nfproto F iifname . oifname vmap @_pairs<chain>_<n>` jumps to
 * a chain of the pair (`_<chain>_<n>`: a verdict's chain name has at most
 * PAIR_CHAIN_SIZE - 1 bytes here, too few for interface names) that holds the pair's map
 * rules without their interface matches. A new connection loads and looks up its two
 * interface names once, instead of loading and comparing them at each map rule; one that
 * matches no element of its pair's maps returns to the rule after the dispatch, as it would
 * have walked past the map rules. Each pair's maps keep their order; the maps of a run are
 * disjoint anyway.
 */
#define PAIR_CHAIN_SIZE (NFT_DESC_VERDICT_LEN - sizeof(int32_t))
static void compile_pairs(struct nft_compiler *c, const char *chain, const struct fw_rule *rules,
			  size_t start, size_t end, const size_t *reps, size_t n_reps,
			  const uint8_t *map_of, const struct layout *l, unsigned *n_maps)
{
	const struct fw_rule *fr0 = &rules[reps[0]];
	const uint32_t type = NFT_DESC_TYPE_IFNAME << NFT_DESC_TYPE_BITS | NFT_DESC_TYPE_IFNAME;
	const int32_t jump = NFT_JUMP;
	uint8_t key[2 * IFNAMSIZ], value[NFT_DESC_VERDICT_LEN];
	_cleanup_free_ char(*names)[PAIR_CHAIN_SIZE] = calloc(n_reps, sizeof(*names));
	char set_name[PAIR_CHAIN_SIZE + 8];
	struct nft_desc_set *s;
	struct nft_desc_rule *r;
	size_t k, j;

	if (!names) {
		c->d->oom = true;
		return;
	}
	snprintf(set_name, sizeof(set_name), "_pairs%.16s_%u", chain, (*n_maps)++);
	s = nft_desc_set(c->d, set_name, NFT_SET_MAP, type, sizeof(key), NFT_DATA_VERDICT,
			 NFT_DESC_VERDICT_LEN, NULL, 0, NULL, fr0->ptr);
	if (!s)
		return;
	for (k = 0; k < n_reps; k++) {
		const struct fw_rule *a = &rules[reps[k]];

		for (j = 0; j < k; j++)
			if (!strcmp(rules[reps[j]].in[0], a->in[0]) &&
			    !strcmp(rules[reps[j]].out[0], a->out[0]))
				break;
		if (j < k) {
			memcpy(names[k], names[j], sizeof(names[k]));
			continue;
		}
		snprintf(names[k], sizeof(names[k]), "_%.12s_%u", chain, (*n_maps)++);
		nft_desc_chain(c->d, names[k], NULL, 0, 0, -1, NULL, NULL);
		nft_compile_ifname(a->in[0], key);
		nft_compile_ifname(a->out[0], key + IFNAMSIZ);
		memset(value, 0, sizeof(value));
		memcpy(value, &jump, sizeof(jump));
		memcpy(value + sizeof(jump), names[k], strlen(names[k]) + 1);
		nft_desc_elem(c->d, s, key, NULL, value, 0, NULL);
	}
	r = nft_desc_rule(c->d, chain, NULL, fr0->ptr);
	nft_compile_match_nfproto(r, fr0->family);
	nft_desc_meta(r, NFT_META_IIFNAME, REG(0));
	nft_desc_meta(r, NFT_META_OIFNAME, REG(IFNAMSIZ / 4));
	nft_desc_vmap(r, s, REG(0));
	for (k = 0; k < n_reps; k++)
		compile_map(c, chain, names[k], rules, start, end, reps[k], (unsigned)k, map_of, l,
			    n_maps);
}

/* Rules [start, end), disjoint, as maps: false (nothing compiled) when they would need more
 * than ACL_MAX_MAPS. */
static bool compile_maps(struct nft_compiler *c, const char *chain, const struct fw_rule *rules,
			 size_t start, size_t end, const struct shape *sh, unsigned *n_maps)
{
	struct layout l = layout_of(sh, true);
	size_t reps[ACL_MAX_MAPS], n_reps = 0, m, k;
	_cleanup_free_ uint8_t *map_of = malloc(end - start);

	if (!map_of) {
		c->d->oom = true;
		return true;
	}
	for (m = start; m < end; m++) {
		for (k = 0; k < n_reps && !same_map(&rules[reps[k]], &rules[m], &l); k++)
			;
		map_of[m - start] = (uint8_t)k;
		if (k < n_reps)
			continue;
		if (n_reps == ACL_MAX_MAPS)
			return false;
		reps[n_reps++] = m;
	}
	if (by_pairs(rules, reps, n_reps)) {
		compile_pairs(c, chain, rules, start, end, reps, n_reps, map_of, &l, n_maps);
		return true;
	}
	for (k = 0; k < n_reps; k++)
		compile_map(c, chain, NULL, rules, start, end, reps[k], (unsigned)k, map_of, &l,
			    n_maps);
	return true;
}

/* Rules [first, end) of one shape: maps for the runs of disjoint rules, rules for the rest. */
static void compile_candidates(struct nft_compiler *c, const char *chain,
			       const struct fw_rule *rules, size_t first, size_t end,
			       unsigned *n_maps)
{
	struct shape sh = shape_of(&rules[first]);
	struct layout l = layout_of(&sh, false);
	struct elems e = {0};
	size_t *conflict = NULL, i, start;
	bool ok = end - first >= ACL_MIN_RUN;

	if (ok) {
		conflict = malloc((end - first) * sizeof(*conflict));
		ok = conflict != NULL;
	}
	for (i = first; ok && i < end; i++)
		ok = rule_elems(&rules[i], i, &l, &e);
	if (ok) {
		static const int fields[] = {F_SRC, F_DPORT, F_DST, F_SPORT};
		bool found = false;

		for (i = 0; !found && i < sizeof(fields) / sizeof(*fields); i++)
			found = l.len[fields[i]] && conflicts(&e, &l, fields[i], first, conflict);
		ok = found;
	}
	free(e.v);
	for (i = first, start = first; i <= end; i++) {
		bool alone = ok && i < end && conflict[i - first] == i;
		bool breaks = !ok || i == end || alone ||
			      (conflict[i - first] != first - 1 && conflict[i - first] >= start);

		if (!breaks)
			continue;
		/* rules [start, i) are disjoint */
		if (ok && i - start >= ACL_MIN_RUN &&
		    compile_maps(c, chain, rules, start, i, &sh, n_maps))
			start = i;
		for (; start < i; start++)
			nft_compile_compile_rule(c, chain, rules, start);
		if (alone) {
			nft_compile_compile_rule(c, chain, rules, i);
			start = i + 1;
		}
	}
	free(conflict);
}

void nft_compile_compile_rules(struct nft_compiler *c, const char *chain,
			       const struct fw_rule *rules, size_t n)
{
	unsigned n_maps = 0;
	size_t i = 0, j;

	while (i < n) {
		if (!qualifies(c, &rules[i])) {
			nft_compile_compile_rule(c, chain, rules, i++);
			continue;
		}
		for (j = i + 1; j < n && qualifies(c, &rules[j]) && same_run(&rules[i], &rules[j]);
		     j++)
			;
		compile_candidates(c, chain, rules, i, j, &n_maps);
		i = j;
	}
}
