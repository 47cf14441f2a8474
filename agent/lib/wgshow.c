/* SPDX-License-Identifier: MIT */
/* `wg show NAME endpoints|latest-handshakes|transfer` read back (wgshow.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wgshow.h"

/* A field is at most this long: a key, an endpoint or a 64-bit number. */
#define WGSHOW_FIELD_MAX 64
#define WGSHOW_FIELDS_MAX 3

bool wgshow_is_key(const char *s, size_t n)
{
	size_t i;

	if (n != WGSHOW_KEY_STRLEN || s[n - 1] != '=')
		return false;
	for (i = 0; i < n - 1; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return false;
	return true;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "(none)", "192.0.2.1:51820" or "[2001:db8::1]:51820". */
static int parse_endpoint(const char *s, struct wgshow_peer *p)
{
	char host[WGSHOW_FIELD_MAX + 1];
	const char *colon;
	struct ip_addr a;
	uint64_t port;
	size_t n;

	if (!strcmp(s, "(none)"))
		return 0;
	colon = strrchr(s, ':');
	if (!colon || parse_u64(colon + 1, &port) < 0 || port > 65535)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
	} else {
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (addr_parse(host, &a) < 0 || (s[0] == '[') != (a.family == AF_INET6))
		return -EINVAL;
	if (strlen(s) >= sizeof(p->endpoint))
		return -EINVAL;
	strcpy(p->endpoint, s);
	p->has |= WGSHOW_HAS_ENDPOINT;
	return 0;
}

/* The fields of a line: tab-separated, each non-empty and at most WGSHOW_FIELD_MAX long. */
static int split(const char *line, size_t len, char f[WGSHOW_FIELDS_MAX + 1][WGSHOW_FIELD_MAX + 1])
{
	size_t n = 0, start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (i == start || i - start > WGSHOW_FIELD_MAX || n > WGSHOW_FIELDS_MAX)
			return -EINVAL;
		memcpy(f[n], line + start, i - start);
		f[n][i - start] = '\0';
		if (memchr(f[n], '\0', i - start))
			return -EINVAL;
		n++;
		start = i + 1;
	}
	return (int)n;
}

static int parse_line(const char *line, size_t len, enum wgshow_what what, struct wgshow_peer *p)
{
	char f[WGSHOW_FIELDS_MAX + 1][WGSHOW_FIELD_MAX + 1];
	uint64_t v;
	int n = split(line, len, f);

	if (n < 2 || !wgshow_is_key(f[0], strlen(f[0])))
		return -EINVAL;
	memcpy(p->public_key, f[0], WGSHOW_KEY_STRLEN + 1);
	switch (what) {
	case WGSHOW_ENDPOINTS:
		return n == 2 ? parse_endpoint(f[1], p) : -EINVAL;
	case WGSHOW_HANDSHAKES:
		if (n != 2 || parse_u64(f[1], &v) < 0 || v > INT64_MAX)
			return -EINVAL;
		p->latest_handshake = (int64_t)v;
		if (v)
			p->has |= WGSHOW_HAS_HANDSHAKE;
		return 0;
	case WGSHOW_TRANSFER:
		if (n != 3 || parse_u64(f[1], &p->rx_bytes) < 0 ||
		    parse_u64(f[2], &p->tx_bytes) < 0)
			return -EINVAL;
		p->has |= WGSHOW_HAS_TRANSFER;
		return 0;
	}
	return -EINVAL;
}

static struct wgshow_peer *find(struct wgshow *s, const char *key, size_t hint)
{
	size_t i;

	/* The listings give the peers in the same order: the hint is usually it. */
	if (hint < s->n_peers && !strcmp(s->peers[hint].public_key, key))
		return &s->peers[hint];
	for (i = 0; i < s->n_peers; i++)
		if (!strcmp(s->peers[i].public_key, key))
			return &s->peers[i];
	return NULL;
}

const struct wgshow_peer *wgshow_find(const struct wgshow *s, const char *public_key)
{
	return find((struct wgshow *)s, public_key, 0);
}

int wgshow_parse(struct wgshow *s, enum wgshow_what what, const char *text, size_t len)
{
	struct wgshow_peer *lines = NULL, *v;
	size_t n = 0, i, start = 0, end;
	int r = 0;

	/* Every line first, so that a listing refused changes nothing. */
	for (start = 0; start < len && r >= 0; start = end + 1) {
		const char *nl = memchr(text + start, '\n', len - start);

		end = nl ? (size_t)(nl - text) : len;
		v = realloc(lines, (n + 1) * sizeof(*lines));
		if (!v) {
			r = -ENOMEM;
			break;
		}
		lines = v;
		lines[n] = (struct wgshow_peer){0};
		r = parse_line(text + start, end - start, what, &lines[n]);
		n++;
	}
	if (r < 0) {
		free(lines);
		return r;
	}
	for (i = 0; i < n; i++) {
		struct wgshow_peer *p = find(s, lines[i].public_key, i);

		if (!p) {
			v = realloc(s->peers, (s->n_peers + 1) * sizeof(*v));
			if (!v) {
				free(lines);
				return -ENOMEM;
			}
			s->peers = v;
			p = &s->peers[s->n_peers++];
			*p = (struct wgshow_peer){0};
			memcpy(p->public_key, lines[i].public_key, sizeof(p->public_key));
		}
		switch (what) {
		case WGSHOW_ENDPOINTS:
			p->has =
			    (p->has & ~WGSHOW_HAS_ENDPOINT) | (lines[i].has & WGSHOW_HAS_ENDPOINT);
			memcpy(p->endpoint, lines[i].endpoint, sizeof(p->endpoint));
			break;
		case WGSHOW_HANDSHAKES:
			p->has = (p->has & ~WGSHOW_HAS_HANDSHAKE) |
				 (lines[i].has & WGSHOW_HAS_HANDSHAKE);
			p->latest_handshake = lines[i].latest_handshake;
			break;
		case WGSHOW_TRANSFER:
			p->has |= WGSHOW_HAS_TRANSFER;
			p->rx_bytes = lines[i].rx_bytes;
			p->tx_bytes = lines[i].tx_bytes;
			break;
		}
	}
	free(lines);
	return 0;
}

void wgshow_done(struct wgshow *s)
{
	free(s->peers);
	*s = (struct wgshow){0};
}
