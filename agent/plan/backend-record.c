/* SPDX-License-Identifier: MIT */
/* The recording backend: a JSON state file in, operations as text lines out. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lib/cleanup.h"
#include "lib/jread.h"

struct record {
	struct backend b;
	char *state_path;
	FILE *log;
	bool loaded;
	struct observed state;
};

static struct record *record_of(struct backend *b)
{
	return (struct record *)b;
}

static int read_all(const char *path, char **ret, size_t *ret_len, struct errlist *errs)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct strbuf b = {0};
	char chunk[65536];
	ssize_t n;

	if (fd < 0) {
		int r = -errno;

		errlist_add(errs, "", "%s", strerror(-r));
		return r;
	}
	strbuf_append(&b, "");
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			errlist_add(errs, "", "%s", strerror(-r));
			strbuf_done(&b);
			return r;
		}
		strbuf_append_n(&b, chunk, (size_t)n);
		if (b.len > JR_DOCUMENT_MAX)
			break;
	}
	*ret_len = b.len;
	*ret = strbuf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

static int record_observe(struct backend *b, struct observed *obs, struct errlist *errs)
{
	struct record *rb = record_of(b);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (!rb->loaded && rb->state_path) {
		r = read_all(rb->state_path, &buf, &len, errs);
		if (r < 0)
			return r;
		r = observed_from_json(buf, len, &rb->state, errs);
		if (r < 0)
			return r;
	}
	rb->loaded = true;
	return observed_copy(&rb->state, obs);
}

static int find_link_by_key(const struct observed *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n_links; i++)
		if (!strcmp(s->links[i]->key, key))
			return (int)i;
	return -ENOENT;
}

static int fail(struct strbuf *err, int r, const char *what, const struct object *o)
{
	strbuf_printf(err, "%s %s %s: %s", what, object_kind_to_string(o->kind), o->key,
		      r == -EEXIST ? "already exists" : r == -ENOENT ? "not found" : strerror(-r));
	return r;
}

/* A replaced link: the old one with the new name, state, MTU (if set) and owner. */
static int record_link_replace(struct observed *s, size_t i, const struct object *o,
			       struct strbuf *err)
{
	struct object *c;
	int r;

	if (strcmp(s->links[i]->link.name, o->link.name)) {
		if (observed_find_link(s, o->link.name) >= 0) {
			strbuf_printf(err, "rename %s to %s: the name is taken",
				      s->links[i]->link.name, o->link.name);
			return -EEXIST;
		}
		r = observed_rename_link(s, i, o->link.name);
		if (r < 0)
			return r;
	}
	c = object_dup(s->links[i]);
	if (!c)
		return -ENOMEM;
	c->link.up = o->link.up;
	if (o->link.has & OBJ_LINK_HAS_MTU) {
		c->link.has |= OBJ_LINK_HAS_MTU;
		c->link.mtu = o->link.mtu;
	}
	r = object_set_owner(c, o->owner);
	if (r >= 0)
		r = object_finish(c);
	if (r < 0) {
		object_unref(c);
		return r;
	}
	object_unref(s->links[i]);
	s->links[i] = c;
	return 0;
}

static int record_link(struct observed *s, const struct op *op, struct strbuf *err)
{
	const struct object *o = op->obj;
	int i = find_link_by_key(s, o->key);

	switch (op->type) {
	case OP_CREATE:
		if (i >= 0 || observed_find_link(s, o->link.name) >= 0)
			return fail(err, -EEXIST, "create", o);
		return observed_add_link(s, op->obj);
	case OP_DELETE:
		if (i < 0)
			return fail(err, -ENOENT, "delete", o);
		return observed_remove_link(s, (size_t)i);
	default:
		if (i < 0)
			return fail(err, -ENOENT, "replace", o);
		return record_link_replace(s, (size_t)i, o, err);
	}
}

/* Addresses, routes, firewall objects and files: a set keyed like the operation. The link
 * an address or a route is on must exist (names are current names: renames come first). */
