/* SPDX-License-Identifier: MIT */
/* WireGuard tunnels' files applied with wg syncconf, and read with wg show (wireguard.h). */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runner.h"
#include "wg-userspace.h"
#include "wireguard.h"

#define WGSYNC_TIMEOUT_MS 10000
/* `wg show NAME transfer` of 10,000 peers: about 900 kB. */
#define WGSYNC_SHOW_MAX (4u << 20)

/* The tunnel of a file's path, or NULL. */
static const char *tunnel_of(const char *rel, char name[OBJ_NAME_SIZE])
{
	size_t n = strlen(WGSYNC_DIR), len;

	if (strncmp(rel, WGSYNC_DIR "/", n + 1))
		return NULL;
	rel += n + 1;
	len = strlen(rel);
	if (len <= 5 || len - 5 >= OBJ_NAME_SIZE || strcmp(rel + len - 5, ".conf") ||
	    strchr(rel, '/'))
		return NULL;
	memcpy(name, rel, len - 5);
	name[len - 5] = '\0';
	return name;
}

bool wgsync_accepts(const struct object *o)
{
	char name[OBJ_NAME_SIZE];

	return o->file.service && !strcmp(o->file.service, WGSYNC_SERVICE) &&
	       tunnel_of(o->key, name);
}

static void tunnels_clear(struct wgsync *w)
{
	size_t i;

	for (i = 0; i < w->n_tunnels; i++)
		free(w->tunnels[i]);
	free(w->tunnels);
	w->tunnels = NULL;
	w->n_tunnels = 0;
}

int wgsync_prepare(struct wgsync *w, const struct intent *in)
{
	size_t i;

	tunnels_clear(w);
	w->resync = false;
	if (!in->vpn.n_wireguard)
		return 0;
	w->tunnels = calloc(in->vpn.n_wireguard, sizeof(*w->tunnels));
	if (!w->tunnels)
		return -ENOMEM;
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		w->tunnels[i] = strdup(in->vpn.wireguard[i].name);
		if (!w->tunnels[i])
			return -ENOMEM;
		w->n_tunnels++;
	}
	return 0;
}

static struct wgsync_known *known_find(struct wgsync *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_known; i++)
		if (!strcmp(w->known[i].name, name))
			return &w->known[i];
	return NULL;
}

static void known_forget(struct wgsync *w, const char *name)
{
	struct wgsync_known *k = known_find(w, name);

	if (k)
		*k = w->known[--w->n_known];
}

static int known_set(struct wgsync *w, const char *name, unsigned ifindex)
{
	struct wgsync_known *k = known_find(w, name);

	if (!k) {
		k = realloc(w->known, (w->n_known + 1) * sizeof(*k));
		if (!k)
			return -ENOMEM;
		w->known = k;
		k = &w->known[w->n_known++];
		snprintf(k->name, sizeof(k->name), "%s", name);
	}
	k->ifindex = ifindex;
	return 0;
}

/* wg's message without any line that quotes the file: wg quotes a line it cannot read, and a
 * line of the file may hold a key. */
static void scrub(const struct strbuf *out, struct strbuf *err)
{
	const char *s = strbuf_str(out), *nl;
	size_t n, before = err->len;

	for (; *s; s = nl ? nl + 1 : s + n) {
		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		if (!memchr(s, '`', n) && n) {
			if (err->len > before)
				strbuf_append(err, "; ");
			strbuf_append_n(err, s, n);
		}
		if (!nl)
			break;
	}
	if (err->len == before)
		strbuf_append(err, "wg refused the tunnel's file");
}

/* wg syncconf NAME CONFDIR/wireguard/NAME.conf; the link's index noted. */
static int sync_one(struct wgsync *w, const char *name, unsigned ifindex, struct strbuf *err)
{
	struct strbuf path = {0}, out = {0};
	char *argv[] = {(char *)WGSYNC_PROGRAM, (char *)"syncconf", (char *)name, NULL, NULL};
	int r;

	strbuf_printf(&path, "%s/%s/%s.conf", w->confdir, WGSYNC_DIR, name);
	argv[3] = (char *)strbuf_str(&path);
	r = runner_run(argv, WGSYNC_TIMEOUT_MS, NULL, &out);
	if (r != 0) {
		strbuf_printf(err, "wg syncconf %s: ", name);
		if (r < 0)
			strbuf_append(err, strerror(-r));
		else
			scrub(&out, err);
	}
	strbuf_done(&path);
	strbuf_done(&out);
	if (r != 0)
		return r < 0 ? r : -EIO;
	return known_set(w, name, ifindex);
}

