/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "log.h"
#include "proto/proto.h"
#include "server-internal.h"

static const char oom_answer[] = "{\"exit\": 2, \"error\": \"out of memory\"}\n";

/* ---- the socket ---- */

static int mkdir_parent(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Whether a daemon answers on the socket file at path. */
static bool socket_alive(const struct sockaddr_un *sa)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
}

static int server_listen(struct server *s, struct strbuf *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = s->socket_path;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		strbuf_printf(err, "socket path %s is longer than %zu bytes", path,
			      sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = mkdir_parent(path);
	if (r < 0) {
		strbuf_printf(err, "cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto fail;
	old = umask(0177); /* the socket file is born 0600 */
	r = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EADDRINUSE) {
		if (socket_alive(&sa)) {
			umask(old);
			strbuf_printf(err, "another vrouterd is listening on %s", path);
			return -EADDRINUSE;
		}
		unlink(path);
		r = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(s->listen_fd, SOMAXCONN) < 0)
		goto fail;
	return 0;
fail:
	r = -errno;
	strbuf_printf(err, "cannot listen on %s: %s", path, strerror(errno));
	return r;
}

static void server_busy_begin(void *ctx, struct proto_status *brief, char *persist_error)
{
	standin_begin(ctx, brief, persist_error);
}

static void server_busy_end(void *ctx)
{
	standin_end(ctx);
}

int server_new(const struct server_config *cfg, struct server **ret, struct strbuf *err)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->listen_fd = -1;
	s->serial_conn = (struct conn){.fd = -1, .serial = true, .buffered = &s->buffered};
	s->socket_path = strdup(cfg->socket_path);
	if (!s->socket_path) {
		free(s);
		return -ENOMEM;
	}
	r = server_listen(s, err);
	if (r >= 0) {
		r = standin_start(s);
		if (r < 0)
			strbuf_printf(err, "cannot start the thread that answers status while the "
					   "agent is busy: %s", strerror(-r));
	}
	if (r < 0) {
		if (s->listen_fd >= 0)
			close(s->listen_fd);
		free(s->socket_path);
		free(s);
		return r;
	}
	if (s->cfg.agent)
		agent_set_busy_hook(s->cfg.agent,
				    &(struct agent_busy_hook){server_busy_begin, server_busy_end, s});
	*ret = s;
	return 0;
}

/* Gives the input buffer back (its content is dropped). */
static void conn_buffer_free(struct conn *c)
{
	*c->buffered -= c->in_cap;
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = c->scanned = 0;
}

static void conn_reset(struct conn *c)
{
	conn_buffer_free(c);
	if (c->out != oom_answer)
		free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->discarding = c->eof = false;
	c->line_ms = 0;
}

static void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	conn_reset(c);
	free(c);
}

struct server *server_free(struct server *s)
{
	size_t i;

	if (!s)
		return NULL;
	if (s->cfg.agent)
		agent_set_busy_hook(s->cfg.agent, NULL);
	standin_stop(s);
	for (i = 0; i < s->n_conns; i++)
		conn_free(s->conns[i]);
	conn_reset(&s->serial_conn);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->socket_path);
	}
	free(s->socket_path);
	free(s);
	return NULL;
}

/* ---- connections ---- */

/* Writes what it can of the pending answer. 0, or negative errno (the peer is gone). */
int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	if (c->out != oom_answer)
		free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

void conn_queue(struct conn *c, char *answer)
{
	c->out = answer ? answer : (char *)oom_answer;
	c->out_len = strlen(c->out);
	c->out_off = 0;
}

