/* SPDX-License-Identifier: MIT */
/* The top level of an intent document. */
#include <errno.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "parse.h"
#include "read.h"
#include "sections.h"

DEFINE_PTR_CLEANUP(struct intent, intent_free)

/* A section read against a previous intent is a reference to its section (see parse.h). */
static void share_routes(struct intent *in, const struct intent *prev)
{
	routes_unref(in->routes);
	in->routes = routes_ref(prev->routes);
	in->has |= prev->has & INTENT_HAS_ROUTES;
}

static void share_firewall(struct intent *in, const struct intent *prev)
{
	firewall_unref(in->firewall);
	in->firewall = firewall_ref(prev->firewall);
}

static void share_nat(struct intent *in, const struct intent *prev)
{
	nat_unref(in->nat);
	in->nat = nat_ref(prev->nat);
}

static void share_dhcp(struct intent *in, const struct intent *prev)
{
	dhcp_unref(in->dhcp);
	in->dhcp = dhcp_ref(prev->dhcp);
}

/* share: for the sections whose reading uses their own value only (their checks may look at
 * other sections: they run on every load). */
static const struct {
	const char *key;
	void (*parse)(struct jr *r, const struct json_t *v, struct intent *in);
	void (*check)(const struct intent *in, struct errlist *errs);
	void (*share)(struct intent *in, const struct intent *prev);
} sections[] = {
	{"interfaces", parse_interfaces, check_interfaces, NULL},
	{"routes", parse_routes, check_routes, share_routes},
	{"firewall", parse_firewall, check_firewall, share_firewall},
	{"nat", parse_nat, check_nat, share_nat},
	{"dhcp", parse_dhcp, check_dhcp, share_dhcp},
	{"dns", parse_dns, check_dns, NULL},
	{"vpn", parse_vpn, check_vpn, NULL},
	{"vrrp", parse_vrrp, check_vrrp, NULL},
};

static const char *const top_keys[] = {
	"version", "generation", "hostname", "interfaces", "routes", "firewall",
	"nat",	   "dhcp",	 "dns",	     "vpn",	   "vrrp",   NULL,
};

static void parse_top(struct jr *r, const struct json_t *root, const struct json_t *prev_root,
		      const struct intent *prev, struct intent *in)
{
	size_t i;

	if (!jr_object(r, root, top_keys))
		return;
	if (jr_int(r, root, "version", true, INT64_MIN, INT64_MAX, &in->version) > 0 &&
	    in->version != INTENT_VERSION) {
		size_t mark = jr_push_key(r, "version");

		jr_error(r, "unsupported version %lld (this agent reads version %d)",
			 (long long)in->version, INTENT_VERSION);
		jr_pop(r, mark);
	}
	jr_int(r, root, "generation", true, 1, INT64_MAX, &in->generation);
	if (read_member(r, root, "hostname", false, read_hostname, &in->hostname) > 0)
		in->has |= INTENT_HAS_HOSTNAME;
	jr_require(r, root, "interfaces");
	for (i = 0; i < ELEMENTSOF(sections); i++) {
		const struct json_t *v = jr_member(root, sections[i].key);
		size_t mark;

		if (!v)
			continue;
		if (prev && sections[i].share && v == jr_member(prev_root, sections[i].key)) {
			sections[i].share(in, prev);
			continue;
		}
		mark = jr_push_key(r, sections[i].key);
		sections[i].parse(r, v, in);
		jr_pop(r, mark);
	}
}

int intent_load_tree_from(const struct json_t *root, const struct json_t *prev_root,
			  const struct intent *prev, struct intent **ret, struct errlist *errs)
{
	_cleanup_(intent_freep) struct intent *in = intent_new();
	struct jr r = {.errs = errs};
	size_t before = errs->n, i;

	if (!in)
		return -ENOMEM;
	parse_top(&r, root, prev_root, prev && prev_root && jr_is_object(prev_root) ? prev : NULL,
		  in);
	jr_done(&r);
	if (errs->n == before && !errs->oom)
		for (i = 0; i < ELEMENTSOF(sections); i++)
			sections[i].check(in, errs);
	jr_sort_errors(errs, root);
	if (errs->n != before || errs->oom || errs->dropped)
		return -EINVAL;
	*ret = TAKE_PTR(in);
	return 0;
}

int intent_load_tree(const struct json_t *root, struct intent **ret, struct errlist *errs)
{
	return intent_load_tree_from(root, NULL, NULL, ret, errs);
}

int intent_load(const char *buf, size_t len, struct intent **ret, struct errlist *errs)
{
	struct json_t *root = NULL;
	int r;

	if (jr_load(errs, buf, len, &root) < 0)
		return -EINVAL;
	r = intent_load_tree(root, ret, errs);
	jr_unref(root);
	return r;
}
