/* SPDX-License-Identifier: MIT */
/*
 * What turns a WireGuard link configured from one tunnel file (`wg setconf` syntax, as
 * render-wireguard.c writes it) into the same link configured from another, touching only the
 * peers that differ: the peers to remove (`wg set NAME peer KEY remove`) and the [Peer]
 * sections to add or update (`wg addconf NAME FILE`, which sets each listed peer, its allowed
 * IPs replaced, and leaves every other peer and its session alone).
 *
 * A peer that loses a setting is sent so that the setting goes: a preshared key as the zero
 * key (none), a persistent keepalive as 0 (off); one that loses its endpoint, which WireGuard
 * cannot unset, is removed and added again. Lines are compared as written, blank lines and
 * comments aside: a peer written another way is sent again, which changes nothing.
 *
 * The old text may be anything (it is read back from disk): whatever is not a plain file of
 * one [Interface] section then [Peer] sections each with one valid PublicKey, keys unique, is
 * answered with "apply the whole file", as is a difference in the [Interface] section.
 * Pure; the add text holds keys and is cleared by wgdelta_done.
 */
#pragma once

#include <stddef.h>

#include "strbuf.h"
#include "wgshow.h"

struct wgdelta {
	char (*remove)[WGSHOW_KEY_STRLEN + 1]; /* public keys, in base64 */
	size_t n_remove;
	struct strbuf add; /* [Peer] sections for wg addconf */
	size_t n_add;
};

/* 1: the delta from old to new in d (both counts 0: nothing to do); 0: the whole file must be
 * applied (d empty); -ENOMEM. */
int wgdelta_compute(const char *old, size_t old_len, const char *new, size_t new_len,
		    struct wgdelta *d);
void wgdelta_done(struct wgdelta *d);
