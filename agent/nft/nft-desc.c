/* SPDX-License-Identifier: MIT */
/* The table's description and its batches: the agent's one use of libnftnl's builders. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "nft-desc.h"

#define MSG_SCRATCH (256 * 1024)
#define BYTEORDER_HOST 1 /* nft's byte order of a set's key, in its user data */
#define ELEMS_PER_MSG 64

static char *dup_or_null(struct nft_desc *d, const char *s)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		d->oom = true;
	return c;
}

struct nft_desc *nft_desc_new(void)
{
	struct nft_desc *d = calloc(1, sizeof(*d));

	if (d)
		d->next_set_id = 1;
	return d;
}

struct nft_desc *nft_desc_new_part(uint32_t id_base)
{
	struct nft_desc *d = nft_desc_new();

	if (d)
		d->next_set_id = id_base;
	return d;
}

struct nft_desc_set *nft_desc_set_ref(struct nft_desc_set *s)
{
	if (s)
		s->refs++;
	return s;
}

void nft_desc_set_unref(struct nft_desc_set *s)
{
	size_t i;

	if (!s || --s->refs)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->comments[i]);
		free(s->eptrs[i]);
	}
	free(s->comments);
	free(s->eptrs);
	free(s->eflags);
	free(s->bytes);
	free(s->name);
	free(s->tag);
	free(s->ptr);
	free(s);
}

static void rule_unref(struct nft_desc_rule *r)
{
	if (!r || --r->refs)
		return;
	free(r->exprs);
	free(r->chain);
	free(r->tag);
	free(r->ptr);
	free(r->note);
	free(r);
}

struct nft_desc *nft_desc_free(struct nft_desc *d)
{
	size_t i;

	if (!d)
		return NULL;
	for (i = 0; i < d->n_chains; i++) {
		free(d->chains[i].name);
		free(d->chains[i].type);
		free(d->chains[i].tag);
		free(d->chains[i].ptr);
	}
	free(d->chains);
	for (i = 0; i < d->n_sets; i++)
		nft_desc_set_unref(d->sets[i]);
	free(d->sets);
	for (i = 0; i < d->n_rules; i++)
		rule_unref(d->rules[i]);
	free(d->rules);
	free(d);
	return NULL;
}

int nft_desc_oom(const struct nft_desc *d)
{
	return d->oom ? -ENOMEM : 0;
}

/* Grows an array of n elements of size to hold one more; false (oom remembered) on failure. */
static bool grow(struct nft_desc *d, void *pp, size_t n, size_t size)
{
	void **p = pp;
	void *v;

	if (n & (n - 1) && n)
		return true; /* capacity is the next power of two */
	v = realloc(*p, (n ? 2 * n : 4) * size);
	if (!v) {
		d->oom = true;
		return false;
	}
	*p = v;
	return true;
}

void nft_desc_chain(struct nft_desc *d, const char *name, const char *type, int hook, int prio,
		    int policy, const char *tag, const char *ptr)
{
	struct nft_desc_chain *c;

	if (!grow(d, &d->chains, d->n_chains, sizeof(*c)))
		return;
	c = &d->chains[d->n_chains++];
	*c = (struct nft_desc_chain){
	    .name = dup_or_null(d, name),
	    .type = dup_or_null(d, type),
	    .hook = hook,
	    .prio = prio,
	    .policy = policy,
	    .tag = dup_or_null(d, tag),
	    .ptr = dup_or_null(d, ptr),
	};
}

void nft_desc_chain_counters(struct nft_desc *d)
{
	if (d->n_chains)
		d->chains[d->n_chains - 1].counters = true;
}

void nft_desc_include(struct nft_desc *d, struct nft_desc *part)
{
	size_t i;

	if (part->oom)
		d->oom = true;
	for (i = 0; i < part->n_chains; i++) {
		const struct nft_desc_chain *c = &part->chains[i];

		nft_desc_chain(d, c->name, c->type, c->hook, c->prio, c->policy, c->tag, c->ptr);
		if (c->counters)
			nft_desc_chain_counters(d);
	}
	for (i = 0; i < part->n_sets; i++) {
		if (!grow(d, &d->sets, d->n_sets, sizeof(*d->sets)))
			return;
		d->sets[d->n_sets++] = nft_desc_set_ref(part->sets[i]);
	}
	for (i = 0; i < part->n_rules; i++) {
		if (!grow(d, &d->rules, d->n_rules, sizeof(*d->rules)))
			return;
		part->rules[i]->d = NULL;
		part->rules[i]->refs++;
		d->rules[d->n_rules++] = part->rules[i];
	}
}

