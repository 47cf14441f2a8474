/* SPDX-License-Identifier: MIT */
/* A growable string: the one way the agent builds text (pointers, canonical forms, configs). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *s; /* always NUL-terminated once anything was appended; NULL before */
	size_t len;
	size_t cap;
	bool oom; /* an allocation failed: the text is incomplete */
};

int strbuf_append(struct strbuf *b, const char *s);
int strbuf_append_n(struct strbuf *b, const char *s, size_t n);
/* Decimal, without printf (for text built by the ten thousand: object keys). */
int strbuf_append_uint(struct strbuf *b, uint64_t v);
int strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Room for extra more bytes and the NUL, for writing past len directly (then set len). */
int strbuf_reserve(struct strbuf *b, size_t extra);
void strbuf_truncate(struct strbuf *b, size_t len);
/* The text, or "" when empty; valid until the next append. */
const char *strbuf_str(const struct strbuf *b);
/* Hand the text to the caller (never NULL unless out of memory) and reset the buffer. */
char *strbuf_steal(struct strbuf *b);
void strbuf_done(struct strbuf *b);
