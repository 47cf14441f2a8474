/* SPDX-License-Identifier: MIT */
/* The kernel backend: its state, the hostname, and what links, addresses and routes share. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "lib/cleanup.h"

static struct kernel *kernel_of(struct backend *b)
{
	return (struct kernel *)b;
}

int kernel_sock(struct kernel *k, struct strbuf *err)
{
	return k->sock ? 0 : netlink_sock_open(&k->sock, NETLINK_ROUTE, err);
}

int kernel_fail(const struct op *op, int r, struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	/* The caller names the operation (the engine prints it before this message). */
	(void)op;
	va_start(ap, fmt);
	strbuf_vprintf(err, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- links by name ---- */

static int keep_link(const struct nlmsghdr *nlh, void *data)
{
	return netlink_msg_link_parse(nlh, data) < 0 ? -EPROTO : 0;
}

int kernel_link_get(struct kernel *k, const char *name, struct netlink_msg_link *ret)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	struct netlink_msg_link l = {.ifindex = 0};
	int r;

	r = netlink_sock_talk(k->sock, netlink_msg_link_get(buf, name), keep_link, &l);
	if (r < 0)
		return r;
	if (l.ifindex <= 0)
		return -ENODEV;
	*ret = l;
	return 0;
}

int kernel_ifindex(struct kernel *k, const char *name)
{
	struct ifname_cache *v;
	struct netlink_msg_link l;
	size_t i;
	int r;

	for (i = 0; i < k->n_names; i++)
		if (!strcmp(k->names[i].name, name))
			return k->names[i].ifindex;
	r = kernel_link_get(k, name, &l);
	if (r < 0)
		return r;
	v = realloc(k->names, (k->n_names + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	k->names = v;
	v[k->n_names].ifindex = l.ifindex;
	snprintf(v[k->n_names].name, OBJ_NAME_SIZE, "%s", name);
	k->n_names++;
	return l.ifindex;
}

void kernel_names_forget(struct kernel *k)
{
	free(k->names);
	k->names = NULL;
	k->n_names = 0;
}

static int promote(struct kernel *k, int ifindex)
{
	char buf[NETLINK_MSG_BUF_SIZE];
	int r;

	r = netlink_sock_talk(k->sock, netlink_msg_link_promote(buf, ifindex), NULL, NULL);
	return r == -EAFNOSUPPORT ? 0 : r; /* IPv4 is off on this link: nothing to promote */
}

static int keep_addr_on_down(const char *name)
{
	_cleanup_free_ char *path = NULL;
	int fd, r = 0;

	if (asprintf(&path, "/proc/sys/net/ipv6/conf/%s/keep_addr_on_down", name) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* IPv6 is off on this link */
	if (write(fd, "1\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

int kernel_link_conf(struct kernel *k, int ifindex, const char *name, unsigned what)
{
	struct link_conf *c = NULL, *v;
	size_t i;
	int r = 0;

	for (i = 0; i < k->n_conf && !c; i++)
		if (k->conf[i].ifindex == ifindex)
			c = &k->conf[i];
	if (!c) {
		v = realloc(k->conf, (k->n_conf + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->conf = v;
		c = &v[k->n_conf++];
		*c = (struct link_conf){.ifindex = ifindex};
	}
	what &= ~c->done;
	if (what & KERNEL_CONF_PROMOTE)
		r = promote(k, ifindex);
	if (r >= 0 && what & KERNEL_CONF_KEEP)
		r = keep_addr_on_down(name);
	if (r >= 0)
		c->done |= what;
	return r;
}

/* ---- what operations displaced ---- */

int kernel_save(struct kernel *k, const struct saved *s)
{
	struct saved *v = realloc(k->saved, (k->n_saved + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	k->saved = v;
	v[k->n_saved++] = *s;
	return 0;
}

static bool saved_matches(const struct saved *s, enum object_kind kind, int ifindex,
			  const struct ip_prefix *p, uint32_t metric)
{
	if (s->kind != kind)
		return false;
	switch (kind) {
	case OBJ_LINK:
		return s->ifindex == ifindex && !s->msg;
	case OBJ_ADDRESS:
		/* The kernel knows an IPv6 address by itself, an IPv4 one with its length. */
		return s->ifindex == ifindex && addr_equal(&s->p.addr, &p->addr) &&
		       (p->addr.family == AF_INET6 || s->p.len == p->len);
	default:
		return addr_equal(&s->p.addr, &p->addr) && s->p.len == p->len &&
		       s->metric == metric;
	}
}

struct saved *kernel_saved_find(struct kernel *k, enum object_kind kind, int ifindex,
				const struct ip_prefix *p, uint32_t metric)
{
	size_t i;

	for (i = k->n_saved; i > 0; i--)
		if (saved_matches(&k->saved[i - 1], kind, ifindex, p, metric))
			return &k->saved[i - 1];
	return NULL;
}

struct nlmsghdr *kernel_msg_dup(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *c = malloc(NLMSG_ALIGN(nlh->nlmsg_len));

	if (c)
		memcpy(c, nlh, nlh->nlmsg_len);
	return c;
}

int kernel_saved_send(struct kernel *k, const struct saved *s)
{
	size_t size = NLMSG_ALIGN(s->msg->nlmsg_len);
	_cleanup_free_ void *buf = malloc(size);
	struct nlmsghdr *nlh;

	if (!buf)
		return -ENOMEM;
	nlh = netlink_msg_from_dump(buf, size, s->msg, NLM_F_CREATE | NLM_F_REPLACE);
	if (!nlh)
		return -EPROTO;
	return netlink_sock_talk(k->sock, nlh, NULL, NULL);
}

void kernel_saved_drop(struct kernel *k, struct saved *s)
{
	size_t i = (size_t)(s - k->saved);

	free(s->msg);
	memmove(s, s + 1, (k->n_saved - i - 1) * sizeof(*s));
	k->n_saved--;
}

void kernel_saved_clear(struct kernel *k)
{
	size_t i;

	for (i = 0; i < k->n_saved; i++)
		free(k->saved[i].msg);
	free(k->saved);
	k->saved = NULL;
	k->n_saved = 0;
}

/* Forgets everything kept for undoing operations: the apply is over. */
static void kernel_reset(struct kernel *k)
{
	kernel_saved_clear(k);
	kernel_names_forget(k);
	free(k->conf);
	k->conf = NULL;
	k->n_conf = 0;
}

/* ---- the hostname ---- */

static int hostname_apply(const struct op *op, struct strbuf *err)
{
	const char *name = op->obj->hostname;

	if (op->type == OP_DELETE)
		return kernel_fail(op, -EOPNOTSUPP, err, "the hostname cannot be removed");
	if (sethostname(name, strlen(name)) < 0)
		return kernel_fail(op, -errno, err, "cannot set the hostname to \"%s\": %s", name,
				   strerror(errno));
	return 0;
}

/* ---- the backend ---- */

static int kernel_apply(struct backend *b, const struct op *op, struct strbuf *err)
{
	struct kernel *k = kernel_of(b);
	int r;

	if (op->obj->kind == OBJ_HOSTNAME)
		return hostname_apply(op, err);
	r = kernel_sock(k, err);
	if (r < 0)
		return r;
	switch (op->obj->kind) {
	case OBJ_LINK:
		r = kernel_link_apply(k, op, err);
		kernel_names_forget(k);
		return r;
	case OBJ_ADDRESS:
		return kernel_addr_apply(k, op, err);
	case OBJ_ROUTE:
		return kernel_route_apply(k, op, err);
	default:
		return kernel_fail(op, -EOPNOTSUPP, err, "not an object of the kernel backend");
	}
}

/* A router forwards: IPv4 and IPv6 forwarding on, in the agent's network namespace. Set at
 * every apply (cheap, and it repairs a change made by hand); never taken back. */
static int kernel_forwarding(struct strbuf *err)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv4/ip_forward",
		"/proc/sys/net/ipv6/conf/all/forwarding",
	};
	size_t i;

	for (i = 0; i < ELEMENTSOF(paths); i++) {
		_cleanup_close_ int fd = open(paths[i], O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "1\n", 2) != 2) {
			int r = -errno;

			strbuf_printf(err, "cannot turn forwarding on (%s): %s", paths[i],
				      strerror(errno));
			return r;
		}
	}
	return 0;
}

static int kernel_begin(struct backend *b, struct strbuf *err)
{
	kernel_reset(kernel_of(b));
	return kernel_forwarding(err);
}

static int kernel_commit(struct backend *b, struct strbuf *err)
{
	kernel_reset(kernel_of(b));
	return 0;
}

static int kernel_abort(struct backend *b, struct strbuf *err)
{
	kernel_reset(kernel_of(b));
	return 0;
}

static void kernel_free(struct backend *b)
{
	struct kernel *k = kernel_of(b);

	kernel_reset(k);
	netlink_sock_close(k->sock);
	free(k);
}

static const struct backend_ops kernel_ops = {
	.name = "kernel",
	.kinds = BACKEND_KIND(OBJ_HOSTNAME) | BACKEND_KIND(OBJ_LINK) | BACKEND_KIND(OBJ_ADDRESS) |
		 BACKEND_KIND(OBJ_ROUTE),
	.observe = kernel_observe,
	.begin = kernel_begin,
	.apply_op = kernel_apply,
	.commit = kernel_commit,
	.abort = kernel_abort,
	.counters = kernel_counters,
	.free = kernel_free,
};

struct backend *backend_kernel_new(void)
{
	struct kernel *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->b.ops = &kernel_ops;
	return &k->b;
}
