/* SPDX-License-Identifier: MIT */
/*
 * What server.c (the loop) and server-standin.c (status while the agent is busy) share: the
 * connections. Outside a busy window only the loop's thread touches them; inside one, the
 * stand-in's thread does, except the connection whose request the agent is handling.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "proto/proto.h"
#include "server.h"

#define MAX_CONNS 64
#define READ_CHUNK (1u << 20)
#define IDLE_MS (300 * 1000) /* a socket connection silent that long is closed */
/* A request line must arrive whole within this time, counted from its first byte and not
 * reset by the next ones (the time the agent spends on requests is not counted): a client
 * that trickles bytes cannot keep a connection and its buffer. 17 MiB in 20 s is 0.85 MB/s. */
#define LINE_MS (20 * 1000)
/* Each connection may always buffer this much (status, small applies); beyond it, the bytes
 * buffered across all connections stay under BUFFER_MAX: two lines of the largest size. */
#define CONN_SMALL (64u << 10)
#define BUFFER_MAX (2 * ((size_t)PROTO_LINE_MAX + READ_CHUNK))

struct conn {
	int fd;
	bool serial;
	char *in;
	size_t in_len, in_cap;
	size_t scanned; /* in[0..scanned) holds no newline */
	bool discarding; /* skipping the rest of an oversized line */
	char *out;	 /* the answer being written */
	size_t out_len, out_off;
	bool eof;	 /* the client shut down its side */
	bool dead;
	uint64_t active_ms;
	uint64_t seq;	    /* the order of its accept */
	uint64_t line_ms;   /* when the unfinished line's first byte came (0: none) */
	uint64_t line_busy; /* the server's busy_ms then */
	size_t *buffered;   /* the server's count, which in_cap is part of */
};

struct server {
	struct server_config cfg;
	char *socket_path;
	int listen_fd;
	struct conn *conns[MAX_CONNS];
	size_t n_conns;
	struct conn serial_conn; /* fd mirrors the serial port's */
	size_t buffered;	 /* the input buffers' bytes, all connections */
	uint64_t busy_ms;	 /* time spent answering requests since the start */
	uint64_t accepted;	 /* connections accepted since the start */
	struct standin *standin; /* status while the agent is busy (server-standin.c) */
	struct conn *handling;	 /* the connection whose request the agent handles, or NULL */
	bool recheck; /* the stand-in left complete lines or answers: the loop looks at each */
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Writes what it can of the pending answer. 0, or negative errno (the peer is gone). */
int conn_flush(struct conn *c);
/* Makes answer (taken; NULL: out of memory) the connection's pending answer. */
void conn_queue(struct conn *c, char *answer);
/* Reads once. >0 bytes, 0 end of file, negative errno (-EAGAIN: nothing now; -ENOBUFS: the
 * buffer may not grow, BUFFER_MAX). */
ssize_t conn_read(struct conn *c);
/* The line would take the buffers past BUFFER_MAX: refused, its memory given back. */
void conn_refuse(struct conn *c);

/* Accepts one waiting connection into s->conns; at MAX_CONNS one makes room first
 * (server_evict()). false: none waiting, or it failed (logged). */
bool server_accept_one(struct server *s);

/* ---- server-standin.c ---- */
/* Starts the stand-in's thread (every signal blocked on it). 0 or negative errno. */
int standin_start(struct server *s);
/* Ends it (outside a busy window). */
void standin_stop(struct server *s);
/* The agent is busy (agent_busy_hook): from now on, after a short grace, the stand-in answers
 * status with brief on every connection but s->handling (brief and persist_error taken). */
void standin_begin(struct server *s, struct proto_status *brief, char *persist_error);
/* The agent is done: returns once the stand-in has stopped touching the connections; the loop
 * then handles the lines the stand-in left (s->recheck). */
void standin_end(struct server *s);
