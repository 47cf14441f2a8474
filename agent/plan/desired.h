/* SPDX-License-Identifier: MIT */
/*
 * The desired objects of an intent: what the router must hold when the intent is in
 * effect. Pure: the service files come already rendered (render/render.h).
 *
 * Not desired, so never created and never deleted by the plan: VRRP virtual addresses
 * (keepalived adds and removes them), and anything on links the intent does not name.
 */
#pragma once

#include "intent/intent.h"
#include "lib/errlist.h"
#include "counter.h"
#include "lib/strbuf.h"
#include "objset.h"
#include "plan.h"
#include "render/render.h"

/*
 * All desired objects, in kind order, each kind in the intent's order. Errors (two intent
 * elements that are one object on the router) are reported at the intent's pointers.
 * cache: NULL, or where the firewall's objects are kept (plan.h).
 * Returns 0, -EINVAL (errors reported) or -ENOMEM; *ret is filled only on success.
 */
int desired_build(const struct intent *in, const struct rendered *files,
		  struct plan_cache *cache, struct objset *ret, struct errlist *errs);

/* desired-fw.c: firewall sets, elements, chains and rules, then NAT rules. */
int desired_firewall(const struct intent *in, struct objset *set);
int desired_nat(const struct intent *in, struct objset *set);
/* plan-cache.c: desired_firewall() through the cache (NULL: none). */
int plan_cache_firewall(struct plan_cache *c, const struct intent *in, struct objset *set);
/* The keys of a port forward ("dnat/public/203.0.113.11/tcp/8000": interface, public
 * address, protocol, first port) and of a one-to-one entry ("one-to-one/203.0.113.12"),
 * appended to out: their content, not their place in the list. 0 or -ENOMEM. */
int desired_dnat_key(const struct nat_dest *d, struct strbuf *out);
int desired_one_to_one_key(const struct nat_one_to_one *o, struct strbuf *out);
/* The canonical text of a rule (its attrs). */
int desired_rule_text(const struct fw_rule *rule, struct strbuf *out);
/*
 * The counters of port forwards and one-to-one entries in l (OBJ_NAT_RULE named by their
 * content, "dnat/public/203.0.113.11/tcp/8000", without a pointer: the kernel has none, see
 * nft-compile-nat.c) get the pointer of the intent's entry of that content, and take the
 * places of those counters in the intent's order. A counter of no entry of the intent keeps
 * its name only. 0 or -ENOMEM (l then unchanged but for pointers given).
 */
int desired_nat_counter_pointers(const struct intent *in, struct counterlist *l);