static void conn_answer_line(struct server *s, struct conn *c, const char *line, size_t len)
{
	uint64_t start;
	size_t i;

	while (len && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			break;
	if (i == len)
		return; /* blank: no answer */
	start = now_ms();
	s->handling = c;
	conn_queue(c, agent_handle(s->cfg.agent, line, len,
				   c->serial ? ORIGIN_SERIAL : ORIGIN_SOCKET));
	s->handling = NULL;
	s->busy_ms += now_ms() - start;
}

static void conn_overflow(struct conn *c)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "request line longer than %u bytes", PROTO_LINE_MAX);
	conn_queue(c, proto_answer_error(NULL, PROTO_EXIT_BAD_REQUEST, msg, false));
	conn_buffer_free(c);
	c->discarding = true;
}

/* The line would take the buffers of all connections past BUFFER_MAX: refused like one that
 * is too long, its memory given back; the client may send it again. */
void conn_refuse(struct conn *c)
{
	conn_queue(c, proto_answer_error(NULL, PROTO_EXIT_BAD_REQUEST,
					 "request refused: the agent holds too many unfinished "
					 "request lines; send it again",
					 false));
	conn_buffer_free(c);
	c->discarding = true;
}

/* Handles the complete lines in the buffer, one answer at a time. */
static void conn_process(struct server *s, struct conn *c)
{
	while (!c->out && !c->dead) {
		char *nl = c->in_len > c->scanned
				   ? memchr(c->in + c->scanned, '\n', c->in_len - c->scanned)
				   : NULL;
		size_t len;

		if (!nl) {
			c->scanned = c->in_len;
			if (c->in_len > PROTO_LINE_MAX)
				conn_overflow(c);
			else if (c->eof && c->in_len && !c->discarding) {
				conn_answer_line(s, c, c->in, c->in_len);
				c->in_len = c->scanned = 0;
			} else {
				break;
			}
		} else {
			len = (size_t)(nl - c->in);
			conn_answer_line(s, c, c->in, len);
			c->in_len -= len + 1;
			memmove(c->in, nl + 1, c->in_len);
			c->scanned = 0;
			c->line_ms = 0; /* what follows is another line */
		}
		if (c->out && conn_flush(c) < 0)
			c->dead = !c->serial;
	}
	/* Give back the memory of a large request once it is handled. */
	if (!c->in_len && c->in_cap > CONN_SMALL)
		conn_buffer_free(c);
	/* The deadline of an unfinished line runs from the first time it is seen. */
	if (!c->in_len && !c->discarding)
		c->line_ms = 0;
	else if (!c->line_ms) {
		c->line_ms = now_ms();
		c->line_busy = s->busy_ms;
	}
}

/* When the connection's unfinished line is due (UINT64_MAX: none): LINE_MS after its first
 * byte, plus the time the agent spent on requests since (no client is read meanwhile). */
static uint64_t conn_line_deadline(const struct server *s, const struct conn *c)
{
	return c->line_ms ? c->line_ms + LINE_MS + (s->busy_ms - c->line_busy) : UINT64_MAX;
}

/* Appends n bytes read into a scratch area at the buffer's end (see conn_read). */
static void conn_take(struct conn *c, size_t n)
{
	char *nl;

	if (!c->discarding) {
		c->in_len += n;
		return;
	}
	/* Skipping an oversized line: everything up to its newline goes. */
	nl = memchr(c->in + c->in_len, '\n', n);
	if (!nl)
		return;
	c->discarding = false;
	n -= (size_t)(nl + 1 - (c->in + c->in_len));
	memmove(c->in, nl + 1, n);
	c->in_len = n;
	c->scanned = 0;
}

/* Reads once. >0 bytes, 0 end of file, negative errno (-EAGAIN: nothing now; -ENOBUFS: the
 * buffer may not grow, BUFFER_MAX). */
ssize_t conn_read(struct conn *c)
{
	ssize_t n;

	if (c->in_len == c->in_cap) {
		size_t cap = c->in_len + (c->in_len < CONN_SMALL ? CONN_SMALL : READ_CHUNK);
		char *in;

		if (cap > CONN_SMALL && *c->buffered - c->in_cap + cap > BUFFER_MAX)
			return -ENOBUFS;
		in = realloc(c->in, cap);
		if (!in)
			return -ENOMEM;
		*c->buffered += cap - c->in_cap;
		c->in = in;
		c->in_cap = cap;
	}
	do
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n > 0)
		conn_take(c, (size_t)n);
	return n;
}

