/* SPDX-License-Identifier: MIT */
/* Reading the table back: dumps of the table, chains, sets, rules and set elements. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft-observe.h"

#define REQ_SIZE 1024

struct comment_find {
	uint8_t type;
	const char *found;
};

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	struct comment_find *f = data;
	const char *v = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == f->type && len && v[len - 1] == '\0')
		f->found = v;
	return 0;
}

/* The comment (type) in user data, or NULL. */
static const char *udata_comment(const void *data, uint32_t len, uint8_t type)
{
	struct comment_find f = {.type = type};

	if (!data || !len || nftnl_udata_parse(data, len, comment_cb, &f) < 0)
		return NULL;
	return f.found;
}

static int add_tag(struct nfto *o, const char *tag)
{
	if (!tag)
		return 0;
	if (o->n_tags == o->cap_tags) {
		size_t cap = o->cap_tags ? 2 * o->cap_tags : 16;
		char **v = realloc(o->tags, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->tags = v;
		o->cap_tags = cap;
	}
	o->tags[o->n_tags] = strdup(tag);
	return o->tags[o->n_tags++] ? 0 : -ENOMEM;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfto *o = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const char *c;
	uint32_t len = 0;
	const void *u;

	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return -EPROTO;
	}
	o->exists = true;
	u = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	c = udata_comment(u, len, NFTNL_UDATA_TABLE_COMMENT);
	if (c && !strncmp(c, "vrouter ", 8))
		snprintf(o->fingerprint, sizeof(o->fingerprint), "%s", c + 8);
	nftnl_table_free(t);
	return 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	uint32_t len = 0;
	const void *u;
	int r;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return -EPROTO;
	}
	r = 0;
	if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFTD_TABLE)) {
		((struct nfto *)data)->n_chains++;
		u = nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, &len);
		r = add_tag(data, udata_comment(u, len, NFTNL_UDATA_CHAIN_COMMENT));
	}
	nftnl_chain_free(c);
	return r;
}

/* A rule of the table parsed from a message (NULL: not ours), with its label (or NULL). */
static int rule_parse(const struct nlmsghdr *nlh, struct nftnl_rule **ret, const char **label)
{
	struct nftnl_rule *rl = nftnl_rule_alloc();
	uint32_t len = 0;
	const void *u;

	*ret = NULL;
	if (!rl)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, rl) < 0) {
		nftnl_rule_free(rl);
		return -EPROTO;
	}
	if (strcmp(nftnl_rule_get_str(rl, NFTNL_RULE_TABLE), NFTD_TABLE)) {
		nftnl_rule_free(rl);
		return 0;
	}
	u = nftnl_rule_get_data(rl, NFTNL_RULE_USERDATA, &len);
	*label = udata_comment(u, len, NFTNL_UDATA_RULE_COMMENT);
	*ret = rl;
	return 0;
}

struct rule_attrs {
	const struct nlattr *table, *userdata;
};

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	struct rule_attrs *ra = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_RULE_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		ra->table = a;
		break;
	case NFTA_RULE_USERDATA:
		ra->userdata = a;
		break;
	}
	return MNL_CB_OK;
}

/* Observe needs of a rule only its table and label: read from its message's attributes, not
 * parsed whole by libnftnl (its expressions cost ten times the rest). */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_attrs ra = {0};
	struct nfto *o = data;
	const char *label;
	char *tag;
	int r;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_attr_cb, &ra) < 0 || !ra.table)
		return -EPROTO;
	if (strcmp(mnl_attr_get_str(ra.table), NFTD_TABLE))
		return 0;
	o->n_rules++;
	label = ra.userdata ? udata_comment(mnl_attr_get_payload(ra.userdata),
					    mnl_attr_get_payload_len(ra.userdata),
					    NFTNL_UDATA_RULE_COMMENT)
			    : NULL;
	if (!label)
		return 0;
	tag = strndup(label, nftd_label_tag_len(label));
	r = tag ? add_tag(o, tag) : -ENOMEM;
	free(tag);
	return r;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfto *o = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nfto_set *v;
	const char *tag;
	uint32_t len = 0;
	const void *u;
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return -EPROTO;
	}
	if (strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), NFTD_TABLE) ||
	    nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS)
		goto out;
	u = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
	tag = udata_comment(u, len, NFTNL_UDATA_SET_COMMENT);
	r = add_tag(o, tag);
	if (r >= 0 && o->n_sets == o->cap_sets) {
		size_t cap = o->cap_sets ? 2 * o->cap_sets : 8;

		v = realloc(o->sets, cap * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		o->sets = v;
		o->cap_sets = cap;
	}
	if (r < 0)
		goto out;
	v = &o->sets[o->n_sets++];
	*v = (struct nfto_set){
		.name = strdup(nftnl_set_get_str(s, NFTNL_SET_NAME)),
		.tag = tag ? strdup(tag) : NULL,
		.flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		.key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN),
		.data_len = nftnl_set_is_set(s, NFTNL_SET_DATA_LEN)
				    ? nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN)
				    : 0,
	};
	if (!v->name || (tag && !v->tag))
		r = -ENOMEM;
