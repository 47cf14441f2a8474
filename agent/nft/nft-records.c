/* SPDX-License-Identifier: MIT */
/* The records of the plan objects in the table, in a file of the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fdio.h"
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
	struct strbuf text = {0}, tmp = {0};
	int fd = -1, r;

	r = nft_records_format(objs, fingerprint, firewall, &text);
	strbuf_printf(&tmp, "%s.tmp", path);
	if (r >= 0 && tmp.oom)
		r = -ENOMEM;
	if (r < 0) {
		strbuf_printf(err, "out of memory");
		goto out;
	}
	fd = open(strbuf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	r = fd < 0 ? -errno : fd_write_all(fd, strbuf_str(&text), text.len);
	if (fd >= 0 && close(fd) < 0 && r >= 0)
		r = -errno;
	if (r < 0) {
		strbuf_printf(err, "cannot write %s: %s", path, strerror(-r));
		if (fd >= 0)
			unlink(strbuf_str(&tmp));
	}
out:
	strbuf_done(&text);
	strbuf_done(&tmp);
	return r;
}

int nft_records_finish(const char *path, bool publish, struct strbuf *err)
{
	struct strbuf tmp = {0};
	int r = 0;

	strbuf_printf(&tmp, "%s.tmp", path);
	if (tmp.oom) {
		strbuf_printf(err, "out of memory");
		r = -ENOMEM;
	} else if (!publish) {
		unlink(strbuf_str(&tmp));
	} else if (rename(strbuf_str(&tmp), path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot rename %s to %s: %s", strbuf_str(&tmp), path,
			      strerror(-r));
		unlink(strbuf_str(&tmp));
		unlink(path);
	}
	strbuf_done(&tmp);
	return r;
}

int nft_records_load(const char *path, char **ret, struct strbuf *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	ssize_t k;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	cap = (size_t)st.st_size + 1;
	text = malloc(cap);
	if (!text) {
		strbuf_printf(err, "out of memory");
		return -ENOMEM;
	}
	/* Up to the size it had when opened: the file is only ever replaced, never grown. */
	while (len + 1 < cap && (k = read(fd, text + len, cap - 1 - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		len += (size_t)k;
	}
	text[len] = '\0';
	*ret = TAKE_PTR(text);
	return 0;
fail:
	k = errno;
	strbuf_printf(err, "cannot read %s: %s", path, strerror((int)k));
	return -(int)k;
}
