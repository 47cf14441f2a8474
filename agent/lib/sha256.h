/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4): the checksum of the files the agent persists (lib/seal.h). Portable C,
 * and the x86 SHA extensions where the CPU has them (cpuid, checked once per context), which
 * hash a persisted intent of a few MB in about a millisecond instead of several.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_LEN)

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	uint8_t buf[64];
	size_t n;      /* bytes in buf */
	bool portable; /* the portable code, whatever the CPU has (set after init: tests) */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_LEN]);
/* The digest of data in lower-case hex, NUL-terminated. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
