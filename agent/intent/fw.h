/* SPDX-License-Identifier: MIT */
/*
 * The firewall section's own interface, between parse-firewall.c (the section, chains,
 * checks, destructor), parse-fw-sets.c (sets) and parse-fw-rules.c (rules). Not for other
 * sections: they see the firewall through sections.h and intent.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "intent.h"
#include "lib/addr.h"
#include "lib/jread.h"

/* What a rule's parse needs to know besides the rule. */
struct rule_ctx {
	const struct firewall *fw;
	const bool *set_bad;
	enum fw_chain_kind kind;
	int family;   /* 0 until something in the rule decides it */
	char why[64]; /* what decided it: "protocol icmp", "10.0.0.0/8", "set \"v4\"" */
};

/* parse-firewall.c */

/* A zeroed array of n elements (NULL when n is 0); reports "out of memory". */
void *fw_alloc_array(struct jr *r, size_t n, size_t size);
/* jr_ptr_dup() that reports "out of memory". */
char *fw_ptr_dup(struct jr *r);
/* Member `key` of obj, a keyword of a string table (from_string is < 0 for unknown ones);
 * `what` and `expected` word the error. Returns like the readers, the value in *ret. */
int fw_read_keyword(struct jr *r, const struct json_t *obj, const char *key,
		 int (*from_string)(const char *), const char *what, const char *expected,
		 int *ret);

/* parse-fw-sets.c */

/* Parses "sets"; *ret_bad[i] tells that set i is unusable (its error is reported), so that
 * references to it are not reported again. */
void parse_sets(struct jr *r, const struct json_t *v, struct firewall *fw, bool **ret_bad);

/* parse-fw-rules.c */

/* Parses one rule at the current pointer; c->fw, c->set_bad and c->kind are set. */
void parse_rule(struct jr *r, const struct json_t *v, struct rule_ctx *c, struct fw_rule *rule);