struct nft_desc_set *nft_desc_set(struct nft_desc *d, const char *name, uint32_t flags,
				  uint32_t key_type, uint32_t key_len, uint32_t data_type,
				  uint32_t data_len, const uint8_t *fields, unsigned n_fields,
				  const char *tag, const char *ptr)
{
	struct nft_desc_set *s;

	if (n_fields > NFT_DESC_MAX_FIELDS || key_len > NFT_DESC_KEY_MAX ||
	    data_len > NFT_DESC_KEY_MAX || !grow(d, &d->sets, d->n_sets, sizeof(*d->sets)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		d->oom = true;
		return NULL;
	}
	s->refs = 1;
	s->name = dup_or_null(d, name ? name : "__set%d");
	s->id = d->next_set_id++;
	s->flags = flags | (name ? 0 : NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
	s->key_type = key_type;
	s->key_len = key_len;
	s->data_type = data_type;
	s->data_len = data_len;
	if (n_fields)
		memcpy(s->fields, fields, n_fields);
	s->n_fields = n_fields;
	s->tag = dup_or_null(d, tag);
	s->ptr = dup_or_null(d, ptr);
	d->sets[d->n_sets++] = s;
	return s;
}

struct nft_desc_set *nft_desc_set_find(const struct nft_desc *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_sets; i++)
		if (!(d->sets[i]->flags & NFT_SET_ANONYMOUS) && !strcmp(d->sets[i]->name, name))
			return d->sets[i];
	return NULL;
}

size_t nft_desc_set_stride(const struct nft_desc_set *s)
{
	return 2 * s->key_len + s->data_len;
}

/* Room for more elements in s; false (oom remembered) on failure. */
static bool elems_reserve(struct nft_desc *d, struct nft_desc_set *s, size_t more)
{
	size_t stride = nft_desc_set_stride(s), cap = s->cap ? s->cap : 8;
	uint8_t *b;
	uint32_t *f;
	char **c, **e = NULL;

	if (s->n + more <= s->cap)
		return true;
	while (cap < s->n + more)
		cap *= 2;
	b = realloc(s->bytes, cap * stride);
	if (b)
		s->bytes = b;
	f = b ? realloc(s->eflags, cap * sizeof(*f)) : NULL;
	if (f)
		s->eflags = f;
	c = f ? realloc(s->comments, cap * sizeof(*c)) : NULL;
	if (c) {
		s->comments = c;
		e = realloc(s->eptrs, cap * sizeof(*e));
	}
	if (!e) {
		d->oom = true;
		return false;
	}
	s->eptrs = e;
	s->cap = cap;
	return true;
}

void nft_desc_elem(struct nft_desc *d, struct nft_desc_set *s, const void *key, const void *key_end,
		   const void *data, uint32_t flags, const char *comment)
{
	size_t stride;
	uint8_t *p;

	if (!s || !elems_reserve(d, s, 1))
		return;
	stride = nft_desc_set_stride(s);
	p = s->bytes + s->n * stride;
	memset(p, 0, stride);
	memcpy(p, key, s->key_len);
	if (key_end)
		memcpy(p + s->key_len, key_end, s->key_len);
	if (data)
		memcpy(p + 2 * s->key_len, data, s->data_len);
	s->eflags[s->n] = flags;
	s->comments[s->n] = dup_or_null(d, comment);
	s->eptrs[s->n] = NULL;
	s->n++;
}

void nft_desc_elem_ptr(struct nft_desc *d, struct nft_desc_set *s, const char *ptr)
{
	if (!s || !s->n)
		return;
	free(s->eptrs[s->n - 1]);
	s->eptrs[s->n - 1] = dup_or_null(d, ptr);
}

bool nft_desc_set_concat_interval(const struct nft_desc_set *s)
{
	return s->n_fields && s->flags & NFT_SET_INTERVAL;
}

/* ---- rules ---- */

static void *udata_comment(uint8_t type, const char *text, uint32_t *ret_len)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_DESC_USERDATA_MAX);
	void *copy = NULL;

	if (!u)
		return NULL;
	if (nftnl_udata_put_strz(u, type, text)) {
		*ret_len = nftnl_udata_buf_len(u);
		copy = malloc(*ret_len);
		if (copy)
			memcpy(copy, nftnl_udata_buf_data(u), *ret_len);
	}
	nftnl_udata_buf_free(u);
	return copy;
}

