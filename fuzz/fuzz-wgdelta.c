/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the peers that differ between two WireGuard tunnel files
 * (lib/wgdelta.h). The input is the old file, a NUL, then the new file.
 * Oracle: a model of a WireGuard device's peers (key, preshared key, endpoint, keepalive,
 * allowed IPs, as `wg setconf` and `wg addconf` set them). When the delta is given, the device
 * made from the old file, the removals and the additions applied, is the device made from the
 * new file; each removed key was a peer of the old file; no more sections are sent than peers
 * of the new file, and none for a file compared with itself. "The whole file" (0) leaves the
 * delta empty, and the same pair asked again gets the same answer.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "lib/wgdelta.h"

#define ZERO_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

struct field {
	const char *s;
	size_t n; /* 0: unset */
};

struct mpeer {
	struct field key, psk, endpoint, keepalive;
	struct field allowed[8]; /* the AllowedIPs lines' values */
	size_t n_allowed;
	bool gone;
};

struct model {
	struct mpeer v[64];
	size_t n;
	bool overflow;
};

static void trim(const char **s, size_t *n)
{
	while (*n && strchr(" \t\r\v\f", **s))
		(*s)++, (*n)--;
	while (*n && strchr(" \t\r\v\f", (*s)[*n - 1]))
		(*n)--;
}

static bool same(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && !strncasecmp(s, w, n);
}

static bool field_eq(struct field a, struct field b)
{
	return a.n == b.n && (!a.n || !memcmp(a.s, b.s, a.n));
}

static struct mpeer *find(struct model *m, struct field key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!m->v[i].gone && field_eq(m->v[i].key, key))
			return &m->v[i];
	return NULL;
}

/* One [Peer] section's settings onto the model, as wg does: allowed IPs replaced, the others
 * set where given. */
static void set_peer(struct model *m, const struct mpeer *p)
{
	struct mpeer *q = find(m, p->key);

	if (!q) {
		if (m->n == sizeof(m->v) / sizeof(m->v[0])) {
			m->overflow = true;
			return;
		}
		q = &m->v[m->n++];
		*q = (struct mpeer){.key = p->key};
	}
	if (p->psk.n)
		q->psk = p->psk;
	if (p->endpoint.n)
		q->endpoint = p->endpoint;
	if (p->keepalive.n)
		q->keepalive = p->keepalive;
	memcpy(q->allowed, p->allowed, sizeof(p->allowed));
	q->n_allowed = p->n_allowed;
}

/* Every [Peer] section of text onto the model (the [Interface] section is not modelled). */
static void apply_text(struct model *m, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct mpeer cur = {0};
	bool in_peer = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s = p, *eq, *k, *v;
		size_t n = (size_t)((nl ? nl : end) - p), kn, vn;

		p = nl ? nl + 1 : end;
		trim(&s, &n);
		if (same(s, n, "[Peer]")) {
			if (in_peer)
				set_peer(m, &cur);
			cur = (struct mpeer){0};
			in_peer = true;
			continue;
		}
		if (!in_peer || !n || *s == '#' || !(eq = memchr(s, '=', n)))
			continue;
		k = s, kn = (size_t)(eq - s), v = eq + 1, vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		if (same(k, kn, "PublicKey"))
			cur.key = (struct field){v, vn};
		else if (same(k, kn, "PresharedKey"))
			cur.psk = (struct field){v, vn};
		else if (same(k, kn, "Endpoint"))
			cur.endpoint = (struct field){v, vn};
		else if (same(k, kn, "PersistentKeepalive"))
			cur.keepalive = (struct field){v, vn};
		else if (same(k, kn, "AllowedIPs") && cur.n_allowed < 8)
			cur.allowed[cur.n_allowed++] = (struct field){v, vn};
		else if (same(k, kn, "AllowedIPs"))
			m->overflow = true;
	}
	if (in_peer)
		set_peer(m, &cur);
}

/* The peers' settings as WireGuard holds them: the zero key is no preshared key, a keepalive
 * of 0 is none. */
static bool no_psk(struct field f)
{
	return !f.n || (f.n == strlen(ZERO_KEY) && !memcmp(f.s, ZERO_KEY, f.n));
}

static bool no_keepalive(struct field f)
{
	return !f.n || (f.n == 1 && f.s[0] == '0');
}

static bool peer_eq(const struct mpeer *a, const struct mpeer *b)
{
	size_t i;

	if (no_psk(a->psk) != no_psk(b->psk) || (!no_psk(a->psk) && !field_eq(a->psk, b->psk)))
		return false;
	if (no_keepalive(a->keepalive) != no_keepalive(b->keepalive) ||
	    (!no_keepalive(a->keepalive) && !field_eq(a->keepalive, b->keepalive)))
		return false;
	if (!field_eq(a->endpoint, b->endpoint) || a->n_allowed != b->n_allowed)
		return false;
	for (i = 0; i < a->n_allowed; i++)
		if (!field_eq(a->allowed[i], b->allowed[i]))
			return false;
	return true;
}

static size_t live(const struct model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++)
		n += !m->v[i].gone;
	return n;
}

static void check_models(struct model *got, struct model *want)
{
	size_t i;

	if (got->overflow || want->overflow)
		return;
	if (live(got) != live(want))
		abort();
	for (i = 0; i < want->n; i++) {
		const struct mpeer *g = find(got, want->v[i].key);

		if (!g || !peer_eq(g, &want->v[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *old = (const char *)data, *sep = memchr(data, '\0', size), *new;
	size_t old_len, new_len, i, peers = 0;
	struct model *got, *want;
	struct wgdelta d, again;
	int r;

	if (!sep)
		return 0;
	old_len = (size_t)(sep - old);
	new = sep + 1;
	new_len = size - old_len - 1;
	r = wgdelta_compute(old, old_len, new, new_len, &d);
	if (r < 0)
		return 0;
	if (wgdelta_compute(old, old_len, new, new_len, &again) != r)
		abort();
	wgdelta_done(&again);
	if (r == 0) {
		if (d.n_remove || d.n_add || d.add.s)
			abort();
		return 0;
	}
	got = calloc(1, sizeof(*got));
	want = calloc(1, sizeof(*want));
	if (!got || !want)
		abort();
	apply_text(got, old, old_len);
	for (i = 0; i < d.n_remove; i++) {
		struct mpeer *p = find(got, (struct field){d.remove[i], strlen(d.remove[i])});

		if (!p && !got->overflow)
			abort(); /* not a peer of the old file */
		if (p)
			p->gone = true;
	}
	if (d.add.s)
		apply_text(got, d.add.s, d.add.len);
	apply_text(want, new, new_len);
	check_models(got, want);
	for (i = 0; i < new_len; i++)
		peers += same(new + i, new_len - i < 6 ? new_len - i : 6, "[Peer]");
	if (d.n_add > peers)
		abort();
	wgdelta_done(&d);
	if (wgdelta_compute(new, new_len, new, new_len, &d) != 1 || d.n_remove || d.n_add)
		abort();
	wgdelta_done(&d);
	free(got);
	free(want);
	return 0;
}
