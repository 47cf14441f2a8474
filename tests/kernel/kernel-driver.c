/* SPDX-License-Identifier: MIT */
/*
 * A driver of the kernel backend for kernel-backend.sh (run it in a network and UTS
 * namespace of its own: it changes links, addresses, routes and the hostname):
 *
 *   kernel-driver observe [--time N]     the observed state as JSON (observed_to_json), checked
 *                                        to read back (observed_from_json) to the same text; with
 *                                        --time, observe N times and print the median in ms
 *   kernel-driver apply [--undo] OP...   apply operations written as op_format() prints them
 *                                        (without "(was ...)"), e.g.
 *                                          'create address eth0 10.1.1.5/24'
 *                                          'replace link 02:00:00:00:00:0a name=web up=true'
 *                                          'replace route 10.9.0.0/16 metric=0 via=10.1.1.254'
 *                                        a replace takes the object it replaces (and a delete
 *                                        its object) from a fresh observe before each
 *                                        operation. On a failure, the applied operations are
 *                                        undone in reverse order through their inverses, as
 *                                        the engine does, and it exits 1. With --undo, all of
 *                                        them are undone at the end.
 *   kernel-driver counters               the traffic counters of every link, one line each:
 *                                        NAME RX_PACKETS RX_BYTES TX_PACKETS TX_BYTES
 *   kernel-driver plan [--apply] INTENT  the kernel operations of the intent's plan against the
 *                                        observed state; with --apply, apply them (undo all
 *                                        on a failure)
 *
 * Operations go to stderr as "apply: LINE" and "undo: LINE", errors as
 * "error: TYPE KIND KEY: TEXT" (the backend gives TEXT; the operation is named here, as the
 * engine names it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "intent/parse.h"
#include "kernel/kernel.h"
#include "lib/cleanup.h"
#include "plan/plan.h"

static int observe(struct backend *b, struct observed *obs)
{
	struct errlist errs = {0};
	int r = backend_observe(b, obs, &errs);

	if (r < 0) {
		errlist_print(&errs, stderr);
		fprintf(stderr, "error: observe: %s\n", strerror(-r));
	}
	errlist_done(&errs);
	return r;
}

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Observes n times and prints the median time in ms. */
static int observe_time(struct backend *b, const char *count)
{
	_cleanup_free_ double *ms = NULL;
	struct observed obs = {0};
	unsigned long n, i;
	char *end;
	int r = 0;

	n = strtoul(count, &end, 10);
	if (*end || n == 0 || n > 10000)
		return 64;
	ms = calloc(n, sizeof(*ms));
	if (!ms)
		return 1;
	for (i = 0; i < n && r >= 0; i++) {
		double start = now_ms();

		r = observe(b, &obs);
		ms[i] = now_ms() - start;
		observed_done(&obs);
	}
	if (r < 0)
		return 1;
	qsort(ms, n, sizeof(*ms), double_cmp);
	printf("%.2f\n", ms[n / 2]);
	return 0;
}

/* The state as the recording backend would read it: the same text again. */
static int check_round_trip(const struct strbuf *json)
{
	struct observed again = {0};
	struct errlist errs = {0};
	struct strbuf text = {0};
	int r;

	r = observed_from_json(json->s, json->len, &again, &errs);
	if (r >= 0)
		r = observed_to_json(&again, &text);
	if (r >= 0 && strcmp(strbuf_str(json), strbuf_str(&text)))
		r = -EPROTO;
	if (r < 0) {
		errlist_print(&errs, stderr);
		fprintf(stderr, "error: the observed state does not read back:\n%s", strbuf_str(json));
	}
	observed_done(&again);
	errlist_done(&errs);
	strbuf_done(&text);
	return r;
}

static int cmd_observe(struct backend *b, int argc, char **argv)
{
	struct observed obs = {0};
	struct strbuf out = {0};
	int r;

	if (argc == 3 && !strcmp(argv[1], "--time"))
		return observe_time(b, argv[2]);
	if (argc != 1)
		return 64;
	r = observe(b, &obs);
	if (r < 0)
		return 1;
	r = observed_to_json(&obs, &out);
	if (r >= 0)
		r = check_round_trip(&out);
	if (r >= 0)
		fputs(strbuf_str(&out), stdout);
	strbuf_done(&out);
	observed_done(&obs);
	return r < 0;
}

