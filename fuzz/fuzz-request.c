/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the agent's request parser (proto/proto-request.c), differential. The
 * input is KNOWN "\n" LINE ["\n" NEXT]: KNOWN stands for the text of the intent in effect (used
 * when it is one JSON value, as it always is in the agent).
 *
 * LINE is read three ways: against KNOWN in effect, against KNOWN not in effect, and alone.
 * A line recognised as carrying KNOWN without parsing it must be the request a whole parse
 * reads (same kind, same id, the intent equal to KNOWN and found at the same bytes); a line read
 * against KNOWN member by member must be that request too, its intent equal to the whole
 * parse's; any other line must get the answer a whole parse gives. The text a whole parse finds
 * for the intent must parse to the intent.
 *
 * NEXT, when there is one, is read against LINE's intent as the agent would remember it (its
 * text, its tree and the index the reading brought): again the request a whole parse reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
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

/* The line read with known (NULL: none) against a whole parse of it, checked. The whole
 * parse's request is left in *whole, the other in *fast. */
static void check(const char *line, size_t len, struct proto_in_effect *known, bool in_effect,
		  struct proto_request *fast, struct proto_request *whole)
{
	struct strbuf e1 = {0}, e2 = {0};
	struct json_t *raw_doc = NULL;
	size_t known_len = 0;
	const char *known_text = known ? proto_in_effect_text(known, &known_len) : NULL;
	int r1, r2;

	r1 = proto_request_parse(line, len, known, in_effect, fast, &e1);
	r2 = proto_request_parse(line, len, NULL, false, whole, &e2);
	if (fast->known) {
		if (!in_effect)
			fail("a line recognised as an intent not in effect");
		if (r1 != 0 || r2 != 0)
			fail("a recognised line does not parse");
		if (fast->kind != whole->kind || !same_id(fast->id, whole->id))
			fail("a recognised line is another request");
		if (!proto_document_equal(proto_in_effect_tree(known), whole->intent))
			fail("a recognised line carries another intent");
		if (!whole->raw || whole->raw_len != known_len ||
		    memcmp(whole->raw, known_text, known_len))
			fail("the intent's text is not where it was recognised");
	} else if (fast->index) {
		if (r1 != 0 || r2 != 0)
			fail("a line read against the known intent does not parse");
		if (fast->kind != whole->kind || !same_id(fast->id, whole->id))
			fail("a line read against the known intent is another request");
		if (!proto_document_equal(fast->intent, whole->intent))
			fail("a line read against the known intent carries another intent");
		if (fast->raw != whole->raw || fast->raw_len != whole->raw_len)
			fail("the intent's text is not where it was read");
	} else if (r1 != r2 || fast->kind != whole->kind || !same_id(fast->id, whole->id) ||
		   strcmp(strbuf_str(&e1), strbuf_str(&e2))) {
		fail("a line not recognised is read otherwise than by a whole parse");
	}
	if (r2 == 0 && whole->raw) {
		if (proto_document_load(whole->raw, whole->raw_len, &raw_doc) < 0 ||
		    !proto_document_equal(raw_doc, whole->intent))
			fail("the intent's text is not the intent");
	}
	proto_document_unref(raw_doc);
	strbuf_done(&e1);
	strbuf_done(&e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *nl = memchr(buf, '\n', size), *nl2;
	struct proto_request fast = {0}, whole = {0}, other = {0}, next = {0}, next_whole = {0};
	struct proto_in_effect *known = NULL, *after = NULL;
	struct json_t *known_doc = NULL;
	const char *line = buf;
	size_t len = size, next_len = 0;

	/* Changed members read member by member from a few bytes on: the fuzzer's short inputs
	 * reach that reading too. */
	proto_request_tune(8);
	if (nl) {
		if (proto_document_load(buf, (size_t)(nl - buf), &known_doc) >= 0)
			known = proto_in_effect_new(buf, (size_t)(nl - buf), known_doc, NULL);
		line = nl + 1;
		len = size - (size_t)(nl - buf) - 1;
	}
	nl2 = memchr(line, '\n', len);
	if (nl2) {
		next_len = len - (size_t)(nl2 - line) - 1;
		len = (size_t)(nl2 - line);
	}
	check(line, len, known, true, &fast, &whole);
	proto_request_done(&whole);
	check(line, len, known, false, &other, &whole);
	if (nl2 && other.intent && other.raw) {
		after = proto_in_effect_new(other.raw, other.raw_len, other.intent, other.index);
		other.index = NULL;
		proto_request_done(&next_whole);
		check(nl2 + 1, next_len, after, false, &next, &next_whole);
	}
	proto_in_effect_free(after);
	proto_in_effect_free(known);
	proto_document_unref(known_doc);
	proto_request_done(&fast);
	proto_request_done(&whole);
	proto_request_done(&other);
	proto_request_done(&next);
	proto_request_done(&next_whole);
	return 0;
}
