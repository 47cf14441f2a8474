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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/cleanup.h"
#include "nft-counters.h"
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

/* The first n bytes of tag as a tag (NULL: none). */
static int add_tag_n(struct nft_observed *o, const char *tag, size_t n)
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
	o->tags[o->n_tags] = strndup(tag, n);
	return o->tags[o->n_tags++] ? 0 : -ENOMEM;
}

static int add_tag(struct nft_observed *o, const char *tag)
{
	return add_tag_n(o, tag, tag ? strlen(tag) : 0);
}

/* The tag at the start of a label "TAG POINTER[ COMMENT]" (NULL: none). */
static int add_label_tag(struct nft_observed *o, const char *label)
{
	return add_tag_n(o, label, label ? nft_desc_label_tag_len(label) : 0);
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_observed *o = data;
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

/* The tag of a chain or set of the table known by its name (nft-desc.h): "KIND NAME", or NULL
 * (the table's own, '_...'). 0, or -ENOMEM. */
static int name_tag(const char *kind, const char *name, char **ret)
{
	*ret = NULL;
	if (name[0] == '_')
		return 0;
	return asprintf(ret, "%s %s", kind, name) < 0 ? -ENOMEM : 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	char *tag;
	int r;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return -EPROTO;
	}
	r = 0;
	if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_DESC_TABLE)) {
		((struct nft_observed *)data)->n_chains++;
		r = name_tag("fw-chain", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), &tag);
		if (r >= 0)
			r = add_tag(data, tag);
		free(tag);
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
	if (strcmp(nftnl_rule_get_str(rl, NFTNL_RULE_TABLE), NFT_DESC_TABLE)) {
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
 * parsed whole by libnftnl (its expressions are most of that work). */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_attrs ra = {0};
	struct nft_observed *o = data;
	const char *label;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_attr_cb, &ra) < 0 || !ra.table)
		return -EPROTO;
	if (strcmp(mnl_attr_get_str(ra.table), NFT_DESC_TABLE))
		return 0;
	o->n_rules++;
	label = ra.userdata ? udata_comment(mnl_attr_get_payload(ra.userdata),
					    mnl_attr_get_payload_len(ra.userdata),
					    NFTNL_UDATA_RULE_COMMENT)
			    : NULL;
	return add_label_tag(o, label);
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_observed *o = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nft_observed_set *v;
	_cleanup_free_ char *tag = NULL;
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return -EPROTO;
	}
	if (strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), NFT_DESC_TABLE) ||
	    nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS)
		goto out;
	r = name_tag("fw-set", nftnl_set_get_str(s, NFTNL_SET_NAME), &tag);
	if (r >= 0)
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
	*v = (struct nft_observed_set){
	    .name = strdup(nftnl_set_get_str(s, NFTNL_SET_NAME)),
	    .tag = tag ? strdup(tag) : NULL,
	    .flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
	    .key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN),
	    .data_len = nftnl_set_is_set(s, NFTNL_SET_DATA_LEN)
			    ? nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN)
			    : 0,
	};
	/* A verdict map's value as the description holds it (NFT_DESC_VERDICT_LEN). */
	if (nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE) &&
	    nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT)
		v->data_len = NFT_DESC_VERDICT_LEN;
	if (!v->name || (tag && !v->tag))
		r = -ENOMEM;
out:
	nftnl_set_free(s);
	return r;
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct nft_observed_set *s = data;
	struct nft_observed_elem *x;
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
	if (p && len <= NFT_DESC_KEY_MAX)
		memcpy(x->key, p, len);
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p && len <= NFT_DESC_KEY_MAX) {
		memcpy(x->key_end, p, len);
		x->has_key_end = true;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p && len <= NFT_DESC_KEY_MAX) {
		memcpy(x->data, p, len);
		x->has_data = true;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
		uint32_t verdict = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);

		memcpy(x->data, &verdict, sizeof(verdict));
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
			strncpy((char *)x->data + sizeof(verdict),
				nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN),
				NFT_DESC_VERDICT_LEN - sizeof(verdict) - 1);
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