/* ---- operations as text ---- */

static int parse_u32(const char *s, uint32_t *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_link(struct object *o, char **tok, size_t n)
{
	size_t i = 1;

	if (n < 1)
		return -EINVAL;
	if (!strncmp(tok[0], "wg:", 3)) {
		o->flags |= OBJ_TUNNEL;
		snprintf(o->link.name, OBJ_NAME_SIZE, "%s", tok[0] + 3);
	} else if (mac_parse(tok[0], o->link.mac) == 0) {
		o->link.has |= OBJ_LINK_HAS_MAC;
	} else {
		return -EINVAL;
	}
	for (; i < n; i++) {
		if (!strncmp(tok[i], "name=", 5))
			snprintf(o->link.name, OBJ_NAME_SIZE, "%s", tok[i] + 5);
		else if (!strncmp(tok[i], "mtu=", 4) && parse_u32(tok[i] + 4, &o->link.mtu) == 0)
			o->link.has |= OBJ_LINK_HAS_MTU;
		else if (!strcmp(tok[i], "up=true") || !strcmp(tok[i], "up=false"))
			o->link.up = !strcmp(tok[i], "up=true");
		else if (strncmp(tok[i], "owner=", 6))
			return -EINVAL;
	}
	return o->link.name[0] || o->link.has & OBJ_LINK_HAS_MAC ? 0 : -EINVAL;
}

static int parse_route(struct object *o, char **tok, size_t n)
{
	size_t i;

	if (n < 1 || prefix_parse(tok[0], &o->route.to) < 0)
		return -EINVAL;
	for (i = 1; i < n; i++) {
		if (!strncmp(tok[i], "metric=", 7)) {
			if (parse_u32(tok[i] + 7, &o->route.metric) < 0)
				return -EINVAL;
		} else if (!strncmp(tok[i], "via=", 4)) {
			if (addr_parse(tok[i] + 4, &o->route.via) < 0)
				return -EINVAL;
			o->route.has |= OBJ_ROUTE_HAS_VIA;
		} else if (!strncmp(tok[i], "dev=", 4)) {
			snprintf(o->route.dev, OBJ_NAME_SIZE, "%s", tok[i] + 4);
			o->route.has |= OBJ_ROUTE_HAS_DEV;
		} else if (strncmp(tok[i], "owner=", 6)) {
			return -EINVAL;
		}
	}
	return 0;
}

/* "TYPE KIND ..." into an operation's type and object (finished). */
static int parse_op(char *line, enum op_type *type, struct object **ret)
{
	char *tok[16], *save = NULL, *t;
	struct object *o = NULL;
	size_t n = 0, i;
	int kind, r = -EINVAL;

	for (t = strtok_r(line, " ", &save); t && n < ELEMENTSOF(tok);
	     t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n < 2 || (kind = object_kind_from_string(tok[1])) < 0)
		return -EINVAL;
	for (i = 0; i < _OP_TYPE_MAX && strcmp(op_type_to_string((enum op_type)i), tok[0]); i++)
		;
	if (i == _OP_TYPE_MAX || !(o = object_new((enum object_kind)kind)))
		return -EINVAL;
	*type = (enum op_type)i;
	switch (kind) {
	case OBJ_HOSTNAME:
		if (n == 2 || (n == 3 && !strncmp(tok[2], "name=", 5)))
			r = (o->hostname = strdup(n == 3 ? tok[2] + 5 : "")) ? 0 : -ENOMEM;
		break;
	case OBJ_LINK:
		r = parse_link(o, tok + 2, n - 2);
		break;
	case OBJ_ADDRESS:
		if (n >= 4 && strlen(tok[2]) < OBJ_NAME_SIZE &&
		    prefix_parse(tok[3], &o->address.addr) == 0) {
			snprintf(o->address.ifname, OBJ_NAME_SIZE, "%s", tok[2]);
			r = n == 4 || (n == 5 && !strncmp(tok[4], "owner=", 6)) ? 0 : -EINVAL;
		}
		break;
	case OBJ_ROUTE:
		r = parse_route(o, tok + 2, n - 2);
		break;
	default:
		break;
	}
	for (i = 2; i < n && r >= 0; i++)
		if (!strncmp(tok[i], "owner=", 6))
			r = object_set_owner(o, tok[i] + 6);
	if (r >= 0)
		r = object_finish(o);
	if (r < 0) {
		object_unref(o);
		return r;
	}
	*ret = o;
	return 0;
}

/* The observed object with the kind and key of o, or NULL. */
static struct object *observed_twin(const struct observed *obs, const struct object *o)
{
	size_t i;

	switch (o->kind) {
	case OBJ_HOSTNAME:
		return obs->hostname;
	case OBJ_LINK:
		for (i = 0; i < obs->n_links; i++)
			if (!strcmp(obs->links[i]->key, o->key))
				return obs->links[i];
		return NULL;
	case OBJ_ADDRESS:
		return objset_get(&obs->addrs, o->kind, o->key);
	default:
		return objset_get(&obs->routes, o->kind, o->key);
	}
}

/* The operation of a line, against a fresh observe. */
static int make_op(struct backend *b, const char *text, struct op *ret)
{
	_cleanup_free_ char *line = strdup(text);
	struct observed obs = {0};
	struct object *o = NULL, *twin;
	enum op_type type;
	int r;

	if (!line)
		return -ENOMEM;
	r = parse_op(line, &type, &o);
	if (r < 0) {
		fprintf(stderr, "error: cannot read the operation \"%s\"\n", text);
		return r;
	}
	r = observe(b, &obs);
	if (r < 0) {
		object_unref(o);
		return r;
	}
	twin = observed_twin(&obs, o);
	if (type == OP_REPLACE && !twin) {
		fprintf(stderr, "error: %s: nothing observed to replace\n", text);
		r = -ENOENT;
	} else if (type == OP_DELETE && twin) {
		*ret = (struct op){OP_DELETE, object_ref(twin), NULL};
	} else {
		*ret = (struct op){type, object_ref(o), NULL};
		if (type == OP_REPLACE)
			ret->old = object_ref(twin);
	}
	object_unref(o);
	observed_done(&obs);
	return r;
}

static void print_op(const char *what, const struct op *op)
{
	struct strbuf line = {0};

	op_format(op, &line);
	fprintf(stderr, "%s: %s\n", what, strbuf_str(&line));
	strbuf_done(&line);
}

/* Undoes the applied operations in reverse order; the first error is returned. */
static int undo_all(struct backend *b, struct oplist *done)
{
	struct strbuf err = {0};
	int r = 0, q;

	while (done->n) {
		struct op *last = &done->v[done->n - 1], inv;

		q = op_inverse(last, &inv);
		if (q >= 0) {
			print_op("undo", &inv);
			q = backend_apply_op(b, &inv, &err);
			op_done(&inv);
		}
		if (q < 0) {
			fprintf(stderr, "error: undo: %s\n", strbuf_str(&err));
			strbuf_truncate(&err, 0);
			if (r == 0)
				r = q;
		}
		op_done(last);
		done->n--;
	}
	strbuf_done(&err);
	return r;
}

/* Applies one operation; on a failure undoes the ones before (done) and aborts. */
static int apply_one(struct backend *b, const struct op *op, struct oplist *done)
{
	struct strbuf err = {0};
	int r;

	print_op("apply", op);
	r = backend_apply_op(b, op, &err);
	if (r >= 0)
		r = oplist_append(done, op);
	else
		fprintf(stderr, "error: %s %s%s%s: %s\n", op_type_to_string(op->type),
			object_kind_to_string(op->obj->kind), op->obj->key[0] ? " " : "",
			op->obj->key, err.len ? strbuf_str(&err) : strerror(-r));
	strbuf_done(&err);
	if (r < 0) {
		undo_all(b, done);
		backend_abort(b, &err);
		strbuf_done(&err);
	}
	return r;
}

static int cmd_apply(struct backend *b, int argc, char **argv)
{
	struct oplist done = {0};
	struct strbuf err = {0};
	bool undo = argc > 1 && !strcmp(argv[1], "--undo");
	int i, r = 0;

	backend_begin(b, &err);
	for (i = undo ? 2 : 1; i < argc && r >= 0; i++) {
		struct op op;

		r = make_op(b, argv[i], &op);
		if (r < 0) {
			undo_all(b, &done);
			backend_abort(b, &err);
			break;
		}
		r = apply_one(b, &op, &done);
		op_done(&op);
	}
	if (r >= 0 && undo)
		r = undo_all(b, &done);
	if (r >= 0)
		backend_commit(b, &err);
	oplist_done(&done);
	strbuf_done(&err);
	return r < 0;
}

/* ---- plans ---- */

static struct intent *load_intent(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	struct errlist errs = {0};
	struct intent *in = NULL;
	struct strbuf text = {0};
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0) {
		fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		strbuf_append_n(&text, chunk, (size_t)n);
	close(fd);
	buf = strbuf_steal(&text);
	if (!buf)
		return NULL;
	r = intent_load(buf, strlen(buf), &in, &errs);
	errlist_print(&errs, stderr);
	errlist_done(&errs);
	return r < 0 ? NULL : in;
}

static int cmd_plan(struct backend *b, int argc, char **argv)
{
	bool apply = argc == 3 && !strcmp(argv[1], "--apply");
	struct oplist ops = {0}, done = {0};
	struct errlist errs = {0};
	struct observed obs = {0};
	struct strbuf err = {0};
	struct intent *in;
	size_t i, n = 0;
	int r;

	if (argc != (apply ? 3 : 2))
		return 64;
	in = load_intent(argv[argc - 1]);
	if (!in)
		return 1;
	r = observe(b, &obs);
	if (r >= 0) {
		r = plan_build(in, &obs, "/etc/vrouter", NULL, &ops, NULL, &errs);
		errlist_print(&errs, stderr);
	}
	if (r >= 0)
		backend_begin(b, &err);
	for (i = 0; i < ops.n && r >= 0; i++) {
		if (!backend_handles(b, ops.v[i].obj->kind))
			continue;
		n++;
		if (apply)
			r = apply_one(b, &ops.v[i], &done);
		else
			print_op("plan", &ops.v[i]);
	}
	if (r >= 0) {
		backend_commit(b, &err);
		printf("%zu operations\n", n);
	}
	oplist_done(&ops);
	oplist_done(&done);
	errlist_done(&errs);
	strbuf_done(&err);
	observed_done(&obs);
	intent_free(in);
	return r < 0;
}

static int cmd_counters(struct backend *b)
{
	struct counterlist v = {0};
	struct strbuf err = {0};
	size_t i;
	int r;

	r = backend_counters(b, &v, &err);
	if (r < 0) {
		fprintf(stderr, "error: %s\n", strbuf_str(&err));
	} else if (v.kinds != BACKEND_KIND(OBJ_LINK)) {
		fprintf(stderr, "error: the kernel backend counts kinds %#x, not links only\n",
			v.kinds);
		r = -EPROTO;
	}
	for (i = 0; r >= 0 && i < v.n; i++)
		printf("%s %llu %llu %llu %llu\n", v.v[i].name,
		       (unsigned long long)v.v[i].rx.packets, (unsigned long long)v.v[i].rx.bytes,
		       (unsigned long long)v.v[i].tx.packets, (unsigned long long)v.v[i].tx.bytes);
	counterlist_done(&v);
	strbuf_done(&err);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct backend *b;
	int r = 64;

	if (argc < 2) {
		fprintf(stderr, "usage: kernel-driver observe [--time N] | apply [--undo] OP... | counters | "
				"plan [--apply] INTENT\n");
		return 64;
	}
	b = backend_kernel_new();
	if (!b)
		return 1;
	if (!strcmp(argv[1], "observe"))
		r = cmd_observe(b, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "apply"))
		r = cmd_apply(b, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "counters"))
		r = cmd_counters(b);
	else if (!strcmp(argv[1], "plan"))
		r = cmd_plan(b, argc - 1, argv + 1);
	backend_free(b);
	return r;
}
