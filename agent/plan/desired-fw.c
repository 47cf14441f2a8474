/* SPDX-License-Identifier: MIT */
/*
 * The firewall and NAT as desired objects. A rule's attrs are its canonical text, nft-like:
 *
 *   meta nfproto ipv4 iifname { "web", "db" } oifname "public" ip saddr @admins
 *   tcp dport { 22, 8000-8010 } log prefix "x" accept comment "y"
 *
 * in this order, each clause only when the rule has it: "meta nfproto ipv4|ipv6" when the
 * rule is of one family (from its addresses, sets or ICMP protocol), interfaces, source,
 * destination, protocol (ports, ICMP types or "meta l4proto"), log, action, comment. A list
 * of one element is written bare, longer ones in braces; a host prefix as a bare address;
 * literal prefixes or ports come before set references ("{ 10.0.0.0/8, @admins }" is how
 * the text writes a match of either, which a backend spells as two rules).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "desired.h"

/* Chain policies when the intent has no firewall section (spec: defaults of absent chains). */
static const enum fw_policy default_policy[_FW_CHAIN_MAX] = {
	[FW_INPUT] = FW_POLICY_DROP,
	[FW_FORWARD] = FW_POLICY_DROP,
	[FW_OUTPUT] = FW_POLICY_ACCEPT,
};

/* Decimal, without printf: rule texts are built by the ten thousand. */
static void append_uint(struct strbuf *b, unsigned long v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	strbuf_append(b, p);
}

/* Starts a clause: a space unless it is the first. */
static void clause(struct strbuf *b)
{
	if (b->len)
		strbuf_append(b, " ");
}

static const char *family_word(int family)
{
	return family == AF_INET6 ? "ip6" : "ip";
}

static void text_family(struct strbuf *b, int family)
{
	if (family) {
		clause(b);
		strbuf_printf(b, "meta nfproto %s", family == AF_INET6 ? "ipv6" : "ipv4");
	}
}

/* "{ " before a list of more than one element, ", " between elements, " }" after. */
static void list_sep(struct strbuf *b, size_t i, size_t n)
{
	if (n > 1)
		strbuf_append(b, i == 0 ? "{ " : ", ");
}

static void list_end(struct strbuf *b, size_t n)
{
	if (n > 1)
		strbuf_append(b, " }");
}

static void text_names(struct strbuf *b, const char *what, char *const *names, size_t n)
{
	size_t i;

	if (!n)
		return;
	clause(b);
	strbuf_append(b, what);
	strbuf_append(b, " ");
	for (i = 0; i < n; i++) {
		list_sep(b, i, n);
		strbuf_append(b, "\"");
		strbuf_append(b, names[i]);
		strbuf_append(b, "\"");
	}
	list_end(b, n);
}

static void text_sets(struct strbuf *b, char *const *sets, size_t n_sets, size_t done, size_t n)
{
	size_t i;

	for (i = 0; i < n_sets; i++) {
		list_sep(b, done + i, n);
		strbuf_append(b, "@");
		strbuf_append(b, sets[i]);
	}
	list_end(b, n);
}

static void text_addrs(struct strbuf *b, int family, const char *dir,
		       const struct fw_addr_match *m)
{
	size_t i, n = m->n_prefixes + m->n_sets;
	char buf[PREFIX_STRLEN];

	if (!n)
		return;
	if (!family && m->n_prefixes)
		family = m->prefixes[0].addr.family;
	clause(b);
	strbuf_append(b, family_word(family));
	strbuf_append(b, " ");
	strbuf_append(b, dir);
	strbuf_append(b, " ");
	for (i = 0; i < m->n_prefixes; i++) {
		list_sep(b, i, n);
		strbuf_append(b, prefix_format_short(&m->prefixes[i], buf));
	}
	text_sets(b, m->sets, m->n_sets, m->n_prefixes, n);
}

