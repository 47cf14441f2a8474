/* SPDX-License-Identifier: MIT */
/*
 * The stand-in: `status` answered while the agent is busy. The loop's thread runs the agent,
 * one request at a time, and an apply of a large intent holds it for a few hundred
 * milliseconds; status is what an operator or an orchestrator asks then. So while the agent is
 * busy (agent_busy_hook), and once the work has lasted GRACE_MS, a second thread serves the
 * connections: it accepts, reads, and answers each status request with the brief the agent gave
 * when it became busy (what it knows without asking the router, and since when it is busy);
 * any other request stays in its connection's buffer, which is then read no further, for the
 * loop to handle after the work. It never touches the connection being handled, never frees a
 * connection (the loop's sweep does) and accepts none beyond MAX_CONNS (no eviction: the loop
 * holds pointers to the connections it polled).
 *
 * Hand-over: the state below, under lock. IDLE -> OPEN (standin_begin) -> SERVING (the thread,
 * after GRACE_MS) -> CLOSING (standin_end, waking the thread's poll through wake_fd) -> IDLE
 * (the thread, done with the connections; standin_end waits for it). OPEN -> IDLE directly when
 * the work ends within the grace: the thread never touched anything. The mutex orders every
 * access of one thread before the other's.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server-internal.h"

/* Work shorter than this is not stood in for: the thread stays asleep. */
#define GRACE_MS 5
/* Lines longer than this are no status request: left to the loop unread. */
#define STATUS_LINE_MAX 4096

enum standin_state { SI_IDLE, SI_OPEN, SI_SERVING, SI_CLOSING, SI_QUIT };

struct standin {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	enum standin_state state;
	uint64_t open_ms;
	int wake_fd; /* eventfd: the state changed while SERVING */
	/* Set by standin_begin, read by the thread while SERVING, released by standin_end. */
	struct proto_status brief;
	char *persist_error;
	bool serial_quiet; /* the serial port hung up or failed in this window: left to the loop */
};

/* ---- serving (the stand-in's thread, SERVING) ---- */

/* The answer to one complete request line, or NULL when it is not a status request. */
static char *standin_answer(struct standin *si, const char *line, size_t len)
{
	struct proto_request req;
	struct strbuf err = {0};
	char *answer = NULL;
	int r;

	if (len > STATUS_LINE_MAX)
		return NULL;
	r = proto_request_parse(line, len, NULL, false, &req, &err);
	if (r >= 0 && req.kind == PROTO_STATUS) {
		answer = proto_answer_status(req.id, &si->brief);
		if (!answer)
			answer = proto_answer_error(req.id, 2, "out of memory", false);
		if (answer && si->persist_error)
			answer = proto_answer_not_persisted(answer, si->persist_error);
	}
	proto_request_done(&req);
	strbuf_done(&err);
	return answer;
}

/* A connection that failed: a socket is dead (the loop's sweep frees it); the serial port is
 * left alone for the rest of the window (a port without a host side, or gone: the loop's
 * business, serial_conn_io()). */
static void standin_failed(struct server *s, struct conn *c)
{
	if (c->serial)
		s->standin->serial_quiet = true;
	else
		c->dead = true;
}

/* Answers the status requests at the head of the connection's buffer, up to the first other
 * line (left there: the loop will handle it and what follows). 1 when it left one. */
static bool standin_lines(struct server *s, struct conn *c)
{
	while (!c->out && !c->dead && !c->discarding) {
		char *nl = c->in_len > c->scanned
				   ? memchr(c->in + c->scanned, '\n', c->in_len - c->scanned)
				   : NULL;
		size_t len, n;
		char *answer;

		if (!nl) {
			c->scanned = c->in_len;
			return c->in_len > PROTO_LINE_MAX || (c->eof && c->in_len);
		}
		len = (size_t)(nl - c->in);
		for (n = len; n && c->in[n - 1] == '\r'; n--)
			;
		if (strspn(c->in, " \t") >= n) {
			answer = NULL; /* blank: no answer (a serial client sends one first) */
		} else {
			answer = standin_answer(s->standin, c->in, n);
			if (!answer)
				return true; /* not status: the loop's */
			conn_queue(c, answer);
		}
		c->in_len -= len + 1;
		memmove(c->in, nl + 1, c->in_len);
		c->scanned = 0;
		c->line_ms = 0;
		if (conn_flush(c) < 0)
			standin_failed(s, c);
	}
	return false;
}

