/* SPDX-License-Identifier: MIT */
/* Operations: lists, inverses, text. */
#include <errno.h>
#include <stdlib.h>

#include "lib/cleanup.h"
#include "op.h"

static const char *const op_type_table[_OP_TYPE_MAX] = {
	[OP_CREATE] = "create",
	[OP_REPLACE] = "replace",
	[OP_DELETE] = "delete",
};

const char *op_type_to_string(enum op_type t)
{
	return (size_t)t < ELEMENTSOF(op_type_table) ? op_type_table[t] : NULL;
}

int oplist_add(struct oplist *l, enum op_type type, struct object *obj, struct object *old)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct op *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct op){type, object_ref(obj), object_ref(old)};
	return 0;
}

int oplist_append(struct oplist *l, const struct op *op)
{
	return oplist_add(l, op->type, op->obj, op->old);
}

void op_done(struct op *op)
{
	object_unref(op->obj);
	object_unref(op->old);
	*op = (struct op){0};
}

void oplist_done(struct oplist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		op_done(&l->v[i]);
	free(l->v);
	*l = (struct oplist){0};
}

int op_inverse(const struct op *op, struct op *ret)
{
	switch (op->type) {
	case OP_CREATE:
		*ret = (struct op){OP_DELETE, object_ref(op->obj), NULL};
		return 0;
	case OP_DELETE:
		*ret = (struct op){OP_CREATE, object_ref(op->obj), NULL};
		return 0;
	case OP_REPLACE:
		*ret = (struct op){OP_REPLACE, object_ref(op->old), object_ref(op->obj)};
		return 0;
	default:
		return -EINVAL;
	}
}

int op_format(const struct op *op, struct strbuf *out)
{
	const struct object *o = op->obj;

	strbuf_printf(out, "%s %s", op_type_to_string(op->type), object_kind_to_string(o->kind));
	if (o->key[0])
		strbuf_printf(out, " %s", o->key);
	if (o->attrs[0])
		strbuf_printf(out, " %s", o->attrs);
	if (o->kind == OBJ_FILE && op->type != OP_DELETE && o->file.service)
		strbuf_printf(out, " service=%s change=%s", o->file.service,
			      change_class_to_string(o->file.change));
	if (op->type == OP_REPLACE && op->old->attrs[0])
		strbuf_printf(out, " (was %s)", op->old->attrs);
	return out->oom ? -ENOMEM : 0;
}
