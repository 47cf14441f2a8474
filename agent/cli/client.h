/* SPDX-License-Identifier: MIT */
/*
 * The client side of the agent's protocol (docs/protocol.md): one request line out, one
 * answer line back, with a timeout.
 *
 * The agent is reached through its UNIX socket (--socket, default /run/vrouter/agent.sock),
 * or through the router's serial port (--serial PATH): PATH is either the host side of a
 * QEMU chardev socket (a UNIX socket connected to the port) or a tty/pty device, put in raw
 * mode. On a serial line there may be bytes left by an earlier session: the request is sent
 * after a newline (the agent ignores blank lines) and carries an id, and answers with
 * another id are skipped.
 */
#pragma once

#include <stddef.h>

#include "proto/proto.h"

struct client_options {
	const char *socket; /* NULL: the default */
	const char *serial; /* NULL: use the socket */
	unsigned timeout_s;
};

#define CLIENT_SOCKET_DEFAULT "/run/vrouter/agent.sock"
#define CLIENT_TIMEOUT_DEFAULT 120

/* Set by vrouterctl's global options. */
extern struct client_options client_options;

/* A fresh request id ("vrouterctl-PID-N"). */
const char *client_id(void);

/*
 * Sends a request line (with its newline) built with id, and parses the answer to it.
 * 0, or a negative errno when the agent could not be reached or gave no answer in time
 * (the reason is printed; the caller exits EXIT_UNREACHABLE).
 */
int client_call(const char *line, size_t len, const char *id, struct proto_reply *ret);

/* ---- for the subcommands (cmd-apply.c) ---- */

/* Sends the intent at path ("-": stdin) as a request of that kind. 0 with the answer, or the
 * exit code when there is none (errors printed): APPLY_INVALID (unreadable, or not something
 * the agent could receive: the local validator's errors), EXIT_UNREACHABLE. */
int cli_intent_request(enum proto_kind kind, const char *path, struct proto_reply *ret);
/* The same with more members in the request (proto_request_build_with). */
int cli_intent_request_with(enum proto_kind kind, const char *members, const char *path,
			    struct proto_reply *ret);
/* `vrouterctl apply path`: the answer on stdout, its errors on stderr; the exit code. */
int cli_apply_file(const char *path);
/* The same with more members ("\"confirm\":30"). */
int cli_apply_file_with(const char *members, const char *path);
/* show, status. 0 with the answer, or the exit code (EXIT_UNREACHABLE). */
int cli_simple_request(enum proto_kind kind, struct proto_reply *ret);
/* The same with more members ("\"generation\":7"). */
int cli_simple_request_with(enum proto_kind kind, const char *members, struct proto_reply *ret);
/* The answer's errors on stderr: "POINTER: message" each, then "vrouterctl: ERROR". */
void cli_print_reply_errors(const struct proto_reply *r);
/* The answer's exit code as vrouterctl's. */
int cli_reply_exit(const struct proto_reply *r);