/* The rule's label "TAG[ POINTER[ NOTE]]" (its comment), as user data; NULL (oom) on failure. */
static void *rule_label(const struct nft_desc_rule *r, uint32_t *ret_len)
{
	struct strbuf label = {0};
	void *u = NULL;

	strbuf_append(&label, r->tag);
	if (r->ptr) {
		strbuf_append(&label, " ");
		strbuf_append(&label, r->ptr);
	}
	if (r->ptr && r->note) {
		strbuf_append(&label, " ");
		strbuf_append(&label, r->note);
	}
	if (!label.oom)
		u = udata_comment(NFTNL_UDATA_RULE_COMMENT, strbuf_str(&label), ret_len);
	strbuf_done(&label);
	return u;
}

size_t nft_desc_label_tag_len(const char *label)
{
	size_t n = strlen(label);
	const char *sp = memchr(label, ' ', n);

	sp = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - label)) : NULL;
	return sp ? (size_t)(sp - label) : n;
}

struct nft_desc_rule *nft_desc_rule(struct nft_desc *d, const char *chain, const char *tag,
				    const char *ptr)
{
	struct nft_desc_rule *r;

	if (!grow(d, &d->rules, d->n_rules, sizeof(*d->rules)))
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		d->oom = true;
		return NULL;
	}
	r->refs = 1;
	r->d = d;
	r->chain = dup_or_null(d, chain);
	r->tag = dup_or_null(d, tag);
	r->ptr = dup_or_null(d, ptr);
	d->rules[d->n_rules++] = r;
	return r;
}

void nft_desc_rule_note(struct nft_desc_rule *r, const char *note)
{
	if (!r || !r->tag || !note)
		return;
	free(r->note);
	r->note = dup_or_null(r->d, note);
}

/* ---- batches ---- */

void nft_desc_batch_done(struct nft_desc_batch *b)
{
	size_t i;

	for (i = 0; i < b->n_msgs; i++)
		free(b->ptrs[i]);
	free(b->ptrs);
	free(b->buf);
	*b = (struct nft_desc_batch){0};
}

const char *nft_desc_batch_ptr(const struct nft_desc_batch *b, uint32_t seq)
{
	uint32_t i = seq - b->first_seq - 1; /* the first message is BEGIN */

	return seq > b->first_seq && i < b->n_msgs ? b->ptrs[i] : NULL;
}

/* FNV-1a 64 over 8-byte words (then the bytes left): the fingerprint hashes megabytes. */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t v;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* Builds messages into a scratch buffer, then appends them with their pointers. */
struct builder {
	struct nft_desc_batch *b;
	char *scratch;
	uint32_t seq;
	uint64_t hash;
	bool counted;	/* the batch's BEGIN was written: messages after it get pointers */
	bool hash_only; /* the fingerprint: messages hashed, not kept */
	bool no_hash;	/* messages kept, not hashed */
};

static struct nlmsghdr *msg_start(struct builder *w, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(w->scratch, type, NFPROTO_INET, flags, w->seq);
}

/* Appends the message in scratch; hashed: whether it counts in the fingerprint. */
static void msg_end(struct builder *w, const char *ptr, bool hashed, bool elems)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)w->scratch;
	struct nft_desc_batch *b = w->b;
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	w->seq++;
	if (b->oom)
		return;
	/* Padding bytes keep what the scratch held (libmnl before 1.0.5 does not clear them):
	 * the scratch is kept zeroed so that equal messages are equal bytes (fingerprint). */
	if (hashed && !w->no_hash)
		w->hash = hash_bytes(w->hash, (const uint8_t *)NLMSG_DATA(nlh),
				     nlh->nlmsg_len - NLMSG_HDRLEN);
	if (w->hash_only) {
		memset(w->scratch, 0, len);
		return;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *v;

		while (cap < b->len + len)
			cap *= 2;
		v = realloc(b->buf, cap);
		if (!v) {
			b->oom = true;
			return;
		}
		b->buf = v;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, nlh, len);
	b->len += len;
	memset(w->scratch, 0, len);
	if (!w->counted) {
		w->counted = true;
		return;
	}
	if ((b->n_msgs & (b->n_msgs - 1)) == 0) {
		char **v = realloc(b->ptrs, (b->n_msgs ? 2 * b->n_msgs : 4) * sizeof(*v));

		if (!v) {
			b->oom = true;
			return;
		}
		b->ptrs = v;
	}
	b->ptrs[b->n_msgs] = ptr ? strdup(ptr) : NULL;
	if (ptr && !b->ptrs[b->n_msgs])
		b->oom = true;
	b->n_msgs++;
	if (elems)
		b->n_elem_msgs++;
}