static void text_port(struct strbuf *b, const struct port_range *pr)
{
	append_uint(b, pr->first);
	if (pr->first != pr->last) {
		strbuf_append(b, "-");
		append_uint(b, pr->last);
	}
}

static void text_ports(struct strbuf *b, const char *proto, const char *dir,
		       const struct fw_port_match *m)
{
	size_t i, n = m->n_ranges + m->n_sets;

	if (!n)
		return;
	clause(b);
	strbuf_append(b, proto);
	strbuf_append(b, " ");
	strbuf_append(b, dir);
	strbuf_append(b, " ");
	for (i = 0; i < m->n_ranges; i++) {
		list_sep(b, i, n);
		text_port(b, &m->ranges[i]);
	}
	text_sets(b, m->sets, m->n_sets, m->n_ranges, n);
}

static void text_protocol(struct strbuf *b, const struct fw_rule *rule)
{
	const char *name = ip_proto_to_string(rule->protocol);
	char num[4];
	size_t i;

	if (!(rule->has & FW_RULE_HAS_PROTOCOL))
		return;
	if (!name) {
		snprintf(num, sizeof(num), "%u", rule->protocol);
		name = num;
	}
	if (rule->has & (FW_RULE_HAS_PORTS | FW_RULE_HAS_SOURCE_PORTS)) {
		text_ports(b, name, "sport", &rule->source_ports);
		text_ports(b, name, "dport", &rule->ports);
		return;
	}
	clause(b);
	if (!(rule->has & FW_RULE_HAS_ICMP_TYPES) || !rule->n_icmp_types) {
		strbuf_printf(b, "meta l4proto %s", name);
		return;
	}
	strbuf_printf(b, "%s type ", name);
	for (i = 0; i < rule->n_icmp_types; i++) {
		int family = !strcmp(name, "icmpv6") ? AF_INET6 : AF_INET;
		const char *t = icmp_type_to_string(family, rule->icmp_types[i]);

		list_sep(b, i, rule->n_icmp_types);
		if (t)
			strbuf_append(b, t);
		else
			strbuf_printf(b, "%u", rule->icmp_types[i]);
	}
	list_end(b, rule->n_icmp_types);
}

int desired_rule_text(const struct fw_rule *rule, struct strbuf *out)
{
	text_family(out, rule->family);
	text_names(out, "iifname", rule->in, rule->n_in);
	text_names(out, "oifname", rule->out, rule->n_out);
	text_addrs(out, rule->family, "saddr", &rule->source);
	text_addrs(out, rule->family, "daddr", &rule->destination);
	text_protocol(out, rule);
	if (rule->has & FW_RULE_HAS_LOG && rule->log) {
		clause(out);
		if (rule->log_prefix)
			strbuf_printf(out, "log prefix \"%s\"", rule->log_prefix);
		else
			strbuf_append(out, "log");
	}
	clause(out);
	strbuf_append(out, fw_action_to_string(rule->action));
	if (rule->has & FW_RULE_HAS_COMMENT) {
		clause(out);
		strbuf_printf(out, "comment \"%s\"", rule->comment);
	}
	return out->oom ? -ENOMEM : 0;
}

/* Adds a text object; the set keeps the only reference. */
static int add_text(struct objset *set, enum object_kind kind, const char *key,
		    const char *attrs, const char *ptr)
{
	struct object *o = object_new_text(kind, key, attrs);
	int r;

	if (!o || object_set_ptr(o, ptr) < 0) {
		object_unref(o);
		return -ENOMEM;
	}
	r = objset_add(set, o);
	object_unref(o);
	return r;
}

static int desired_set(const struct fw_set *s, struct objset *set, struct strbuf *key,
		       struct strbuf *ptr)
{
	size_t i, n = s->type == FW_SET_PORT ? s->n_ports : s->n_prefixes;
	char buf[PREFIX_STRLEN];
	int r;

