/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the agent's request parser (daemon/proto.c), differential. The input is
 * KNOWN "\n" LINE: KNOWN stands for the text of the intent in effect (used when it is one JSON
 * value, as it always is in the agent). A line recognised as carrying KNOWN without parsing it
 * must be the request a whole parse reads (same kind, same id, the intent equal to KNOWN and
 * found at the same bytes); a line not recognised must get the answer a whole parse gives; the
 * text a whole parse finds for the intent must parse to the intent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/proto.h"
#include "fuzz.h"

static void fail(const char *what)
{
	fprintf(stderr, "request parser: %s\n", what);
	abort();
}

static bool same_id(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *nl = memchr(buf, '\n', size);
	struct proto_request fast = {0}, whole = {0};
	struct strbuf e1 = {0}, e2 = {0};
	struct json_t *known_doc = NULL, *raw_doc = NULL;
	const char *known = NULL, *line = buf;
	size_t known_len = 0, len = size;
	int r1, r2;

	if (nl) {
		known = buf;
		known_len = (size_t)(nl - buf);
		line = nl + 1;
		len = size - known_len - 1;
		if (proto_document_load(known, known_len, &known_doc) < 0)
			known = NULL;
	}
	r1 = proto_request_parse(line, len, known, known_len, &fast, &e1);
	r2 = proto_request_parse(line, len, NULL, 0, &whole, &e2);
	if (fast.known) {
		if (r1 != 0 || r2 != 0)
			fail("a recognised line does not parse");
		if (fast.kind != whole.kind || !same_id(fast.id, whole.id))
			fail("a recognised line is another request");
		if (!proto_document_equal(known_doc, whole.intent))
			fail("a recognised line carries another intent");
		if (!whole.raw || whole.raw_len != known_len || memcmp(whole.raw, known, known_len))
			fail("the intent's text is not where it was recognised");
	} else if (r1 != r2 || fast.kind != whole.kind || !same_id(fast.id, whole.id) ||
		   strcmp(strbuf_str(&e1), strbuf_str(&e2))) {
		fail("a line not recognised is read otherwise than by a whole parse");
	}
	if (r2 == 0 && whole.raw) {
		if (proto_document_load(whole.raw, whole.raw_len, &raw_doc) < 0 ||
		    !proto_document_equal(raw_doc, whole.intent))
			fail("the intent's text is not the intent");
	}
	proto_document_unref(raw_doc);
	proto_document_unref(known_doc);
	proto_request_done(&fast);
	proto_request_done(&whole);
	strbuf_done(&e1);
	strbuf_done(&e2);
	return 0;
}