/* genid (0: none): the kernel refuses the batch (ERESTART) unless the ruleset is still at
 * that generation, and holds it there while it runs the batch. */
static void build_begin(struct builder *w, uint32_t genid)
{
	struct nlmsghdr *nlh = nftnl_batch_begin(w->scratch, w->seq);

	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	msg_end(w, NULL, false, false);
}

static void build_end(struct builder *w)
{
	nftnl_batch_end(w->scratch, w->seq);
	msg_end(w, NULL, false, false);
}

static void build_table(struct builder *w, uint16_t type, const char *fingerprint)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		w->b->oom = true;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_DESC_TABLE);
	if (fingerprint) {
		char text[32];
		uint32_t len;
		void *u;

		snprintf(text, sizeof(text), "vrouter %s", fingerprint);
		u = udata_comment(NFTNL_UDATA_TABLE_COMMENT, text, &len);
		if (!u || nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, u, len) < 0)
			w->b->oom = true;
		free(u);
	}
	nlh = msg_start(w, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	msg_end(w, NULL, false, false);
}

static void build_chain(struct builder *w, const struct nft_desc_chain *c)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!ch) {
		w->b->oom = true;
		return;
	}
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFT_DESC_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	if (c->type) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, c->type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, (uint32_t)c->hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
	}
	if (c->type && c->policy >= 0)
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, (uint32_t)c->policy);
	if (c->type && c->counters) {
		nftnl_chain_set_u64(ch, NFTNL_CHAIN_PACKETS, 0);
		nftnl_chain_set_u64(ch, NFTNL_CHAIN_BYTES, 0);
	}
	nlh = msg_start(w, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	msg_end(w, c->ptr, true, false);
}

uint32_t nft_desc_hash_size(size_t n)
{
	uint32_t z = NFT_DESC_HASH_SIZE_MIN;

	while (z < n && z <= UINT32_MAX / 4)
		z *= 2;
	return z < n ? UINT32_MAX : 2 * z;
}

static void build_set(struct builder *w, const struct nft_desc_set *s)
{
	struct nftnl_set *n = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!n) {
		w->b->oom = true;
		return;
	}
	nftnl_set_set_str(n, NFTNL_SET_TABLE, NFT_DESC_TABLE);
	nftnl_set_set_str(n, NFTNL_SET_NAME, s->name);
	nftnl_set_set_u32(n, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(n, NFTNL_SET_ID, s->id);
	nftnl_set_set_u32(n, NFTNL_SET_FLAGS, s->flags);
	nftnl_set_set_u32(n, NFTNL_SET_KEY_TYPE, s->key_type);
	nftnl_set_set_u32(n, NFTNL_SET_KEY_LEN, s->key_len);
	if (s->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(n, NFTNL_SET_DATA_TYPE, s->data_type);
		nftnl_set_set_u32(n, NFTNL_SET_DATA_LEN, s->data_len);
	}
	if (s->n_fields)
		nftnl_set_set_data(n, NFTNL_SET_DESC_CONCAT, s->fields, s->n_fields);
	if (s->counters) {
		struct nftnl_expr *e = nftnl_expr_alloc("counter");

		if (e)
			nftnl_set_add_expr(n, e);
		else
			w->b->oom = true;
	}
	if (s->flags & NFT_SET_ANONYMOUS)
		nftnl_set_set_u32(n, NFTNL_SET_DESC_SIZE, (uint32_t)s->n);
	else if (!(s->flags & NFT_SET_INTERVAL))
		nftnl_set_set_u32(n, NFTNL_SET_DESC_SIZE, nft_desc_hash_size(s->n));
	if (s->key_type == NFT_DESC_TYPE_IFNAME) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_DESC_USERDATA_MAX);

		/* Interface names are strings in host order: without saying so, `nft list`
		 * shows them empty. */
		if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, BYTEORDER_HOST) ||
		    nftnl_set_set_data(n, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
				       nftnl_udata_buf_len(u)) < 0)
			w->b->oom = true;
		nftnl_udata_buf_free(u);
	}
	nlh = msg_start(w, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, n);
	nftnl_set_free(n);
	msg_end(w, s->ptr, true, false);
}

/*
 * Element messages written here, not through libnftnl's objects (some six allocations per
 * element there): the same attributes in the same order
 * as nftnl_set_elems_nlmsg_build_payload() writes them (test-nft compares the two).
 */