	strbuf_printf(key, "type=%s", fw_set_type_to_string(s->type));
	r = add_text(set, OBJ_FW_SET, s->name, strbuf_str(key), s->ptr);
	for (i = 0; i < n && r >= 0; i++) {
		strbuf_truncate(key, 0);
		strbuf_truncate(ptr, 0);
		strbuf_append(key, s->name);
		strbuf_append(key, " ");
		if (s->type == FW_SET_PORT)
			text_port(key, &s->ports[i]);
		else
			strbuf_append(key, prefix_format_short(&s->prefixes[i], buf));
		strbuf_append(ptr, s->ptr);
		strbuf_append(ptr, "/elements/");
		append_uint(ptr, i);
		r = add_text(set, OBJ_FW_ELEMENT, strbuf_str(key), "", strbuf_str(ptr));
	}
	return r;
}

static int desired_chain(const struct intent *in, enum fw_chain_kind k, struct objset *set,
			 struct strbuf *key, struct strbuf *text)
{
	const struct fw_chain *ch = &in->firewall->chains[k];
	const char *name = fw_chain_kind_to_string(k);
	enum fw_policy policy = in->firewall->present ? ch->policy : default_policy[k];
	const char *ptr = ch->ptr ? ch->ptr : in->firewall->present ? "/firewall" : "";
	size_t i;
	int r;

	strbuf_printf(text, "policy=%s", fw_policy_to_string(policy));
	/* The input chain's SSH admission to management interfaces (nft-compile.c): a change
	 * of its sources is a change of the chain. */
	if (k == FW_INPUT && in->firewall->has & FW_HAS_MANAGEMENT_SOURCES) {
		char buf[PREFIX_STRLEN];

		strbuf_append(text, " management_sources=");
		for (i = 0; i < in->firewall->n_management_sources; i++) {
			if (i)
				strbuf_append(text, ",");
			strbuf_append(
			    text, prefix_format_short(&in->firewall->management_sources[i], buf));
		}
	}
	r = add_text(set, OBJ_FW_CHAIN, name, strbuf_str(text), ptr);
	for (i = 0; i < ch->n_rules && r >= 0; i++) {
		strbuf_truncate(key, 0);
		strbuf_truncate(text, 0);
		strbuf_append(key, name);
		strbuf_append(key, "/");
		append_uint(key, i);
		r = desired_rule_text(&ch->rules[i], text);
		if (r >= 0)
			r = add_text(set, OBJ_FW_RULE, strbuf_str(key), strbuf_str(text),
				     ch->rules[i].ptr);
	}
	return r;
}

int desired_firewall(const struct intent *in, struct objset *set)
{
	struct strbuf a = {0}, b = {0};
	size_t i;
	int r = 0, k;

	for (i = 0; i < in->firewall->n_sets && r >= 0; i++) {
		r = desired_set(&in->firewall->sets[i], set, &a, &b);
		strbuf_truncate(&a, 0);
		strbuf_truncate(&b, 0);
	}
	for (k = 0; k < _FW_CHAIN_MAX && r >= 0; k++) {
		r = desired_chain(in, (enum fw_chain_kind)k, set, &a, &b);
		strbuf_truncate(&a, 0);
		strbuf_truncate(&b, 0);
	}
	if (r >= 0 && (a.oom || b.oom))
		r = -ENOMEM;
	strbuf_done(&a);
	strbuf_done(&b);
	return r;
}

/* ---- nat ---- */

/* "ip to 10.1.1.5:8080", "ip6 to [fd00::5]:8080" */
static void text_nat_to(struct strbuf *b, const struct ip_addr *a, const struct port_range *pr)
{
	char buf[ADDR_STRLEN];

	addr_format(a, buf);
	strbuf_printf(b, "%s to ", family_word(a->family));
	if (!pr) {
		strbuf_append(b, buf);
		return;
	}
	strbuf_printf(b, a->family == AF_INET6 ? "[%s]:" : "%s:", buf);
	text_port(b, pr);
}