static void socket_conn_io(struct server *s, struct conn *c, short revents)
{
	ssize_t n;

	c->active_ms = now_ms();
	if (c->out && (revents & (POLLOUT | POLLERR | POLLHUP)) && conn_flush(c) < 0) {
		c->dead = true;
		return;
	}
	if (!c->out && !c->eof && (revents & (POLLIN | POLLHUP | POLLERR))) {
		n = conn_read(c);
		if (n == 0)
			c->eof = true;
		else if (n == -ENOBUFS)
			conn_refuse(c);
		else if (n < 0 && n != -EAGAIN) {
			c->dead = true;
			return;
		}
	}
	if (c->out && conn_flush(c) < 0) {
		c->dead = true;
		return;
	}
	conn_process(s, c);
	if (c->eof && !c->out)
		c->dead = true;
	c->active_ms = now_ms();
}

/* The serial port. A virtio port whose host side is not connected polls POLLHUP, reads 0 and
 * refuses writes (EAGAIN) until it is; the guest may learn of a new host connection only
 * after that connection's first bytes (data and control travel on separate queues). So a hang-up
 * loses nothing: the answer being written and an unfinished request line stay, the port is
 * polled again after a pause, and the answer goes out once a host side is there. An answer
 * whose client is gone reaches the next one, which skips it (it carries another id); an
 * unfinished line is ended by the next client's leading newline, or dropped when due. */
static void serial_conn_io(struct server *s, short revents)
{
	struct conn *c = &s->serial_conn;
	struct serial *port = s->cfg.serial;
	ssize_t n = -EAGAIN;

	if (c->out) {
		/* Writing tells a port without a host side (EAGAIN: the answer waits) from one that
		 * is gone (a pty's EIO: reopened). */
		if (revents & (POLLOUT | POLLHUP | POLLERR)) {
			n = conn_flush(c);
			if (n < 0)
				goto lost;
			if (!c->out)
				conn_process(s, c); /* the next request, if one is waiting */
			else if (!(revents & POLLOUT))
				serial_hangup(port, now_ms());
		}
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		n = conn_read(c);
	if (n == -ENOBUFS) {
		conn_refuse(c);
		n = conn_flush(c);
		if (n < 0)
			goto lost;
	} else if (n > 0) {
		conn_process(s, c);
	} else if (n == 0 || (n == -EAGAIN && (revents & (POLLHUP | POLLERR)))) {
		serial_hangup(port, now_ms());
	} else if (n != -EAGAIN) {
		goto lost;
	}
	return;
lost:
	/* EIO: the pty's other side is gone. Open the path again later. */
	conn_reset(c);
	c->fd = -1;
	serial_lost(port, now_ms(), (int)-n);
}

/* Whether a has been idle longer than b: active earlier, or in the same millisecond and
 * accepted earlier (a burst of connections is accepted within one). */
static bool conn_idle_before(const struct conn *a, const struct conn *b)
{
	return a->active_ms != b->active_ms ? a->active_ms < b->active_ms : a->seq < b->seq;
}

/* At the limit, the connection that makes room for a new one: a dead one (its client hung up
 * in this round of poll, the sweep comes after the accepts), else the one idle the longest (no
 * unfinished line, no answer pending), else the one whose unfinished line is the oldest. So
 * that silent or slow clients never keep status and apply from being served, and a live client
 * is never closed while a gone one still holds a place. */
static void server_evict(struct server *s)
{
	size_t i, victim = SIZE_MAX;
	bool idle_found = false;

	for (i = 0; i < s->n_conns; i++) {
		const struct conn *c = s->conns[i];
		bool idle = !c->line_ms && !c->out;

		if (c->dead) {
			victim = i;
			break;
		}
		if (victim == SIZE_MAX || (idle && !idle_found) ||
		    (idle == idle_found &&
		     (idle ? conn_idle_before(c, s->conns[victim])
			   : conn_line_deadline(s, c) < conn_line_deadline(s, s->conns[victim]))))
			victim = i;
		idle_found = idle_found || idle;
	}
	if (victim == SIZE_MAX)
		return;
	conn_free(s->conns[victim]);
	s->conns[victim] = s->conns[--s->n_conns];
}

bool server_accept_one(struct server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on %s: %s", s->socket_path, strerror(errno));
		return false;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return false;
	}
	c->fd = fd;
	c->active_ms = now_ms();
	c->seq = ++s->accepted;
	c->buffered = &s->buffered;
	if (s->n_conns == MAX_CONNS)
		server_evict(s);
	s->conns[s->n_conns++] = c;
	return true;
}

