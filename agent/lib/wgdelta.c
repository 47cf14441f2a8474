/* SPDX-License-Identifier: MIT */
/* The peers that differ between two WireGuard tunnel files (wgdelta.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wgdelta.h"

enum {
	HAS_PRESHARED_KEY = 1 << 0,
	HAS_ENDPOINT = 1 << 1,
	HAS_KEEPALIVE = 1 << 2,
};

/* The zero key: no preshared key. */
#define ZERO_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

struct line {
	const char *s; /* trimmed, not NUL-terminated */
	size_t n;
};

struct peer {
	const char *key; /* WGSHOW_KEY_STRLEN characters in the text */
	size_t first, n; /* its lines, "[Peer]" first */
	unsigned has;
};

struct conf {
	struct line *lines; /* the significant lines: no blank line, no comment */
	size_t n_lines, cap_lines;
	size_t n_iface; /* the first n_iface lines: "[Interface]" and its keys */
	struct peer *peers;
	size_t n_peers, cap_peers;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static bool same(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !strncasecmp(s, word, n);
}

/* The key of "Key = value" (trimmed) in *k, *kn and its value in *v, *vn; false without '='. */
static bool split_kv(const struct line *l, const char **k, size_t *kn, const char **v, size_t *vn)
{
	const char *eq = memchr(l->s, '=', l->n);

	if (!eq)
		return false;
	*k = l->s;
	*kn = (size_t)(eq - l->s);
	*v = eq + 1;
	*vn = l->n - *kn - 1;
	trim(k, kn);
	trim(v, vn);
	return true;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *g;

	if (n < *cap)
		return 0;
	g = reallocarray(*v, *cap ? *cap * 2 : 64, size);
	if (!g)
		return -ENOMEM;
	*v = g;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* One significant line into c. 1, 0 (not a plain tunnel file) or -ENOMEM. */
static int conf_line(struct conf *c, const char *s, size_t n)
{
	struct peer *p = c->n_peers ? &c->peers[c->n_peers - 1] : NULL;
	const char *k, *v;
	size_t kn, vn;

	if (memchr(s, '\0', n))
		return 0;
	if (same(s, n, "[Peer]")) {
		if (grow((void **)&c->peers, &c->cap_peers, c->n_peers, sizeof(*c->peers)) < 0)
			return -ENOMEM;
		p = &c->peers[c->n_peers++];
		*p = (struct peer){.first = c->n_lines};
	} else if (same(s, n, "[Interface]")) {
		if (c->n_lines || p)
			return 0;
	} else if (!c->n_lines || *s == '[' || !split_kv(&(struct line){s, n}, &k, &kn, &v, &vn)) {
		return 0; /* a key before any section, another section, or no '=' */
	} else if (p && same(k, kn, "PublicKey")) {
		if (p->key || !wgshow_is_key(v, vn))
			return 0;
		p->key = v;
	} else if (p) {
		p->has |= same(k, kn, "PresharedKey")	       ? HAS_PRESHARED_KEY
			  : same(k, kn, "Endpoint")	       ? HAS_ENDPOINT
			  : same(k, kn, "PersistentKeepalive") ? HAS_KEEPALIVE
							       : 0;
	}
	if (grow((void **)&c->lines, &c->cap_lines, c->n_lines, sizeof(*c->lines)) < 0)
		return -ENOMEM;
	c->lines[c->n_lines++] = (struct line){s, n};
	if (p)
		p->n++;
	else
		c->n_iface++;
	return 1;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(((const struct peer *)a)->key, ((const struct peer *)b)->key,
		      WGSHOW_KEY_STRLEN);
}

/* 1: text read into c, its peers sorted by key; 0: not a plain tunnel file; -ENOMEM. */
static int conf_read(const char *text, size_t len, struct conf *c)
{
	const char *p = text, *end = text + len;
	size_t i;
	int r;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s = p;
		size_t n = (size_t)((nl ? nl : end) - p);

		p = nl ? nl + 1 : end;
		trim(&s, &n);
		if (!n || *s == '#')
			continue;
		if ((r = conf_line(c, s, n)) <= 0)
			return r;
	}
	for (i = 0; i < c->n_peers; i++)
		if (!c->peers[i].key)
			return 0;
	if (c->n_peers > 1)
		qsort(c->peers, c->n_peers, sizeof(*c->peers), by_key);
	for (i = 1; i < c->n_peers; i++)
		if (!by_key(&c->peers[i - 1], &c->peers[i]))
			return 0;
	return 1;
}

static void conf_done(struct conf *c)
{
	free(c->lines);
	free(c->peers);
}

static bool lines_equal(const struct line *a, const struct line *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].n != b[i].n || memcmp(a[i].s, b[i].s, a[i].n))
			return false;
	return true;
}

