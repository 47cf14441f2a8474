/* SPDX-License-Identifier: MIT */
/*
 * The expressions of a rule, written straight as the netlink attributes the kernel reads:
 * each NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } } with the attributes libnftnl
 * would put, in its order (numbers in network order; test-nft's test_exprs_as_libnftnl
 * compares the bytes), appended to the rule's bytes (the content of its
 * NFTA_RULE_EXPRESSIONS). A rule is serialised once, when it is built, rather than kept as
 * libnftnl objects and serialised again for every batch and fingerprint (an allocation per
 * expression each time).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft-desc.h"

/* Appends an attribute of len bytes of data (NULL: none yet, a nest) and returns its offset,
 * or SIZE_MAX when out of memory (remembered). */
static size_t attr_put(struct nft_desc_rule *r, uint16_t type, const void *data, size_t len)
{
	size_t off = r->len, total = NLA_HDRLEN + len, padded = NLA_ALIGN(total);
	struct nlattr *a;

	if (r->d->oom)
		return SIZE_MAX;
	if (off + padded > r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 512;
		uint8_t *v;

		while (cap < off + padded)
			cap *= 2;
		v = realloc(r->exprs, cap);
		if (!v) {
			r->d->oom = true;
			return SIZE_MAX;
		}
		r->exprs = v;
		r->cap = cap;
	}
	a = (struct nlattr *)(r->exprs + off); /* aligned: every attribute is padded to 4 */
	a->nla_len = (uint16_t)total;
	a->nla_type = type;
	if (len)
		memcpy(r->exprs + off + NLA_HDRLEN, data, len);
	if (padded > total)
		memset(r->exprs + off + total, 0, padded - total);
	r->len += padded;
	return off;
}

