/* SPDX-License-Identifier: MIT */
/* The old change log replayed once (store-migrate.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "store-migrate.h"

#define HEADER "vrouter-log 1 "

/* FNV-1a, 64 bits: the log's hash of the snapshot and of each payload. */
static uint64_t log_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ULL;
	return h;
}

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

int store_migrate_replay(const char *base, size_t base_len, const char *log, size_t log_len,
			 size_t max, char **ret_text, size_t *ret_len, size_t *ret_records)
{
	struct strbuf cur = {0}, next = {0}, tmp;
	const char *p = log, *end = log + log_len;
	uint64_t n, h, generation;
	size_t records = 0;
	bool follows;
	int r = 0;

	strbuf_append_n(&cur, base, base_len);
	follows = read_word(&p, end, HEADER) && read_number(&p, end, SIZE_MAX, ' ', &n) &&
		  read_hash(&p, end, &h) && n == base_len && h == log_hash(base, base_len);
	while (follows && p < end) {
		if (!read_word(&p, end, "R ") ||
		    !read_number(&p, end, INT64_MAX, ' ', &generation) ||
		    !read_number(&p, end, SIZE_MAX, ' ', &n) || !read_hash(&p, end, &h) ||
		    n > (size_t)(end - p) || h != log_hash(p, n))
			break;
		r = build(cur.s, cur.len, p, p + n, max, &next);
		if (r < 0)
			break;
		tmp = cur, cur = next, next = tmp;
		p += n;
		records++;
	}
	strbuf_done(&next);
	/* A payload that is not one (-EINVAL): the log ends before it. */
	if (r == -EINVAL)
		r = 0;
	strbuf_append(&cur, ""); /* a text even when empty */
	if (r < 0 || cur.oom) {
		strbuf_done(&cur);
		return -ENOMEM;
	}
	*ret_len = cur.len;
	*ret_text = strbuf_steal(&cur);
	*ret_records = records;
	return 0;
}
