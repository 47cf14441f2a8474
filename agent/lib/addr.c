/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int addr_parse(const char *s, struct ip_addr *ret)
{
	struct ip_addr a = {0};

	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET;
	}
	*ret = a;
	return 0;
}

static int prefix_len_parse(const char *s, unsigned max, uint8_t *ret)
{
	unsigned long v;
	char *end;

	/* Digits only: strtoul would take signs and spaces. No leading zeros. */
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = (uint8_t)v;
	return 0;
}

int prefix_parse(const char *s, struct ip_prefix *ret)
{
	char buf[PREFIX_STRLEN];
	struct ip_prefix p = {0};
	const char *slash = strchr(s, '/');
	size_t n;

	if (!slash)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n >= ADDR_STRLEN)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (addr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	if (prefix_len_parse(slash + 1, addr_max_len(p.addr.family), &p.len) < 0)
		return -EINVAL;
	*ret = p;
	return 0;
}

int prefix_parse_or_host(const char *s, struct ip_prefix *ret)
{
	struct ip_prefix p = {0};

	if (strchr(s, '/'))
		return prefix_parse(s, ret);
	if (addr_parse(s, &p.addr) < 0)
		return -EINVAL;
	p.len = (uint8_t)addr_max_len(p.addr.family);
	*ret = p;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t ret[6])
{
	uint8_t m[6];
	int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(ret, m, 6);
	return 0;
}

/*
 * Formatting without printf: observing a router formats every address and route it holds,
 * and inet_ntop (sprintf inside) was most of that. The text is inet_ntop's exactly.
 */
static char *format_dec(char *p, unsigned v)
{
	char d[10];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = d[--n];
	return p;
}

static char *format_hex16(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && !(v >> shift & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[v >> shift & 0xf];
	return p;
}

static char *format_ipv4(char *p, const uint8_t b[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = format_dec(p, b[i]);
	}
	return p;
}

/* RFC 5952 as inet_ntop writes it: the longest run of two or more zero words (the first of
 * equal ones) as "::", and ::a.b.c.d / ::ffff:a.b.c.d for IPv4-compatible and -mapped. */
static char *format_ipv6(char *p, const uint8_t b[16])
{
	unsigned w[8];
	int i, base = -1, len = 0, cur = -1, cur_len = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (i = 0; i <= 8; i++) {
		if (i < 8 && !w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
		} else if (cur >= 0) {
			if (cur_len > len)
				base = cur, len = cur_len;
			cur = -1;
		}
	}
	if (len < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + len) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff)))
			return format_ipv4(p, b + 12);
		p = format_hex16(p, w[i]);
	}
	if (base >= 0 && base + len == 8)
		*p++ = ':';
	return p;
}

static char *format_addr(char *p, const struct ip_addr *a)
{
	if (a->family == AF_INET)
		return format_ipv4(p, a->bytes);
	if (a->family == AF_INET6)
		return format_ipv6(p, a->bytes);
	*p++ = '?';
	return p;
}

const char *addr_format(const struct ip_addr *a, char buf[ADDR_STRLEN])
{
	*format_addr(buf, a) = '\0';
	return buf;
}

const char *prefix_format(const struct ip_prefix *p, char buf[PREFIX_STRLEN])
{
	char *end = format_addr(buf, &p->addr);

	*end++ = '/';
	*format_dec(end, p->len) = '\0';
	return buf;
}

const char *prefix_format_short(const struct ip_prefix *p, char buf[PREFIX_STRLEN])
{
	if (p->len == addr_max_len(p->addr.family))
		return addr_format(&p->addr, buf);
	return prefix_format(p, buf);
}

const char *port_range_format(const struct port_range *r, char buf[PORT_RANGE_STRLEN])
{
	if (r->first == r->last)
		snprintf(buf, PORT_RANGE_STRLEN, "%u", r->first);
	else
		snprintf(buf, PORT_RANGE_STRLEN, "%u-%u", r->first, r->last);
	return buf;
}