out:
	nftnl_set_free(s);
	return r;
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct nfto_set *s = data;
	struct nfto_elem *x;
	const void *p, *u;
	uint32_t len = 0, ulen = 0;
	const char *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		x = realloc(s->elems, cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		s->elems = x;
		s->cap = cap;
	}
	x = &s->elems[s->n];
	memset(x, 0, sizeof(*x));
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p && len <= NFTD_KEY_MAX)
		memcpy(x->key, p, len);
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p && len <= NFTD_KEY_MAX) {
		memcpy(x->key_end, p, len);
		x->has_key_end = true;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p && len <= NFTD_KEY_MAX) {
		memcpy(x->data, p, len);
		x->has_data = true;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		x->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
	c = udata_comment(u, ulen, NFTNL_UDATA_SET_ELEM_COMMENT);
	if (c && !(x->comment = strdup(c)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int r;

	if (!s)
		return -ENOMEM;
	r = nftnl_set_elems_nlmsg_parse(nlh, s) < 0 ? -EPROTO : 0;
	if (r >= 0)
		r = nftnl_set_elem_foreach(s, elem_cb, data);
	nftnl_set_free(s);
	return r;
}

/* A request for the table's objects of one type (a dump, or the table itself). The table,
 * chain, set and rule requests all name the table with attribute 1 (NFTA_*_TABLE). */
static struct nlmsghdr *request(char *buf, struct nsock *s, uint16_t type, const char *set)
{
	struct nlmsghdr *nlh;
	uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;

	memset(buf, 0, REQ_SIZE); /* attribute padding */
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, nsock_seq(s, 1));
	mnl_attr_put_strz(nlh, type == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_SET_TABLE,
			  NFTD_TABLE);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_NAME, set);
	return nlh;
}

static int read_once(struct nsock *s, struct nfto *o)
{
	char buf[REQ_SIZE];
	size_t i;
	int r;

	r = nsock_dump(s, request(buf, s, NFT_MSG_GETTABLE, NULL), table_cb, o);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = nsock_dump(s, request(buf, s, NFT_MSG_GETCHAIN, NULL), chain_cb, o);
	if (r >= 0)
		r = nsock_dump(s, request(buf, s, NFT_MSG_GETSET, NULL), set_cb, o);
	if (r >= 0)
		r = nsock_dump(s, request(buf, s, NFT_MSG_GETRULE, NULL), rule_cb, o);
	for (i = 0; i < o->n_sets && r >= 0; i++) {
		struct nlmsghdr *nlh;

		memset(buf, 0, sizeof(buf));
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
					    nsock_seq(s, 1));
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFTD_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, o->sets[i].name);
		r = nsock_dump(s, nlh, elems_cb, &o->sets[i]);
	}
	return r;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
			return 0;
		}
	return -EPROTO;
}

int nfto_genid(struct nsock *s, uint32_t *ret)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, nsock_seq(s, 1));
	return nsock_dump(s, nlh, gen_cb, ret);
}

