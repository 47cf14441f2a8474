/* SPDX-License-Identifier: MIT */
/*
 * The output of `wg show NAME endpoints`, `wg show NAME latest-handshakes` and
 * `wg show NAME transfer`: one line per peer, its public key then tab-separated fields. Those
 * three carry no secret (unlike `wg show NAME dump` or `wg showconf`), so the agent reads a
 * tunnel's state through them. Pure: the services backend runs wg, this reads its output.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define WGSHOW_KEY_STRLEN 44 /* base64 of 32 bytes */
/* "[v6]:65535" */
#define WGSHOW_ENDPOINT_STRLEN (ADDR_STRLEN + 8)

enum wgshow_what {
	WGSHOW_ENDPOINTS,
	WGSHOW_HANDSHAKES,
	WGSHOW_TRANSFER,
};

enum {
	WGSHOW_HAS_ENDPOINT = 1 << 0,
	WGSHOW_HAS_HANDSHAKE = 1 << 1, /* a handshake happened (wg prints 0 for none) */
	WGSHOW_HAS_TRANSFER = 1 << 2,
};

struct wgshow_peer {
	unsigned has;
	char public_key[WGSHOW_KEY_STRLEN + 1];
	char endpoint[WGSHOW_ENDPOINT_STRLEN]; /* as wg prints it: "192.0.2.1:51820" */
	int64_t latest_handshake;	       /* seconds since the epoch */
	uint64_t rx_bytes, tx_bytes;
};

struct wgshow {
	struct wgshow_peer *peers;
	size_t n_peers;
};

/* Reads one listing of kind what into s: a peer not yet in s is added, one already there
 * (by public key) gets the listing's fields. A listing is refused whole (-EINVAL) when a line
 * is not of its form; s then keeps what the earlier listings gave. 0, -EINVAL or -ENOMEM. */
int wgshow_parse(struct wgshow *s, enum wgshow_what what, const char *text, size_t len);
/* Whether s[0..n) is a WireGuard key in base64 (44 characters, the last '='). */
bool wgshow_is_key(const char *s, size_t n);
/* The peer of s with that public key, or NULL. */
const struct wgshow_peer *wgshow_find(const struct wgshow *s, const char *public_key);
void wgshow_done(struct wgshow *s);
