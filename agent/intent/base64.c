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
