/* SPDX-License-Identifier: MIT */
/*
 * The one format of every file the agent persists in its state directory (intent.json, the
 * nftables backend's records, the services' own state): a first line that carries the checksum
 * of the rest, then the text the file held before that line existed, byte for byte.
 *
 *   # vrouter-state v1 sha256 HEX LEN
 *   BODY
 *
 * HEX: the SHA-256 of BODY in 64 lower-case hex digits (what `tail -n +2 FILE | sha256sum`
 * prints); LEN: BODY's length in bytes, in decimal. Inside the file rather than beside it: one
 * rename replaces the text and its checksum together, which a second file could not.
 *
 * Pure: agent/state/statefile.c reads and writes the files.
 */
#pragma once

#include <stddef.h>

#include "strbuf.h"

#define SEAL_MAGIC "# vrouter-state "
/* The longest header: magic, "v1 sha256 ", the digest, a space, 20 digits, the newline. */
#define SEAL_HEADER_MAX 128

/* What is wrong with a state file: found by seal_open() (HEADER to CHECKSUM) or by its owner
 * (INVALID to STALE). Its string (seal_problem_to_string) names a file set aside for it. */
enum seal_problem {
	SEAL_OK,
	SEAL_UNSEALED,	/* no checksum line: an older agent's file, or not (the owner tells) */
	SEAL_HEADER,	/* a first line that is not the checksum line, nor an older agent's */
	SEAL_VERSION,	/* the header of a later version of the format */
	SEAL_TRUNCATED, /* shorter than its header says */
	SEAL_LENGTH,	/* longer than its header says */
	SEAL_CHECKSUM,	/* changed since it was written */
	SEAL_INVALID,	/* whole, but its content does not load in this agent */
	SEAL_ORPHAN,	/* an older agent's change log without the snapshot it follows */
	SEAL_STALE,	/* an older generation than its change log's: not the one in effect */
	_SEAL_PROBLEM_MAX,
};

const char *seal_problem_to_string(enum seal_problem p);
int seal_problem_from_string(const char *s);
/* What the problem means, for a log line or status ("changed since it was written: ..."). */
const char *seal_problem_describe(enum seal_problem p);

/* The header of body into out (NUL-terminated); its length. */
size_t seal_header(const char *body, size_t len, char out[SEAL_HEADER_MAX]);

/* Checks text (a whole file): SEAL_OK with *ret_body the offset of its body (its length is
 * len - *ret_body), SEAL_UNSEALED (*ret_body 0: the text does not start with '#'), or what is
 * wrong, with the details appended to detail ("its SHA-256 is ..., its header says ..."). */
enum seal_problem seal_open(const char *text, size_t len, size_t *ret_body, struct strbuf *detail);
