/* SPDX-License-Identifier: MIT */
/*
 * What a backend counts of its objects (backend_ops.counters), for `status`: the traffic of
 * each link, the packets and bytes each intent rule matched. One shape for both: the object's
 * kind and name, and its counts in two directions (a rule counts what it matched as
 * received and sends nothing).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object.h"

struct counts {
	uint64_t packets, bytes, errors, dropped;
};

struct counter {
	enum object_kind kind; /* OBJ_LINK; OBJ_FW_RULE, OBJ_NAT_RULE */
	char *name;	       /* a link's name; a rule's key ("input/0", "snat/1") */
	char *pointer;	       /* a rule's intent element ("/firewall/input/rules/0"), or NULL */
	char *comment;	       /* a rule's comment, or NULL */
	bool builtin;	       /* an always-on rule: name is "builtin:input/established" */
	struct counts rx;      /* a link: received; a rule: what it matched */
	struct counts tx;      /* a link: sent; a rule: zero */
};

struct counterlist {
	struct counter *v;
	size_t n, cap;
	/* BACKEND_KIND() of each kind counted, set even when no object of it was found: "no
	 * rules" differs from "rules are not counted here". */
	unsigned kinds;
};

/* Appends a counter of kind with a copy of name (len bytes of it), counts zero, and returns
 * it; NULL on OOM. */
struct counter *counterlist_push(struct counterlist *l, enum object_kind kind, const char *name,
				 size_t len);
/* Appends *c, whose strings it takes (*c is zeroed). 0 or -ENOMEM (*c as it was). */
int counterlist_take(struct counterlist *l, struct counter *c);
/* Moves src's counters (and kinds) to the end of dst; src is left empty. 0 or -ENOMEM (src
 * then as it was). */
int counterlist_move(struct counterlist *dst, struct counterlist *src);
void counterlist_done(struct counterlist *l);
