/* SPDX-License-Identifier: MIT */
/*
 * The transport: a UNIX stream socket (mode 0600) and an optional serial port, one poll loop.
 *
 * Each connection has its own line buffer. A request is one line of at most PROTO_LINE_MAX
 * bytes; a longer one gets an error answer and is skipped up to its newline, and the
 * connection goes on. Requests are handled one at a time, to the end (an apply runs inside
 * the loop), so two applies never overlap; while the agent is busy, a second thread answers
 * status on the other connections (server-standin.c). A connection gets its next request read only once
 * its previous answer is written: a client that does not read its answers stalls only itself.
 * Blank lines are ignored (a serial client sends one first to end any partial line left on
 * the port). A client may also send its last request without a newline and shut down its
 * side: the request is handled at end of file.
 *
 * Limits (docs/protocol.md): a line must arrive whole within a deadline from its first byte;
 * at most MAX_CONNS socket connections, the longest idle (else the slowest) closed to take a
 * new one; the input buffers of all connections capped together beyond a small allowance
 * each, a line that would pass the cap refused. So status and apply are always served.
 */
#pragma once

#include <stdint.h>

#include "agent.h"
#include "lib/strbuf.h"
#include "linkwait.h"
#include "serial.h"

struct server_config {
	const char *socket_path;
	struct serial *serial; /* NULL: none (the server does not own it) */
	struct agent *agent;
	int signal_fd;	      /* signalfd: SIGTERM, SIGINT end the loop; SIGHUP reopens serial */
	uint64_t tick_ms;     /* 0: no tick */
	void (*tick)(void);   /* called every tick_ms (the systemd watchdog) */
	struct linkwait *linkwait; /* the wait for late links, or NULL (not owned) */
};

struct server;

/* Binds the socket (creating its directory, 0755, if needed). A socket file left by a dead
 * daemon is replaced; one with a live daemon behind it is -EADDRINUSE. */
int server_new(const struct server_config *cfg, struct server **ret, struct strbuf *err);
/* Closes the connections and the socket and removes the socket file. */
struct server *server_free(struct server *s);
/* Runs until SIGTERM or SIGINT. 0, or a negative errno when the loop itself fails. */
int server_run(struct server *s);
