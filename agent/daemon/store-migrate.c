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

/* A record's header line "R GENERATION LEN HASH\n" at *p: 1 when read, 0 when the log ends
 * before the line does (a torn append), -1 when the line is there and is not one. */
static int read_record(const char **p, const char *end, uint64_t *gen, uint64_t *n, uint64_t *h)
{
	const char *q = *p;

	if (read_word(&q, end, "R ") && read_number(&q, end, INT64_MAX, ' ', gen) &&
	    read_number(&q, end, SIZE_MAX, ' ', n) && read_hash(&q, end, h)) {
		*p = q;
		return 1;
	}
	return memchr(*p, '\n', (size_t)(end - *p)) ? -1 : 0;
}

int store_migrate_replay(const char *base, size_t base_len, const char *log, size_t log_len,
			 size_t max, struct store_migrate *ret)
{
	struct strbuf cur = {0}, next = {0}, tmp;
	const char *p = log, *end = log + log_len, *nl;
	uint64_t n, h, generation;
	bool replaying;
	int r = 0, k;

	*ret = (struct store_migrate){0};
	strbuf_append_n(&cur, base, base_len);
	ret->follows = read_word(&p, end, HEADER) && read_number(&p, end, SIZE_MAX, ' ', &n) &&
		       read_hash(&p, end, &h) && n == base_len && h == log_hash(base, base_len);
	if (!ret->follows) {
		/* Walked for its generations only, from its second line. */
		nl = memchr(log, '\n', log_len);
		p = nl ? nl + 1 : end;
	}
	replaying = ret->follows;
	while (p < end && r >= 0) {
		k = read_record(&p, end, &generation, &n, &h);
		if (k <= 0 || n > (size_t)(end - p)) {
			/* A header line that is not one, with more after it: damage. A line or a
			 * payload cut short by the end: a torn append. */
			ret->damaged |= replaying && k < 0;
			break;
		}
		if (h != log_hash(p, n)) {
			/* The last record's bytes, whole in length, fail their hash: a torn append
			 * too. Before the end: damage; the records after it are still walked. */
			ret->damaged |= replaying && p + n < end;
			replaying = false;
			p += n;
			continue;
		}
		if ((int64_t)generation > ret->newest)
			ret->newest = (int64_t)generation;
		if (replaying) {
			r = build(cur.s, cur.len, p, p + n, max, &next);
			if (r == -EINVAL) {
				ret->damaged = true;
				replaying = false;
				r = 0;
			} else if (r >= 0) {
				tmp = cur, cur = next, next = tmp;
				ret->records++;
			}
		}
		p += n;
	}
	strbuf_done(&next);
	strbuf_append(&cur, ""); /* a text even when empty */
	if (r < 0 || cur.oom) {
		strbuf_done(&cur);
		return -ENOMEM;
	}
	ret->len = cur.len;
	ret->text = strbuf_steal(&cur);
	return 0;
}

void store_migrate_done(struct store_migrate *m)
{
	free(m->text);
	*m = (struct store_migrate){0};
}
