/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the observed-state reader of the recording backend. A state it accepts
 * must write back as JSON that reads again to the same text (round trip). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "plan/observed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct observed obs = {0}, again = {0};
	struct strbuf a = {0}, b = {0};
	struct errlist errs = {0};

	if (observed_from_json((const char *)data, size, &obs, &errs) == 0 &&
	    observed_to_json(&obs, &a) == 0) {
		if (observed_from_json(a.s, a.len, &again, &errs) != 0 ||
		    observed_to_json(&again, &b) != 0 || strcmp(strbuf_str(&a), strbuf_str(&b))) {
			fprintf(stderr, "observed state does not round-trip:\n%s\n", strbuf_str(&a));
			errlist_print(&errs, stderr);
			abort();
		}
		observed_done(&again);
	}
	strbuf_done(&a);
	strbuf_done(&b);
	observed_done(&obs);
	errlist_done(&errs);
	return 0;
}