/* cb for each element of a message of a set elements dump. */
static int parse_elems(const struct nlmsghdr *nlh, int (*cb)(struct nftnl_set_elem *, void *),
		       void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int r;

	if (!s)
		return -ENOMEM;
	r = nftnl_set_elems_nlmsg_parse(nlh, s) < 0 ? -EPROTO : 0;
	if (r >= 0)
		r = nftnl_set_elem_foreach(s, cb, data);
	nftnl_set_free(s);
	return r;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_elems(nlh, elem_cb, data);
}

/* A request for the table's objects of one type (a dump, or the table itself). The table,
 * chain, set and rule requests all name the table with attribute 1 (NFTA_*_TABLE). */
static struct nlmsghdr *request(char *buf, uint16_t type, const char *set)
{
	struct nlmsghdr *nlh;
	uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;

	memset(buf, 0, REQ_SIZE); /* attribute padding */
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, 0); /* numbered when sent */
	mnl_attr_put_strz(nlh, type == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_SET_TABLE,
			  NFT_DESC_TABLE);
	if (set)
		mnl_attr_put_strz(nlh, NFTA_SET_NAME, set);
	return nlh;
}

static int read_once(struct netlink_sock *s, struct nft_observed *o)
{
	char buf[REQ_SIZE];
	size_t i;
	int r;

	r = netlink_sock_talk(s, request(buf, NFT_MSG_GETTABLE, NULL), table_cb, o);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = netlink_sock_talk(s, request(buf, NFT_MSG_GETCHAIN, NULL), chain_cb, o);
	if (r >= 0)
		r = netlink_sock_talk(s, request(buf, NFT_MSG_GETSET, NULL), set_cb, o);
	if (r >= 0)
		r = netlink_sock_talk(s, request(buf, NFT_MSG_GETRULE, NULL), rule_cb, o);
	for (i = 0; i < o->n_sets && r >= 0; i++) {
		struct nlmsghdr *nlh;

		memset(buf, 0, sizeof(buf));
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_DESC_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, o->sets[i].name);
		r = netlink_sock_talk(s, nlh, elems_cb, &o->sets[i]);
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

int nft_observed_genid(struct netlink_sock *s, uint32_t *ret)
{
	char buf[REQ_SIZE];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, 0);
	return netlink_sock_talk(s, nlh, gen_cb, ret);
}

int nft_observed_read(struct netlink_sock *s, struct nft_observed *ret, struct strbuf *err)
{
	struct nft_observed o;
	uint32_t after;
	size_t i, j;
	int r, tries;

	/* Read between two looks at the ruleset's generation: a commit in between (a dump
	 * interrupted, or generations that differ) reads again. */
	for (tries = 0; tries < 5; tries++) {
		o = (struct nft_observed){0};
		r = nft_observed_genid(s, &o.genid);
		if (r >= 0)
			r = read_once(s, &o);
		if (r >= 0)
			r = nft_observed_genid(s, &after);
		if (r >= 0 && after != o.genid)
			r = -EINTR;
		if (r != -EINTR)
			break;
		nft_observed_done(&o);
	}
	/* Elements tag the plan objects they came from too (maps of port forwards; the
	 * access-list maps' comments are rule labels, their tag first). */
	for (i = 0; i < o.n_sets && r >= 0; i++)
		for (j = 0; j < o.sets[i].n && r >= 0; j++)
			r = add_label_tag(&o, o.sets[i].elems[j].comment);
	if (r < 0) {
		strbuf_printf(err, "cannot read table inet %s: %s", NFT_DESC_TABLE, strerror(-r));
		nft_observed_done(&o);
		return r;
	}
	*ret = o;
	return 0;
}

void nft_observed_done(struct nft_observed *o)
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
		nft_desc_set_unref(o->sets[i].from);
	}
	free(o->sets);
	*o = (struct nft_observed){0};
}

/* ---- what a committed description leaves ---- */

/* By key; an interval's end before a start at the same key (adjacent intervals). */
static int elem_cmp(const void *a, const void *b, void *key_len)
{
	const struct nft_observed_elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, *(const uint32_t *)key_len);

	if (c)
		return c;
	return (int)(y->flags & NFT_SET_ELEM_INTERVAL_END) -
	       (int)(x->flags & NFT_SET_ELEM_INTERVAL_END);
}

