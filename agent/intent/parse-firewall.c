/* SPDX-License-Identifier: MIT */
/*
 * "firewall": named address and port sets, and the input, forward and output chains.
 *
 * Sets are parsed before the chains, so that a rule's "@set" references are resolved in the
 * parse pass (existence, kind, address family) with exact pointers, and fw_rule.family is
 * complete when parsing ends. The check pass only resolves "in"/"out", which name links of
 * other sections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "read.h"
#include "sections.h"

#define FW_TEXT_MAX 64	/* comment, log prefix */
#define PORTS_STRLEN 12 /* "65535-65535" */

static const char *const firewall_keys[] = {"sets", "input", "forward", "output", NULL};
static const char *const set_keys[] = {"type", "elements", NULL};
static const char *const chain_keys[] = {"policy", "rules", NULL};
static const char *const rule_keys[] = {
	"action",	"in",	      "out",	    "source", "destination", "protocol",
	"ports",	"source_ports", "icmp_types", "log",    "comment",     NULL,
};

static const enum fw_policy default_policy[_FW_CHAIN_MAX] = {
	[FW_INPUT] = FW_POLICY_DROP,
	[FW_FORWARD] = FW_POLICY_DROP,
	[FW_OUTPUT] = FW_POLICY_ACCEPT,
};

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

/* A set element or rule address as written: bare address for a host prefix. */
static const char *elem_format(const struct ip_prefix *p, char buf[PREFIX_STRLEN])
{
	if (p->len == addr_max_len(p->addr.family))
		return addr_format(&p->addr, buf);
	return prefix_format(p, buf);
}

static const char *ports_format(const struct port_range *pr, char buf[PORTS_STRLEN])
{
	if (pr->first == pr->last)
		snprintf(buf, PORTS_STRLEN, "%u", pr->first);
	else
		snprintf(buf, PORTS_STRLEN, "%u-%u", pr->first, pr->last);
	return buf;
}

static void *alloc_array(struct jr *r, size_t n, size_t size)
{
	void *p;

	if (!n)
		return NULL;
	p = calloc(n, size);
	if (!p)
		jr_error(r, "out of memory");
	return p;
}

static char *ptr_dup(struct jr *r)
{
	char *p = jr_ptr_dup(r);

	if (!p)
		jr_error(r, "out of memory");
	return p;
}

/* Member `key` of obj, a keyword of a string table (from_string is < 0 for unknown ones);
 * `what` and `expected` word the error. Returns like the readers, the value in *ret. */
static int read_keyword(struct jr *r, const struct json_t *obj, const char *key,
			int (*from_string)(const char *), const char *what, const char *expected,
			int *ret)
{
	const struct json_t *v = jr_member(obj, key);
	size_t mark;
	const char *s;
	int k = -1;

	if (!v)
		return 0;
	mark = jr_push_key(r, key);
	if (jr_string_ref(r, v, &s) > 0) {
		k = from_string(s);
		if (k < 0)
			jr_error(r, "unknown %s \"%.32s\" (expected %s)", what, s, expected);
	}
	jr_pop(r, mark);
	if (k < 0)
		return -1;
	*ret = k;
	return 1;
}

/* ---- sets ---- */

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
		return ports_format(&s->ports[idx], buf);
	return elem_format(&s->prefixes[idx], buf);
}