/* standin_lines(), and the deadline of an unfinished line started as the loop starts it. */
static bool standin_process(struct server *s, struct conn *c)
{
	bool held = standin_lines(s, c);

	if (!c->in_len && !c->discarding)
		c->line_ms = 0;
	else if (!c->line_ms) {
		c->line_ms = now_ms();
		c->line_busy = s->busy_ms;
	}
	return held;
}

/* What the stand-in polls this connection for; -1: not at all (the one being handled, one
 * holding a line for the loop or at its end: a peer that closed would report POLLHUP on every
 * round). */
static short standin_events(const struct server *s, const struct conn *c, bool held)
{
	if (c == s->handling || c->dead || c->fd < 0)
		return -1;
	if (c->out)
		return POLLOUT;
	return held || c->eof ? -1 : POLLIN;
}

static void standin_io(struct server *s, struct conn *c, short revents, bool *held)
{
	ssize_t n;

	c->active_ms = now_ms();
	if (c->out && conn_flush(c) < 0) {
		standin_failed(s, c);
		return;
	}
	if (c->out) {
		/* Not all written: a serial port that hangs up instead of taking it has no host. */
		if (c->serial && !(revents & POLLOUT))
			standin_failed(s, c);
		return;
	}
	if (!*held && !c->eof && (revents & (POLLIN | POLLHUP | POLLERR))) {
		n = conn_read(c);
		if (n == 0 && c->serial) {
			standin_failed(s, c); /* no host side */
			return;
		}
		if (n == 0)
			c->eof = true;
		else if (n == -ENOBUFS)
			conn_refuse(c);
		else if ((n < 0 && n != -EAGAIN) ||
			 (n == -EAGAIN && c->serial && (revents & (POLLHUP | POLLERR)))) {
			standin_failed(s, c);
			return;
		}
	}
	if (c->out && conn_flush(c) < 0) {
		standin_failed(s, c);
		return;
	}
	if (!c->out)
		*held = standin_process(s, c) || *held;
}

/* Accepts what it may: no eviction (see above). */
static void standin_accept(struct server *s)
{
	while (s->n_conns < MAX_CONNS && server_accept_one(s))
		;
}

