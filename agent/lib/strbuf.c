/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int strbuf_reserve(struct strbuf *b, size_t extra)
{
	size_t need, cap;
	char *s;

	if (b->oom)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return -ENOMEM;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

int strbuf_append_n(struct strbuf *b, const char *s, size_t n)
{
	int r = strbuf_reserve(b, n);

	if (r < 0)
		return r;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int strbuf_append(struct strbuf *b, const char *s)
{
	return strbuf_append_n(b, s, strlen(s));
}

int strbuf_append_uint(struct strbuf *b, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	do
		d[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	return strbuf_append_n(b, d + n, sizeof(d) - n);
}

int strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_list aq;
	int n, r;

	/* Once into the room there is, and a second time only when it did not fit. */
	va_copy(aq, ap);
	n = vsnprintf(room ? b->s + b->len : NULL, room, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < room && !b->oom) {
		b->len += (size_t)n;
		return 0;
	}
	r = strbuf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

void strbuf_truncate(struct strbuf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->s[len] = '\0';
	}
}

const char *strbuf_str(const struct strbuf *b)
{
	return b->s ? b->s : "";
}

char *strbuf_steal(struct strbuf *b)
{
	char *s;

	if (b->oom) {
		strbuf_done(b);
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	*b = (struct strbuf){0};
	return s;
}

void strbuf_done(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf){0};
}