static size_t nest_start(struct nft_desc_rule *r, uint16_t type)
{
	return attr_put(r, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct nft_desc_rule *r, size_t off)
{
	if (off != SIZE_MAX && !r->d->oom)
		((struct nlattr *)(r->exprs + off))->nla_len = (uint16_t)(r->len - off);
}

static void put_u32(struct nft_desc_rule *r, uint16_t type, uint32_t v)
{
	v = htonl(v);
	attr_put(r, type, &v, sizeof(v));
}

static void put_u64(struct nft_desc_rule *r, uint16_t type, uint64_t v)
{
	v = htobe64(v);
	attr_put(r, type, &v, sizeof(v));
}

static void put_str(struct nft_desc_rule *r, uint16_t type, const char *s)
{
	attr_put(r, type, s, strlen(s) + 1);
}

/* A data attribute: type { NFTA_DATA_VALUE { bytes } }. */
static void put_value(struct nft_desc_rule *r, uint16_t type, const void *data, uint32_t len)
{
	size_t n = nest_start(r, type);

	attr_put(r, NFTA_DATA_VALUE, data, len);
	nest_end(r, n);
}

struct expr_nest {
	size_t elem, data;
};

/* Starts an expression of that name (false: no rule, nothing to write). */
static bool expr_begin(struct nft_desc_rule *r, const char *name, struct expr_nest *n)
{
	if (!r)
		return false;
	n->elem = nest_start(r, NFTA_LIST_ELEM);
	put_str(r, NFTA_EXPR_NAME, name);
	n->data = nest_start(r, NFTA_EXPR_DATA);
	return true;
}

static void expr_end(struct nft_desc_rule *r, const struct expr_nest *n)
{
	nest_end(r, n->data);
	nest_end(r, n->elem);
}

void nft_desc_meta(struct nft_desc_rule *r, uint32_t key, uint32_t dreg)
{
	struct expr_nest n;

	if (!expr_begin(r, "meta", &n))
		return;
	put_u32(r, NFTA_META_KEY, key);
	put_u32(r, NFTA_META_DREG, dreg);
	expr_end(r, &n);
}

void nft_desc_rt(struct nft_desc_rule *r, uint32_t key, uint32_t dreg)
{
	struct expr_nest n;

	if (!expr_begin(r, "rt", &n))
		return;
	put_u32(r, NFTA_RT_KEY, key);
	put_u32(r, NFTA_RT_DREG, dreg);
	expr_end(r, &n);
}

void nft_desc_cmp(struct nft_desc_rule *r, uint32_t op, uint32_t sreg, const void *data,
		  uint32_t len)
{
	struct expr_nest n;

	if (!expr_begin(r, "cmp", &n))
		return;
	put_u32(r, NFTA_CMP_SREG, sreg);
	put_u32(r, NFTA_CMP_OP, op);
	put_value(r, NFTA_CMP_DATA, data, len);
	expr_end(r, &n);
}

void nft_desc_payload(struct nft_desc_rule *r, uint32_t base, uint32_t offset, uint32_t len,
		      uint32_t dreg)
{
	struct expr_nest n;

	if (!expr_begin(r, "payload", &n))
		return;
	put_u32(r, NFTA_PAYLOAD_DREG, dreg);
	put_u32(r, NFTA_PAYLOAD_BASE, base);
	put_u32(r, NFTA_PAYLOAD_OFFSET, offset);
	put_u32(r, NFTA_PAYLOAD_LEN, len);
	expr_end(r, &n);
}

void nft_desc_bitwise(struct nft_desc_rule *r, uint32_t reg, uint32_t len, const void *mask)
{
	static const uint8_t zero[NFT_DESC_KEY_MAX];
	struct expr_nest n;

	if (!expr_begin(r, "bitwise", &n))
		return;
	put_u32(r, NFTA_BITWISE_SREG, reg);
	put_u32(r, NFTA_BITWISE_DREG, reg);
	put_u32(r, NFTA_BITWISE_LEN, len);
	put_value(r, NFTA_BITWISE_MASK, mask, len);
	put_value(r, NFTA_BITWISE_XOR, zero, len);
	expr_end(r, &n);
}

void nft_desc_ct(struct nft_desc_rule *r, uint32_t key, int dir, uint32_t dreg)
{
	struct expr_nest n;
	uint8_t d = (uint8_t)dir;

	if (!expr_begin(r, "ct", &n))
		return;
	put_u32(r, NFTA_CT_KEY, key);
	put_u32(r, NFTA_CT_DREG, dreg);
	if (dir >= 0)
		attr_put(r, NFTA_CT_DIRECTION, &d, 1);
	expr_end(r, &n);
}

/* A lookup, with a destination register when with_dreg (NFT_REG_VERDICT is 0). */
static void lookup(struct nft_desc_rule *r, const struct nft_desc_set *s, uint32_t sreg,
		   bool with_dreg, uint32_t dreg, bool invert)
{
	struct expr_nest n;

	if (!s || !expr_begin(r, "lookup", &n))
		return;
	put_u32(r, NFTA_LOOKUP_SREG, sreg);
	if (with_dreg)
		put_u32(r, NFTA_LOOKUP_DREG, dreg);
	put_str(r, NFTA_LOOKUP_SET, s->name);
	put_u32(r, NFTA_LOOKUP_SET_ID, s->id);
	if (invert)
		put_u32(r, NFTA_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	expr_end(r, &n);
}

void nft_desc_lookup(struct nft_desc_rule *r, const struct nft_desc_set *s, uint32_t sreg,
		     uint32_t dreg, bool invert)
{
	lookup(r, s, sreg, dreg != 0, dreg, invert);
}

void nft_desc_vmap(struct nft_desc_rule *r, const struct nft_desc_set *s, uint32_t sreg)
{
	lookup(r, s, sreg, true, NFT_REG_VERDICT, false);
}

void nft_desc_counter(struct nft_desc_rule *r)
{
	struct expr_nest n;

	if (expr_begin(r, "counter", &n))
		expr_end(r, &n);
}

void nft_desc_limit(struct nft_desc_rule *r, uint64_t rate_per_second, uint32_t burst)
{
	struct expr_nest n;

	if (!expr_begin(r, "limit", &n))
		return;
	put_u64(r, NFTA_LIMIT_RATE, rate_per_second);
	put_u64(r, NFTA_LIMIT_UNIT, 1);
	put_u32(r, NFTA_LIMIT_BURST, burst);
	put_u32(r, NFTA_LIMIT_TYPE, NFT_LIMIT_PKTS);
	expr_end(r, &n);
}

void nft_desc_log(struct nft_desc_rule *r, const char *prefix)
{
	char buf[128]; /* the kernel's NF_LOG_PREFIXLEN; an intent's prefix is at most 64 */
	struct expr_nest n;

	if (!expr_begin(r, "log", &n))
		return;
	if (prefix) {
		/* The kernel writes its first field right after the prefix ("dropIN=eth0"): the
		 * prefix ends with ": ", or a space after a final ':', unless it ends with one. */
		size_t len = strlen(prefix);
		char last = len ? prefix[len - 1] : ' ';

		snprintf(buf, sizeof(buf), "%s%s", prefix,
			 last == ' ' ? "" : last == ':' ? " " : ": ");
		put_str(r, NFTA_LOG_PREFIX, buf);
	}
	expr_end(r, &n);
}

/* immediate: data into dreg, or a verdict (data NULL) into the verdict register. */
static void immediate(struct nft_desc_rule *r, uint32_t dreg, const void *data, uint32_t len,
		      int verdict)
{
	struct expr_nest n;
	size_t d, v;

	if (!expr_begin(r, "immediate", &n))
		return;
	put_u32(r, NFTA_IMMEDIATE_DREG, dreg);
	if (data) {
		put_value(r, NFTA_IMMEDIATE_DATA, data, len);
	} else {
		d = nest_start(r, NFTA_IMMEDIATE_DATA);
		v = nest_start(r, NFTA_DATA_VERDICT);
		put_u32(r, NFTA_VERDICT_CODE, (uint32_t)verdict);
		nest_end(r, v);
		nest_end(r, d);
	}
	expr_end(r, &n);
}

void nft_desc_verdict(struct nft_desc_rule *r, int verdict)
{
	immediate(r, NFT_REG_VERDICT, NULL, 0, verdict);
}

void nft_desc_immediate(struct nft_desc_rule *r, uint32_t dreg, const void *data, uint32_t len)
{
	immediate(r, dreg, data, len, 0);
}

void nft_desc_reject(struct nft_desc_rule *r, uint32_t type, uint8_t code)
{
	struct expr_nest n;

	if (!expr_begin(r, "reject", &n))
		return;
	put_u32(r, NFTA_REJECT_TYPE, type);
	attr_put(r, NFTA_REJECT_ICMP_CODE, &code, 1);
	expr_end(r, &n);
}

void nft_desc_nat(struct nft_desc_rule *r, uint32_t type, int family, uint32_t reg_addr,
		  uint32_t reg_proto)
{
	struct expr_nest n;

	if (!expr_begin(r, "nat", &n))
		return;
	put_u32(r, NFTA_NAT_TYPE, type);
	put_u32(r, NFTA_NAT_FAMILY, (uint32_t)family);
	put_u32(r, NFTA_NAT_REG_ADDR_MIN, reg_addr);
	if (reg_proto)
		put_u32(r, NFTA_NAT_REG_PROTO_MIN, reg_proto);
	expr_end(r, &n);
}

void nft_desc_masq(struct nft_desc_rule *r)
{
	struct expr_nest n;

	if (expr_begin(r, "masq", &n))
		expr_end(r, &n);
}