static void server_accept(struct server *s)
{
	while (server_accept_one(s))
		;
}

/* Frees the dead and the idle connections. */
static void server_sweep(struct server *s, uint64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < s->n_conns; i++) {
		struct conn *c = s->conns[i];

		if (c->dead || now - c->active_ms > IDLE_MS || now > conn_line_deadline(s, c))
			conn_free(c);
		else
			s->conns[j++] = c;
	}
	s->n_conns = j;
	/* The serial port stays; an unfinished line on it that is due is dropped. */
	if (now > conn_line_deadline(s, &s->serial_conn)) {
		conn_buffer_free(&s->serial_conn);
		s->serial_conn.discarding = false;
		s->serial_conn.line_ms = 0;
	}
}

/* Mirrors the serial port's descriptor in its connection (a new port: a clean slate). */
static void server_serial_sync(struct server *s, uint64_t now)
{
	struct serial *port = s->cfg.serial;

	if (!port)
		return;
	serial_try_open(port, now);
	if (s->serial_conn.fd != serial_fd(port)) {
		conn_reset(&s->serial_conn);
		s->serial_conn.fd = serial_fd(port);
	}
}

/* After the stand-in served the connections: the lines it left (requests other than status,
 * and what follows them) are handled, and its answers not yet written are polled for. Until
 * none is left: a request handled here may make the agent busy again. */
static void server_recheck(struct server *s)
{
	size_t i;

	while (s->recheck) {
		s->recheck = false;
		if (s->serial_conn.fd >= 0 && !s->serial_conn.out)
			conn_process(s, &s->serial_conn);
		for (i = 0; i < s->n_conns; i++) {
			struct conn *c = s->conns[i];

			if (!c->out && !c->dead)
				conn_process(s, c);
			if (c->eof && !c->out)
				c->dead = true;
		}
		server_sweep(s, now_ms());
	}
}

/* SIGTERM/SIGINT: 1 (stop). SIGHUP: reopen the serial port. */
static int server_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->cfg.signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (s->cfg.serial) {
				log_info("SIGHUP: reopening the serial port");
				serial_reopen(s->cfg.serial);
			}
		} else {
			log_notice("%s: stopping", strsignal((int)si.ssi_signo));
			return 1;
		}
	}
	return 0;
}

