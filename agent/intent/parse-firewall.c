/* SPDX-License-Identifier: MIT */
/*
 * "firewall": named address and port sets, the input, forward and output chains, and the
 * sources SSH to a management interface is admitted from.
 *
 * Sets are parsed before the chains, so that a rule's "@set" references are resolved in the
 * parse pass (existence, kind, address family) with exact pointers, and fw_rule.family is
 * complete when parsing ends. The check pass only resolves "in"/"out", which name links of
 * other sections.
 */
#include <stdlib.h>

#include "fw.h"
#include "read.h"
#include "sections.h"
#include "lib/utf8.h"

static const char *const firewall_keys[] = {
    "sets", "input", "forward", "output", "management_sources", NULL};
static const char *const chain_keys[] = {"policy", "rules", NULL};

static const enum fw_policy default_policy[_FW_CHAIN_MAX] = {
	[FW_INPUT] = FW_POLICY_DROP,
	[FW_FORWARD] = FW_POLICY_DROP,
	[FW_OUTPUT] = FW_POLICY_ACCEPT,
};

/* ---- helpers shared with parse-fw-sets.c and parse-fw-rules.c ---- */

void *fw_alloc_array(struct jr *r, size_t n, size_t size)
{
	void *p;

	if (!n)
		return NULL;
	p = calloc(n, size);
	if (!p)
		jr_error(r, "out of memory");
	return p;
}

char *fw_ptr_dup(struct jr *r)
{
	char *p = jr_ptr_dup(r);

	if (!p)
		jr_error(r, "out of memory");
	return p;
}

/* Member `key` of obj, a keyword of a string table (from_string is < 0 for unknown ones);
 * `what` and `expected` word the error. Returns like the readers, the value in *ret. */
int fw_read_keyword(struct jr *r, const struct json_t *obj, const char *key,
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
			jr_error(r, "unknown %s \"%.*s\" (expected %s)", what, UTF8_CUT(s, 32),
				 expected);
	}
	jr_pop(r, mark);
	if (k < 0)
		return -1;
	*ret = k;
	return 1;
}

/* ---- management_sources ---- */

/* Prefixes or addresses, at least one (absent is "any source"; an empty list would admit SSH
 * from nowhere, which no intent means: it is refused), none twice. */
static void parse_management_sources(struct jr *r, const struct json_t *v, struct firewall *fw)
{
	size_t mark, i, j;
	int res;

	res = read_array(r, v, "management_sources", false, LIMIT_SMALL, sizeof(struct ip_prefix),
			 read_prefix_or_host, &fw->management_sources, &fw->n_management_sources);
	if (res == 0)
		return;
	fw->has |= FW_HAS_MANAGEMENT_SOURCES;
	if (res < 0)
		return;
	mark = jr_push_key(r, "management_sources");
	if (!fw->n_management_sources)
		jr_error(r,
			 "must not be empty (without \"management_sources\", SSH to a management "
			 "interface is admitted from any source)");
	for (i = 1; i < fw->n_management_sources; i++)
		for (j = 0; j < i; j++)
			if (fw->management_sources[i].len == fw->management_sources[j].len &&
			    addr_equal(&fw->management_sources[i].addr,
				       &fw->management_sources[j].addr)) {
				char buf[PREFIX_STRLEN];
				size_t m = jr_push_index(r, i);

				jr_error(r, "duplicate source %s (also at index %zu)",
					 prefix_format_short(&fw->management_sources[i], buf), j);
				jr_pop(r, m);
				break;
			}
	jr_pop(r, mark);
}

/* ---- chains and the section ---- */

static void parse_chain(struct jr *r, const struct json_t *v, struct rule_ctx *c,
			struct fw_chain *ch)
{
	const struct json_t *rules;
	size_t mark, i;
	int policy;

	ch->present = true;
	ch->ptr = fw_ptr_dup(r);
	if (!jr_object(r, v, chain_keys))
		return;
	if (fw_read_keyword(r, v, "policy", fw_policy_from_string, "policy", "accept or drop",
			 &policy) > 0)
		ch->policy = (enum fw_policy)policy;
	rules = jr_member(v, "rules");
	if (!rules)
		return;
	mark = jr_push_key(r, "rules");
	if (jr_array(r, rules, LIMIT_MANY) && jr_size(rules)) {
		ch->rules = fw_alloc_array(r, jr_size(rules), sizeof(*ch->rules));
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
	struct firewall *fw = in->firewall;
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
	parse_management_sources(r, v, fw);
}

/* ---- cross-field checks ---- */

/* "in"/"out" name interfaces or tunnels. A single name is reported at the key. */
static void check_links(const struct intent *in, const struct fw_rule *rule, const char *key,
			char *const *names, size_t n, struct errlist *errs)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!intent_has_link(in, names[i]))
			errlist_add_member(errs, rule->ptr, key, n == 1 ? -1 : (long)i,
					   "unknown interface or tunnel \"%s\"", names[i]);
}

void check_firewall(const struct intent *in, struct errlist *errs)
{
	size_t k, i;

	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		const struct fw_chain *ch = &in->firewall->chains[k];

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

void free_firewall(struct firewall *fw)
{
	size_t i, k;

	for (i = 0; i < fw->n_sets; i++) {
		free(fw->sets[i].name);
		free(fw->sets[i].ptr);
		free(fw->sets[i].prefixes);
		free(fw->sets[i].ports);
	}
	free(fw->sets);
	free(fw->management_sources);
	for (k = 0; k < _FW_CHAIN_MAX; k++) {
		for (i = 0; i < fw->chains[k].n_rules; i++)
			fw_rule_free(&fw->chains[k].rules[i]);
		free(fw->chains[k].rules);
		free(fw->chains[k].ptr);
	}
	free(fw);
}
