/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confirm.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "state/statefile.h"

#define CONFIRM_MAX (JR_DOCUMENT_MAX + 4096 + SEAL_HEADER_MAX)

struct confirm {
	char *path; /* STATE_DIR/confirm.json */
	bool pending;
	bool left; /* not pending, but its file could not be removed: removed when it can be */
	struct proto_confirm p;
	char *intent;
	size_t len;
};

static int confirm_load(struct confirm *c, struct strbuf *warnings)
{
	_cleanup_free_ char *to = NULL;
	struct strbuf err = {0};
	enum seal_problem why;
	struct statefile f;
	const char *intent;
	int r;

	r = statefile_load(c->path, CONFIRM_MAX, &f, &err);
	if (r < 0) {
		if (r != -ENOENT && r != -ENOMEM)
			strbuf_printf(warnings,
				      "%s cannot be read: %s; no confirmation is pending\n",
				      c->path, strbuf_str(&err));
		strbuf_done(&err);
		return r == -ENOMEM ? r : 0;
	}
	why = f.problem == SEAL_UNSEALED ? SEAL_HEADER : f.problem;
	if (why == SEAL_OK) {
		r = proto_confirm_load(f.body, f.body_len, &c->p, &intent, &c->len);
		if (r == -ENOMEM) {
			statefile_done(&f);
			return r;
		}
		c->intent = r >= 0 ? strndup(intent, c->len) : NULL;
		if (r >= 0 && !c->intent) {
			statefile_done(&f);
			return -ENOMEM;
		}
		why = r < 0 ? SEAL_INVALID : SEAL_OK;
	}
	if (why == SEAL_OK) {
		c->pending = true;
	} else {
		strbuf_printf(warnings, "the pending confirmation %s: %s%s%s", c->path,
			      seal_problem_describe(why), f.detail ? ": " : "",
			      f.detail ? f.detail : "");
		if (statefile_set_aside(c->path, why, &to, &err) >= 0)
			strbuf_printf(warnings, "; set aside as %s; no confirmation is pending\n",
				      to);
		else
			strbuf_printf(warnings,
				      "; it cannot be set aside (%s); no confirmation is "
				      "pending\n",
				      strbuf_str(&err));
	}
	strbuf_done(&err);
	statefile_done(&f);
	return 0;
}

int confirm_open(const char *state_dir, struct confirm **ret, struct strbuf *warnings)
{
	struct confirm *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	if (asprintf(&c->path, "%s/confirm.json", state_dir) < 0) {
		free(c);
		return -ENOMEM;
	}
	r = confirm_load(c, warnings);
	if (r < 0) {
		confirm_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct confirm *confirm_free(struct confirm *c)
{
	if (!c)
		return NULL;
	free(c->path);
	free(c->intent);
	free(c);
	return NULL;
}

const struct proto_confirm *confirm_pending(const struct confirm *c)
{
	return c->pending ? &c->p : NULL;
}

const char *confirm_intent(const struct confirm *c, size_t *ret_len)
{
	*ret_len = c->len;
	return c->intent;
}

int confirm_set(struct confirm *c, const struct proto_confirm *p, const char *intent, size_t len,
		struct strbuf *err)
{
	struct strbuf body = {0};
	char *copy = malloc(len + 1);
	int r;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, intent, len);
	copy[len] = '\0';
	free(c->intent);
	c->intent = copy;
	c->len = len;
	c->p = *p;
	c->pending = true;
	c->left = false;
	r = proto_confirm_dump(p, intent, len, &body);
	if (r >= 0)
		r = statefile_save(c->path, body.s, body.len, STATEFILE_SYNC, err);
	strbuf_done(&body);
	return r;
}

int confirm_clear(struct confirm *c, struct strbuf *err)
{
	int r;

	c->pending = false;
	free(c->intent);
	c->intent = NULL;
	c->len = 0;
	r = statefile_remove(c->path, err);
	c->left = r < 0 && r != -ENOENT;
	return c->left ? r : 0;
}

int confirm_tidy(struct confirm *c)
{
	struct strbuf err = {0};
	int r;

	if (!c->left)
		return 0;
	r = statefile_remove(c->path, &err);
	strbuf_done(&err);
	c->left = r < 0 && r != -ENOENT;
	return c->left ? 0 : 1;
}