void nft_observed_sort(struct nft_observed_set *s)
{
	if (s->n)
		qsort_r(s->elems, s->n, sizeof(*s->elems), elem_cmp, &s->key_len);
}

static int assume_set(struct nft_desc_set *s, struct nft_observed_set *ret)
{
	size_t stride = nft_desc_set_stride(s), i, n = 0;
	bool concat_interval = nft_desc_set_concat_interval(s);

	*ret = (struct nft_observed_set){
	    .name = strdup(s->name),
	    .tag = s->tag ? strdup(s->tag) : NULL,
	    .flags = s->flags,
	    .key_len = s->key_len,
	    .data_len = s->flags & NFT_SET_MAP ? s->data_len : 0,
	    .elems = calloc(s->n ? s->n : 1, sizeof(*ret->elems)),
	    .cap = s->n,
	    .from = nft_desc_set_ref(s),
	};
	if (!ret->name || (s->tag && !ret->tag) || !ret->elems)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct nft_observed_elem *e = &ret->elems[i];
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
	nft_observed_sort(ret);
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

/* Moves prev's set assumed from s into ret: true, or false when there is none. */
static bool assume_again(const struct nft_desc_set *s, struct nft_observed *prev,
			 struct nft_observed_set *ret)
{
	struct nft_observed_set *k = prev ? nft_observed_set_find(prev, s->name) : NULL;

	if (!k || k->from != s)
		return false;
	*ret = *k;
	*k = (struct nft_observed_set){0};
	return true;
}

int nft_observed_assume(const struct nft_desc *d, const char *fingerprint, uint32_t genid,
			struct nft_observed *prev, struct nft_observed *ret)
{
	struct nft_observed o = {
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
		if (!(d->sets[i]->flags & NFT_SET_ANONYMOUS) &&
		    !assume_again(d->sets[i], prev, &o.sets[o.n_sets++]))
			r = assume_set(d->sets[i], &o.sets[o.n_sets - 1]);
	if (r < 0) {
		nft_observed_done(&o);
		return r;
	}
	*ret = o;
	return 0;
}

struct nft_observed_set *nft_observed_set_find(const struct nft_observed *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_sets; i++)
		if (o->sets[i].name && !strcmp(o->sets[i].name, name))
			return &o->sets[i];
	return NULL;
}

/* ---- counters ---- */

/* A map whose elements count (nft-counters.h), looked up by the rule before counter at in
 * the list: an access-list map (its rules' counters go there), or a NAT map (nat: its
 * entries' counters go after all the rules, added up across maps). */
struct counted_map {
	char *name;
	size_t at;
	bool nat;
};

/* A base chain's policy counter, put after the chain's rules. */
struct policy_count {
	char name[64];
	uint64_t packets, bytes;
	bool done;
};

struct counters {
	struct counterlist list;
	struct counted_map *maps;
	size_t n_maps, cap_maps;
	struct policy_count policies[4];
	size_t n_policies;
	char chain[64]; /* the chain of the rules read last */
};

struct rule_count {
	bool found;
	uint64_t packets, bytes;
	const char *map; /* a lookup in a map whose elements count: its name */
};

static bool counted_map(const char *name, bool *nat)
{
	*nat = !strncmp(name, NFT_DESC_PF_PREFIX, strlen(NFT_DESC_PF_PREFIX)) ||
	       !strncmp(name, NFT_DESC_O2O_PREFIX, strlen(NFT_DESC_O2O_PREFIX));
	return *nat || !strncmp(name, NFT_DESC_ACL_PREFIX, strlen(NFT_DESC_ACL_PREFIX));
}

static int counter_expr_cb(struct nftnl_expr *e, void *data)
{
	struct rule_count *c = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	bool nat;

	if (!strcmp(name, "lookup")) {
		const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);

		if (set && counted_map(set, &nat))
			c->map = set;
		return 0;
	}
	if (strcmp(name, "counter"))
		return 0;
	c->found = true;
	c->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	c->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	return 0;
}

