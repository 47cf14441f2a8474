/* SPDX-License-Identifier: MIT */
/* Drift: when to check, what to do with what a check found, and the last drift for status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "lib/cleanup.h"
#include "lib/strbuf.h"

const char *drift_mode_to_string(enum drift_mode m)
{
	static const char *const names[] = {[DRIFT_REPAIR] = "repair", [DRIFT_REPORT] = "report"};

	return (size_t)m < ELEMENTSOF(names) ? names[m] : NULL;
}

int drift_mode_from_string(const char *s)
{
	if (!strcmp(s, "repair"))
		return DRIFT_REPAIR;
	if (!strcmp(s, "report"))
		return DRIFT_REPORT;
	return -EINVAL;
}

const char *drift_state_to_string(enum drift_state s)
{
	static const char *const names[] = {
		[DRIFT_REPAIRED] = "repaired",
		[DRIFT_REPORTED] = "reported",
		[DRIFT_HELD] = "held",
		[DRIFT_FAILED] = "failed",
	};

	return (size_t)s < ELEMENTSOF(names) ? names[s] : NULL;
}

void drift_init(struct drift *d, enum drift_mode mode)
{
	*d = (struct drift){.mode = mode, .due = UINT64_MAX};
}

void drift_done(struct drift *d)
{
	free(d->check_error);
	proto_status_drift_done(&d->last);
}

void drift_event(struct drift *d, uint64_t now)
{
	d->verified = false;
	if (d->due == UINT64_MAX)
		d->due = now + DRIFT_COALESCE_MS;
}

void drift_forget(struct drift *d)
{
	d->due = UINT64_MAX;
}

void drift_verified(struct drift *d, bool yes)
{
	d->verified = yes;
	if (yes) {
		free(d->check_error);
		d->check_error = NULL;
	}
}

int drift_check_result(struct drift *d, const char *error, bool *ret_changed)
{
	char *copy = NULL;

	*ret_changed = error ? !d->check_error || strcmp(error, d->check_error) : !!d->check_error;
	if (!*ret_changed)
		return 0;
	if (error && !(copy = strdup(error)))
		return -ENOMEM;
	free(d->check_error);
	d->check_error = copy;
	return 0;
}

uint64_t drift_timeout(const struct drift *d, uint64_t now)
{
	if (d->due == UINT64_MAX)
		return UINT64_MAX;
	return d->due > now ? d->due - now : 0;
}

bool drift_take_due(struct drift *d, uint64_t now)
{
	if (d->due > now)
		return false;
	d->due = UINT64_MAX;
	return true;
}

/* The digest of the operations as `plan` lists them: the identity of an object set. */
static int drift_key(const struct oplist *ops, char out[SHA256_HEX_LEN + 1])
{
	struct strbuf line = {0};
	uint8_t digest[SHA256_LEN];
	struct sha256 c;
	size_t i;

	sha256_init(&c);
	for (i = 0; i < ops->n; i++) {
		strbuf_truncate(&line, 0);
		if (op_format(&ops->v[i], &line) < 0 || strbuf_append_n(&line, "\n", 1) < 0) {
			strbuf_done(&line);
			return -ENOMEM;
		}
		sha256_update(&c, line.s, line.len);
	}
	strbuf_done(&line);
	sha256_final(&c, digest);
	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
	return 0;
}

/* The objects of ops as status names them (the first PROTO_DRIFT_OBJECTS). */
static int drift_objects(const struct oplist *ops, struct proto_status_drift *ret)
{
	size_t n = ops->n < PROTO_DRIFT_OBJECTS ? ops->n : PROTO_DRIFT_OBJECTS, i;
	struct proto_drift_object *v = calloc(n ? n : 1, sizeof(*v));
	struct strbuf line = {0};
	int r = v ? 0 : -ENOMEM;

	for (i = 0; r >= 0 && i < n; i++) {
		const struct op *op = &ops->v[i];

		strbuf_truncate(&line, 0);
		r = op_format(op, &line);
		v[i].operation = r >= 0 ? strdup(strbuf_str(&line)) : NULL;
		v[i].pointer = strdup(op->obj->ptr ? op->obj->ptr : "");
		if (!v[i].operation || !v[i].pointer)
			r = -ENOMEM;
	}
	strbuf_done(&line);
	ret->objects = v;
	ret->n_objects = v ? n : 0;
	ret->total = ops->n;
	return r;
}