int nfto_read(struct nsock *s, const char *catalog, struct nfto *ret, struct strbuf *err)
{
	struct nfto o;
	uint32_t after;
	size_t i, j;
	int r, tries;

	/* Read between two looks at the ruleset's generation: a commit in between (a dump
	 * interrupted, or generations that differ) reads again. */
	for (tries = 0; tries < 5; tries++) {
		o = (struct nfto){0};
		r = nfto_genid(s, &o.genid);
		if (r >= 0)
			r = read_once(s, &o);
		if (r >= 0)
			r = nfto_genid(s, &after);
		if (r >= 0 && after != o.genid)
			r = -EINTR;
		if (r != -EINTR)
			break;
		nfto_done(&o);
	}
	/* Elements tag the plan objects they came from too (maps of port forwards). */
	for (i = 0; i < o.n_sets && r >= 0; i++)
		for (j = 0; j < o.sets[i].n && r >= 0; j++)
			if (strcmp(o.sets[i].name, catalog))
				r = add_tag(&o, o.sets[i].elems[j].comment);
	if (r < 0) {
		strbuf_printf(err, "cannot read table inet %s: %s", NFTD_TABLE, strerror(-r));
		nfto_done(&o);
		return r;
	}
	*ret = o;
	return 0;
}

void nfto_done(struct nfto *o)
{
	size_t i, j;

	for (i = 0; i < o->n_tags; i++)
		free(o->tags[i]);
	free(o->tags);
	for (i = 0; i < o->n_sets; i++) {
		for (j = 0; j < o->sets[i].n; j++)
			free(o->sets[i].elems[j].comment);
		free(o->sets[i].elems);
		free(o->sets[i].name);
		free(o->sets[i].tag);
	}
	free(o->sets);
	*o = (struct nfto){0};
}

/* ---- what a committed description leaves ---- */

/* By key; an interval's end before a start at the same key (adjacent intervals). */
static int elem_cmp(const void *a, const void *b, void *key_len)
{
	const struct nfto_elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, *(const uint32_t *)key_len);

	if (c)
		return c;
	return (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) -
	       (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
}

void nfto_sort(struct nfto_set *s)
{
	if (s->n)
		qsort_r(s->elems, s->n, sizeof(*s->elems), elem_cmp, &s->key_len);
}

static int assume_set(const struct nftd_set *s, struct nfto_set *ret)
{
	size_t stride = nftd_set_stride(s), i, n = 0;
	bool concat_interval = nftd_set_concat_interval(s);

	*ret = (struct nfto_set){
		.name = strdup(s->name),
		.tag = s->tag ? strdup(s->tag) : NULL,
		.flags = s->flags,
		.key_len = s->key_len,
		.data_len = s->flags & NFT_SET_MAP ? s->data_len : 0,
		.elems = calloc(s->n ? s->n : 1, sizeof(*ret->elems)),
		.cap = s->n,
	};
	if (!ret->name || (s->tag && !ret->tag) || !ret->elems)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct nfto_elem *e = &ret->elems[i];
		const uint8_t *p = s->bytes + i * stride;

		memcpy(e->key, p, s->key_len);
		if (concat_interval) {
			memcpy(e->key_end, p + s->key_len, s->key_len);
			e->has_key_end = true;
		}
		if (s->flags & NFT_SET_MAP) {
			memcpy(e->data, p + 2 * s->key_len, s->data_len);
			e->has_data = true;
		}
		e->flags = s->eflags[i];
		ret->n++;
		if (s->comments[i] && !(e->comment = strdup(s->comments[i])))
			return -ENOMEM;
	}
	/* The kernel holds an element added twice once. */
	nfto_sort(ret);
	for (i = 0; i < ret->n; i++) {
		if (n && !elem_cmp(&ret->elems[n - 1], &ret->elems[i], &ret->key_len)) {
			free(ret->elems[i].comment);
			continue;
		}
		ret->elems[n++] = ret->elems[i];
	}
	ret->n = n;
	return 0;
}

int nfto_assume(const struct nftd *d, const char *fingerprint, uint32_t genid,
		struct nfto *ret)
{
	struct nfto o = {
		.exists = true,
		.genid = genid,
		.n_chains = d->n_chains,
		.n_rules = d->n_rules,
	};
	size_t i;
	int r = 0;

