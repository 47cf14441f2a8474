/* SPDX-License-Identifier: MIT */
/*
 * The files the agent persists in its state directory: one format (lib/seal.h: a checksum line,
 * then the text), one way to write them (a temporary file beside, synced, renamed over, the
 * directory synced), one way to read them (the checksum checked), and one way to put aside a
 * file that is damaged: renamed, never removed and never over another file.
 *
 *   intent.json                     the intent in effect (daemon/store.h)
 *   nft-records, nft-records-fw     the nftables backend's records (nft/nft-records.h)
 *   services/NAME.conf-hash         the configuration a running daemon was started with
 *   services/vrrp.state             VRRP's states, for the next agent (services/vrrp.h)
 *   history/NNNNNN.json             one apply that reached the router (daemon/history.h)
 *   confirm.json                    a pending apply --confirm (daemon/confirm.h)
 *
 * A file set aside is NAME.PROBLEM-YYYYMMDDTHHMMSSZ beside it (PROBLEM: seal_problem_to_string,
 * the time in UTC), with ".2", ".3" ... when that name is taken; `status` lists every such file
 * until it is removed (statefile_aside_list).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/seal.h"
#include "lib/strbuf.h"

/* Reads a whole file of at most max bytes. 0, -ENOENT, -EFBIG, or another negative errno. */
int statefile_read(const char *path, size_t max, char **ret, size_t *ret_len);

/* Writes buf to path as it is (no checksum line; the recording backend's router), mode 0600:
 * path.tmp written, synced, renamed over path, the directory synced. 0 or negative errno with
 * the reason in err. */
int statefile_write_raw(const char *path, const char *buf, size_t len, struct strbuf *err);
/* Makes a file written by someone else durable under path: fsync tmp, rename, fsync dir. */
int statefile_commit(const char *tmp, const char *path, struct strbuf *err);

/* Syncs the file and its directory. Without it (the nftables records, whose table does not
 * outlive the machine) a crash of the machine may leave a torn file, which the owner must
 * know it never reads. */
#define STATEFILE_SYNC 1u

/* The state file of body (its checksum line, then body) to path.tmp, mode 0600, synced with
 * STATEFILE_SYNC. 0, or negative errno with the reason in err (path.tmp removed). */
int statefile_stage(const char *path, const char *body, size_t len, unsigned flags,
		    struct strbuf *err);
/* path.tmp renamed over path (the directory then synced with STATEFILE_SYNC). A rename that
 * fails removes path.tmp. 0 or negative errno with the reason in err. */
int statefile_publish(const char *path, unsigned flags, struct strbuf *err);
/* Removes path and syncs its directory (a file whose content lives on elsewhere). 0, or
 * negative errno with the reason in err. */
int statefile_remove(const char *path, struct strbuf *err);
/* Removes path.tmp, if any. */
void statefile_drop(const char *path);
/* statefile_stage(), then statefile_publish(). */
int statefile_save(const char *path, const char *body, size_t len, unsigned flags,
		   struct strbuf *err);

/* A state file as read. */
struct statefile {
	char *text; /* the whole file, NUL-terminated */
	size_t len;
	const char *body; /* its text after the checksum line (the whole text when unsealed) */
	size_t body_len;
	enum seal_problem problem; /* SEAL_OK, SEAL_UNSEALED, or what is wrong */
	char *detail;		   /* the details of a problem, or NULL */
};

/* Reads path (at most max bytes) and checks it: 0 (f->problem says what was found), -ENOENT,
 * or another negative errno with the reason in err. A file over max is SEAL_LENGTH. */
int statefile_load(const char *path, size_t max, struct statefile *f, struct strbuf *err);
void statefile_done(struct statefile *f);

/* Renames path to PATH.PROBLEM-YYYYMMDDTHHMMSSZ (".N" added while that name exists: never over
 * a file), then syncs the directory. 0 with the new path in *ret_aside (malloc'd), or negative
 * errno with the reason in err (path stays where it is). */
int statefile_set_aside(const char *path, enum seal_problem why, char **ret_aside,
			struct strbuf *err);

/* A file set aside, as its name tells. */
struct statefile_aside {
	char *file; /* the path it had */
	enum seal_problem problem;
	char *moved_to; /* its path now */
	char *when;	/* ISO 8601, UTC, to the second */
};

/* Appends the files set aside in dir (not below) to *v (*n of them), then sorts all of *v by
 * time, then name. A directory that cannot be read adds none. 0 or -ENOMEM. */
int statefile_aside_list(const char *dir, struct statefile_aside **v, size_t *n);
void statefile_aside_free(struct statefile_aside *v, size_t n);
