/* SPDX-License-Identifier: MIT */
/* The plan of an intent against an observed state: render, desired, normalise, diff. */
#include <errno.h>

#include "desired.h"
#include "plan.h"
#include "render/render.h"

int plan_build(const struct intent *in, const struct observed *obs, const char *confdir,
	       struct plan_cache *cache, struct oplist *ret, struct missing_links *missing,
	       struct errlist *errs)
{
	struct objset desired = {0}, observed = {0};
	struct rendered files = {0};
	int r;

	r = render_services(in, confdir, &files);
	if (r < 0)
		return r;
	r = desired_build(in, &files, cache, &desired, errs);
	rendered_done(&files);
	if (r < 0)
		return r;
	r = observed_objects(obs, &desired, &observed, missing, errs);
	if (r >= 0)
		r = plan_diff(&desired, &observed, ret);
	objset_done(&desired);
	objset_done(&observed);
	return r;
}
