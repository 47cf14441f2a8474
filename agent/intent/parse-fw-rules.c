/* SPDX-License-Identifier: MIT */
/*
 * "firewall": one rule of a chain. Its "@set" references are resolved here, against the sets
 * parsed before the chains, and the rule's address family is decided from its protocol,
 * addresses and sets.
 */
#include <stdio.h>
#include <string.h>

#include "fw.h"
#include "read.h"
#include "lib/utf8.h"

#define FW_TEXT_MAX 64 /* comment, log prefix */

static const char *const rule_keys[] = {
	"action",	"in",	      "out",	    "source", "destination", "protocol",
	"ports",	"source_ports", "icmp_types", "log",    "comment",     NULL,
};

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58, PROTO_SCTP = 132 };

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
	m->prefixes = fw_alloc_array(r, n, sizeof(*m->prefixes));
	m->sets = fw_alloc_array(r, n, sizeof(*m->sets));
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
			prefix_format_short(&p, buf);
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
	m->ranges = fw_alloc_array(r, n, sizeof(*m->ranges));
	m->sets = fw_alloc_array(r, n, sizeof(*m->sets));
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
		jr_error(r,
			 "unknown protocol \"%.*s\" (expected tcp, udp, icmp, icmpv6, esp, ah, "
			 "gre, sctp or a number 0-255)",
			 UTF8_CUT(s, 32));
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
	    !(rule->icmp_types = fw_alloc_array(r, jr_size(v), sizeof(*rule->icmp_types)))) {
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
				jr_error(r, "unknown %s type \"%.*s\"",
					 ip_proto_to_string(rule->protocol), UTF8_CUT(s, 32));
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
	if (kind == FW_OUTPUT && jr_member(v, "in"))
		jr_error_member(r, "in", -1, "\"in\" is not allowed on the output chain");
	else if (read_names(r, v, "in", &rule->in, &rule->n_in) > 0)
		rule->has |= FW_RULE_HAS_IN;
	if (kind == FW_INPUT && jr_member(v, "out"))
		jr_error_member(r, "out", -1, "\"out\" is not allowed on the input chain");
	else if (read_names(r, v, "out", &rule->out, &rule->n_out) > 0)
		rule->has |= FW_RULE_HAS_OUT;
}

void parse_rule(struct jr *r, const struct json_t *v, struct rule_ctx *c, struct fw_rule *rule)
{
	int proto_res, action;

	rule->ptr = fw_ptr_dup(r);
	c->family = 0;
	c->why[0] = '\0';
	if (!jr_object(r, v, rule_keys))
		return;
	if (jr_require(r, v, "action") &&
	    fw_read_keyword(r, v, "action", fw_action_from_string, "action", "accept, drop or reject",
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
