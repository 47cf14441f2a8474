/* SPDX-License-Identifier: MIT */
/* The plan of an intent against an observed state: render, desired, normalise, diff. */
#include <errno.h>

#include "desired.h"
#include "plan.h"
#include "render/render.h"

int plan_desired(const struct intent *in, const char *confdir, struct plan_cache *cache,
		 struct objset *ret, struct errlist *errs)
{
	struct rendered files = {0};
	int r;

	r = render_services(in, confdir, &files);
	if (r < 0)
		return r;
	r = desired_build(in, &files, cache, ret, errs);
	rendered_done(&files);
	return r;
}

int plan_against(const struct objset *desired, const struct observed *obs, struct oplist *ret,
		 struct missing_links *missing, struct errlist *errs)
{
	struct objset observed = {0};
	int r;

	r = observed_objects(obs, desired, &observed, missing, errs);
	if (r >= 0)
		r = plan_diff(desired, &observed, ret);
	objset_done(&observed);
	return r;
}

int plan_build(const struct intent *in, const struct observed *obs, const char *confdir,
	       struct plan_cache *cache, struct oplist *ret, struct missing_links *missing,
	       struct errlist *errs)
{
	struct objset desired = {0};
	int r;

	r = plan_desired(in, confdir, cache, &desired, errs);
	if (r >= 0)
		r = plan_against(&desired, obs, ret, missing, errs);
	objset_done(&desired);
	return r;
}