const char *mac_format(const uint8_t mac[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

unsigned addr_max_len(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

static size_t addr_size(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

bool addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && !memcmp(a->bytes, b->bytes, addr_size(a->family));
}

int addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, addr_size(a->family));
}

bool addr_is_unspecified(const struct ip_addr *a)
{
	size_t i;

	for (i = 0; i < addr_size(a->family); i++)
		if (a->bytes[i])
			return false;
	return true;
}

bool addr_is_multicast(const struct ip_addr *a)
{
	if (a->family == AF_INET)
		return (a->bytes[0] & 0xf0) == 0xe0;
	return a->bytes[0] == 0xff;
}

bool addr_is_loopback(const struct ip_addr *a)
{
	static const uint8_t v6[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return !memcmp(a->bytes, v6, 16);
}

bool addr_is_unicast(const struct ip_addr *a)
{
	static const uint8_t bcast[4] = {255, 255, 255, 255};

	return !addr_is_unspecified(a) && !addr_is_multicast(a) && !addr_is_loopback(a) &&
	       !(a->family == AF_INET && !memcmp(a->bytes, bcast, 4));
}

const char *addr_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

bool addr_is_link_local(const struct ip_addr *a)
{
	if (a->family == AF_INET)
		return a->bytes[0] == 169 && a->bytes[1] == 254;
	return a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

bool addr_is_ipv6_link_local(const struct ip_addr *a)
{
	return a->family == AF_INET6 && addr_is_link_local(a);
}

/* Keep the first len bits of a, clear (set = false) or set the others. */
static struct ip_addr addr_mask(const struct ip_addr *a, unsigned len, bool set)
{
	struct ip_addr r = *a;
	unsigned i, n = (unsigned)addr_size(a->family);

	for (i = 0; i < n; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		uint8_t keep = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		r.bytes[i] = set ? (uint8_t)(a->bytes[i] | ~keep) : (uint8_t)(a->bytes[i] & keep);
	}
	return r;
}

struct ip_prefix prefix_network(const struct ip_prefix *p)
{
	struct ip_prefix r = {.addr = addr_mask(&p->addr, p->len, false), .len = p->len};

	return r;
}

bool prefix_has_host_bits(const struct ip_prefix *p)
{
	struct ip_addr n = addr_mask(&p->addr, p->len, false);

	return !addr_equal(&n, &p->addr);
}

bool prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
	unsigned whole = p->len / 8, rest = p->len % 8;

	if (p->addr.family != a->family || p->len > addr_size(a->family) * 8)
		return false;
	if (memcmp(p->addr.bytes, a->bytes, whole))
		return false;
	return !rest || !((p->addr.bytes[whole] ^ a->bytes[whole]) & (uint8_t)(0xff << (8 - rest)));
}

bool prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return a->len <= b->len ? prefix_contains(a, &b->addr) : prefix_contains(b, &a->addr);
}

bool prefix_is_network_or_broadcast(const struct ip_prefix *p)
{
	struct ip_addr lo, hi;

	if (p->addr.family != AF_INET || p->len >= 31)
		return false;
	lo = addr_mask(&p->addr, p->len, false);
	hi = addr_mask(&p->addr, p->len, true);
	return addr_equal(&lo, &p->addr) || addr_equal(&hi, &p->addr);
}

static int port_parse(const char *s, size_t n, uint16_t *ret)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5 || s[0] == '0')
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int port_range_parse(const char *s, struct port_range *ret)
{
	const char *dash = strchr(s, '-');
	struct port_range r;

	if (!dash) {
		if (port_parse(s, strlen(s), &r.first) < 0)
			return -EINVAL;
		r.last = r.first;
	} else {
		if (port_parse(s, (size_t)(dash - s), &r.first) < 0 ||
		    port_parse(dash + 1, strlen(dash + 1), &r.last) < 0)
			return -EINVAL;
		if (r.first > r.last)
			return -ERANGE;
	}
	*ret = r;
	return 0;
}

unsigned port_range_len(const struct port_range *r)
{
	return (unsigned)r->last - r->first + 1;
}
