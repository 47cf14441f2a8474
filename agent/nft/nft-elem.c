/* SPDX-License-Identifier: MIT */
/* Interval set elements: prefixes and port ranges as big-endian keys, and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft-elem.h"

bool nft_expr_inc(uint8_t *v, size_t len)
{
	while (len--)
		if (++v[len])
			return true;
	return false;
}

bool nft_expr_dec(uint8_t *v, size_t len)
{
	while (len--)
		if (v[len]--)
			return true;
	return false;
}

void nft_expr_prefix_bounds(const struct ip_prefix *p, uint8_t lo[16], uint8_t hi[16])
{
	size_t n = p->addr.family == AF_INET6 ? 16 : 4, i;

	for (i = 0; i < n; i++) {
		unsigned bits = p->len > 8 * i ? p->len - 8 * i : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo[i] = p->addr.bytes[i] & mask;
		hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
	}
}

void nft_expr_port(uint16_t port, uint8_t out[2])
{
	out[0] = (uint8_t)(port >> 8);
	out[1] = (uint8_t)port;
}

static size_t sort_len;

static int interval_cmp(const void *a, const void *b)
{
	return memcmp(((const struct nft_expr_interval *)a)->lo,
		      ((const struct nft_expr_interval *)b)->lo, sort_len);
}

size_t nft_expr_merge(struct nft_expr_interval *v, size_t n, size_t len)
{
	size_t i, out = 0;

	if (!n)
		return 0;
	sort_len = len;
	qsort(v, n, sizeof(*v), interval_cmp);
	for (i = 1; i < n; i++) {
		uint8_t next[16];
		bool wrapped;

		memcpy(next, v[out].hi, len);
		wrapped = !nft_expr_inc(next, len);
		if (wrapped || memcmp(v[i].lo, next, len) <= 0) {
			if (memcmp(v[i].hi, v[out].hi, len) > 0)
				memcpy(v[out].hi, v[i].hi, len);
		} else {
			v[++out] = v[i];
		}
	}
	return out + 1;
}

/* The prefix length of [lo, hi] if it is exactly a prefix, else -1. */
static int prefix_len_of(const uint8_t *lo, const uint8_t *hi, size_t n)
{
	size_t i;
	int len = 0;
	bool host = true;

	for (i = 0; i < n; i++) {
		uint8_t diff = lo[i] ^ hi[i];
		int b;

		for (b = 7; b >= 0; b--) {
			bool d = diff >> b & 1;

			if (host && !d) {
				len++;
			} else if (d) {
				host = false;
				if (lo[i] >> b & 1 || !(hi[i] >> b & 1))
					return -1;
			} else {
				return -1;
			}
		}
	}
	return len;
}

int nft_expr_format(int family, const uint8_t *lo, const uint8_t *hi, struct strbuf *out)
{
	char buf[PREFIX_STRLEN];
	size_t n = family == AF_INET6 ? 16 : 4;
	struct ip_prefix p = {.addr.family = family};
	int len;

	if (!family) {
		unsigned a = (unsigned)lo[0] << 8 | lo[1], b = (unsigned)hi[0] << 8 | hi[1];

		return a == b ? strbuf_printf(out, "%u", a) : strbuf_printf(out, "%u-%u", a, b);
	}
	memcpy(p.addr.bytes, lo, n);
	len = prefix_len_of(lo, hi, n);
	if (len >= 0) {
		p.len = (uint8_t)len;
		return strbuf_append(out, prefix_format_short(&p, buf));
	}
	strbuf_append(out, addr_format(&p.addr, buf));
	memcpy(p.addr.bytes, hi, n);
	strbuf_append(out, "-");
	return strbuf_append(out, addr_format(&p.addr, buf));
}

int nft_expr_parse(int family, const char *text, struct nft_expr_interval *ret)
{
	struct nft_expr_interval v;

	memset(&v, 0, sizeof(v));

	if (!family) {
		struct port_range pr;

		if (port_range_parse(text, &pr) < 0)
			return -EINVAL;
		nft_expr_port(pr.first, v.lo);
		nft_expr_port(pr.last, v.hi);
	} else {
		struct ip_prefix p;

		if (prefix_parse_or_host(text, &p) < 0 || p.addr.family != family)
			return -EINVAL;
		nft_expr_prefix_bounds(&p, v.lo, v.hi);
	}
	*ret = v;
	return 0;
}
