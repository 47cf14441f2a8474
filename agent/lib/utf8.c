/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

int utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	/* Cut before a continuation byte: back to the lead byte of its character. */
	if (n == max && s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* The length of the well-formed character at s (at most len bytes), or 0. */
static size_t utf8_char(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] >= 0x01 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = utf8_char((const unsigned char *)s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

int utf8_escape(const char *s, size_t len, struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, n;

	while (i < len) {
		const unsigned char *p = (const unsigned char *)s + i;
		char esc[4] = {'\\', 'x', hex[p[0] >> 4], hex[p[0] & 15]};

		n = utf8_char(p, len - i);
		if (n ? strbuf_append_n(out, s + i, n) < 0 : strbuf_append_n(out, esc, 4) < 0)
			return -ENOMEM;
		i += n ? n : 1;
	}
	return strbuf_append_n(out, "", 0) < 0 ? -ENOMEM : 0;
}
