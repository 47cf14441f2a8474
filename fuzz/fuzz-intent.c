/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: parse + validate an intent, then plan and render it. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "intent/parse.h"
#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = {0};
	struct intent *in = NULL;
	struct rendered rd = {0};

	if (intent_load((const char *)data, size, &in, &errs) == 0) {
		if (render_services(in, "/etc/vrouter", &rd) == 0)
			rendered_done(&rd);
		fuzz_plan(in);
		intent_free(in);
	}
	errlist_done(&errs);
	return 0;
}
