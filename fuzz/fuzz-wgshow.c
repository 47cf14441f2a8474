/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: `wg show NAME endpoints|latest-handshakes|transfer` as the agent reads it
 * (lib/wgshow.h). The input is one byte (which listing, mod 3) then the listing's text.
 * Invariants: a listing read is refused whole or read whole; every peer read has a key of 44
 * base64 characters, an endpoint only when it says so, and no more peers than lines; reading
 * the same listing again adds no peer and changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/wgshow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgshow s = {0}, again = {0};
	enum wgshow_what what;
	const char *text;
	size_t len, lines = 1, i;
	int r;

	if (!size)
		return 0;
	what = (enum wgshow_what)(data[0] % 3);
	text = (const char *)data + 1;
	len = size - 1;
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	r = wgshow_parse(&s, what, text, len);
	if (r < 0 && (s.n_peers || s.peers))
		abort(); /* refused whole */
	if (s.n_peers > lines)
		abort();
	for (i = 0; i < s.n_peers; i++) {
		const struct wgshow_peer *p = &s.peers[i];

		if (strlen(p->public_key) != WGSHOW_KEY_STRLEN || p->public_key[43] != '=')
			abort();
		if (!(p->has & WGSHOW_HAS_ENDPOINT) && p->endpoint[0])
			abort();
		if (!wgshow_find(&s, p->public_key))
			abort();
	}
	if (r >= 0) {
		if (wgshow_parse(&again, what, text, len) < 0 || again.n_peers != s.n_peers)
			abort();
		if (wgshow_parse(&s, what, text, len) < 0 || again.n_peers != s.n_peers)
			abort();
		for (i = 0; i < s.n_peers; i++)
			if (memcmp(&s.peers[i], &again.peers[i], sizeof(s.peers[i])))
				abort();
	}
	wgshow_done(&s);
	wgshow_done(&again);
	return 0;
}