static void text_snat(struct strbuf *b, const struct nat_source *s)
{
	int family = s->has & NAT_SOURCE_HAS_TO ? s->to.family
		     : s->n_sources		  ? s->sources[0].addr.family
						  : 0;
	struct fw_addr_match m = {.prefixes = s->sources, .n_prefixes = s->n_sources};

	text_family(b, family);
	text_names(b, "oifname", &s->out, 1);
	text_addrs(b, family, "saddr", &m);
	clause(b);
	if (s->masquerade) {
		strbuf_append(b, "masquerade");
	} else {
		strbuf_append(b, "snat ");
		text_nat_to(b, &s->to, NULL);
	}
}

static void text_dnat(struct strbuf *b, const struct nat_dest *d)
{
	char buf[ADDR_STRLEN];

	text_family(b, d->destination.family);
	text_names(b, "iifname", &d->in, 1);
	clause(b);
	strbuf_printf(b, "%s daddr %s ", family_word(d->destination.family),
		      addr_format(&d->destination, buf));
	if (d->protocol == NAT_TCP_UDP)
		strbuf_append(b, "meta l4proto { tcp, udp } th");
	else
		strbuf_append(b, nat_proto_to_string(d->protocol));
	strbuf_append(b, " dport ");
	text_port(b, &d->ports);
	strbuf_append(b, " dnat ");
	text_nat_to(b, &d->to, &d->to_ports);
	if (d->open_firewall)
		strbuf_append(b, " open-firewall");
}

static void text_one_to_one(struct strbuf *b, const struct nat_one_to_one *o)
{
	char pub[ADDR_STRLEN], priv[ADDR_STRLEN];
	const char *fw = family_word(o->public_addr.family);

	addr_format(&o->public_addr, pub);
	addr_format(&o->private_addr, priv);
	text_family(b, o->public_addr.family);
	text_names(b, "iifname", &o->interface, 1);
	strbuf_printf(b, " %s daddr %s dnat %s to %s;", fw, pub, fw, priv);
	text_names(b, "oifname", &o->interface, 1);
	strbuf_printf(b, " %s saddr %s snat %s to %s", fw, priv, fw, pub);
	if (o->open_firewall)
		strbuf_append(b, " open-firewall");
}

/*
 * Source NAT rules are ordered (the first match wins): their keys are their indices. Port
 * forwards and one-to-one entries are not: their keys are what the validator keeps unique
 * (check_nat), so that inserting or removing one leaves the others' keys alone. Forwards on
 * one interface, address and transport protocol do not overlap, so the first port tells
 * them apart (a tcp_udp forward overlaps any tcp or udp one there; the interface is in the
 * key because one address may be on two interfaces); a public address is used by one
 * one-to-one entry only.
 */
int desired_dnat_key(const struct nat_dest *d, struct strbuf *out)
{
	char buf[ADDR_STRLEN];

	strbuf_append(out, "dnat/");
	strbuf_append(out, d->in);
	strbuf_append(out, "/");
	strbuf_append(out, addr_format(&d->destination, buf));
	strbuf_append(out, "/");
	strbuf_append(out, nat_proto_to_string(d->protocol));
	strbuf_append(out, "/");
	append_uint(out, d->ports.first);
	return out->oom ? -ENOMEM : 0;
}

int desired_one_to_one_key(const struct nat_one_to_one *o, struct strbuf *out)
{
	char buf[ADDR_STRLEN];

	strbuf_append(out, "one-to-one/");
	strbuf_append(out, addr_format(&o->public_addr, buf));
	return out->oom ? -ENOMEM : 0;
}

/* An entry of the intent's NAT by its key, for the counters. */
struct nat_entry {
	char *key;
	const char *ptr;
	size_t order; /* forwards first, then one-to-one entries */
};

static int nat_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nat_entry *)a)->key, ((const struct nat_entry *)b)->key);
}

/* A counter given an entry's pointer: its place in the list, the entry's order. */
struct nat_counted {
	size_t at, order;
	struct counter c;
};

