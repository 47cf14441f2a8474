/* SPDX-License-Identifier: MIT */
/*
 * The plan: the operations that take the router from its observed state to the intent.
 * Pure: the observed state comes from a backend, the operations go to one.
 *
 *   intent ─render, desired_build─▶ desired objects ─┐
 *   observed ─observed_objects (by MAC)─▶ objects ───┴─plan_diff─▶ ordered operations
 */
#pragma once

#include "intent/intent.h"
#include "lib/errlist.h"
#include "objset.h"
#include "observed.h"
#include "op.h"

/*
 * Desired vs observed, by key. Unchanged objects give nothing; an object that differs, or
 * that someone else owns, a replace (the agent takes it over); a desired object not observed
 * a create; an observed object not desired a delete, but only if the agent may remove it:
 * never a foreign object, an address of a management interface, a NIC link or the hostname.
 *
 * Order: creates and replaces in ascending kind order, links ordered so that a rename never
 * meets a name still in use (a cycle of renames goes through a temporary name "vrtmpN"),
 * then deletes in descending kind order (make before break). Within a kind, the order of
 * the sets. Returns 0 or -ENOMEM.
 */
int plan_diff(const struct objset *desired, const struct objset *observed, struct oplist *ret);

/*
 * What the planner keeps from one plan to the next: the desired objects of the firewall
 * section (10,000 rule texts for a large firewall), for the last firewall section planned. A
 * section is known by its address while the cache holds a reference to it (so the address
 * cannot be another section's), and never changes once read, so its objects stay what
 * building them again would give. Owned by whoever plans again and again (the engine);
 * zero-initialised; plan_cache_done() releases it.
 */
struct plan_cache {
	struct firewall *firewall;
	struct object **objects; /* a reference to each */
	size_t n_objects;
};

void plan_cache_done(struct plan_cache *c);

/*
 * The whole plan of an intent against an observed state; confdir is where the service files
 * will live (render_services); cache: NULL, or the caller's (above). Returns 0, -EINVAL (plan
 * errors in errs, at the intent's pointers) or -ENOMEM. missing (NULL: not wanted): the MACs of
 * the intent's NICs that the router lacks are appended to it, as data, besides their errors (see
 * observed_objects).
 */
int plan_build(const struct intent *in, const struct observed *obs, const char *confdir,
	       struct plan_cache *cache, struct oplist *ret, struct missing_links *missing,
	       struct errlist *errs);
/* plan_build in its two halves, for a caller that plans one intent against two observed
 * states (before and after an apply): the desired objects of the intent (into ret, released
 * with objset_done), and the plan of desired objects against an observed state. */
int plan_desired(const struct intent *in, const char *confdir, struct plan_cache *cache,
		 struct objset *ret, struct errlist *errs);
int plan_against(const struct objset *desired, const struct observed *obs, struct oplist *ret,
		 struct missing_links *missing, struct errlist *errs);
