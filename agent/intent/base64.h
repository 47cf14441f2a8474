/* SPDX-License-Identifier: MIT */
/* WireGuard keys in base64: 32 bytes as 44 characters, the last one '=' (as `wg genkey` and
 * `wg pubkey` print them). Pure. */
#pragma once

#include <stdint.h>

#define BASE64_KEY_LEN 32
#define BASE64_KEY_STRLEN 44

/* Decodes a key in standard base64 (RFC 4648 alphabet, canonical: the unused low bits of the
 * last character are zero). Returns 0, or -EINVAL and leaves ret untouched. */
int base64_key_decode(const char *s, uint8_t ret[BASE64_KEY_LEN]);
/* Encodes a key: BASE64_KEY_STRLEN characters and a NUL. */
void base64_key_encode(const uint8_t key[BASE64_KEY_LEN], char ret[BASE64_KEY_STRLEN + 1]);