static int nat_counted_cmp(const void *a, const void *b)
{
	const struct nat_counted *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int nat_entries(const struct nat *nat, struct nat_entry *v)
{
	struct strbuf key = {0};
	size_t i, n = nat->n_destination + nat->n_one_to_one;
	int r = 0;

	for (i = 0; i < n && r >= 0; i++) {
		strbuf_truncate(&key, 0);
		if (i < nat->n_destination)
			r = desired_dnat_key(&nat->destination[i], &key);
		else
			r = desired_one_to_one_key(&nat->one_to_one[i - nat->n_destination], &key);
		v[i].key = r >= 0 ? strdup(strbuf_str(&key)) : NULL;
		v[i].ptr = i < nat->n_destination ? nat->destination[i].ptr
						  : nat->one_to_one[i - nat->n_destination].ptr;
		v[i].order = i;
		if (!v[i].key)
			r = -ENOMEM;
	}
	strbuf_done(&key);
	return r;
}

int desired_nat_counter_pointers(const struct intent *in, struct counterlist *l)
{
	size_t n = in->nat->n_destination + in->nat->n_one_to_one, i, m = 0;
	struct nat_entry *v = calloc(n + 1, sizeof(*v));
	struct nat_counted *got = calloc(l->n + 1, sizeof(*got));
	size_t *places = calloc(l->n + 1, sizeof(*places));
	int r = v && got && places ? nat_entries(in->nat, v) : -ENOMEM;

	if (r >= 0)
		qsort(v, n, sizeof(*v), nat_entry_cmp);
	for (i = 0; i < l->n && r >= 0; i++) {
		struct counter *c = &l->v[i];
		struct nat_entry k = {.key = c->name}, *e;

		if (c->kind != OBJ_NAT_RULE || c->builtin || c->pointer)
			continue;
		e = bsearch(&k, v, n, sizeof(*v), nat_entry_cmp);
		if (!e)
			continue;
		c->pointer = strdup(e->ptr);
		if (!c->pointer)
			r = -ENOMEM;
		places[m] = i;
		got[m++] = (struct nat_counted){.at = i, .order = e->order, .c = *c};
	}
	/* The same places, in the intent's order (the kernel gives them in their content's). */
	if (r >= 0) {
		qsort(got, m, sizeof(*got), nat_counted_cmp);
		for (i = 0; i < m; i++)
			l->v[places[i]] = got[i].c;
	}
	for (i = 0; v && i < n; i++)
		free(v[i].key);
	free(v);
	free(got);
	free(places);
	return r;
}

int desired_nat(const struct intent *in, struct objset *set)
{
	const struct nat *nat = in->nat;
	struct strbuf key = {0}, text = {0};
	size_t i, n = nat->n_source + nat->n_destination + nat->n_one_to_one;
	int r = 0;

	for (i = 0; i < n && r >= 0; i++) {
		const char *ptr;

		strbuf_truncate(&key, 0);
		strbuf_truncate(&text, 0);
		if (i < nat->n_source) {
			strbuf_printf(&key, "snat/%zu", i);
			text_snat(&text, &nat->source[i]);
			ptr = nat->source[i].ptr;
		} else if (i < nat->n_source + nat->n_destination) {
			desired_dnat_key(&nat->destination[i - nat->n_source], &key);
			text_dnat(&text, &nat->destination[i - nat->n_source]);
			ptr = nat->destination[i - nat->n_source].ptr;
		} else {
			size_t j = i - nat->n_source - nat->n_destination;

			desired_one_to_one_key(&nat->one_to_one[j], &key);
			text_one_to_one(&text, &nat->one_to_one[j]);
			ptr = nat->one_to_one[j].ptr;
		}
		r = key.oom || text.oom ? -ENOMEM
					: add_text(set, OBJ_NAT_RULE, strbuf_str(&key),
						   strbuf_str(&text), ptr);
	}
	strbuf_done(&key);
	strbuf_done(&text);
	return r;
}
