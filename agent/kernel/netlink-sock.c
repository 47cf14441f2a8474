/* SPDX-License-Identifier: MIT */
/* The rtnetlink socket: requests, ACKs with the kernel's extended ACK message, dumps. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netlink-sock.h"

#define KSOCK_RECV_SIZE 65536
#define KSOCK_MSG_SIZE 256

struct ksock {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	char msg[KSOCK_MSG_SIZE]; /* extended ACK message of the last failed request */
	int last;		  /* its error */
	char *buf;		  /* KSOCK_RECV_SIZE */
};

struct ksock *ksock_close(struct ksock *s)
{
	if (!s)
		return NULL;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	free(s);
	return NULL;
}

static int set_option(struct ksock *s, int opt, const char *name, struct strbuf *err)
{
	int one = 1;

	if (mnl_socket_setsockopt(s->nl, opt, &one, sizeof(one)) == 0)
		return 0;
	strbuf_printf(err, "cannot enable %s on the netlink socket: %s", name, strerror(errno));
	return -errno;
}

int ksock_open(struct ksock **ret, struct strbuf *err)
{
	struct ksock *s = calloc(1, sizeof(*s));
	int r;

	if (!s || !(s->buf = malloc(KSOCK_RECV_SIZE))) {
		ksock_close(s);
		return -ENOMEM;
	}
	s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot open a netlink socket: %s", strerror(errno));
		ksock_close(s);
		return r;
	}
	r = set_option(s, NETLINK_EXT_ACK, "extended ACKs", err);
	if (r >= 0)
		r = set_option(s, NETLINK_GET_STRICT_CHK, "strict checking", err);
	if (r >= 0)
		r = set_option(s, NETLINK_CAP_ACK, "capped ACKs", err);
	if (r < 0) {
		ksock_close(s);
		return r;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	*ret = s;
	return 0;
}

/* The error of an NLMSG_ERROR or NLMSG_DONE message, and its extended ACK message. */
static int read_status(struct ksock *s, const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh), off = sizeof(int);
	const struct nlattr *a;
	int error;

	if (len < sizeof(int))
		return nlh->nlmsg_type == NLMSG_DONE ? 0 : -EPROTO;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (len < sizeof(*e))
			return -EPROTO;
		off = nlh->nlmsg_flags & NLM_F_CAPPED ? sizeof(*e) : sizeof(int) + e->msg.nlmsg_len;
	}
	if (error < 0 && nlh->nlmsg_flags & NLM_F_ACK_TLVS && off <= len)
		mnl_attr_for_each(a, nlh, off) {
			const char *m = mnl_attr_get_payload(a);
			size_t n = mnl_attr_get_payload_len(a);

			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && n && strnlen(m, n) < n)
				snprintf(s->msg, sizeof(s->msg), "%s", m);
		}
	return error > 0 ? -error : error;
}

int ksock_talk(struct ksock *s, struct nlmsghdr *nlh, ksock_fn fn, void *data)
{
	/* NLM_F_DUMP shares its bits with NLM_F_REPLACE and NLM_F_EXCL: only a get dumps. */
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP && (nlh->nlmsg_type & 3) == 2;
	uint32_t seq = ++s->seq;
	bool done = false, intr = false;
	int r = 0, fn_r = 0;

	s->msg[0] = '\0';
	s->last = 0;
	nlh->nlmsg_seq = seq;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return s->last = -errno;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, KSOCK_RECV_SIZE);
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
				r = read_status(s, m);
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

const char *ksock_error(const struct ksock *s, int r)
{
	return s->msg[0] && s->last == r ? s->msg : strerror(-r);
}
