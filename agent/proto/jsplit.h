/* SPDX-License-Identifier: MIT */
/*
 * A large JSON text parsed on two threads: jansson's json_loadb() in halves, joined into the
 * tree one call would build.
 *
 * The text is cut at a member (or element) boundary of the container that holds its middle:
 * the deepest one that still holds half of the text. The first part is the text without the
 * members after the cut, the second those members in a container of their own; each is parsed
 * by json_loadb(), the second on a thread, and its members are then appended to the first's
 * container. Every byte of the text goes to one of the two parsers except the container's own
 * punctuation around the cut, which the walk that finds it checks (lib/jtext.h); a key in both
 * parts is refused as a whole parse refuses it. Only with JSON_REJECT_DUPLICATES: without it,
 * a key twice keeps its last value, and the cut could be in the value thrown away.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

/* Texts shorter than this are parsed in one call: a thread costs more than it saves. */
#ifndef JSPLIT_MIN
#define JSPLIT_MIN (256u << 10)
#endif

/*
 * The value json_loadb(text, len, flags, NULL) returns, on two threads when the text is at
 * least min bytes, flags refuse duplicate keys and the text has a place to cut (else in one
 * call). NULL when the text is not valid
 * JSON or memory ran out, as json_loadb(): the caller that wants the reason parses it again
 * in one call. flags: those of json_loadb (JSON_REJECT_DUPLICATES, JSON_DECODE_ANY).
 */
json_t *jsplit_loadb(const char *text, size_t len, size_t flags, size_t min);

/* jsplit_loadb(), and also(data), once in any case: by whichever of the two threads is done
 * with its part first (else after the whole parse). For other work that is short beside the
 * text's: the two parts end about together, and a thread starts late at times. */
json_t *jsplit_loadb_also(const char *text, size_t len, size_t flags, size_t min,
			  void (*also)(void *data), void *data);
