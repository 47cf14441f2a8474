/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "base64.h"

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_key_decode(const char *s, uint8_t ret[BASE64_KEY_LEN])
{
	uint8_t key[BASE64_KEY_LEN];
	int v[BASE64_KEY_STRLEN - 1];
	size_t i, o;

	if (strlen(s) != BASE64_KEY_STRLEN || s[BASE64_KEY_STRLEN - 1] != '=')
		return -EINVAL;
	for (i = 0; i < BASE64_KEY_STRLEN - 1; i++) {
		v[i] = base64_value(s[i]);
		if (v[i] < 0)
			goto bad;
	}
	/* 43 characters carry 258 bits; the last 2 must be zero. */
	if (v[BASE64_KEY_STRLEN - 2] & 3)
		goto bad;
	for (i = 0, o = 0; i + 4 <= BASE64_KEY_STRLEN - 1; i += 4) {
		uint32_t w = (uint32_t)v[i] << 18 | (uint32_t)v[i + 1] << 12 |
			     (uint32_t)v[i + 2] << 6 | (uint32_t)v[i + 3];

		key[o++] = (uint8_t)(w >> 16);
		key[o++] = (uint8_t)(w >> 8);
		key[o++] = (uint8_t)w;
	}
	/* The last 3 characters: 18 bits, of which the first 16 are the last 2 bytes. */
	key[o++] = (uint8_t)(v[i] << 2 | v[i + 1] >> 4);
	key[o++] = (uint8_t)(v[i + 1] << 4 | v[i + 2] >> 2);
	memcpy(ret, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(v, sizeof(v));
	return 0;
bad:
	explicit_bzero(v, sizeof(v));
	return -EINVAL;
}

void base64_key_encode(const uint8_t key[BASE64_KEY_LEN], char ret[BASE64_KEY_STRLEN + 1])
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	/* 32 bytes = 10 groups of 3 (40 characters) + 2 bytes (3 characters and '='). */
	for (i = 0; i < BASE64_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8;

		if (i + 2 < BASE64_KEY_LEN)
			v |= key[i + 2];
		ret[o++] = alphabet[v >> 18];
		ret[o++] = alphabet[(v >> 12) & 0x3f];
		ret[o++] = alphabet[(v >> 6) & 0x3f];
		ret[o++] = i + 2 < BASE64_KEY_LEN ? alphabet[v & 0x3f] : '=';
	}
	ret[o] = '\0';
}
