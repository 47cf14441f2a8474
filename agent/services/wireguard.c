/* SPDX-License-Identifier: MIT */
/* WireGuard tunnels applied with wg (the peers that differ, or the whole file), and read with
 * wg show (wireguard.h). */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/rule-probe.h"
#include "lib/cleanup.h"
#include "lib/fdio.h"
#include "lib/wgdelta.h"
#include "render/render.h"
#include "runner.h"
#include "wg-userspace.h"
#include "wireguard.h"

#define WGSYNC_TIMEOUT_MS 10000
#define WGSYNC_RULES_WAIT_MS 5000
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
		free(w->tunnels[i].name);
	free(w->tunnels);
	w->tunnels = NULL;
	w->n_tunnels = 0;
}

int wgsync_prepare(struct wgsync *w, const struct intent *in)
{
	size_t i;

	tunnels_clear(w);
	w->resync = false;
	w->marked = in->vrrp.present && in->vrrp.n_groups;
	if (!in->vpn.n_wireguard)
		return 0;
	w->tunnels = calloc(in->vpn.n_wireguard, sizeof(*w->tunnels));
	if (!w->tunnels)
		return -ENOMEM;
	for (i = 0; i < in->vpn.n_wireguard; i++) {
		w->tunnels[i].name = strdup(in->vpn.wireguard[i].name);
		if (!w->tunnels[i].name)
			return -ENOMEM;
		w->tunnels[i].listen_port = in->vpn.wireguard[i].listen_port;
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

/* wg with argv (its first two after the program: verb and tunnel), stdin from in_fd (-1:
 * none). 0, or a negative errno with wg's scrubbed reason in err. */
static int run_wg(char *const argv[], int in_fd, struct strbuf *err)
{
	struct strbuf out = {0};
	int r = in_fd >= 0 ? runner_run_input(argv, in_fd, WGSYNC_TIMEOUT_MS, &out)
			   : runner_run(argv, WGSYNC_TIMEOUT_MS, NULL, &out);

	if (r != 0) {
		strbuf_printf(err, "wg %s %s: ", argv[1], argv[2]);
		if (r < 0)
			strbuf_append(err, strerror(-r));
		else
			scrub(&out, err);
	}
	strbuf_done(&out);
	return r > 0 ? -EIO : r;
}

/* wg VERB NAME CONFDIR/wireguard/NAME.conf (syncconf: the peers that differ; setconf: every
 * peer made again, without its sessions); the link's index noted. */
static int apply_one(struct wgsync *w, const char *verb, const char *name, unsigned ifindex,
		     struct strbuf *err)
{
	struct strbuf path = {0};
	char *argv[] = {(char *)WGSYNC_PROGRAM, (char *)verb, (char *)name, NULL, NULL};
	int r;

	strbuf_printf(&path, "%s/%s/%s.conf", w->confdir, WGSYNC_DIR, name);
	argv[3] = (char *)strbuf_str(&path);
	r = run_wg(argv, -1, err);
	strbuf_done(&path);
	return r < 0 ? r : known_set(w, name, ifindex);
}

static int sync_one(struct wgsync *w, const char *name, unsigned ifindex, struct strbuf *err)
{
	return apply_one(w, "syncconf", name, ifindex, err);
}

/* wg set NAME peer KEY remove ... (public keys only on the command line). */
static int remove_peers(const char *name, const struct wgdelta *d, struct strbuf *err)
{
	_cleanup_free_ char **argv = calloc(3 * d->n_remove + 4, sizeof(*argv));
	size_t i, n = 0;

	if (!argv)
		return -ENOMEM;
	argv[n++] = (char *)WGSYNC_PROGRAM;
	argv[n++] = (char *)"set";
	argv[n++] = (char *)name;
	for (i = 0; i < d->n_remove; i++) {
		argv[n++] = (char *)"peer";
		argv[n++] = (char *)d->remove[i];
		argv[n++] = (char *)"remove";
	}
	return run_wg(argv, -1, err);
}

/* wg addconf NAME /dev/stdin, its [Peer] sections (keys inside) in a memfd: on no disk and in
 * no argument. */
static int add_peers(const char *name, const struct wgdelta *d, struct strbuf *err)
{
	char *argv[] = {(char *)WGSYNC_PROGRAM, (char *)"addconf", (char *)name,
			(char *)"/dev/stdin", NULL};
	_cleanup_close_ int fd = memfd_create("wg-peers", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = fd_write_all(fd, d->add.s, d->add.len);
	if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	if (r >= 0)
		r = run_wg(argv, fd, err);
	(void)ftruncate(fd, 0);
	return r;
}

/* The peers that differ between the file the link was synced to (old) and obj sent alone
 * (lib/wgdelta.h): removed first, then added or updated. 1 when done; 0 when the whole file
 * is to be synced (the [Interface] section changed, or old is not a plain tunnel file); or a
 * negative errno with the reason in err (the caller puts the old file back and syncs it). */
static int send_delta(const char *name, const struct object *old, const struct object *obj,
		      struct strbuf *err)
{
	struct wgdelta d;
	int r;

	if (!old->file.content || !obj->file.content)
		return 0;
	r = wgdelta_compute(old->file.content, old->file.size, obj->file.content, obj->file.size,
			    &d);
	if (r <= 0)
		return r;
	if (d.n_remove)
		r = remove_peers(name, &d, err);
	if (r >= 0 && d.n_add)
		r = add_peers(name, &d, err);
	wgdelta_done(&d);
	return r < 0 ? r : 1;
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

static const struct wgsync_tunnel *tunnel_find(const struct wgsync *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_tunnels; i++)
		if (!strcmp(w->tunnels[i].name, name))
			return &w->tunnels[i];
	return NULL;
}

/* 0 if a UDP socket of family could bind port (or the family is absent), else -errno. */
static int udp_bindable(int family, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, one = 1, r = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno == EAFNOSUPPORT ? 0 : -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = errno == EADDRNOTAVAIL ? 0 : -errno;
	close(fd);
	return r;
}

/* Tunnel NAME's listen port as it runs, 0 if none or unknown. */
static uint16_t port_running(const char *name)
{
	char *argv[] = {(char *)WGSYNC_PROGRAM, (char *)"show", (char *)name,
			(char *)"listen-port", NULL};
	struct strbuf out = {0};
	unsigned long v = 0;

	if (runner_run(argv, WGSYNC_TIMEOUT_MS, NULL, &out) == 0 && out.s)
		v = strtoul(out.s, NULL, 10);
	strbuf_done(&out);
	return v <= UINT16_MAX ? (uint16_t)v : 0;
}

/* 0 if t's listen port is free or already t's, else -errno with the reason in err. */
static int port_check(const struct wgsync_tunnel *t, struct strbuf *err)
{
	int r;

	if (!t->listen_port)
		return 0;
	r = udp_bindable(AF_INET, t->listen_port);
	if (r >= 0)
		r = udp_bindable(AF_INET6, t->listen_port);
	if (r >= 0 || port_running(t->name) == t->listen_port)
		return 0;
	strbuf_printf(err, "%s: listen port %u: %s", t->name, t->listen_port, strerror(-r));
	return r;
}

/* Tunnel t brought to its file: op, the file's creation or replacement (NULL: unchanged, then
 * only a link not the one last synced is synced). A replaced file on the link last synced
 * sends only the peers that differ (send_delta); otherwise the listen port is checked and
 * the whole file synced. */
static int commit_one(struct wgsync *w, const struct wgsync_tunnel *t, const struct op *op,
		      struct strbuf *err)
{
	const struct wgsync_known *k = known_find(w, t->name);
	unsigned ifindex = if_nametoindex(t->name);
	bool synced = ifindex && k && k->ifindex == ifindex;
	int r;

	if (!op && synced)
		return 0;
	if (!ifindex) {
		strbuf_printf(err, "wg syncconf %s: no link %s", t->name, t->name);
		return -ENODEV;
	}
	if (synced && op->type == OP_REPLACE && op->old &&
	    (r = send_delta(t->name, op->old, op->obj, err)) != 0)
		return r < 0 ? r : known_set(w, t->name, ifindex);
	if ((r = port_check(t, err)) < 0)
		return r;
	return sync_one(w, t->name, ifindex, err);
}

/* On a VRRP pair, the rules that route the tunnels' marked packets (render-keepalived.c),
 * which keepalived makes a moment after it starts or re-reads its configuration. 0 once they
 * are there; -ETIMEDOUT after WGSYNC_RULES_WAIT_MS. */
static int wait_rules(struct strbuf *err)
{
	int r = rule_probe_wait_fwmark(RENDER_WG_FWMARK, WGSYNC_RULES_WAIT_MS, err);

	if (r != 0)
		return r < 0 ? r : 0;
	strbuf_printf(err, "keepalived did not make the rules of the WireGuard tunnels' mark %#x "
			   "within %d ms",
		      RENDER_WG_FWMARK, WGSYNC_RULES_WAIT_MS);
	return -ETIMEDOUT;
}

int wgsync_commit(struct wgsync *w, const struct oplist *pending, struct strbuf *err)
{
	const struct wgsync_tunnel *tun;
	char t[OBJ_NAME_SIZE];
	size_t i;
	int r = 0;

	if (w->n_tunnels && w->marked)
		r = wait_rules(err);
	for (i = 0; i < pending->n && r >= 0; i++) {
		const struct op *op = &pending->v[i];

		if (!tunnel_of(op->obj->key, t))
			continue;
		if (op->type == OP_DELETE)
			known_forget(w, t);
		else if (!(tun = tunnel_find(w, t))) {
			strbuf_printf(err, "wg syncconf %s: no such tunnel in the intent", t);
			r = -ENOENT;
		} else
			r = commit_one(w, tun, op, err);
	}
	for (i = 0; i < w->n_tunnels && r >= 0; i++)
		if (!changed(pending, w->tunnels[i].name))
			r = commit_one(w, &w->tunnels[i], NULL, err);
	return r;
}

void wgsync_revert(struct wgsync *w)
{
	w->resync = true;
}

/* Whether a tunnel's file gives a peer a persistent keepalive. (Its lines hold keys: the
 * buffer is cleared.) */
static bool has_keepalive(const struct wgsync *w, const char *name)
{
	char path[4200], line[256];
	bool found = false;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s/%s.conf", w->confdir, WGSYNC_DIR, name) >=
	    (int)sizeof(path))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "PersistentKeepalive = ", 22);
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return found;
}

/* wg VERB of each tunnel's file in place whose link exists (keepalive: only those that give a
 * peer a persistent keepalive): how many, or the last failure's negative errno (its reason in
 * err, the others applied). */
static int apply_files(struct wgsync *w, const char *verb, bool keepalive, struct strbuf *err)
{
	struct strbuf dir = {0};
	struct dirent *e;
	DIR *d;
	int r = 0, n = 0, q;

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
		if (keepalive && !has_keepalive(w, name))
			continue;
		q = apply_one(w, verb, name, ifindex, err);
		if (q < 0)
			r = q;
		else
			n++;
	}
	closedir(d);
	return r < 0 ? r : n;
}

int wgsync_abort(struct wgsync *w, struct strbuf *err)
{
	int r;

	if (!w->resync)
		return 0;
	w->resync = false;
	r = apply_files(w, "syncconf", false, err);
	return r < 0 ? r : 0;
}

int wgsync_renew(struct wgsync *w, bool keepalive, struct strbuf *err)
{
	return apply_files(w, "setconf", keepalive, err);
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
