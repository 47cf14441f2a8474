/* SPDX-License-Identifier: MIT */
/* "firewall"/"sets": named address and port sets, their elements, and the duplicate and
 * overlap checks that nft interval sets need. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "lib/strbuf.h"
#include "read.h"


static const char *const set_keys[] = {"type", "elements", NULL};

/* Set elements sorted by start, with their index in "elements", to find duplicates and
 * overlaps in O(n log n): nft interval sets refuse overlapping elements. */
struct set_elem {
	struct ip_addr first, last; /* ports in bytes[0..1], big-endian, for port sets */
	size_t idx;
	uint8_t len;
};

static int set_elem_cmp(const void *a, const void *b)
{
	const struct set_elem *x = a, *y = b;
	int c = addr_cmp(&x->first, &y->first);

	if (c)
		return c;
	c = addr_cmp(&x->last, &y->last);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct ip_addr prefix_last(const struct ip_prefix *p)
{
	struct ip_addr a = p->addr;
	unsigned i, n = addr_max_len(a.family) / 8;

	for (i = 0; i < n; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;

		if (bits < 8)
			a.bytes[i] |= (uint8_t)(0xff >> bits);
	}
	return a;
}

static struct ip_addr port_key(uint16_t port)
{
	struct ip_addr a = {.family = AF_INET};

	a.bytes[0] = (uint8_t)(port >> 8);
	a.bytes[1] = (uint8_t)port;
	return a;
}

static const char *set_elem_format(const struct fw_set *s, size_t idx, char buf[PREFIX_STRLEN])
{
	if (s->type == FW_SET_PORT)
		return port_range_format(&s->ports[idx], buf);
	return prefix_format_short(&s->prefixes[idx], buf);
}

/* Reports duplicate and overlapping elements, once per element; every element was valid, so
 * the element's index in the model is its index in "elements". */
static void set_check_overlaps(struct jr *r, const struct fw_set *s)
{
	size_t n = s->type == FW_SET_PORT ? s->n_ports : s->n_prefixes;
	struct strbuf msg = {0};
	struct set_elem *e;
	bool *reported;
	size_t i, m = 0;

	if (n < 2)
		return;
	e = fw_alloc_array(r, n, sizeof(*e));
	reported = fw_alloc_array(r, n, sizeof(*reported));
	if (!e || !reported)
		goto out;
	for (i = 0; i < n; i++) {
		e[i].idx = i;
		if (s->type == FW_SET_PORT) {
			e[i].first = port_key(s->ports[i].first);
			e[i].last = port_key(s->ports[i].last);
		} else {
			e[i].first = s->prefixes[i].addr;
			e[i].last = prefix_last(&s->prefixes[i]);
		}
	}
	qsort(e, n, sizeof(*e), set_elem_cmp);
	for (i = 1; i < n; i++) {
		/* Reported at the later element of the two, naming the earlier one. */
		size_t at = e[i].idx, other = e[i - 1].idx;
		char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

		if (addr_equal(&e[i].first, &e[i - 1].first) &&
		    addr_equal(&e[i].last, &e[i - 1].last)) {
			strbuf_printf(&msg, "duplicate element %s (also at index %zu)",
				      set_elem_format(s, at, a), other);
		} else if (addr_cmp(&e[i].first, &e[m].last) <= 0) {
			at = e[i].idx > e[m].idx ? e[i].idx : e[m].idx;
			other = e[i].idx > e[m].idx ? e[m].idx : e[i].idx;
			strbuf_printf(&msg, "%s overlaps %s (index %zu)",
				      set_elem_format(s, at, a), set_elem_format(s, other, b),
				      other);
		}
		if (msg.len && !reported[at]) {
			reported[at] = true;
			jr_error_member(r, "elements", (long)at, "%s", strbuf_str(&msg));
		}
		strbuf_truncate(&msg, 0);
		if (addr_cmp(&e[i].last, &e[m].last) > 0)
			m = i;
	}
	strbuf_done(&msg);
out:
	free(reported);
	free(e);
}

static void parse_set_elements(struct jr *r, const struct json_t *v, struct fw_set *s)
{
	int family = s->type == FW_SET_IPV6 ? AF_INET6 : AF_INET;
	size_t i, n;

	if (!jr_array(r, v, LIMIT_ELEMENTS))
		return;
	n = jr_size(v);
	if (s->type == FW_SET_PORT)
		s->ports = fw_alloc_array(r, n, sizeof(*s->ports));
	else
		s->prefixes = fw_alloc_array(r, n, sizeof(*s->prefixes));
	if (n && !s->ports && !s->prefixes)
		return;
	for (i = 0; i < n; i++) {
		size_t mark = jr_push_index(r, i);
		char buf[PREFIX_STRLEN];
		struct ip_prefix p;

		if (s->type == FW_SET_PORT) {
			if (read_port_range(r, jr_at(v, i), &s->ports[s->n_ports]) > 0)
				s->n_ports++;
		} else if (read_prefix_or_host(r, jr_at(v, i), &p) > 0) {
			bool host = p.len == addr_max_len(p.addr.family);

			if (p.addr.family == family)
				s->prefixes[s->n_prefixes++] = p;
			else
				jr_error(r, "%s is an %s %s, the set is %s", prefix_format_short(&p, buf),
					 addr_family_name(p.addr.family), host ? "address" : "prefix",
					 addr_family_name(family));
		}
		jr_pop(r, mark);
	}
}

/* Returns false when the set is unusable (its type is missing or unknown). */
static bool parse_set(struct jr *r, const char *name, const struct json_t *v, struct fw_set *s)
{
	size_t mark, n;
	int type = -1;

	s->name = strdup(name);
	if (!s->name)
		jr_error(r, "out of memory");
	s->ptr = fw_ptr_dup(r);
	if (!jr_object(r, v, set_keys))
		return false;
	if (jr_require(r, v, "type") &&
	    fw_read_keyword(r, v, "type", fw_set_type_from_string, "set type", "ipv4, ipv6 or port",
			 &type) > 0)
		s->type = (enum fw_set_type)type;
	if (!jr_require(r, v, "elements") || type < 0)
		return type >= 0;
	mark = jr_push_key(r, "elements");
	parse_set_elements(r, jr_member(v, "elements"), s);
	jr_pop(r, mark);
	n = s->type == FW_SET_PORT ? s->n_ports : s->n_prefixes;
	if (n == jr_size(jr_member(v, "elements")))
		set_check_overlaps(r, s);
	return true;
}

/* Parses "sets"; *ret_bad[i] tells that set i is unusable (its error is reported), so that
 * references to it are not reported again. */
void parse_sets(struct jr *r, const struct json_t *v, struct firewall *fw, bool **ret_bad)
{
	const struct json_t *val;
	const char *key;
	bool *bad;

	if (!jr_map(r, v, LIMIT_LIST) || !jr_size(v))
		return;
	fw->sets = fw_alloc_array(r, jr_size(v), sizeof(*fw->sets));
	bad = fw_alloc_array(r, jr_size(v), sizeof(*bad));
	if (!fw->sets || !bad) {
		free(bad);
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key)) {
			bad[fw->n_sets] = !parse_set(r, key, val, &fw->sets[fw->n_sets]);
			fw->n_sets++;
		}
		jr_pop(r, mark);
	}
	*ret_bad = bad;
}
