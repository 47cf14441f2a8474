/* SPDX-License-Identifier: MIT */
/* The netlink socket: requests with the kernel's extended ACK message, dumps, batches, events. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink-sock.h"

/* One datagram of the kernel: a dump's part is at most 32 KiB, an ACK is capped, an event is
 * one message. */
#define NETLINK_SOCK_RECV_SIZE 65536
#define NETLINK_SOCK_MSG_SIZE 256

struct netlink_sock {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	char msg[NETLINK_SOCK_MSG_SIZE]; /* extended ACK message of the last failed request */
	int last;		  /* its error */
	char *buf;		  /* NETLINK_SOCK_RECV_SIZE */
};

struct netlink_sock *netlink_sock_close(struct netlink_sock *s)
{
	if (!s)
		return NULL;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	free(s);
	return NULL;
}

static int set_option(struct netlink_sock *s, int opt, const char *name, struct strbuf *err)
{
	int one = 1;

	if (mnl_socket_setsockopt(s->nl, opt, &one, sizeof(one)) == 0)
		return 0;
	strbuf_printf(err, "cannot enable %s on the netlink socket: %s", name, strerror(errno));
	return -errno;
}

static int open_sock(struct netlink_sock **ret, int protocol, int flags, unsigned groups,
		     struct strbuf *err)
{
	const char *what = groups ? "subscribe to netlink events" : "open a netlink socket";
	struct netlink_sock *s = calloc(1, sizeof(*s));
	int r;

	if (!s || !(s->buf = malloc(NETLINK_SOCK_RECV_SIZE))) {
		netlink_sock_close(s);
		return -ENOMEM;
	}
	s->nl = mnl_socket_open2(protocol, flags | SOCK_CLOEXEC);
	if (!s->nl || mnl_socket_bind(s->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot %s: %s", what, strerror(errno));
		netlink_sock_close(s);
		return r;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	*ret = s;
	return 0;
}

int netlink_sock_open(struct netlink_sock **ret, int protocol, struct strbuf *err)
{
	struct netlink_sock *s;
	int r;

	r = open_sock(&s, protocol, 0, 0, err);
	if (r < 0)
		return r;
	r = set_option(s, NETLINK_EXT_ACK, "extended ACKs", err);
	if (r >= 0)
		r = set_option(s, NETLINK_GET_STRICT_CHK, "strict checking", err);
	if (r >= 0)
		r = set_option(s, NETLINK_CAP_ACK, "capped ACKs", err);
	if (r < 0) {
		netlink_sock_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

int netlink_sock_subscribe(struct netlink_sock **ret, int protocol, unsigned groups,
			   struct strbuf *err)
{
	return open_sock(ret, protocol, SOCK_NONBLOCK, groups, err);
}

int netlink_sock_fd(const struct netlink_sock *s)
{
	return mnl_socket_get_fd(s->nl);
}

/* The error of an NLMSG_ERROR or NLMSG_DONE message and its extended ACK message (msg, size
 * n); ret_seq: the sequence number of the message it answers. */
static int read_status(const struct nlmsghdr *nlh, uint32_t *ret_seq, char *msg, size_t n)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh), off = sizeof(int);
	const struct nlattr *a;
	int error;

	*ret_seq = nlh->nlmsg_seq;
	if (len < sizeof(int))
		return nlh->nlmsg_type == NLMSG_DONE ? 0 : -EPROTO;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (len < sizeof(*e))
			return -EPROTO;
		*ret_seq = e->msg.nlmsg_seq;
		off = nlh->nlmsg_flags & NLM_F_CAPPED ? sizeof(*e) : sizeof(int) + e->msg.nlmsg_len;
	}
	if (error < 0 && nlh->nlmsg_flags & NLM_F_ACK_TLVS && off <= len)
		mnl_attr_for_each(a, nlh, off) {
			const char *m = mnl_attr_get_payload(a);
			size_t l = mnl_attr_get_payload_len(a);

			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && l && strnlen(m, l) < l)
				snprintf(msg, n, "%s", m);
		}
	return error > 0 ? -error : error;
}

