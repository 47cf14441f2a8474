/* SPDX-License-Identifier: MIT */
/* The persisted intent's change log: records written and replayed (store-log.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
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

/* How many bytes a and b share at their start (step: 1) or end (step: -1), at most n. */
static size_t common(const char *a, const char *b, size_t n, int step)
{
	size_t i = 0;

	/* A block at a time first: members are megabytes that mostly match. */
	while (n - i >= 256 &&
	       !memcmp(step > 0 ? a + i : a - i - 256, step > 0 ? b + i : b - i - 256, 256))
		i += 256;
	while (i < n && (step > 0 ? a[i] == b[i] : a[-1 - (ptrdiff_t)i] == b[-1 - (ptrdiff_t)i]))
		i++;
	return i;
}

static void put_copy(struct strbuf *out, size_t from, size_t n)
{
	strbuf_printf(out, "C %zu %zu\n", from, n);
}

ssize_t storelog_record(const char *prev, size_t prev_len, const char *text, size_t len,
			int64_t generation, const struct storelog_pair *pairs, size_t n_pairs,
			struct strbuf *out)
{
	struct strbuf payload = {0};
	size_t at = 0, copied = 0, i, pre, suf, n;
	int r;

	for (i = 0; i < n_pairs; i++) {
		const struct storelog_pair *p = &pairs[i];

		if (p->at < at || p->at > len || p->len > len - p->at || p->from > prev_len ||
		    p->from_len > prev_len - p->from)
			continue; /* out of order or out of bounds: inserted with the rest */
		n = p->len < p->from_len ? p->len : p->from_len;
		pre = common(text + p->at, prev + p->from, n, 1);
		suf = pre == n ? 0
			       : common(text + p->at + p->len, prev + p->from + p->from_len,
					n - pre, -1);
		if (pre < STORELOG_COPY_MIN)
			pre = 0;
		if (suf < STORELOG_COPY_MIN)
			suf = 0;
		put_insert(&payload, text + at, p->at - at);
		if (pre)
			put_copy(&payload, p->from, pre);
		put_insert(&payload, text + p->at + pre, p->len - pre - suf);
		if (suf)
			put_copy(&payload, p->from + p->from_len - suf, suf);
		at = p->at + p->len;
		copied += pre + suf;
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
static bool read_number(const char **p, const char *end, uint64_t max, char stop, uint64_t *ret)
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
		int d = *q >= '0' && *q <= '9'	 ? *q - '0'
			: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
						 : -1;

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

int storelog_replay(const char *base, size_t base_len, const char *log, size_t log_len, size_t max,
		    char **ret_text, size_t *ret_len, int64_t *ret_generation, size_t *ret_valid,
		    size_t *ret_records)
{
	struct strbuf cur = {0}, next = {0}, tmp;
	const char *p = log, *end = log + log_len;
	uint64_t n, hash, generation = 0;
	size_t valid = 0, records = 0;
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
		records++;
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
	*ret_records = records;
	return 0;
}
