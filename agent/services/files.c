/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "lib/cleanup.h"
#include "lib/fdio.h"

#define SVCFILE_MAX (16u << 20)

static int path_of(const char *confdir, const char *rel, struct strbuf *ret)
{
	strbuf_truncate(ret, 0);
	strbuf_printf(ret, "%s/%s", confdir, rel);
	return ret->oom ? -ENOMEM : 0;
}

int svcfile_tmp_path(const char *confdir, const char *rel, struct strbuf *ret)
{
	const char *slash = strrchr(rel, '/');
	size_t dir_len = slash ? (size_t)(slash - rel) + 1 : 0;

	strbuf_truncate(ret, 0);
	strbuf_printf(ret, "%s/%.*s.%s.vrtmp", confdir, (int)dir_len, rel, rel + dir_len);
	return ret->oom ? -ENOMEM : 0;
}

/* mkdir -p of the directories of path (which is a file's). The directories it makes are 0755
 * whatever the umask (the unit's is 0077): a daemon re-reads its directories on a reload after
 * it dropped root (dnsmasq's hosts directories, as user dnsmasq). */
static int make_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			if (chmod(p, 0755) < 0)
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*s = '/';
	}
	return 0;
}

int svcfile_stage(const char *confdir, const char *rel, const char *content, size_t size,
		  unsigned mode, struct strbuf *err)
{
	struct strbuf tmp = {0};
	int fd = -1, r;

	r = svcfile_tmp_path(confdir, rel, &tmp);
	if (r >= 0)
		r = make_parents(tmp.s);
	if (r >= 0) {
		fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
		r = fd < 0 ? -errno : 0;
	}
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r >= 0)
		r = fd_write_all(fd, content, size);
	if (fd >= 0 && close(fd) < 0 && r >= 0)
		r = -errno;
	if (r < 0) {
		strbuf_printf(err, "cannot write %s: %s", tmp.s ? tmp.s : rel, strerror(-r));
		if (tmp.s)
			unlink(tmp.s);
	}
	strbuf_done(&tmp);
	return r;
}

int svcfile_install(const char *confdir, const char *rel, struct strbuf *err)
{
	struct strbuf tmp = {0}, path = {0};
	int r;

	r = svcfile_tmp_path(confdir, rel, &tmp);
	if (r >= 0)
		r = path_of(confdir, rel, &path);
	if (r >= 0 && rename(tmp.s, path.s) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot rename %s: %s", tmp.s, strerror(-r));
	}
	strbuf_done(&tmp);
	strbuf_done(&path);
	return r;
}

int svcfile_remove(const char *confdir, const char *rel, struct strbuf *err)
{
	struct strbuf path = {0};
	int r;

	r = path_of(confdir, rel, &path);
	if (r >= 0 && unlink(path.s) < 0 && errno != ENOENT) {
		r = -errno;
		strbuf_printf(err, "cannot remove %s: %s", path.s, strerror(-r));
	}
	strbuf_done(&path);
	return r;
}

void svcfile_drop_tmp(const char *confdir, const char *rel)
{
	struct strbuf tmp = {0};

	if (svcfile_tmp_path(confdir, rel, &tmp) >= 0)
		unlink(tmp.s);
	strbuf_done(&tmp);
}

int svcfile_write(const char *confdir, const char *rel, const char *content, size_t size,
		  unsigned mode, struct strbuf *err)
{
	int r = svcfile_stage(confdir, rel, content, size, mode, err);

	return r < 0 ? r : svcfile_install(confdir, rel, err);
}

static int read_file(int dir_fd, const char *name, const char *rel, const char *service,
		     struct objset *out)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct object *o;
	struct stat st;
	size_t got = 0;
	int r;

	if (fd < 0)
		return errno == ELOOP ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((uint64_t)st.st_size > SVCFILE_MAX)
		return -EFBIG;
	o = object_new(OBJ_FILE);
	if (!o)
		return -ENOMEM;
	o->key = strdup(rel);
	o->file.content = malloc((size_t)st.st_size + 1);
	o->file.service = strdup(service);
	if (!o->key || !o->file.content || !o->file.service) {
		object_unref(o);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, o->file.content + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	o->file.content[got] = '\0';
	o->file.size = got;
	o->file.mode = st.st_mode & 07777;
	r = object_finish(o);
	if (r >= 0)
		r = objset_put(out, o);
	object_unref(o);
	return r;
}

/* The files of CONFDIR/dir, and of its subdirectories while depth > 0. */
static int read_dir(const char *confdir, const char *dir, const char *service, int depth,
		    struct objset *out, struct strbuf *err)
{
	struct strbuf path = {0}, rel = {0};
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (path_of(confdir, dir, &path) < 0)
		return -ENOMEM;
	d = opendir(path.s);
	if (!d) {
		r = errno == ENOENT ? 0 : -errno;
		if (r < 0)
			strbuf_printf(err, "cannot read %s: %s", path.s, strerror(-r));
		strbuf_done(&path);
		return r;
	}
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		strbuf_truncate(&rel, 0);
		strbuf_printf(&rel, "%s/%s", dir, de->d_name);
		if (rel.oom) {
			r = -ENOMEM;
			break;
		}
		if (de->d_type == DT_DIR) {
			if (depth > 0)
				r = read_dir(confdir, rel.s, service, depth - 1, out, err);
			continue;
		}
		r = read_file(dirfd(d), de->d_name, rel.s, service, out);
		if (r < 0 && !err->len)
			strbuf_printf(err, "cannot read %s/%s: %s", confdir, rel.s, strerror(-r));
	}
	closedir(d);
	strbuf_done(&path);
	strbuf_done(&rel);
	return r;
}

int svcfile_read_tree(const char *confdir, const char *dir, const char *service,
		      struct objset *out, struct strbuf *err)
{
	return read_dir(confdir, dir, service, 1, out, err);
}

static uint64_t stamp_of(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec +
	       st->st_ino;
}

uint64_t svcfile_tree_stamp(const char *confdir, const char *dir)
{
	struct strbuf path = {0};
	struct dirent *de;
	struct stat st;
	uint64_t stamp = 0;
	DIR *d;

	if (path_of(confdir, dir, &path) < 0)
		return 0;
	d = opendir(path.s);
	if (d && fstat(dirfd(d), &st) == 0)
		stamp = stamp_of(&st);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR &&
		    fstatat(dirfd(d), de->d_name, &st, 0) == 0)
			stamp = stamp * 31 + stamp_of(&st);
	if (d)
		closedir(d);
	strbuf_done(&path);
	return stamp;
}