static int record_set(struct observed *s, struct objset *set, const struct op *op,
		      struct strbuf *err)
{
	struct object *o = op->obj;
	const char *dev = object_link_name(o);
	int r;

	if (op->type != OP_DELETE && dev && observed_find_link(s, dev) < 0) {
		strbuf_printf(err, "%s %s %s: no link %s", op_type_to_string(op->type),
			      object_kind_to_string(o->kind), o->key, dev);
		return -ENOENT;
	}
	switch (op->type) {
	case OP_CREATE:
		r = objset_add(set, o);
		break;
	case OP_DELETE:
		r = objset_remove(set, o->kind, o->key);
		break;
	default:
		r = objset_get(set, o->kind, o->key) ? objset_put(set, o) : -ENOENT;
		break;
	}
	return r < 0 ? fail(err, r, op_type_to_string(op->type), o) : 0;
}

static int record_change(struct record *rb, const struct op *op, struct strbuf *err)
{
	struct observed *s = &rb->state;

	switch (op->obj->kind) {
	case OBJ_HOSTNAME:
		object_unref(s->hostname);
		s->hostname = op->type == OP_DELETE ? NULL : object_ref(op->obj);
		return 0;
	case OBJ_LINK:
		return record_link(s, op, err);
	case OBJ_ADDRESS:
		return record_set(s, &s->addrs, op, err);
	case OBJ_ROUTE:
		return record_set(s, &s->routes, op, err);
	case OBJ_FILE:
		return record_set(s, &s->files, op, err);
	default:
		return record_set(s, &s->nft, op, err);
	}
}

static int record_apply(struct backend *b, const struct op *op, struct strbuf *err)
{
	struct record *rb = record_of(b);
	struct strbuf line = {0};
	int r;

	if (rb->log) {
		r = op_format(op, &line);
		if (r >= 0)
			r = strbuf_append(&line, "\n");
		if (r >= 0 && fputs(line.s, rb->log) == EOF)
			r = -EIO;
		strbuf_done(&line);
		if (r < 0) {
			strbuf_printf(err, "cannot write the operation: %s", strerror(-r));
			return r;
		}
	}
	return record_change(rb, op, err);
}

/* Nothing is queued: each operation is applied at once, like rtnetlink's. */
static int record_begin(struct backend *b, struct strbuf *err)
{
	return 0;
}

static int record_commit(struct backend *b, struct strbuf *err)
{
	return 0;
}

static int record_abort(struct backend *b, struct strbuf *err)
{
	return 0;
}

static void record_free(struct backend *b)
{
	struct record *rb = record_of(b);

	free(rb->state_path);
	observed_done(&rb->state);
	free(rb);
}

static const struct backend_ops record_ops = {
	.name = "record",
	.kinds = (1u << _OBJ_KIND_MAX) - 1,
	.observe = record_observe,
	.begin = record_begin,
	.apply_op = record_apply,
	.commit = record_commit,
	.abort = record_abort,
	.free = record_free,
};

struct backend *backend_record_new(const char *state_path, FILE *log)
{
	struct record *rb = calloc(1, sizeof(*rb));

	if (!rb)
		return NULL;
	rb->b.ops = &record_ops;
	rb->log = log;
	if (state_path && !(rb->state_path = strdup(state_path))) {
		free(rb);
		return NULL;
	}
	return &rb->b;
}

struct observed *backend_record_state(struct backend *b)
{
	return b->ops == &record_ops ? &record_of(b)->state : NULL;
}

int backend_record_write_state(struct backend *b, const char *path, struct strbuf *err)
{
	struct strbuf json = {0};
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	int r;

	if (b->ops != &record_ops)
		return -EINVAL;
	r = observed_to_json(&record_of(b)->state, &json);
	if (r < 0)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (off < json.len) {
		ssize_t n = write(fd, json.s + off, json.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	r = close(fd) < 0 ? -errno : 0;
	fd = -1;
out:
	if (r < 0)
		strbuf_printf(err, "cannot write %s: %s", path, strerror(-r));
	strbuf_done(&json);
	return r;
}