int netlink_sock_talk(struct netlink_sock *s, struct nlmsghdr *nlh, netlink_sock_fn fn, void *data)
{
	uint32_t seq = ++s->seq, eseq;
	bool done = false, intr = false;
	int r = 0, fn_r = 0;

	s->msg[0] = '\0';
	s->last = 0;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return s->last = -errno;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, NETLINK_SOCK_RECV_SIZE);
		const struct nlmsghdr *m;
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return s->last = -errno;
		left = (int)n;
		for (m = (const struct nlmsghdr *)s->buf; !done && mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			if (!mnl_nlmsg_portid_ok(m, s->portid) || !mnl_nlmsg_seq_ok(m, seq))
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_ERROR || m->nlmsg_type == NLMSG_DONE) {
				r = read_status(m, &eseq, s->msg, sizeof(s->msg));
				done = true;
			} else if (m->nlmsg_type >= NLMSG_MIN_TYPE && fn && fn_r >= 0) {
				fn_r = fn(m, data);
			}
		}
	}
	if (r < 0)
		return s->last = r;
	if (fn_r < 0)
		return s->last = fn_r;
	if (intr) {
		snprintf(s->msg, sizeof(s->msg), "dump interrupted by a concurrent change");
		return s->last = -EINTR;
	}
	return 0;
}

const char *netlink_sock_error(const struct netlink_sock *s, int r)
{
	return s->msg[0] && s->last == r ? s->msg : strerror(-r);
}

uint32_t netlink_sock_seq(struct netlink_sock *s, size_t n)
{
	uint32_t seq = s->seq + 1;

	s->seq += (uint32_t)n + 1;
	return seq;
}

/* The socket's send buffer must hold the whole batch (the kernel reads it as one message). */
static void size_buffers(struct netlink_sock *s, size_t len)
{
	int fd = mnl_socket_get_fd(s->nl), size = (int)(len + 65536);
	socklen_t sl = sizeof(size);
	int cur;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 && (size_t)cur >= len + 65536)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int netlink_sock_batch(struct netlink_sock *s, const void *buf, size_t len, netlink_sock_err_fn fn,
		       void *data)
{
	int fd = mnl_socket_get_fd(s->nl), first = 0;

	size_buffers(s, len);
	if (mnl_socket_sendto(s->nl, buf, len) < 0)
		return -errno;
	/* The kernel processes a batch while we send it: its errors are queued by now. */
	for (;;) {
		ssize_t n = recv(fd, s->buf, NETLINK_SOCK_RECV_SIZE, MSG_DONTWAIT);
		const struct nlmsghdr *m;
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return first ? first : -errno;
		left = (int)n;
		for (m = (const struct nlmsghdr *)s->buf; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			char msg[NETLINK_SOCK_MSG_SIZE] = "";
			uint32_t seq;
			int r;

			if (m->nlmsg_type != NLMSG_ERROR)
				continue;
			r = read_status(m, &seq, msg, sizeof(msg));
			if (r >= 0)
				continue;
			if (!first)
				first = r;
			if (fn)
				fn(seq, r, msg, data);
		}
	}
	return first;
}

int netlink_sock_read(struct netlink_sock *s, netlink_sock_fn fn, void *data)
{
	int lost = 0, r;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, NETLINK_SOCK_RECV_SIZE);
		const struct nlmsghdr *m;
		int left;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return lost;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOBUFS || errno == ENOSPC)) {
			lost = 1; /* the socket overflowed, or a message was cut */
			continue;
		}
		if (n < 0)
			return -errno;
		left = (int)n;
		for (m = (const struct nlmsghdr *)s->buf; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_type < NLMSG_MIN_TYPE || !fn)
				continue;
			r = fn(m, data);
			if (r < 0)
				return r;
		}
		if (left)
			lost = 1; /* a message it could not walk */
	}
}
