/* SPDX-License-Identifier: MIT */
/* The persisted intent's change log: records written and replayed (store-log.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "store-log.h"

#define HEADER "vrouter-log 1 "

uint64_t storelog_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ULL;
	return h;
}

int storelog_header(const char *base, size_t base_len, struct strbuf *out)
{
	return strbuf_printf(out, HEADER "%zu %016" PRIx64 "\n", base_len,
			     storelog_hash(base, base_len));
}

static void put_insert(struct strbuf *out, const char *p, size_t n)
{
	if (!n)
		return;
	strbuf_printf(out, "I %zu\n", n);
	strbuf_append_n(out, p, n);
}

ssize_t storelog_record(const char *prev, size_t prev_len, const char *text, size_t len,
			int64_t generation, const struct storelog_copy *copies, size_t n_copies,
			struct strbuf *out)
{
	struct strbuf payload = {0};
	size_t at = 0, copied = 0, i;
	int r;

	for (i = 0; i < n_copies; i++) {
		const struct storelog_copy *c = &copies[i];

		if (c->at < at || c->at > len || c->len > len - c->at || c->from > prev_len ||
		    c->len > prev_len - c->from || memcmp(text + c->at, prev + c->from, c->len))
			continue; /* out of order or not the same bytes: inserted with the rest */
		put_insert(&payload, text + at, c->at - at);
		if (c->len)
			strbuf_printf(&payload, "C %zu %zu\n", c->from, c->len);
		at = c->at + c->len;
		copied += c->len;
	}
	put_insert(&payload, text + at, len - at);
	strbuf_printf(out, "R %" PRId64 " %zu %016" PRIx64 "\n", generation, payload.len,
		      storelog_hash(payload.s ? payload.s : "", payload.len));
	strbuf_append_n(out, payload.s ? payload.s : "", payload.len);
	r = payload.oom || out->oom ? -ENOMEM : 0;
	strbuf_done(&payload);
	return r < 0 ? r : (ssize_t)copied;
}

/* ---- replay ---- */

/* A decimal number at *p (digits only, up to max), then the byte stop. */
static bool read_number(const char **p, const char *end, uint64_t max, char stop,
			uint64_t *ret)
{
	const char *q = *p;
	uint64_t v = 0;

	if (q == end || *q < '0' || *q > '9')
		return false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (max - (uint64_t)(*q - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q == end || *q != stop)
		return false;
	*p = q + 1;
	*ret = v;
	return true;
}

/* 16 lower-case hex digits at *p, then a newline. */
static bool read_hash(const char **p, const char *end, uint64_t *ret)
{
	const char *q = *p;
	uint64_t v = 0;
	int i;

	if (end - q < 17 || q[16] != '\n')
		return false;
	for (i = 0; i < 16; i++, q++) {
		int d = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;

		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
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

/* The text a payload builds from prev into out (emptied first): 0, -EINVAL if the payload is
 * not one, -ENOMEM. */
static int build(const char *prev, size_t prev_len, const char *p, const char *end, size_t max,
		 struct strbuf *out)
{
	uint64_t from, n;

	strbuf_truncate(out, 0);
	while (p < end) {
		if (read_word(&p, end, "C ")) {
			if (!read_number(&p, end, SIZE_MAX, ' ', &from) ||
			    !read_number(&p, end, SIZE_MAX, '\n', &n) || from > prev_len ||
			    n > prev_len - from || n > max - out->len)
				return -EINVAL;
			strbuf_append_n(out, prev + from, n);
		} else if (read_word(&p, end, "I ")) {
			if (!read_number(&p, end, SIZE_MAX, '\n', &n) || n > (size_t)(end - p) ||
			    n > max - out->len)
				return -EINVAL;
			strbuf_append_n(out, p, n);
			p += n;
		} else {
			return -EINVAL;
		}
		if (out->oom)
			return -ENOMEM;
	}
	return 0;
}

int storelog_replay(const char *base, size_t base_len, const char *log, size_t log_len,
		    size_t max, char **ret_text, size_t *ret_len, int64_t *ret_generation,
		    size_t *ret_valid)
{
	struct strbuf cur = {0}, next = {0}, tmp;
	const char *p = log, *end = log + log_len;
	uint64_t n, hash, generation = 0;
	size_t valid = 0;
	int r = 0;

	strbuf_append_n(&cur, base, base_len);
	if (read_word(&p, end, HEADER) && read_number(&p, end, SIZE_MAX, ' ', &n) &&
	    read_hash(&p, end, &hash) && n == base_len && hash == storelog_hash(base, base_len))
		valid = (size_t)(p - log);
	while (valid && p < end) {
		uint64_t g;

		if (!read_word(&p, end, "R ") || !read_number(&p, end, INT64_MAX, ' ', &g) ||
		    !read_number(&p, end, SIZE_MAX, ' ', &n) || !read_hash(&p, end, &hash) ||
		    n > (size_t)(end - p) || hash != storelog_hash(p, n))
			break;
		r = build(cur.s, cur.len, p, p + n, max, &next);
		if (r == -EINVAL) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		tmp = cur, cur = next, next = tmp;
		p += n;
		valid = (size_t)(p - log);
		generation = g;
	}
	strbuf_done(&next);
	if (r >= 0 && cur.oom)
		r = -ENOMEM;
	if (r >= 0)
		strbuf_append(&cur, ""); /* a text even when empty */
	if (r < 0 || cur.oom) {
		strbuf_done(&cur);
		return -ENOMEM;
	}
	*ret_len = cur.len;
	*ret_text = strbuf_steal(&cur);
	*ret_generation = (int64_t)generation;
	*ret_valid = valid;
	return 0;
}
