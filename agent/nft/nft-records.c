/* SPDX-License-Identifier: MIT */
/* The records of the plan objects in the table, in a file of the state directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "nft-records.h"

#define HEADER "vrouter-nft-records 1 "

int nft_records_put(const char *kind, const char *key, const char *attrs, struct strbuf *out)
{
	size_t n_key = strlen(key), n_attrs = strlen(attrs);

	strbuf_append(out, kind);
	strbuf_append(out, " ");
	strbuf_append_uint(out, n_key);
	strbuf_append(out, ":");
	strbuf_append_n(out, key, n_key);
	strbuf_append_uint(out, n_attrs);
	strbuf_append(out, ":");
	strbuf_append_n(out, attrs, n_attrs);
	return out->oom ? -ENOMEM : 0;
}

static int read_counted(const char **p, char **ret)
{
	char *end;
	unsigned long n;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(*p, &end, 10);
	if (errno || *end != ':' || strnlen(end + 1, n) < n)
		return -EINVAL;
	*ret = strndup(end + 1, n);
	if (!*ret)
		return -ENOMEM;
	*p = end + 1 + n;
	return 0;
}

int nft_records_next(const char **p, char **ret_kind, char **ret_key, char **ret_attrs)
{
	_cleanup_free_ char *kind = NULL, *key = NULL, *attrs = NULL;
	const char *sp;
	int r;

	*p += strspn(*p, "\n");
	if (!**p)
		return -ENOENT;
	sp = strchr(*p, ' ');
	if (!sp)
		return -EINVAL;
	kind = strndup(*p, (size_t)(sp - *p));
	if (!kind)
		return -ENOMEM;
	*p = sp + 1;
	r = read_counted(p, &key);
	if (r >= 0)
		r = read_counted(p, &attrs);
	if (r < 0)
		return r;
	*ret_kind = TAKE_PTR(kind);
	*ret_key = TAKE_PTR(key);
	*ret_attrs = TAKE_PTR(attrs);
	return 0;
}

bool nft_records_firewall(const struct object *o)
{
	return o->kind == OBJ_FW_SET || o->kind == OBJ_FW_CHAIN || o->kind == OBJ_FW_RULE;
}

int nft_records_format(const struct objset *objs, const char *fingerprint, bool firewall,
		       struct strbuf *out)
{
	const struct object *o;
	size_t i;

	strbuf_append(out, HEADER);
	strbuf_append(out, fingerprint);
	strbuf_append(out, "\n");
	objset_foreach(objs, i, o) {
		if (o->kind == OBJ_FW_ELEMENT || nft_records_firewall(o) != firewall)
			continue;
		nft_records_put(object_kind_to_string(o->kind), o->key, o->attrs, out);
		strbuf_append(out, "\n");
	}
	return out->oom ? -ENOMEM : 0;
}

const char *nft_records_body(const char *text, const char *fingerprint)
{
	size_t n = strlen(fingerprint);

	if (strncmp(text, HEADER, strlen(HEADER)))
		return NULL;
	text += strlen(HEADER);
	if (!n || strncmp(text, fingerprint, n) || text[n] != '\n')
		return NULL;
	return text + n + 1;
}

int nft_records_write(const char *path, const struct objset *objs, const char *fingerprint,
		      bool firewall, struct strbuf *err)
{
	struct strbuf text = {0};
	int r;

	r = nft_records_format(objs, fingerprint, firewall, &text);
	if (r < 0)
		strbuf_printf(err, "out of memory");
	else
		r = statefile_stage(path, text.s, text.len, 0, err);
	strbuf_done(&text);
	return r;
}

int nft_records_finish(const char *path, bool publish, struct strbuf *err)
{
	int r;

	if (!publish) {
		statefile_drop(path);
		return 0;
	}
	r = statefile_publish(path, 0, err);
	if (r < 0)
		unlink(path);
	return r;
}

/* The largest file read: far over the records of the largest intent. */
#define FILE_MAX (1u << 30)

int nft_records_load(const char *path, struct statefile *f, struct strbuf *err)
{
	int r = statefile_load(path, FILE_MAX, f, err);

	if (r >= 0 && f->problem == SEAL_UNSEALED && strncmp(f->text, HEADER, strlen(HEADER))) {
		f->problem = SEAL_HEADER;
		free(f->detail);
		f->detail = strdup("it starts with neither a checksum line nor \"" HEADER "\"");
	}
	return r;
}
