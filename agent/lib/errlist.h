/* SPDX-License-Identifier: MIT */
/*
 * Validation errors: a JSON Pointer (RFC 6901) into the intent and a message. Parsers and
 * checks append; one run reports every error. The list never logs and never prints.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* More errors than this are summed up in one last error instead of listed. */
#define ERRLIST_MAX 1000

struct errlist_entry {
	char *pointer;
	char *message;
	size_t seq;	      /* order of insertion, the tie-breaker when sorting */
	size_t *position;     /* document position, see errlist_sort() */
	size_t n_position;
};

struct errlist {
	struct errlist_entry *v;
	size_t n;
	size_t cap;
	size_t dropped; /* errors beyond ERRLIST_MAX */
	int oom;
};

void errlist_add(struct errlist *l, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error at the pointer base + suffix, e.g. ("/routes/3", "/via"); suffix may be "". */
void errlist_add_at(struct errlist *l, const char *base, const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error at base/key/index: key NULL or index < 0 leave that part out. */
void errlist_add_member(struct errlist *l, const char *base, const char *key, long index,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sort by the positions set on the entries (lexicographically), then by insertion. */
void errlist_sort(struct errlist *l);
/* "POINTER: message\n" per error. */
void errlist_print(const struct errlist *l, FILE *f);
void errlist_done(struct errlist *l);