int drift_found(struct drift *d, const struct oplist *ops, bool watched, uint64_t now, char *when,
		bool *ret_new, enum drift_action *ret)
{
	_cleanup_free_ char *detected = when;
	char key[SHA256_HEX_LEN + 1];
	bool is_new;
	size_t i, k;
	int r;

	r = drift_key(ops, key);
	if (r < 0)
		return r;
	is_new = !d->last.present || strcmp(key, d->key) || d->state == DRIFT_REPAIRED;
	if (is_new) {
		struct proto_status_drift last = {.present = true, .detected = TAKE_PTR(detected)};

		r = drift_objects(ops, &last);
		if (r < 0 || !last.detected) {
			proto_status_drift_done(&last);
			return -ENOMEM;
		}
		proto_status_drift_done(&d->last);
		d->last = last;
		/* Another object set: its repairs are counted afresh. */
		if (strcmp(key, d->key))
			d->n_repairs = 0;
		memcpy(d->key, key, sizeof(key));
		d->state = DRIFT_REPORTED;
	}
	*ret_new = is_new;
	if (!watched) {
		*ret = DRIFT_ACT_REPAIR;
		return 0;
	}
	if (d->mode == DRIFT_REPORT) {
		*ret = DRIFT_ACT_REPORT;
		return 0;
	}
	if (!strcmp(d->held, key)) {
		d->state = DRIFT_HELD;
		*ret = DRIFT_ACT_HOLD;
		return 0;
	}
	/* The repairs of this set within the window, oldest first. */
	for (i = 0; i < d->n_repairs && now - d->repairs[i] >= DRIFT_WINDOW_MS; i++)
		;
	for (k = 0; i < d->n_repairs; i++)
		d->repairs[k++] = d->repairs[i];
	d->n_repairs = k;
	if (d->n_repairs >= DRIFT_REPAIRS_MAX) {
		memcpy(d->held, key, sizeof(key));
		d->state = DRIFT_HELD;
		*ret_new = true;
		*ret = DRIFT_ACT_HOLD;
		return 0;
	}
	d->repairs[d->n_repairs++] = now;
	*ret = DRIFT_ACT_REPAIR;
	return 0;
}

void drift_repaired(struct drift *d, bool ok, const char *by, char *when, const char *error)
{
	struct proto_status_drift *l = &d->last;

	free(l->repaired);
	free(l->repaired_by);
	free(l->error);
	l->repaired = ok ? when : NULL;
	l->repaired_by = ok ? strdup(by) : NULL;
	l->error = ok || !error ? NULL : strdup(error);
	if (!ok)
		free(when);
	d->state = ok ? DRIFT_REPAIRED : DRIFT_FAILED;
}

void drift_applied(struct drift *d)
{
	d->held[0] = '\0';
	d->n_repairs = 0;
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

int drift_status(const struct drift *d, const char *watch_error, struct proto_status_drift *ret)
{
	const struct proto_status_drift *l = &d->last;
	struct proto_status_drift s = {.present = l->present, .total = l->total};
	size_t i;
	int r = 0;

	if (!watch_error)
		r |= dup_or_null(drift_mode_to_string(d->mode), &s.mode);
	r |= dup_or_null(watch_error, &s.watch_error);
	r |= dup_or_null(d->check_error, &s.check_error);
	if (l->present) {
		r |= dup_or_null(l->detected, &s.detected);
		r |= dup_or_null(drift_state_to_string(d->state), &s.state);
		r |= dup_or_null(l->repaired, &s.repaired);
		r |= dup_or_null(l->repaired_by, &s.repaired_by);
		r |= dup_or_null(l->error, &s.error);
		s.objects = calloc(l->n_objects ? l->n_objects : 1, sizeof(*s.objects));
		if (!s.objects)
			r = -ENOMEM;
		for (i = 0; s.objects && i < l->n_objects; i++) {
			s.n_objects++;
			r |= dup_or_null(l->objects[i].pointer, &s.objects[i].pointer);
			r |= dup_or_null(l->objects[i].operation, &s.objects[i].operation);
		}
	}
	if (r < 0) {
		proto_status_drift_done(&s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}