	snprintf(o.fingerprint, sizeof(o.fingerprint), "%s", fingerprint);
	for (i = 0; i < d->n_sets; i++)
		o.n_sets += !(d->sets[i]->flags & NFT_SET_ANONYMOUS);
	o.sets = calloc(o.n_sets ? o.n_sets : 1, sizeof(*o.sets));
	if (!o.sets)
		return -ENOMEM;
	o.cap_sets = o.n_sets;
	o.n_sets = 0;
	for (i = 0; i < d->n_sets && r >= 0; i++)
		if (!(d->sets[i]->flags & NFT_SET_ANONYMOUS))
			r = assume_set(d->sets[i], &o.sets[o.n_sets++]);
	if (r < 0) {
		nfto_done(&o);
		return r;
	}
	*ret = o;
	return 0;
}

struct nfto_set *nfto_set_find(const struct nfto *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_sets; i++)
		if (!strcmp(o->sets[i].name, name))
			return &o->sets[i];
	return NULL;
}

/* ---- counters ---- */

struct counters {
	struct nft_counter *v;
	size_t n, cap;
};

struct rule_count {
	bool found;
	uint64_t packets, bytes;
};

static int counter_expr_cb(struct nftnl_expr *e, void *data)
{
	struct rule_count *c = data;

	if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter"))
		return 0;
	c->found = true;
	c->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	c->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	return 0;
}

/* A counter from a rule's label "TAG POINTER[ COMMENT]". */
static int counter_new(struct counters *cs, const char *label, const struct rule_count *rc)
{
	size_t t = nftd_label_tag_len(label);
	const char *ptr = label + t + 1, *sp = strchr(ptr, ' ');
	struct nft_counter *c;

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 16;

		c = realloc(cs->v, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		cs->v = c;
		cs->cap = cap;
	}
	c = &cs->v[cs->n++];
	*c = (struct nft_counter){.packets = rc->packets, .bytes = rc->bytes};
	c->tag = strndup(label, t);
	c->pointer = sp ? strndup(ptr, (size_t)(sp - ptr)) : strdup(ptr);
	if (sp && sp[1])
		c->comment = strdup(sp + 1);
	return !c->tag || !c->pointer || (sp && sp[1] && !c->comment) ? -ENOMEM : 0;
}

/* Each rule labelled with a pointer that has a counter; the kernel rules of one intent rule
 * are consecutive, and their counters are added up. */
static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *cs = data;
	const struct nft_counter *last = cs->n ? &cs->v[cs->n - 1] : NULL;
	struct rule_count rc = {0};
	struct nftnl_rule *rl;
	const char *label = NULL;
	size_t t;
	int r;

	r = rule_parse(nlh, &rl, &label);
	if (r < 0 || !rl)
		return r;
	t = label ? nftd_label_tag_len(label) : 0;
	if (label && label[t] == ' ')
		nftnl_expr_foreach(rl, counter_expr_cb, &rc);
	if (rc.found && last && strlen(last->tag) == t && !strncmp(last->tag, label, t)) {
		cs->v[cs->n - 1].packets += rc.packets;
		cs->v[cs->n - 1].bytes += rc.bytes;
	} else if (rc.found) {
		r = counter_new(cs, label, &rc);
	}
	nftnl_rule_free(rl);
	return r;
}

int nfto_counters(struct nsock *s, struct nft_counter **ret, size_t *ret_n, struct strbuf *err)
{
	struct counters cs = {0};
	char buf[REQ_SIZE];
	int r, tries;

	for (tries = 0; tries < 5; tries++) {
		r = nsock_dump(s, request(buf, s, NFT_MSG_GETRULE, NULL), counter_cb, &cs);
		if (r != -EINTR)
			break;
		nft_counters_free(cs.v, cs.n);
		cs = (struct counters){0};
	}
	if (r == -ENOENT)
		r = 0;
	if (r < 0) {
		strbuf_printf(err, "cannot read the counters of table inet %s: %s", NFTD_TABLE,
			      strerror(-r));
		nft_counters_free(cs.v, cs.n);
		return r;
	}
	*ret = cs.v;
	*ret_n = cs.n;
	return 0;
}

void nft_counters_free(struct nft_counter *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].tag);
		free(v[i].pointer);
		free(v[i].comment);
	}
	free(v);
}