static void set_elem_error(struct jr *r, size_t idx, const char *msg)
{
	size_t mark = jr_push_key(r, "elements");

	jr_push_index(r, idx);
	jr_error(r, "%s", msg);
	jr_pop(r, mark);
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
	e = alloc_array(r, n, sizeof(*e));
	reported = alloc_array(r, n, sizeof(*reported));
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
			set_elem_error(r, at, strbuf_str(&msg));
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
		s->ports = alloc_array(r, n, sizeof(*s->ports));
	else
		s->prefixes = alloc_array(r, n, sizeof(*s->prefixes));
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
				jr_error(r, "%s is an %s %s, the set is %s", elem_format(&p, buf),
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
	s->ptr = ptr_dup(r);
	if (!jr_object(r, v, set_keys))
		return false;
	if (jr_require(r, v, "type") &&
	    read_keyword(r, v, "type", fw_set_type_from_string, "set type", "ipv4, ipv6 or port",
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
static void parse_sets(struct jr *r, const struct json_t *v, struct firewall *fw, bool **ret_bad)
{
	const struct json_t *val;
	const char *key;
	bool *bad;

	if (!jr_map(r, v, LIMIT_LIST) || !jr_size(v))
		return;
	fw->sets = alloc_array(r, jr_size(v), sizeof(*fw->sets));
	bad = alloc_array(r, jr_size(v), sizeof(*bad));
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

/* ---- rules ---- */

/* What a rule's parse needs to know besides the rule. */
struct rule_ctx {
	const struct firewall *fw;
	const bool *set_bad;
	enum fw_chain_kind kind;
	int family;   /* 0 until something in the rule decides it */
	char why[64]; /* what decided it: "protocol icmp", "10.0.0.0/8", "set \"v4\"" */
};

/* Records that the rule matches `family`; returns false when it already matches the other
 * one (the caller reports, with ctx->why). */
static bool rule_family(struct rule_ctx *c, int family, const char *why)
{
	if (!c->family) {
		c->family = family;
		snprintf(c->why, sizeof(c->why), "%s", why);
	}
	return c->family == family;
}

static void rule_family_error(struct jr *r, const struct rule_ctx *c, const char *what,
			      int family, const char *noun)
{
	jr_error(r, "%s %s%s, the rule is %s (%s)", what, addr_family_name(family), noun,
		 addr_family_name(c->family), c->why);
}

/* "@name" at the current pointer: the set must exist and hold addresses (port = false) or
 * ports (port = true); an address set also decides the rule's family. */
static int read_set_ref(struct jr *r, struct rule_ctx *c, const char *s, bool port, char **ret)
{
	const struct fw_set *set;
	char what[32], why[32];
	size_t i;

	if (!check_map_name(r, s + 1))
		return -1;
	for (i = 0; i < c->fw->n_sets; i++)
		if (c->fw->sets[i].name && !strcmp(c->fw->sets[i].name, s + 1))
			break;
	if (i == c->fw->n_sets) {
		jr_error(r, "unknown set \"%s\"", s + 1);
		return -1;
	}
	set = &c->fw->sets[i];
	/* A set whose type is unusable was reported already: take the reference as it is. */
	if (!c->set_bad[i]) {
		int family = set->type == FW_SET_IPV6 ? AF_INET6 : AF_INET;

		if (port && set->type != FW_SET_PORT) {
			jr_error(r, "set \"%s\" is an %s set, expected a port set", set->name,
				 fw_set_type_to_string(set->type));
			return -1;
		}
		if (!port && set->type == FW_SET_PORT) {
			jr_error(r, "set \"%s\" is a port set, expected an ipv4 or ipv6 set",
				 set->name);
			return -1;
		}
		snprintf(what, sizeof(what), "set \"%s\" holds", set->name);
		snprintf(why, sizeof(why), "set \"%s\"", set->name);
		if (!port && !rule_family(c, family, why)) {
			rule_family_error(r, c, what, family, " prefixes");
			return -1;
		}
	}
	*ret = strdup(s + 1);
	if (!*ret) {
		jr_error(r, "out of memory");
		return -1;
	}
	return 1;
}

/* Whether element e is a set reference; *ret_s is then the string. */
static bool is_set_ref(struct jr *r, const struct json_t *e, const char **ret_s)
{
	return jr_is_string(e) && jr_string_ref(r, e, ret_s) > 0 && (*ret_s)[0] == '@';
}

/* Whether v is an array of 1-max elements (reports otherwise). */
static bool rule_list(struct jr *r, const struct json_t *v, size_t max)
{
	if (!jr_array(r, v, max))
		return false;
	if (!jr_size(v)) {
		jr_error(r, "must not be empty");
		return false;
	}
	return true;
}

/* "source"/"destination": prefixes, addresses and "@set"s, all of one address family. */
static int parse_addr_match(struct jr *r, const struct json_t *obj, const char *key,
			    struct rule_ctx *c, struct fw_addr_match *m)
{
	const struct json_t *v = jr_member(obj, key);
	size_t mark, i, n;
	int res = 1;

	if (!v)
		return 0;
	mark = jr_push_key(r, key);
	if (!rule_list(r, v, LIMIT_LIST)) {
		jr_pop(r, mark);
		return -1;
	}
	n = jr_size(v);
	m->prefixes = alloc_array(r, n, sizeof(*m->prefixes));
	m->sets = alloc_array(r, n, sizeof(*m->sets));
	for (i = 0; i < n && m->prefixes && m->sets; i++) {
		size_t im = jr_push_index(r, i);
		const struct json_t *e = jr_at(v, i);
		char buf[PREFIX_STRLEN], what[PREFIX_STRLEN + 4];
		struct ip_prefix p;
		const char *s;

		if (is_set_ref(r, e, &s)) {
			if (read_set_ref(r, c, s, false, &m->sets[m->n_sets]) > 0)
				m->n_sets++;
			else
				res = -1;
		} else if (read_prefix_or_host(r, e, &p) > 0) {
			elem_format(&p, buf);
			if (rule_family(c, p.addr.family, buf)) {
				m->prefixes[m->n_prefixes++] = p;
			} else {
				snprintf(what, sizeof(what), "%s is", buf);
				rule_family_error(r, c, what, p.addr.family, "");
				res = -1;
			}
		} else {
			res = -1;
		}
		jr_pop(r, im);
	}
	jr_pop(r, mark);
	return m->prefixes && m->sets ? res : -1;
}

/* "ports"/"source_ports": ports, ranges and "@set"s of ports. */
static int parse_port_match(struct jr *r, const struct json_t *v, struct rule_ctx *c,
			    struct fw_port_match *m)
{
	size_t i, n;
	int res = 1;

	if (!rule_list(r, v, LIMIT_LIST))
		return -1;
	n = jr_size(v);
	m->ranges = alloc_array(r, n, sizeof(*m->ranges));
	m->sets = alloc_array(r, n, sizeof(*m->sets));
	if (!m->ranges || !m->sets)
		return -1;
	for (i = 0; i < n; i++) {
		size_t im = jr_push_index(r, i);
		const struct json_t *e = jr_at(v, i);
		const char *s;

		if (is_set_ref(r, e, &s)) {
			if (read_set_ref(r, c, s, true, &m->sets[m->n_sets]) > 0)
				m->n_sets++;
			else
				res = -1;
		} else if (read_port_range(r, e, &m->ranges[m->n_ranges]) > 0) {
			m->n_ranges++;
		} else {
			res = -1;
		}
		jr_pop(r, im);
	}
	return res;
}

static int read_protocol(struct jr *r, const struct json_t *v, void *ret)
{
	const char *s;
	int64_t n;
	int p;

	if (jr_is_integer(v)) {
		if (jr_int_value(r, v, 0, 255, &n) < 0)
			return -1;
		*(uint8_t *)ret = (uint8_t)n;
		return 1;
	}
	if (!jr_is_string(v)) {
		jr_error(r, "expected a protocol name or a number 0-255, got %s", jr_type_name(v));
		return -1;
	}
	jr_string_ref(r, v, &s);
	p = ip_proto_from_string(s);
	if (p < 0) {
		jr_error(r, "unknown protocol \"%.32s\" (expected tcp, udp, icmp, icmpv6, esp, ah, "
			    "gre, sctp or a number 0-255)",
			 s);
		return -1;
	}
	*(uint8_t *)ret = (uint8_t)p;
	return 1;
}

/* proto_res: what reading "protocol" returned (1 valid, 0 absent, -1 invalid). */
static int parse_rule_ports(struct jr *r, const struct json_t *obj, const char *key,
			    int proto_res, const struct fw_rule *rule, struct rule_ctx *c,
			    struct fw_port_match *m)
{
	const struct json_t *v = jr_member(obj, key);
	size_t mark;
	int res;

	if (!v)
		return 0;
	if (proto_res < 0)
		return -1;
	mark = jr_push_key(r, key);
	if (proto_res == 0 || (rule->protocol != PROTO_TCP && rule->protocol != PROTO_UDP &&
			       rule->protocol != PROTO_SCTP)) {
		jr_error(r, "\"%s\" needs protocol tcp, udp or sctp", key);
		res = -1;
	} else {
		res = parse_port_match(r, v, c, m);
	}
	jr_pop(r, mark);
	return res;
}

static int parse_icmp_types(struct jr *r, const struct json_t *obj, int proto_res,
			    struct fw_rule *rule)
{
	const struct json_t *v = jr_member(obj, "icmp_types");
	size_t mark, i;
	int family, res = 1;

	if (!v)
		return 0;
	if (proto_res < 0)
		return -1;
	mark = jr_push_key(r, "icmp_types");
	if (proto_res == 0 ||
	    (rule->protocol != PROTO_ICMP && rule->protocol != PROTO_ICMPV6)) {
		jr_error(r, "\"icmp_types\" needs protocol icmp or icmpv6");
		jr_pop(r, mark);
		return -1;
	}
	family = rule->protocol == PROTO_ICMP ? AF_INET : AF_INET6;
	if (!rule_list(r, v, LIMIT_SMALL) ||
	    !(rule->icmp_types = alloc_array(r, jr_size(v), sizeof(*rule->icmp_types)))) {
		jr_pop(r, mark);
		return -1;
	}
	for (i = 0; i < jr_size(v); i++) {
		size_t im = jr_push_index(r, i);
		const char *s;
		int t = -1;

		if (jr_string_ref(r, jr_at(v, i), &s) > 0) {
			t = icmp_type_from_string(family, s);
			if (t < 0)
				jr_error(r, "unknown %s type \"%.32s\"",
					 ip_proto_to_string(rule->protocol), s);
		}
		if (t >= 0)
			rule->icmp_types[rule->n_icmp_types++] = (uint8_t)t;
		else
			res = -1;
		jr_pop(r, im);
	}
	jr_pop(r, mark);
	return res;
}

/* A comment or log prefix: at most FW_TEXT_MAX printable ASCII characters. */
static bool check_text(struct jr *r, const char *s, const char *what, bool no_quotes)
{
	size_t i, n = strlen(s);

	if (n > FW_TEXT_MAX) {
		jr_error(r, "%s of %zu characters is longer than %d", what, n, FW_TEXT_MAX);
		return false;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch > 0x7e) {
			jr_error(r,
				 "%s has a character that is not printable ASCII (at offset %zu)",
				 what, i);
			return false;
		}
		if (no_quotes && (ch == '"' || ch == '\\')) {
			jr_error(r, "%s must not contain '\"' or '\\'", what);
			return false;
		}
	}
	return true;
}

/* "log": true, false or a prefix string. */
static int parse_log(struct jr *r, const struct json_t *obj, struct fw_rule *rule)
{
	const struct json_t *v = jr_member(obj, "log");
	struct errlist scratch = {0};
	struct jr quiet = {.errs = &scratch};
	size_t mark;
	const char *s;
	int res = -1;
	bool b;

	if (!v)
		return 0;
	mark = jr_push_key(r, "log");
	if (jr_is_string(v)) {
		jr_string_ref(r, v, &s);
		if (!*s)
			jr_error(r, "log prefix must not be empty (write \"log\": true)");
		else if (check_text(r, s, "log prefix", true) &&
			 jr_string_value(r, v, &rule->log_prefix) > 0)
			res = 1;
		rule->log = res > 0;
	} else if (jr_bool_value(&quiet, v, &b) > 0) {
		rule->log = b;
		res = 1;
	} else {
		jr_error(r, "expected true, false or a prefix string, got %s", jr_type_name(v));
	}
	errlist_done(&scratch);
	jr_done(&quiet);
	jr_pop(r, mark);
	return res;
}

static int parse_comment(struct jr *r, const struct json_t *obj, struct fw_rule *rule)
{
	const struct json_t *v = jr_member(obj, "comment");
	size_t mark;
	const char *s;
	int res = -1;

	if (!v)
		return 0;
	mark = jr_push_key(r, "comment");
	if (jr_string_ref(r, v, &s) > 0 && check_text(r, s, "comment", false))
		res = jr_string_value(r, v, &rule->comment);
	jr_pop(r, mark);
	return res;
}

/* "in" and "out": not "out" on input (no output interface yet), not "in" on output. */
static void parse_rule_links(struct jr *r, const struct json_t *v, enum fw_chain_kind kind,
			     struct fw_rule *rule)
{
	size_t mark;

	if (kind == FW_OUTPUT && jr_member(v, "in")) {
		mark = jr_push_key(r, "in");
		jr_error(r, "\"in\" is not allowed on the output chain");
		jr_pop(r, mark);
	} else if (read_names(r, v, "in", &rule->in, &rule->n_in) > 0) {
		rule->has |= FW_RULE_HAS_IN;
	}
	if (kind == FW_INPUT && jr_member(v, "out")) {
		mark = jr_push_key(r, "out");
		jr_error(r, "\"out\" is not allowed on the input chain");
		jr_pop(r, mark);
	} else if (read_names(r, v, "out", &rule->out, &rule->n_out) > 0) {
		rule->has |= FW_RULE_HAS_OUT;
	}
}

static void parse_rule(struct jr *r, const struct json_t *v, struct rule_ctx *c,
		       struct fw_rule *rule)
{
	int proto_res, action;

	rule->ptr = ptr_dup(r);
	c->family = 0;
	c->why[0] = '\0';
	if (!jr_object(r, v, rule_keys))
		return;
	if (jr_require(r, v, "action") &&
	    read_keyword(r, v, "action", fw_action_from_string, "action", "accept, drop or reject",
			 &action) > 0)
		rule->action = (enum fw_action)action;
	parse_rule_links(r, v, c->kind, rule);
	proto_res = read_member(r, v, "protocol", false, read_protocol, &rule->protocol);
	if (proto_res > 0) {
		rule->has |= FW_RULE_HAS_PROTOCOL;
		if (rule->protocol == PROTO_ICMP || rule->protocol == PROTO_ICMPV6) {
			c->family = rule->protocol == PROTO_ICMP ? AF_INET : AF_INET6;
			snprintf(c->why, sizeof(c->why), "protocol %s",
				 ip_proto_to_string(rule->protocol));
		}
	}
	if (parse_addr_match(r, v, "source", c, &rule->source) > 0)
		rule->has |= FW_RULE_HAS_SOURCE;
	if (parse_addr_match(r, v, "destination", c, &rule->destination) > 0)
		rule->has |= FW_RULE_HAS_DESTINATION;
	if (parse_rule_ports(r, v, "ports", proto_res, rule, c, &rule->ports) > 0)
		rule->has |= FW_RULE_HAS_PORTS;
	if (parse_rule_ports(r, v, "source_ports", proto_res, rule, c, &rule->source_ports) > 0)
		rule->has |= FW_RULE_HAS_SOURCE_PORTS;
	if (parse_icmp_types(r, v, proto_res, rule) > 0)
		rule->has |= FW_RULE_HAS_ICMP_TYPES;
	if (parse_log(r, v, rule) > 0)
		rule->has |= FW_RULE_HAS_LOG;
	if (parse_comment(r, v, rule) > 0)
		rule->has |= FW_RULE_HAS_COMMENT;
	rule->family = c->family;
}

static void parse_chain(struct jr *r, const struct json_t *v, struct rule_ctx *c,
			struct fw_chain *ch)
{
	const struct json_t *rules;
	size_t mark, i;
	int policy;

	ch->present = true;
	ch->ptr = ptr_dup(r);
	if (!jr_object(r, v, chain_keys))
		return;
	if (read_keyword(r, v, "policy", fw_policy_from_string, "policy", "accept or drop",
			 &policy) > 0)
		ch->policy = (enum fw_policy)policy;
	rules = jr_member(v, "rules");
	if (!rules)
		return;
	mark = jr_push_key(r, "rules");
	if (jr_array(r, rules, LIMIT_MANY) && jr_size(rules)) {
		ch->rules = alloc_array(r, jr_size(rules), sizeof(*ch->rules));
		for (i = 0; ch->rules && i < jr_size(rules); i++) {
			size_t im = jr_push_index(r, i);

			parse_rule(r, jr_at(rules, i), c, &ch->rules[ch->n_rules++]);
			jr_pop(r, im);
		}
	}
	jr_pop(r, mark);
}

void parse_firewall(struct jr *r, const struct json_t *v, struct intent *in)
{
	struct firewall *fw = &in->firewall;
	struct rule_ctx c = {.fw = fw};
	const struct json_t *sets;
	bool *set_bad = NULL;
	size_t mark;
	int k;

	fw->present = true;
	for (k = 0; k < _FW_CHAIN_MAX; k++)
		fw->chains[k].policy = default_policy[k];
	if (!jr_object(r, v, firewall_keys))
		return;
	sets = jr_member(v, "sets");
	if (sets) {
		mark = jr_push_key(r, "sets");
		parse_sets(r, sets, fw, &set_bad);
		jr_pop(r, mark);
	}
	c.set_bad = set_bad;
	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		const char *name = fw_chain_kind_to_string((enum fw_chain_kind)k);
		const struct json_t *cv = jr_member(v, name);

		if (!cv)
			continue;
		mark = jr_push_key(r, name);
		c.kind = (enum fw_chain_kind)k;
		parse_chain(r, cv, &c, &fw->chains[k]);
		jr_pop(r, mark);
	}
	free(set_bad);
}

/* ---- cross-field checks ---- */

/* "in"/"out" name interfaces or tunnels. A single name is reported at the key. */
static void check_links(const struct intent *in, const struct fw_rule *rule, const char *key,
			char *const *names, size_t n, struct errlist *errs)
{
	struct strbuf p = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		if (intent_has_link(in, names[i]))
			continue;
		if (n == 1)
			strbuf_printf(&p, "%s/%s", rule->ptr, key);
		else
			strbuf_printf(&p, "%s/%s/%zu", rule->ptr, key, i);
		errlist_add(errs, strbuf_str(&p), "unknown interface or tunnel \"%s\"", names[i]);
		strbuf_truncate(&p, 0);
	}
	strbuf_done(&p);
}

void check_firewall(const struct intent *in, struct errlist *errs)
{
	size_t k, i;

	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		const struct fw_chain *ch = &in->firewall.chains[k];

		for (i = 0; i < ch->n_rules; i++) {
			const struct fw_rule *rule = &ch->rules[i];

			check_links(in, rule, "in", rule->in, rule->n_in, errs);
			check_links(in, rule, "out", rule->out, rule->n_out, errs);
		}
	}
}

/* ---- destructor ---- */

static void fw_rule_free(struct fw_rule *rule)
{
	free(rule->ptr);
	strv_free(rule->in, rule->n_in);
	strv_free(rule->out, rule->n_out);
	free(rule->source.prefixes);
	strv_free(rule->source.sets, rule->source.n_sets);
	free(rule->destination.prefixes);
	strv_free(rule->destination.sets, rule->destination.n_sets);
	free(rule->ports.ranges);
	strv_free(rule->ports.sets, rule->ports.n_sets);
	free(rule->source_ports.ranges);
	strv_free(rule->source_ports.sets, rule->source_ports.n_sets);
	free(rule->icmp_types);
	free(rule->log_prefix);
	free(rule->comment);
}

void free_firewall(struct intent *in)
{
	struct firewall *fw = &in->firewall;
	size_t i, k;

	for (i = 0; i < fw->n_sets; i++) {
		free(fw->sets[i].name);
		free(fw->sets[i].ptr);
		free(fw->sets[i].prefixes);
		free(fw->sets[i].ports);
	}
	free(fw->sets);
	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		for (i = 0; i < fw->chains[k].n_rules; i++)
			fw_rule_free(&fw->chains[k].rules[i]);
		free(fw->chains[k].rules);
		free(fw->chains[k].ptr);
	}
}
