/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "serial.h"

#define SERIAL_RETRY_MS 1000
#define SERIAL_ABSENT_MAX_MS 30000 /* a port that does not exist: retries back off to this */
#define SERIAL_HANGUP_MS 250

struct serial {
	char *path;
	int fd;
	uint64_t retry_at; /* closed: when to open again */
	uint64_t quiet_until; /* open, hung up: when to poll again */
	uint64_t absent_ms;   /* current retry interval while the path does not exist */
	int last_error;	      /* logged once per kind of failure */
};

struct serial *serial_new(const char *path)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return NULL;
	}
	s->fd = -1;
	return s;
}

struct serial *serial_free(struct serial *s)
{
	if (!s)
		return NULL;
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

const char *serial_path(const struct serial *s)
{
	return s->path;
}

int serial_fd(const struct serial *s)
{
	return s->fd;
}

/* Raw mode: bytes in, bytes out. Not a tty (a FIFO, a socket): nothing to set. */
static int serial_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return errno == ENOTTY ? 0 : -errno;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	tcflush(fd, TCIFLUSH);
	return 0;
}

bool serial_try_open(struct serial *s, uint64_t now_ms)
{
	int fd, r;

	if (s->fd >= 0)
		return true;
	if (now_ms < s->retry_at)
		return false;
	fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	r = fd < 0 ? -errno : serial_raw(fd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		if (r != s->last_error)
			log_msg(r == -ENOENT ? LOG_INFO : LOG_WARNING, "serial port %s: %s (retrying)",
				s->path, strerror(-r));
		s->last_error = r;
		/* A port that is not there may come (hot plug): look less and less often. */
		if (r == -ENOENT)
			s->absent_ms = s->absent_ms ? s->absent_ms * 2 : SERIAL_RETRY_MS;
		if (s->absent_ms > SERIAL_ABSENT_MAX_MS)
			s->absent_ms = SERIAL_ABSENT_MAX_MS;
		s->retry_at = now_ms + (r == -ENOENT ? s->absent_ms : SERIAL_RETRY_MS);
		return false;
	}
	if (s->last_error)
		log_info("serial port %s is open", s->path);
	s->last_error = 0;
	s->absent_ms = 0;
	s->fd = fd;
	s->quiet_until = 0;
	return true;
}

void serial_hangup(struct serial *s, uint64_t now_ms)
{
	s->quiet_until = now_ms + SERIAL_HANGUP_MS;
}

void serial_lost(struct serial *s, uint64_t now_ms, int error)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (-error != s->last_error)
		log_warn("serial port %s: %s (reopening)", s->path, strerror(error));
	s->last_error = -error;
	s->retry_at = now_ms + SERIAL_RETRY_MS;
}

void serial_reopen(struct serial *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->retry_at = 0;
	s->absent_ms = 0;
	s->last_error = 0;
}

bool serial_pollable(const struct serial *s, uint64_t now_ms)
{
	return s->fd >= 0 && now_ms >= s->quiet_until;
}

uint64_t serial_next_event(const struct serial *s, uint64_t now_ms)
{
	if (s->fd < 0)
		return s->retry_at;
	return s->quiet_until > now_ms ? s->quiet_until : UINT64_MAX;
}