/* The base chains of the table that count their policy's drops (nft_desc_chain.counters). */
static int policy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *cs = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct policy_count *p;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return -EPROTO;
	}
	if (!strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), NFT_DESC_TABLE) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_PACKETS) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP &&
	    cs->n_policies < ELEMENTSOF(cs->policies)) {
		p = &cs->policies[cs->n_policies++];
		snprintf(p->name, sizeof(p->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		p->packets = nftnl_chain_get_u64(c, NFTNL_CHAIN_PACKETS);
		p->bytes = nftnl_chain_get_u64(c, NFTNL_CHAIN_BYTES);
	}
	nftnl_chain_free(c);
	return 0;
}

/* The policy counter of chain (all not yet put: NULL), after its rules. */
static int put_policies(struct counters *cs, const char *chain)
{
	size_t i;
	int r = 0;

	for (i = 0; i < cs->n_policies && r >= 0; i++) {
		struct policy_count *p = &cs->policies[i];

		if (p->done || (chain && strcmp(p->name, chain)))
			continue;
		p->done = true;
		r = nft_counters_add_policy(&cs->list, p->name, p->packets, p->bytes);
	}
	return r;
}

static int note_map(struct counters *cs, const char *name)
{
	bool nat;

	if (cs->n_maps == cs->cap_maps) {
		size_t cap = cs->cap_maps ? 2 * cs->cap_maps : 4;
		struct counted_map *v = realloc(cs->maps, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cs->maps = v;
		cs->cap_maps = cap;
	}
	counted_map(name, &nat);
	cs->maps[cs->n_maps] =
	    (struct counted_map){.name = strdup(name), .at = cs->list.n, .nat = nat};
	return cs->maps[cs->n_maps++].name ? 0 : -ENOMEM;
}

/* Each labelled rule that has a counter (nft-counters.h); a chain's policy after its rules. A
 * rule that looks up a map whose elements count stands for them: its place is noted, their
 * counters read after (map_counters). */
static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters *cs = data;
	struct rule_count rc = {0};
	struct nftnl_rule *rl;
	const char *label = NULL, *chain;
	int r;

	r = rule_parse(nlh, &rl, &label);
	if (r < 0 || !rl)
		return r;
	chain = nftnl_rule_get_str(rl, NFTNL_RULE_CHAIN);
	if (chain && strcmp(chain, cs->chain)) {
		r = cs->chain[0] ? put_policies(cs, cs->chain) : 0;
		snprintf(cs->chain, sizeof(cs->chain), "%s", chain);
	}
	if (r >= 0)
		nftnl_expr_foreach(rl, counter_expr_cb, &rc);
	if (r >= 0 && rc.found && label)
		r = nft_counters_add(&cs->list, label, rc.packets, rc.bytes);
	else if (r >= 0 && !label && rc.map)
		r = note_map(cs, rc.map);
	nftnl_rule_free(rl);
	return r;
}

/* An element's counter, with its label: an access-list rule's share, or a NAT entry's. */
struct elem_count {
	char *label;
	size_t rule; /* the rule's index in its chain, from its tag "fw-rule forward/3" */
	struct rule_count rc;
};

struct elem_counts {
	struct elem_count *v;
	size_t n, cap;
};

static int elem_count_cb(struct nftnl_set_elem *e, void *data)
{
	struct elem_counts *ec = data;
	struct elem_count *x;
	uint32_t ulen = 0;
	const void *u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
	const char *label = udata_comment(u, ulen, NFTNL_UDATA_SET_ELEM_COMMENT), *slash;
	size_t t;

	if (!label)
		return 0;
	if (ec->n == ec->cap) {
		size_t cap = ec->cap ? 2 * ec->cap : 64;

		x = realloc(ec->v, cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		ec->v = x;
		ec->cap = cap;
	}
	x = &ec->v[ec->n];
	memset(x, 0, sizeof(*x));
	t = nft_desc_label_tag_len(label);
	slash = memchr(label, '/', t);
	x->rule = slash ? strtoul(slash + 1, NULL, 10) : 0;
	nftnl_set_elem_expr_foreach(e, counter_expr_cb, &x->rc);
	x->label = strdup(label);
	if (!x->label)
		return -ENOMEM;
	ec->n++;
	return 0;
}

static int elem_counts_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_elems(nlh, elem_count_cb, data);
}

static int elem_rule_cmp(const void *a, const void *b)
{
	const struct elem_count *x = a, *y = b;

	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int elem_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct elem_count *)a)->label, ((const struct elem_count *)b)->label);
}

