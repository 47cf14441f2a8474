/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the persisted intent's change log (daemon/store-log.c). The input is
 * BASE "\0" LOG ["\0" NEXT].
 *
 * LOG is replayed over BASE: the text it builds is at most the limit, and replaying only the
 * valid beginning it reports builds the same text, generation and beginning (the store cuts
 * the log there and appends after it). With NEXT, a record of NEXT is written over that text
 * (pairs of spans of both, whose common ends it copies) and appended: the replay then builds
 * NEXT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/store-log.h"
#include "fuzz.h"

#define LIMIT 4096

static void fail(const char *what)
{
	fprintf(stderr, "store log: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base = (const char *)data, *log, *next = NULL, *z;
	size_t base_len, log_len, next_len = 0, len, len2, valid, valid2, records, records2;
	char *text = NULL, *text2 = NULL;
	int64_t gen, gen2;
	struct strbuf b = {0};

	z = memchr(base, '\0', size);
	if (!z)
		return 0;
	base_len = (size_t)(z - base);
	log = z + 1;
	log_len = size - base_len - 1;
	z = memchr(log, '\0', log_len);
	if (z) {
		next = z + 1;
		next_len = log_len - (size_t)(z - log) - 1;
		log_len = (size_t)(z - log);
	}
	if (base_len > LIMIT)
		return 0;
	if (storelog_replay(base, base_len, log, log_len, LIMIT, &text, &len, &gen, &valid, &records) < 0)
		return 0;
	if (len > LIMIT || valid > log_len || strlen(text) > len)
		fail("out of bounds");
	if (storelog_replay(base, base_len, log, valid, LIMIT, &text2, &len2, &gen2, &valid2, &records2) < 0)
		goto out;
	if (len2 != len || memcmp(text, text2, len) || gen2 != gen || valid2 != valid ||
	    records2 != records)
		fail("the valid beginning replays otherwise");
	free(text2);
	text2 = NULL;
	if (!next || next_len > LIMIT)
		goto out;
	/* NEXT as a record after the valid beginning (a header first when there is none) */
	strbuf_append_n(&b, log, valid);
	if (!valid)
		storelog_header(base, base_len, &b);
	/* the whole of NEXT where the whole text stood, or (NEXT ending in an odd byte) two
	 * pairs from its last bytes (bounds not checked here: the writer must) */
	{
		struct storelog_pair p[2] = {{0, next_len, 0, len}};
		size_t n = 1;

		if (next_len >= 4 && next[next_len - 1] & 1) {
			const uint8_t *q = (const uint8_t *)next + next_len - 4;

			p[0] = (struct storelog_pair){q[0], q[1], q[2], q[3]};
			p[1] = (struct storelog_pair){q[0] + (size_t)q[1], next_len, q[2], len};
			n = 2;
		}
		if (storelog_record(text, len, next, next_len, 9, p, n, &b) < 0)
			goto out;
	}
	if (b.oom ||
	    storelog_replay(base, base_len, b.s, b.len, LIMIT, &text2, &len2, &gen2, &valid2, &records2) < 0)
		goto out;
	if (len2 != next_len || memcmp(text2, next, next_len) || gen2 != 9 || valid2 != b.len ||
	    records2 != records + 1)
		fail("a record appended does not build its text");
out:
	strbuf_done(&b);
	free(text);
	free(text2);
	return 0;
}