/* Whether pending creates or replaces NAME's file. */
static bool changed(const struct oplist *pending, const char *name)
{
	char t[OBJ_NAME_SIZE];
	size_t i;

	for (i = 0; i < pending->n; i++)
		if (pending->v[i].type != OP_DELETE && tunnel_of(pending->v[i].obj->key, t) &&
		    !strcmp(t, name))
			return true;
	return false;
}

static int commit_one(struct wgsync *w, const char *name, bool change, struct strbuf *err)
{
	const struct wgsync_known *k = known_find(w, name);
	unsigned ifindex = if_nametoindex(name);

	if (!change && k && k->ifindex == ifindex)
		return 0;
	if (!ifindex) {
		strbuf_printf(err, "wg syncconf %s: no link %s", name, name);
		return -ENODEV;
	}
	return sync_one(w, name, ifindex, err);
}

int wgsync_commit(struct wgsync *w, const struct oplist *pending, struct strbuf *err)
{
	char t[OBJ_NAME_SIZE];
	size_t i;
	int r = 0;

	for (i = 0; i < pending->n && r >= 0; i++) {
		const struct op *op = &pending->v[i];

		if (!tunnel_of(op->obj->key, t))
			continue;
		if (op->type == OP_DELETE)
			known_forget(w, t);
		else
			r = commit_one(w, t, true, err);
	}
	for (i = 0; i < w->n_tunnels && r >= 0; i++)
		if (!changed(pending, w->tunnels[i]))
			r = commit_one(w, w->tunnels[i], false, err);
	return r;
}

void wgsync_revert(struct wgsync *w)
{
	w->resync = true;
}

int wgsync_abort(struct wgsync *w, struct strbuf *err)
{
	struct strbuf dir = {0};
	struct dirent *e;
	DIR *d;
	int r = 0, q;

	if (!w->resync)
		return 0;
	w->resync = false;
	strbuf_printf(&dir, "%s/%s", w->confdir, WGSYNC_DIR);
	d = opendir(strbuf_str(&dir));
	strbuf_done(&dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char rel[NAME_MAX + sizeof(WGSYNC_DIR) + 1], name[OBJ_NAME_SIZE];
		unsigned ifindex;

		snprintf(rel, sizeof(rel), "%s/%s", WGSYNC_DIR, e->d_name);
		if (e->d_name[0] == '.' || !tunnel_of(rel, name))
			continue;
		ifindex = if_nametoindex(name);
		if (!ifindex) {
			known_forget(w, name);
			continue;
		}
		q = sync_one(w, name, ifindex, err);
		if (q < 0)
			r = q;
	}
	closedir(d);
	return r;
}

void wgsync_done(struct wgsync *w)
{
	tunnels_clear(w);
	free(w->known);
	w->known = NULL;
	w->n_known = 0;
}

static int show(const char *name, const char *what, enum wgshow_what kind, struct wgshow *ret,
		struct strbuf *err)
{
	char *argv[] = {(char *)WGSYNC_PROGRAM, (char *)"show", (char *)name, (char *)what, NULL};
	struct strbuf out = {0};
	int r = runner_run_ex(argv, NULL, WGSYNC_TIMEOUT_MS, NULL, WGSYNC_SHOW_MAX, &out);

	if (r != 0) {
		strbuf_printf(err, "wg show %s %s: %s", name, what,
			      r < 0	? strerror(-r)
			      : out.len ? strbuf_str(&out)
					: "failed");
		r = r < 0 ? r : -EIO;
	} else if ((r = wgshow_parse(ret, kind, out.s ? out.s : "", out.len)) < 0) {
		strbuf_printf(err, "wg show %s %s: %s", name, what,
			      r == -ENOMEM ? "out of memory" : "output not understood");
	}
	strbuf_done(&out);
	return r;
}

int wgsync_show(const char *name, const char **ret_impl, struct wgshow *ret, struct strbuf *err)
{
	struct wgshow s = {0};
	int r;

	r = show(name, "endpoints", WGSHOW_ENDPOINTS, &s, err);
	if (r >= 0)
		r = show(name, "latest-handshakes", WGSHOW_HANDSHAKES, &s, err);
	if (r >= 0)
		r = show(name, "transfer", WGSHOW_TRANSFER, &s, err);
	if (r < 0) {
		wgshow_done(&s);
		return r;
	}
	/* wg itself asks the UAPI socket first, then the kernel. */
	*ret_impl = wgu_serves(name) ? "wireguard-go" : "kernel";
	*ret = s;
	return 0;
}