/* Serves the connections until the state leaves SERVING. */
static void standin_serve(struct server *s)
{
	struct standin *si = s->standin;
	struct pollfd pfd[MAX_CONNS + 3];
	struct conn *polled[MAX_CONNS + 1];
	bool held[MAX_CONNS + 1] = {0}; /* by index in s->conns; [MAX_CONNS]: the serial port */
	size_t i;

	si->serial_quiet = false;
	for (;;) {
		size_t n = 0, n_polled = 0;
		int listen_slot = -1;
		uint64_t v;
		short ev;

		pfd[n++] = (struct pollfd){.fd = si->wake_fd, .events = POLLIN};
		if (s->n_conns < MAX_CONNS) {
			listen_slot = (int)n;
			pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		}
		if (s->cfg.serial && !si->serial_quiet &&
		    (ev = standin_events(s, &s->serial_conn, held[MAX_CONNS])) >= 0) {
			polled[n_polled++] = &s->serial_conn;
			pfd[n++] = (struct pollfd){.fd = s->serial_conn.fd, .events = ev};
		}
		for (i = 0; i < s->n_conns; i++)
			if ((ev = standin_events(s, s->conns[i], held[i])) >= 0) {
				polled[n_polled++] = s->conns[i];
				pfd[n++] = (struct pollfd){.fd = s->conns[i]->fd, .events = ev};
			}
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			bool done;

			if (read(si->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				break;
			pthread_mutex_lock(&si->lock);
			done = si->state != SI_SERVING;
			pthread_mutex_unlock(&si->lock);
			if (done)
				break;
		}
		for (i = 0; i < n_polled; i++) {
			struct pollfd *p = &pfd[n - n_polled + i];
			struct conn *c = polled[i];
			size_t k;

			if (!p->revents)
				continue;
			if (c == &s->serial_conn) {
				standin_io(s, c, p->revents, &held[MAX_CONNS]);
				continue;
			}
			for (k = 0; k < s->n_conns && s->conns[k] != c; k++)
				;
			standin_io(s, c, p->revents, &held[k]);
		}
		if (listen_slot >= 0 && (pfd[listen_slot].revents & POLLIN))
			standin_accept(s);
	}
}

static void *standin_main(void *arg)
{
	struct server *s = arg;
	struct standin *si = s->standin;

	pthread_mutex_lock(&si->lock);
	for (;;) {
		struct timespec until;
		uint64_t due;

		while (si->state == SI_IDLE)
			pthread_cond_wait(&si->cond, &si->lock);
		if (si->state == SI_QUIT)
			break;
		/* OPEN: the grace. */
		due = si->open_ms + GRACE_MS;
		until = (struct timespec){.tv_sec = (time_t)(due / 1000),
					  .tv_nsec = (long)(due % 1000) * 1000000};
		while (si->state == SI_OPEN && now_ms() < due)
			pthread_cond_timedwait(&si->cond, &si->lock, &until);
		if (si->state != SI_OPEN)
			continue;
		si->state = SI_SERVING;
		pthread_mutex_unlock(&si->lock);
		standin_serve(s);
		pthread_mutex_lock(&si->lock);
		/* Whatever was read or answered, the loop looks at every connection again. */
		s->recheck = true;
		while (si->state == SI_SERVING) /* the poll failed: the end, without serving */
			pthread_cond_wait(&si->cond, &si->lock);
		if (si->state == SI_CLOSING)
			si->state = SI_IDLE;
		pthread_cond_broadcast(&si->cond);
		if (si->state == SI_QUIT)
			break;
	}
	pthread_mutex_unlock(&si->lock);
	return NULL;
}

/* ---- the loop's side ---- */

int standin_start(struct server *s)
{
	struct standin *si = calloc(1, sizeof(*si));
	pthread_condattr_t attr;
	sigset_t all, old;
	int r;

	if (!si)
		return -ENOMEM;
	si->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (si->wake_fd < 0) {
		r = -errno;
		free(si);
		return r;
	}
	pthread_mutex_init(&si->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&si->cond, &attr);
	pthread_condattr_destroy(&attr);
	s->standin = si;
	/* Signals are the loop's (its signalfd): the thread is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&si->thread, NULL, standin_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		pthread_cond_destroy(&si->cond);
		pthread_mutex_destroy(&si->lock);
		close(si->wake_fd);
		free(si);
		s->standin = NULL;
	}
	return r;
}

static void standin_wake(struct standin *si)
{
	uint64_t one = 1;

	if (write(si->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the thread is woken anyway. */
	}
}

void standin_stop(struct server *s)
{
	struct standin *si = s->standin;

	if (!si)
		return;
	pthread_mutex_lock(&si->lock);
	si->state = SI_QUIT;
	pthread_cond_broadcast(&si->cond);
	pthread_mutex_unlock(&si->lock);
	standin_wake(si);
	pthread_join(si->thread, NULL);
	pthread_cond_destroy(&si->cond);
	pthread_mutex_destroy(&si->lock);
	close(si->wake_fd);
	proto_status_done(&si->brief);
	free(si->persist_error);
	free(si);
	s->standin = NULL;
}

void standin_begin(struct server *s, struct proto_status *brief, char *persist_error)
{
	struct standin *si = s->standin;

	if (!si) {
		proto_status_done(brief);
		free(persist_error);
		return;
	}
	pthread_mutex_lock(&si->lock);
	si->brief = *brief;
	si->persist_error = persist_error;
	si->open_ms = now_ms();
	si->state = SI_OPEN;
	pthread_cond_broadcast(&si->cond);
	pthread_mutex_unlock(&si->lock);
}

void standin_end(struct server *s)
{
	struct standin *si = s->standin;

	if (!si)
		return;
	pthread_mutex_lock(&si->lock);
	if (si->state == SI_OPEN) {
		si->state = SI_IDLE;
		pthread_cond_broadcast(&si->cond);
	} else if (si->state == SI_SERVING) {
		si->state = SI_CLOSING;
		pthread_cond_broadcast(&si->cond);
		standin_wake(si);
		while (si->state == SI_CLOSING)
			pthread_cond_wait(&si->cond, &si->lock);
	}
	pthread_mutex_unlock(&si->lock);
	proto_status_done(&si->brief);
	free(si->persist_error);
	si->persist_error = NULL;
}
