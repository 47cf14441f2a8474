/* SPDX-License-Identifier: MIT */
/* The nfnetlink socket: dumps and batches, with the kernel's extended ACK messages. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "nft-sock.h"

#define NSOCK_RECV_SIZE (256 * 1024)

struct nsock {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	char *buf; /* NSOCK_RECV_SIZE */
};

struct nsock *nsock_close(struct nsock *s)
{
	if (!s)
		return NULL;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	free(s);
	return NULL;
}

int nsock_open(struct nsock **ret, struct strbuf *err)
{
	struct nsock *s = calloc(1, sizeof(*s));
	int one = 1, r;

	if (!s || !(s->buf = malloc(NSOCK_RECV_SIZE))) {
		nsock_close(s);
		return -ENOMEM;
	}
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot open an nfnetlink socket: %s", strerror(errno));
		nsock_close(s);
		return r;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	*ret = s;
	return 0;
}

uint32_t nsock_seq(struct nsock *s, size_t n)
{
	uint32_t seq = s->seq + 1;

	s->seq += (uint32_t)n + 1;
	return seq;
}

/* The error of an NLMSG_ERROR message and its extended ACK message (msg, size n). */
static int read_error(const struct nlmsghdr *nlh, uint32_t *ret_seq, char *msg, size_t n)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh), off;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	msg[0] = '\0';
	if (len < sizeof(*e))
		return -EPROTO;
	*ret_seq = e->msg.nlmsg_seq;
	off = nlh->nlmsg_flags & NLM_F_CAPPED ? sizeof(*e) : sizeof(int) + e->msg.nlmsg_len;
	if (e->error < 0 && nlh->nlmsg_flags & NLM_F_ACK_TLVS && off <= len)
		mnl_attr_for_each(a, nlh, off) {
			const char *m = mnl_attr_get_payload(a);
			size_t l = mnl_attr_get_payload_len(a);

			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && l && strnlen(m, l) < l)
				snprintf(msg, n, "%s", m);
		}
	return e->error > 0 ? -e->error : e->error;
}

int nsock_dump(struct nsock *s, struct nlmsghdr *nlh, nsock_fn fn, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	bool done = false, intr = false;
	int r = 0, fn_r = 0;

	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, NSOCK_RECV_SIZE);
		const struct nlmsghdr *m;
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left = (int)n;
		for (m = (const struct nlmsghdr *)s->buf; !done && mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			char msg[8];
			uint32_t eseq;

			if (!mnl_nlmsg_portid_ok(m, s->portid) || !mnl_nlmsg_seq_ok(m, seq))
				continue;
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = read_error(m, &eseq, msg, sizeof(msg));
				done = true;
			} else if (m->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (m->nlmsg_type >= NLMSG_MIN_TYPE && fn && fn_r >= 0) {
				fn_r = fn(m, data);
			}
		}
	}
	if (r < 0)
		return r;
	if (fn_r < 0)
		return fn_r;
	return intr ? -EINTR : 0;
}

/* The socket buffers must hold the whole batch (the kernel reads it in one message). */
static void size_buffers(struct nsock *s, size_t len)
{
	int fd = mnl_socket_get_fd(s->nl), size = (int)(len + 65536);
	socklen_t sl = sizeof(size);
	int cur;

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 && (size_t)cur >= len + 65536)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int nsock_batch(struct nsock *s, const void *buf, size_t len, nsock_err_fn fn, void *data)
{
	int fd = mnl_socket_get_fd(s->nl), first = 0;

	size_buffers(s, len);
	if (mnl_socket_sendto(s->nl, buf, len) < 0)
		return -errno;
	/* The kernel processes a batch while we send it: its errors are queued by now. */
	for (;;) {
		ssize_t n = recv(fd, s->buf, NSOCK_RECV_SIZE, MSG_DONTWAIT);
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
			char msg[256];
			uint32_t seq;
			int r;

			if (m->nlmsg_type != NLMSG_ERROR)
				continue;
			r = read_error(m, &seq, msg, sizeof(msg));
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
