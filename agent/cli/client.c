/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "lib/cleanup.h"

/* An answer is at most a 16 MiB intent (show) with its envelope; anything longer is not one. */
#define ANSWER_MAX (32u << 20)

struct client_options client_options = {.timeout_s = CLIENT_TIMEOUT_DEFAULT};

static const char *client_target(void)
{
	if (client_options.serial)
		return client_options.serial;
	return client_options.socket ? client_options.socket : CLIENT_SOCKET_DEFAULT;
}

const char *client_id(void)
{
	static char id[64];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(id, sizeof(id), "vrouterctl-%ld-%ld%09ld", (long)getpid(), (long)ts.tv_sec,
		 ts.tv_nsec);
	return id;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* A tty or pty: raw mode, and whatever is waiting on it is dropped. */
static int open_tty(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL | CREAD;
		if (tcsetattr(fd, TCSANOW, &t) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		tcflush(fd, TCIFLUSH);
	}
	return fd;
}

static int client_open(void)
{
	const char *path = client_target();
	struct stat st;

	if (!client_options.serial)
		return connect_unix(path);
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISSOCK(st.st_mode) ? connect_unix(path) : open_tty(path);
}

/* Waits for events on fd until the deadline. 1 ready, 0 timed out, negative errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		uint64_t now = now_ms();
		int r;

		if (now >= deadline)
			return 0;
		r = poll(&p, 1, (int)(deadline - now > 1000000 ? 1000000 : deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r > 0)
			return 1;
	}
}

static int write_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		int r;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r <= 0)
			return r ? r : -ETIMEDOUT;
	}
	return 0;
}

/* Whether line is the answer to our request. On a socket the first answer is ours; on a
 * serial line, the one that carries our id. */
static int take_answer(const char *line, size_t len, const char *id_json, struct proto_reply *ret)
{
	struct proto_reply r;
	int k;

	while (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return 0;
	k = proto_reply_parse(line, len, &r);
	if (k == -ENOMEM)
		return k;
	if (k < 0)
		return id_json ? 0 : -EPROTO;
	if (id_json && (!r.id || strcmp(r.id, id_json))) {
		proto_reply_done(&r);
		return 0;
	}
	*ret = r;
	return 1;
}

static int read_answer(int fd, const char *id_json, uint64_t deadline, struct proto_reply *ret)
{
	struct strbuf in = {0};
	size_t start = 0;
	int r = 0;

	while (r == 0) {
		char chunk[65536], *nl;
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
			r = r < 0 ? r : r == 0 ? -ETIMEDOUT : 0;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			r = -ECONNRESET;
			break;
		}
		if (strbuf_append_n(&in, chunk, (size_t)n) < 0) {
			r = -ENOMEM;
			break;
		}
		while (r == 0 && (nl = memchr(in.s + start, '\n', in.len - start))) {
			r = take_answer(in.s + start, (size_t)(nl - (in.s + start)), id_json, ret);
			start = (size_t)(nl + 1 - in.s);
		}
		if (r == 0 && in.len - start > ANSWER_MAX)
			r = -EPROTO;
	}
	strbuf_done(&in);
	return r < 0 ? r : 0;
}

int client_call(const char *line, size_t len, const char *id, struct proto_reply *ret)
{
	const char *path = client_target();
	uint64_t deadline = now_ms() + (uint64_t)client_options.timeout_s * 1000;
	bool serial = client_options.serial != NULL;
	_cleanup_free_ char *id_json = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	signal(SIGPIPE, SIG_IGN);
	fd = client_open();
	if (fd < 0) {
		fprintf(stderr, "vrouterctl: cannot reach the agent at %s: %s\n", path,
			strerror(-fd));
		return fd;
	}
	if (serial && asprintf(&id_json, "\"%s\"", id) < 0) {
		id_json = NULL;
		return -ENOMEM;
	}
	/* On a serial line, a newline first ends whatever partial line an earlier session
	 * left: the agent answers that one (if at all) without our id. */
	r = serial ? write_all(fd, "\n", 1, deadline) : 0;
	if (r >= 0)
		r = write_all(fd, line, len, deadline);
	if (r >= 0)
		r = read_answer(fd, id_json, deadline, ret);
	if (r == -ETIMEDOUT)
		fprintf(stderr, "vrouterctl: no answer from the agent at %s within %u s\n", path,
			client_options.timeout_s);
	else if (r == -ECONNRESET || r == -EPIPE)
		fprintf(stderr, "vrouterctl: the agent at %s closed the connection without "
				"answering\n", path);
	else if (r == -EPROTO)
		fprintf(stderr, "vrouterctl: the agent at %s sent something that is not an "
				"answer\n", path);
	else if (r < 0)
		fprintf(stderr, "vrouterctl: talking to the agent at %s: %s\n", path,
			strerror(-r));
	return r;
}