/* The set's name, its id when it is made in the same batch (by_id), the table; then the
 * start of the list of elements. */
static struct nlattr *elems_start(struct nlmsghdr *nlh, const struct nft_desc_set *s, bool by_id)
{
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
	if (by_id)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(s->id));
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_DESC_TABLE);
	return mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
}

static void put_value(struct nlmsghdr *nlh, uint16_t type, const void *v, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, nest);
}

/* A user data entry (nftnl_udata_put_strz()): type, length, the string and its NUL. */
static bool udata_put(uint8_t *u, size_t *len, uint8_t type, const char *text, size_t n)
{
	if (n + 1 > UINT8_MAX || *len + 2 + n + 1 > NFT_DESC_USERDATA_MAX)
		return false;
	u[(*len)++] = type;
	u[(*len)++] = (uint8_t)(n + 1);
	memcpy(u + *len, text, n);
	u[*len + n] = '\0';
	*len += n + 1;
	return true;
}

/* The i-th element (from 1) of the list, its comment as user data. false when the comment does
 * not fit in NFT_DESC_USERDATA_MAX bytes. */
static bool elem_put(struct nlmsghdr *nlh, uint16_t i, const struct nft_desc_set *s,
		     const uint8_t *key, const uint8_t *key_end, const uint8_t *data,
		     uint32_t flags, const char *comment)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, i);

	if (flags)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(flags));
	put_value(nlh, NFTA_SET_ELEM_KEY, key, s->key_len);
	if (key_end)
		put_value(nlh, NFTA_SET_ELEM_KEY_END, key_end, s->key_len);
	if (data && s->flags & NFT_SET_MAP && s->data_type == NFT_DATA_VERDICT) {
		struct nlattr *d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
		struct nlattr *v = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		uint32_t verdict;

		memcpy(&verdict, data, sizeof(verdict));
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(verdict));
		if (data[sizeof(verdict)])
			mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN,
					  (const char *)data + sizeof(verdict));
		mnl_attr_nest_end(nlh, v);
		mnl_attr_nest_end(nlh, d);
	} else if (data && s->flags & NFT_SET_MAP) {
		put_value(nlh, NFTA_SET_ELEM_DATA, data, s->data_len);
	}
	if (comment) {
		uint8_t u[NFT_DESC_USERDATA_MAX];
		size_t len = 0;

		if (!udata_put(u, &len, NFTNL_UDATA_SET_ELEM_COMMENT, comment, strlen(comment)))
			return false;
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, len, u);
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* The elements of s in messages of up to ELEMS_PER_MSG, each with the pointer of its first
 * element. Only the anonymous sets' count in the fingerprint. */
static void build_elems(struct builder *w, const struct nft_desc_set *s)
{
	size_t stride = nft_desc_set_stride(s), i, j;
	bool concat_interval = nft_desc_set_concat_interval(s);

	for (i = 0; i < s->n; i += ELEMS_PER_MSG) {
		struct nlmsghdr *nlh = msg_start(w, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
		struct nlattr *list = elems_start(nlh, s, true);

		for (j = i; j < s->n && j < i + ELEMS_PER_MSG; j++) {
			const uint8_t *p = s->bytes + j * stride;

			if (!elem_put(nlh, (uint16_t)(j - i + 1), s, p,
				      concat_interval ? p + s->key_len : NULL, p + 2 * s->key_len,
				      s->eflags[j], s->comments[j]))
				w->b->oom = true;
		}
		mnl_attr_nest_end(nlh, list);
		msg_end(w, s->eptrs[i] ? s->eptrs[i] : s->ptr, s->flags & NFT_SET_ANONYMOUS, true);
	}
}

static void build_rule(struct builder *w, const struct nft_desc_rule *r)
{
	struct nlmsghdr *nlh = msg_start(w, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	struct nlattr *nest;
	uint32_t len = 0;
	void *u = NULL;

	if (r->tag && !(u = rule_label(r, &len)))
		w->b->oom = true;
	if (nlh->nlmsg_len + r->len + len + 512 > MSG_SCRATCH)
		w->b->oom = true; /* no rule is that long: its lists are sets */
	if (!w->b->oom) {
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, NFT_DESC_TABLE);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, r->chain);
		nest = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
		memcpy(mnl_nlmsg_get_payload_tail(nlh), r->exprs, r->len);
		nlh->nlmsg_len += (uint32_t)r->len;
		mnl_attr_nest_end(nlh, nest);
		if (u)
			mnl_attr_put(nlh, NFTA_RULE_USERDATA, len, u);
	}
	free(u);
	msg_end(w, r->ptr, true, false);
}