static void elem_counts_done(struct elem_counts *ec)
{
	size_t i;

	for (i = 0; i < ec->n; i++)
		free(ec->v[i].label);
	free(ec->v);
	*ec = (struct elem_counts){0};
}

/* The counters of ec (sorted with cmp) added to out. */
static int add_elems(struct counterlist *out, struct elem_counts *ec,
		     int (*cmp)(const void *, const void *))
{
	size_t i;
	int r = 0;

	if (ec->n)
		qsort(ec->v, ec->n, sizeof(*ec->v), cmp);
	for (i = 0; i < ec->n && r >= 0; i++)
		if (ec->v[i].rc.found)
			r = nft_counters_add(out, ec->v[i].label, ec->v[i].rc.packets,
					     ec->v[i].rc.bytes);
	return r;
}

/* Puts the counters of the access-list maps' rules where their maps are looked up, in rule
 * order (the maps of one run, looked up one after the other, together), and those of the NAT
 * maps' entries at the end, each entry's added up across its elements and maps. */
static int map_counters(struct netlink_sock *s, struct counters *cs)
{
	struct counterlist out = {0};
	struct elem_counts nat = {0};
	char buf[REQ_SIZE];
	size_t m = 0, i, from = 0;
	int r = 0;

	while (r >= 0) {
		size_t to = m < cs->n_maps ? cs->maps[m].at : cs->list.n;
		struct elem_counts ec = {0};

		for (; from < to && r >= 0; from++)
			r = counterlist_take(&out, &cs->list.v[from]);
		if (r < 0 || m == cs->n_maps)
			break;
		for (i = m; i < cs->n_maps && cs->maps[i].at == to && r >= 0; i++)
			r = netlink_sock_talk(s, request(buf, NFT_MSG_GETSETELEM, cs->maps[i].name),
					      elem_counts_cb, cs->maps[i].nat ? &nat : &ec);
		m = i;
		if (r >= 0)
			r = add_elems(&out, &ec, elem_rule_cmp);
		elem_counts_done(&ec);
	}
	if (r >= 0)
		r = add_elems(&out, &nat, elem_label_cmp);
	elem_counts_done(&nat);
	counterlist_done(&cs->list);
	cs->list = out;
	if (r < 0)
		counterlist_done(&cs->list);
	return r;
}

static void counters_done(struct counters *cs)
{
	size_t i;

	counterlist_done(&cs->list);
	for (i = 0; i < cs->n_maps; i++)
		free(cs->maps[i].name);
	free(cs->maps);
	*cs = (struct counters){0};
}

int nft_observed_counters(struct netlink_sock *s, struct counterlist *list, struct strbuf *err)
{
	struct counters cs = {0};
	char buf[REQ_SIZE];
	int r, tries;

	for (tries = 0; tries < 5; tries++) {
		r = netlink_sock_talk(s, request(buf, NFT_MSG_GETCHAIN, NULL), policy_cb, &cs);
		if (r >= 0)
			r = netlink_sock_talk(s, request(buf, NFT_MSG_GETRULE, NULL), counter_cb,
					      &cs);
		if (r >= 0)
			r = put_policies(&cs, NULL);
		if (r >= 0 && cs.n_maps)
			r = map_counters(s, &cs);
		if (r != -EINTR)
			break;
		counters_done(&cs);
	}
	if (r == -ENOENT)
		r = 0;
	if (r >= 0)
		r = counterlist_move(list, &cs.list);
	if (r < 0)
		strbuf_printf(err, "cannot read the counters of table inet %s: %s", NFT_DESC_TABLE,
			      strerror(-r));
	counters_done(&cs);
	return r;
}