static int add_remove(struct wgdelta *d, const char *key)
{
	char(*g)[WGSHOW_KEY_STRLEN + 1] = reallocarray(d->remove, d->n_remove + 1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	d->remove = g;
	memcpy(g[d->n_remove], key, WGSHOW_KEY_STRLEN);
	g[d->n_remove++][WGSHOW_KEY_STRLEN] = '\0';
	return 0;
}

/* Peer p of c as a [Peer] section, with the settings old had and p lacks turned off. */
static void add_peer(struct wgdelta *d, const struct conf *c, const struct peer *p,
		     unsigned old_has)
{
	size_t i;

	for (i = p->first; i < p->first + p->n; i++) {
		strbuf_append_n(&d->add, c->lines[i].s, c->lines[i].n);
		strbuf_append(&d->add, "\n");
	}
	if (old_has & ~p->has & HAS_PRESHARED_KEY)
		strbuf_append(&d->add, "PresharedKey = " ZERO_KEY "\n");
	if (old_has & ~p->has & HAS_KEEPALIVE)
		strbuf_append(&d->add, "PersistentKeepalive = 0\n");
	d->n_add++;
}

/* The merge of both files' peers, sorted by key. */
static int delta(const struct conf *o, const struct conf *n, struct wgdelta *d)
{
	size_t i = 0, j = 0;
	int c;

	while (i < o->n_peers || j < n->n_peers) {
		const struct peer *a = i < o->n_peers ? &o->peers[i] : NULL;
		const struct peer *b = j < n->n_peers ? &n->peers[j] : NULL;

		c = !a ? 1 : !b ? -1 : by_key(a, b);
		if (c < 0) {
			if (add_remove(d, a->key) < 0)
				return -ENOMEM;
			i++;
			continue;
		}
		if (c > 0) {
			add_peer(d, n, b, 0);
			j++;
			continue;
		}
		if (a->n != b->n || !lines_equal(&o->lines[a->first], &n->lines[b->first], a->n)) {
			/* WireGuard keeps an endpoint until the peer goes. */
			bool again = (a->has & ~b->has & HAS_ENDPOINT) != 0;

			if (again && add_remove(d, a->key) < 0)
				return -ENOMEM;
			add_peer(d, n, b, again ? 0 : a->has);
		}
		i++, j++;
	}
	return d->add.oom ? -ENOMEM : 1;
}

int wgdelta_compute(const char *old, size_t old_len, const char *new, size_t new_len,
		    struct wgdelta *d)
{
	struct conf o = {0}, n = {0};
	int r;

	*d = (struct wgdelta){0};
	r = conf_read(old, old_len, &o);
	if (r > 0)
		r = conf_read(new, new_len, &n);
	if (r > 0 && (o.n_iface != n.n_iface || !lines_equal(o.lines, n.lines, o.n_iface)))
		r = 0;
	if (r > 0)
		r = delta(&o, &n, d);
	conf_done(&o);
	conf_done(&n);
	if (r <= 0)
		wgdelta_done(d);
	return r;
}

void wgdelta_done(struct wgdelta *d)
{
	free(d->remove);
	if (d->add.s)
		explicit_bzero(d->add.s, d->add.cap);
	strbuf_done(&d->add);
	*d = (struct wgdelta){0};
}