/* Chains, sets with their elements, rules. */
static void build_body(const struct nft_desc *d, struct builder *w)
{
	size_t i;

	for (i = 0; i < d->n_chains; i++)
		build_chain(w, &d->chains[i]);
	for (i = 0; i < d->n_sets; i++) {
		const struct nft_desc_set *s = d->sets[i];

		build_set(w, s);
		if (s->n && (!w->hash_only || s->flags & NFT_SET_ANONYMOUS))
			build_elems(w, s);
	}
	for (i = 0; i < d->n_rules; i++)
		build_rule(w, d->rules[i]);
}

static int builder_init(struct builder *w, struct nft_desc_batch *b, uint32_t seq)
{
	*b = (struct nft_desc_batch){.first_seq = seq};
	*w = (struct builder){.b = b, .seq = seq, .hash = 0xcbf29ce484222325ULL};
	w->scratch = calloc(1, MSG_SCRATCH);
	return w->scratch ? 0 : -ENOMEM;
}

static int builder_finish(struct builder *w, struct nft_desc_batch *ret)
{
	free(w->scratch);
	if (w->b->oom) {
		nft_desc_batch_done(w->b);
		return -ENOMEM;
	}
	*ret = *w->b;
	return 0;
}

int nft_desc_fingerprint(const struct nft_desc *d, char ret[17])
{
	struct nft_desc_batch b;
	struct builder w;
	int r;

	if (d->oom)
		return -ENOMEM;
	r = builder_init(&w, &b, 0);
	if (r < 0)
		return r;
	w.counted = true;
	w.hash_only = true;
	build_body(d, &w);
	snprintf(ret, 17, "%016llx", (unsigned long long)w.hash);
	r = builder_finish(&w, &b);
	if (r >= 0)
		nft_desc_batch_done(&b);
	return r;
}

int nft_desc_batch_full(const struct nft_desc *d, const char *fp, uint32_t seq, uint32_t genid,
			struct nft_desc_batch *ret)
{
	struct nft_desc_batch b;
	struct builder w;
	char own_fp[17];
	int r;

	if (d->oom)
		return -ENOMEM;
	if (!fp) {
		r = nft_desc_fingerprint(d, own_fp);
		if (r < 0)
			return r;
		fp = own_fp;
	}
	r = builder_init(&w, &b, seq);
	if (r < 0)
		return r;
	w.no_hash = true; /* the fingerprint is known */
	build_begin(&w, genid);
	build_table(&w, NFT_MSG_NEWTABLE, NULL);
	build_table(&w, NFT_MSG_DELTABLE, NULL);
	build_table(&w, NFT_MSG_NEWTABLE, fp);
	build_body(d, &w);
	build_end(&w);
	return builder_finish(&w, ret);
}

int nft_desc_batch_delete(uint32_t seq, struct nft_desc_batch *ret)
{
	struct nft_desc_batch b;
	struct builder w;
	int r;

	r = builder_init(&w, &b, seq);
	if (r < 0)
		return r;
	build_begin(&w, 0);
	build_table(&w, NFT_MSG_NEWTABLE, NULL);
	build_table(&w, NFT_MSG_DELTABLE, NULL);
	build_end(&w);
	return builder_finish(&w, ret);
}

int nft_desc_batch_elems(const struct nft_desc_elem_change *c, size_t n, uint32_t seq,
			 uint32_t genid, struct nft_desc_batch *ret)
{
	struct nft_desc_batch b;
	struct builder w;
	size_t i;
	int r;

	r = builder_init(&w, &b, seq);
	if (r < 0)
		return r;
	build_begin(&w, genid);
	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh =
		    msg_start(&w, c[i].add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			      c[i].add ? NLM_F_CREATE | NLM_F_EXCL : 0);
		struct nlattr *list = elems_start(nlh, c[i].set, false);

		if (!elem_put(nlh, 1, c[i].set, c[i].key, c[i].has_key_end ? c[i].key_end : NULL,
			      c[i].add && c[i].has_data ? c[i].data : NULL, c[i].flags,
			      c[i].add ? c[i].comment : NULL)) {
			b.oom = true;
			break;
		}
		mnl_attr_nest_end(nlh, list);
		msg_end(&w, c[i].ptr, false, true);
	}
	build_end(&w);
	return builder_finish(&w, ret);
}
