/* SPDX-License-Identifier: MIT */
/*
 * list-sas over charon's VICI socket (vici.h): EVENT_REGISTER "list-sa", then CMD_REQUEST
 * "list-sas" with "noblock" (charon does not wait for SAs busy with an exchange), then the
 * list-sa events, one IKE SA each, until the CMD_RESPONSE, then EVENT_UNREGISTER.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/cleanup.h"
#include "vici.h"

struct vici_conn {
	int fd;
	uint64_t deadline; /* svcd_now_ms() */
	uint8_t *buf;	   /* the last segment read */
	size_t cap;
};

/* Waits for events on the connection until its deadline: 0, or -ETIMEDOUT. */
static int conn_wait(struct vici_conn *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	uint64_t now;
	int r;

	for (;;) {
		now = svcd_now_ms();
		if (now >= c->deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)(c->deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int conn_send(struct vici_conn *c, const struct strbuf *b)
{
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < b->len) {
		n = send(c->fd, b->s + off, b->len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		r = conn_wait(c, POLLOUT);
		if (r < 0)
			return r;
	}
	return 0;
}

static int conn_read(struct vici_conn *c, uint8_t *p, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < len) {
		n = recv(c->fd, p + off, len - off, 0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		r = conn_wait(c, POLLIN);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The next packet charon sends; ret points into c's buffer until the next read. */
static int conn_packet(struct vici_conn *c, struct vici_packet *ret)
{
	uint8_t hdr[4];
	size_t len;
	void *v;
	int r = conn_read(c, hdr, sizeof(hdr));

	if (r < 0)
		return r;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (!len || len > VICI_SEGMENT_MAX)
		return -EBADMSG;
	if (len > c->cap) {
		v = realloc(c->buf, len);
		if (!v)
			return -ENOMEM;
		c->buf = v;
		c->cap = len;
	}
	r = conn_read(c, c->buf, len);
	if (r < 0)
		return r;
	return vici_packet_parse(c->buf, len, ret) < 0 ? -EBADMSG : 0;
}

/* Sends a packet with message msg (NULL: empty). */
static int conn_request(struct vici_conn *c, enum vici_packet_type type, const char *name,
			const struct strbuf *msg)
{
	struct strbuf seg = {0};
	int r = vici_packet_build(&seg, type, name, msg ? (const uint8_t *)msg->s : NULL,
				  msg ? msg->len : 0);

	if (r == 0)
		r = conn_send(c, &seg);
	strbuf_done(&seg);
	return r;
}

/* (Un)registers for list-sa: 0 once charon confirms. */
static int conn_register(struct vici_conn *c, enum vici_packet_type type, struct strbuf *err)
{
	struct vici_packet p;
	int r = conn_request(c, type, "list-sa", NULL);

	/* An event may come before the confirmation (the stream of an earlier request). */
	while (r == 0 && (r = conn_packet(c, &p)) == 0 && p.type == VICI_EVENT)
		;
	if (r == 0 && p.type != VICI_EVENT_CONFIRM) {
		strbuf_printf(err, "charon refuses to %sregister for its list-sa events",
			      type == VICI_EVENT_REGISTER ? "" : "un");
		return -EPROTO;
	}
	return r;
}

static int list_sas(struct vici_conn *c, struct vici_sas *sas, struct strbuf *err)
{
	struct vici_packet p;
	struct strbuf noblock = {0};
	int r = conn_register(c, VICI_EVENT_REGISTER, err);

	if (r == 0)
		r = vici_put_kv(&noblock, "noblock", "yes");
	if (r == 0)
		r = conn_request(c, VICI_CMD_REQUEST, "list-sas", &noblock);
	strbuf_done(&noblock);
	while (r == 0 && (r = conn_packet(c, &p)) == 0) {
		if (p.type == VICI_CMD_RESPONSE)
			break;
		if (p.type == VICI_EVENT && !strcmp(p.name, "list-sa")) {
			r = vici_list_sa_parse(sas, p.msg, p.msg_len);
			if (r == -EINVAL) {
				strbuf_printf(err,
					      "charon sent a list-sa event that cannot be read");
				r = -EBADMSG;
			}
		} else if (p.type != VICI_EVENT) {
			strbuf_printf(err, "charon does not know the command list-sas");
			r = -EPROTO;
		}
	}
	return r;
}

/* A socket connected to charon's VICI socket at path, non-blocking, or a negative errno (why in
 * err). */
static int conn_open(const char *path, struct strbuf *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		strbuf_printf(err, "charon's VICI socket %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

/* Why an exchange failed, when nothing said it yet. */
static void conn_error(const char *path, int r, size_t before, struct strbuf *err)
{
	if (err->len == before)
		strbuf_printf(err, "charon's VICI socket %s: %s", path,
			      r == -ETIMEDOUT ? "no answer within the deadline"
			      : r == -EBADMSG ? "a packet that cannot be read"
					      : strerror(-r));
}

int vici_list_sas(const char *path, int timeout_ms, struct vici_sas *ret, struct strbuf *err)
{
	struct vici_conn c = {.deadline = svcd_now_ms() + (uint64_t)timeout_ms};
	struct vici_sas sas = {0};
	size_t before = err->len;
	_cleanup_close_ int fd = conn_open(path, err);
	int r;

	if (fd < 0)
		return fd;
	c.fd = fd;
	r = list_sas(&c, &sas, err);
	/* A refusal here changes nothing: the registration ends with the connection anyway. */
	if (r == 0) {
		struct strbuf ignored = {0};

		conn_register(&c, VICI_EVENT_UNREGISTER, &ignored);
		strbuf_done(&ignored);
	}
	free(c.buf);
	if (r < 0) {
		vici_sas_done(&sas);
		conn_error(path, r, before, err);
		return r;
	}
	*ret = sas;
	return 0;
}

int vici_command(const char *path, const char *command, const char *const kv[], int timeout_ms,
		 struct strbuf *err)
{
	struct vici_conn c = {.deadline = svcd_now_ms() + (uint64_t)timeout_ms};
	struct strbuf msg = {0};
	struct vici_packet p;
	size_t before = err->len, i;
	_cleanup_close_ int fd = conn_open(path, err);
	int r = 0;

	if (fd < 0)
		return fd;
	c.fd = fd;
	for (i = 0; kv[i] && r == 0; i += 2)
		r = vici_put_kv(&msg, kv[i], kv[i + 1]);
	if (r == 0)
		r = conn_request(&c, VICI_CMD_REQUEST, command, &msg);
	/* No events were registered for: the next packet is the answer. */
	if (r == 0)
		r = conn_packet(&c, &p);
	if (r == 0 && p.type == VICI_CMD_UNKNOWN) {
		strbuf_printf(err, "charon does not know the command %s", command);
		r = -EPROTO;
	} else if (r == 0 && p.type != VICI_CMD_RESPONSE) {
		r = -EBADMSG;
	} else if (r == 0) {
		r = vici_result_parse(p.msg, p.msg_len, err);
		r = r == 1 ? 0 : r == 0 ? -EIO : -EBADMSG;
	}
	free(c.buf);
	strbuf_done(&msg);
	if (r < 0)
		conn_error(path, r, before, err);
	return r;
}
