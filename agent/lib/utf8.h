/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 for the text that leaves the agent: JSON answers must be UTF-8 (jansson refuses
 * anything else), and kernel names (a link's) and cut messages need not be.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* The length of s cut to at most max bytes, never inside a multi-byte character: for
 * printf's "%.*s" (UTF8_CUT), where "%.64s" could cut one in two. */
int utf8_cut(const char *s, size_t max);
#define UTF8_CUT(s, max) utf8_cut((s), (max)), (s)

/* Whether s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or NUL). */
bool utf8_valid(const char *s, size_t len);

/* Appends s[0..len) to out with each byte that is not part of a well-formed character
 * written as the text \xHH (a backslash itself stays as it is). 0 or -ENOMEM. */
int utf8_escape(const char *s, size_t len, struct strbuf *out);
