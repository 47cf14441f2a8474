/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the checksum line of the state directory's files (lib/seal.c), which every
 * file the agent reads back goes through. The input is a whole file.
 *
 * Whole (SEAL_OK) is only ever what seal_header() writes for the body that follows it, byte for
 * byte; the input sealed as a body reads back whole, as itself; and that sealed text with any
 * byte changed or cut short is never whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/seal.h"

static void fail(const char *what)
{
	fprintf(stderr, "seal: %s\n", what);
	abort();
}

static enum seal_problem open_text(const char *text, size_t len, size_t *body)
{
	struct strbuf detail = {0};
	enum seal_problem p = seal_open(text, len, body, &detail);

	if (p != SEAL_OK && p != SEAL_UNSEALED && !detail.len && !detail.oom)
		fail("a problem without its details");
	strbuf_done(&detail);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char head[SEAL_HEADER_MAX], *sealed;
	size_t body, n;
	enum seal_problem p;

	p = open_text(text, size, &body);
	if (p == SEAL_UNSEALED && (!size || text[0] == '#' || body))
		fail("unsealed, yet empty or starting with '#'");
	if (p == SEAL_OK) {
		n = seal_header(text + body, size - body, head);
		if (n != body || memcmp(head, text, n))
			fail("whole, yet not the header seal_header() writes");
	}
	/* The input as a body: whole, itself; changed or cut, not whole. */
	n = seal_header(text, size, head);
	sealed = malloc(n + size + 1);
	if (!sealed)
		return 0;
	memcpy(sealed, head, n);
	memcpy(sealed + n, text, size);
	if (open_text(sealed, n + size, &body) != SEAL_OK || body != n)
		fail("a sealed text does not read back whole");
	if (open_text(sealed, n + size / 2, &body) == SEAL_OK && size)
		fail("a sealed text cut short reads whole");
	sealed[size ? (size_t)data[0] * 131 % (n + size) : 0] ^= 0x04;
	if (open_text(sealed, n + size, &body) == SEAL_OK)
		fail("a sealed text with a byte changed reads whole");
	free(sealed);
	return 0;
}
