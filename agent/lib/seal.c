/* SPDX-License-Identifier: MIT */
/* The checksum line of the state directory's files (seal.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "seal.h"
#include "sha256.h"

#define VERSION "v1"
#define ALGORITHM "sha256"

static const char *const names[] = {
    [SEAL_OK] = "ok",
    [SEAL_UNSEALED] = "unsealed",
    [SEAL_HEADER] = "header",
    [SEAL_VERSION] = "version",
    [SEAL_TRUNCATED] = "truncated",
    [SEAL_LENGTH] = "length",
    [SEAL_CHECKSUM] = "checksum",
    [SEAL_INVALID] = "invalid",
    [SEAL_ORPHAN] = "orphan",
    [SEAL_STALE] = "stale",
};

const char *seal_problem_to_string(enum seal_problem p)
{
	return (size_t)p < ELEMENTSOF(names) ? names[p] : NULL;
}

int seal_problem_from_string(const char *s)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}

const char *seal_problem_describe(enum seal_problem p)
{
	static const char *const what[] = {
	    [SEAL_OK] = "whole",
	    [SEAL_UNSEALED] = "no checksum line",
	    [SEAL_HEADER] = "its first line is not a vrouter-state checksum line",
	    [SEAL_VERSION] = "written in a later format than this agent reads",
	    [SEAL_TRUNCATED] = "shorter than its checksum line says (cut short)",
	    [SEAL_LENGTH] = "longer than its checksum line says (bytes added)",
	    [SEAL_CHECKSUM] = "changed since it was written: its content does not match its "
			      "checksum line (a damaged disk, or an edit by hand)",
	    [SEAL_INVALID] = "whole, but it does not load in this version of the agent",
	    [SEAL_ORPHAN] = "a change log of an older agent whose snapshot is damaged or missing",
	    [SEAL_STALE] = "an older generation than its change log holds",
	};

	return (size_t)p < ELEMENTSOF(what) ? what[p] : "unknown";
}

size_t seal_header(const char *body, size_t len, char out[SEAL_HEADER_MAX])
{
	char hex[SHA256_HEX_LEN + 1];
	int n;

	sha256_hex(body, len, hex);
	n = snprintf(out, SEAL_HEADER_MAX, SEAL_MAGIC VERSION " " ALGORITHM " %s %zu\n", hex, len);
	return (size_t)n;
}

/* A decimal length at *p (digits only, no leading zero but "0"), then stop. */
static bool read_len(const char **p, const char *end, char stop, size_t *ret)
{
	const char *q = *p;
	size_t v = 0;

	if (q == end || *q < '0' || *q > '9' || (*q == '0' && q + 1 < end && q[1] != stop))
		return false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (SIZE_MAX - (size_t)(*q - '0')) / 10)
			return false;
		v = v * 10 + (size_t)(*q - '0');
	}
	if (q == end || *q != stop)
		return false;
	*p = q + 1;
	*ret = v;
	return true;
}

static bool read_word(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || memcmp(*p, word, n))
		return false;
	*p += n;
	return true;
}

enum seal_problem seal_open(const char *text, size_t len, size_t *ret_body, struct strbuf *detail)
{
	const char *p = text, *end = text + len, *hex, *sp;
	char have[SHA256_HEX_LEN + 1];
	size_t want, body_len;

	*ret_body = 0;
	if (!len || text[0] != '#') {
		if (!len)
			strbuf_printf(detail, "the file is empty");
		return len ? SEAL_UNSEALED : SEAL_TRUNCATED;
	}
	if (!read_word(&p, end, SEAL_MAGIC)) {
		strbuf_printf(detail, "it does not start with \"%s\"", SEAL_MAGIC);
		return SEAL_HEADER;
	}
	sp = memchr(p, ' ', (size_t)(end - p) < 17 ? (size_t)(end - p) : 17);
	if (sp && sp - p == (ptrdiff_t)strlen(VERSION) && !memcmp(p, VERSION, strlen(VERSION))) {
		p = sp + 1;
	} else if (sp && sp - p >= 2 && *p == 'v' &&
		   strspn(p + 1, "0123456789") >= (size_t)(sp - p - 1)) {
		strbuf_printf(detail, "its format is %.*s, this agent reads " VERSION,
			      (int)(sp - p), p);
		return SEAL_VERSION;
	} else {
		strbuf_printf(detail, "no format version in its first line");
		return SEAL_HEADER;
	}
	if (!read_word(&p, end, ALGORITHM " ")) {
		strbuf_printf(detail, "its checksum is not " ALGORITHM);
		return SEAL_HEADER;
	}
	hex = p;
	for (; p < end && p - hex < SHA256_HEX_LEN; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			break;
	if (p - hex != SHA256_HEX_LEN || !read_word(&p, end, " ") ||
	    !read_len(&p, end, '\n', &want)) {
		strbuf_printf(detail,
			      "its first line is not \"%s" VERSION " " ALGORITHM " HEX LENGTH\"",
			      SEAL_MAGIC);
		return SEAL_HEADER;
	}
	body_len = (size_t)(end - p);
	if (body_len != want) {
		strbuf_printf(detail, "%zu bytes after its first line, which says %zu", body_len,
			      want);
		return body_len < want ? SEAL_TRUNCATED : SEAL_LENGTH;
	}
	sha256_hex(p, body_len, have);
	if (memcmp(have, hex, SHA256_HEX_LEN)) {
		strbuf_printf(detail,
			      "the SHA-256 of its content is %.12s..., its first line says "
			      "%.12s...",
			      have, hex);
		return SEAL_CHECKSUM;
	}
	*ret_body = (size_t)(p - text);
	return SEAL_OK;
}
