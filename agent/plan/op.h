/* SPDX-License-Identifier: MIT */
/*
 * Operations: what a backend does to the router. Each operation carries whole objects, so
 * that its inverse can be built without looking anything up (undo after a failed apply):
 *
 *   create  X          inverse: delete X
 *   replace X (old Y)  inverse: replace Y (old X)
 *   delete  X          inverse: create X
 *
 * One text line per operation (op_format), stable and diffable:
 *
 *   replace link 52:54:00:00:00:03 name=web mtu=1450 up=true (was name=eth2 mtu=1500 up=false)
 *   create address web 10.1.1.1/24
 *   create file dnsmasq/vrouter.conf mode=0644 size=812 hash=1a2b3c4d service=dnsmasq ...
 *   delete route 10.9.0.0/16 metric=0 via=10.1.2.254
 */
#pragma once

#include <stddef.h>

#include "lib/strbuf.h"
#include "object.h"

enum op_type { OP_CREATE, OP_REPLACE, OP_DELETE, _OP_TYPE_MAX };

struct op {
	enum op_type type;
	struct object *obj; /* create, replace: the object as it will be; delete: as it is */
	struct object *old; /* replace: the object as it was; NULL otherwise */
};

struct oplist {
	struct op *v;
	size_t n;
	size_t cap;
};

const char *op_type_to_string(enum op_type t);
/* Appends an operation holding new references to obj and old. */
int oplist_add(struct oplist *l, enum op_type type, struct object *obj, struct object *old);
/* Appends a copy of op (new references). */
int oplist_append(struct oplist *l, const struct op *op);
void oplist_done(struct oplist *l);
/* The inverse operation, holding new references; release it with op_done(). */
int op_inverse(const struct op *op, struct op *ret);
void op_done(struct op *op);
/* Appends the operation's line (no newline) to out. 0 or -ENOMEM. */
int op_format(const struct op *op, struct strbuf *out);