static int poll_timeout(const struct server *s, uint64_t now, uint64_t next_tick,
			uint64_t supervise_ms)
{
	uint64_t next = next_tick;
	size_t i;

	if (supervise_ms != UINT64_MAX && now + supervise_ms < next)
		next = now + supervise_ms;
	if (linkwait_deadline(s->cfg.linkwait) < next)
		next = linkwait_deadline(s->cfg.linkwait);

	if (s->cfg.serial && serial_next_event(s->cfg.serial, now) < next)
		next = serial_next_event(s->cfg.serial, now);
	for (i = 0; i < s->n_conns; i++) {
		if (s->conns[i]->active_ms + IDLE_MS < next)
			next = s->conns[i]->active_ms + IDLE_MS + 1;
		if (conn_line_deadline(s, s->conns[i]) < next)
			next = conn_line_deadline(s, s->conns[i]) + 1;
	}
	if (conn_line_deadline(s, &s->serial_conn) < next)
		next = conn_line_deadline(s, &s->serial_conn) + 1;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

int server_run(struct server *s)
{
	struct pollfd pfd[MAX_CONNS + 4 + AGENT_SUPERVISE_FDS];
	int sup_fds[AGENT_SUPERVISE_FDS];
	struct conn *polled[MAX_CONNS];
	uint64_t now = now_ms(), next_tick = s->cfg.tick_ms ? now : UINT64_MAX;

	for (;;) {
		size_t n = 0, n_polled = 0, n_sup, i;
		int serial_slot = -1, listen_slot = -1, linkwait_slot = -1, r;
		uint64_t supervise_ms, timer_ms;

		/* The daemons: one that died is noticed through its pidfd, started again when due. */
		supervise_ms = agent_supervise(s->cfg.agent);
		/* The agent's timers (history written, a confirmation's deadline). */
		timer_ms = agent_timers(s->cfg.agent);
		if (timer_ms < supervise_ms)
			supervise_ms = timer_ms;
		now = now_ms();
		if (now >= next_tick) {
			s->cfg.tick();
			next_tick = now + s->cfg.tick_ms;
		}
		server_serial_sync(s, now);
		if (s->recheck)
			server_recheck(s);
		pfd[n++] = (struct pollfd){.fd = s->cfg.signal_fd, .events = POLLIN};
		listen_slot = (int)n;
		pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		if (linkwait_fd(s->cfg.linkwait) >= 0) {
			linkwait_slot = (int)n;
			pfd[n++] = (struct pollfd){.fd = linkwait_fd(s->cfg.linkwait),
						   .events = POLLIN};
		}
		if (s->cfg.serial && serial_pollable(s->cfg.serial, now)) {
			serial_slot = (int)n;
			pfd[n++] = (struct pollfd){.fd = s->serial_conn.fd,
						   .events = s->serial_conn.out ? POLLOUT : POLLIN};
		}
		n_sup = agent_supervise_fds(s->cfg.agent, sup_fds, AGENT_SUPERVISE_FDS);
		for (i = 0; i < n_sup; i++)
			pfd[n++] = (struct pollfd){.fd = sup_fds[i], .events = POLLIN};
		for (i = 0; i < s->n_conns; i++) {
			struct conn *c = s->conns[i];

			polled[n_polled++] = c;
			pfd[n++] = (struct pollfd){.fd = c->fd,
						   .events = c->out ? POLLOUT
							     : c->eof ? 0
								      : POLLIN};
		}
		r = poll(pfd, n, poll_timeout(s, now, next_tick, supervise_ms));
		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return -errno;
		}
		if (r <= 0)
			goto sweep;
		if ((pfd[0].revents & POLLIN) && server_signal(s))
			return 0;
		if (serial_slot >= 0 && pfd[serial_slot].revents)
			serial_conn_io(s, pfd[serial_slot].revents);
		for (i = 0; i < n_polled; i++)
			if (pfd[n - n_polled + i].revents)
				socket_conn_io(s, polled[i], pfd[n - n_polled + i].revents);
		if (listen_slot >= 0 && (pfd[listen_slot].revents & POLLIN))
			server_accept(s);
sweep:
		now = now_ms();
		server_sweep(s, now);
		/* The wait for late links: its events (they may start an apply), its deadline. */
		if ((r > 0 && linkwait_slot >= 0 && pfd[linkwait_slot].revents) ||
		    now >= linkwait_deadline(s->cfg.linkwait))
			linkwait_run(s->cfg.linkwait, now);
	}
}
