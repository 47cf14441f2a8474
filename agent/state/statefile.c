/* SPDX-License-Identifier: MIT */
/* The state directory's files: written, read, set aside (statefile.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "statefile.h"

/* How many ".N" names a set-aside tries when its name is taken (many damaged files within a
 * second are a loop, not a disk). */
#define ASIDE_TRIES 1000
#define STAMP_LEN 16 /* YYYYMMDDTHHMMSSZ */

int statefile_read(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	/* The size it has now, and room to find out that it grew. */
	cap = (size_t)st.st_size + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
		if (len == cap - 1) {
			char *more = realloc(buf, cap * 2);

			if (!more)
				return -ENOMEM;
			buf = more;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	*ret_len = len;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* The directory part of path ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static int fsync_dir(const char *path, struct strbuf *err)
{
	_cleanup_free_ char *dir = dir_of(path);
	_cleanup_close_ int fd = -1;
	int r;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) == 0)
		return 0;
	r = -errno;
	strbuf_printf(err, "cannot sync the directory of %s: %s", path, strerror(-r));
	return r;
}

static char *tmp_of(const char *path)
{
	char *t;

	return asprintf(&t, "%s.tmp", path) < 0 ? NULL : t;
}

/* Writes the n pieces to tmp (created or emptied, 0600), synced when sync. On failure tmp is
 * removed. */
static int write_pieces(const char *tmp, struct iovec *iov, int n, bool sync, struct strbuf *err)
{
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		strbuf_printf(err, "cannot create %s: %s", tmp, strerror(-r));
		return r;
	}
	while (n > 0) {
		ssize_t k = writev(fd, iov, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			strbuf_printf(err, "cannot write %s: %s", tmp, strerror(-r));
			break;
		}
		for (; n > 0 && (size_t)k >= iov->iov_len; iov++, n--)
			k -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	if (r >= 0 && sync && fsync(fd) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot sync %s: %s", tmp, strerror(-r));
	}
	if (close(fd) < 0 && r >= 0) {
		r = -errno;
		strbuf_printf(err, "cannot write %s: %s", tmp, strerror(-r));
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Renames tmp over path, then syncs the directory when sync. A failed rename removes tmp. */
static int rename_over(const char *tmp, const char *path, bool sync, struct strbuf *err)
{
	int r;

	if (rename(tmp, path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot rename %s to %s: %s", tmp, path, strerror(-r));
		unlink(tmp);
		return r;
	}
	return sync ? fsync_dir(path, err) : 0;
}

int statefile_write_raw(const char *path, const char *buf, size_t len, struct strbuf *err)
{
	_cleanup_free_ char *tmp = tmp_of(path);
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	int r;

	if (!tmp)
		return -ENOMEM;
	r = write_pieces(tmp, &iov, 1, true, err);
	return r < 0 ? r : rename_over(tmp, path, true, err);
}

int statefile_commit(const char *tmp, const char *path, struct strbuf *err)
{
	_cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0 || fsync(fd) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot sync %s: %s", tmp, strerror(-r));
		return r;
	}
	return rename_over(tmp, path, true, err);
}

int statefile_stage(const char *path, const char *body, size_t len, unsigned flags,
		    struct strbuf *err)
{
	_cleanup_free_ char *tmp = tmp_of(path);
	char head[SEAL_HEADER_MAX];
	struct iovec iov[2];

	if (!tmp)
		return -ENOMEM;
	iov[0] = (struct iovec){.iov_base = head, .iov_len = seal_header(body, len, head)};
	iov[1] = (struct iovec){.iov_base = (void *)body, .iov_len = len};
	return write_pieces(tmp, iov, len ? 2 : 1, flags & STATEFILE_SYNC, err);
}

int statefile_publish(const char *path, unsigned flags, struct strbuf *err)
{
	_cleanup_free_ char *tmp = tmp_of(path);

	return tmp ? rename_over(tmp, path, flags & STATEFILE_SYNC, err) : -ENOMEM;
}

int statefile_remove(const char *path, struct strbuf *err)
{
	int r;

	if (unlink(path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot remove %s: %s", path, strerror(-r));
		return r;
	}
	return fsync_dir(path, err);
}

void statefile_drop(const char *path)
{
	_cleanup_free_ char *tmp = tmp_of(path);

	if (tmp)
		unlink(tmp);
}

int statefile_save(const char *path, const char *body, size_t len, unsigned flags,
		   struct strbuf *err)
{
	int r = statefile_stage(path, body, len, flags, err);

	return r < 0 ? r : statefile_publish(path, flags, err);
}

int statefile_load(const char *path, size_t max, struct statefile *f, struct strbuf *err)
{
	struct strbuf detail = {0};
	size_t body;
	int r;

	*f = (struct statefile){0};
	r = statefile_read(path, max, &f->text, &f->len);
	if (r == -EFBIG) {
		/* Larger than any the agent writes: not read, and not one of its files. */
		f->problem = SEAL_LENGTH;
		f->detail = NULL;
		if (asprintf(&f->detail, "larger than %zu bytes", max) < 0)
			f->detail = NULL;
		return 0;
	}
	if (r < 0) {
		if (r != -ENOENT)
			strbuf_printf(err, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	f->problem = seal_open(f->text, f->len, &body, &detail);
	if (detail.oom) {
		strbuf_done(&detail);
		statefile_done(f);
		return -ENOMEM;
	}
	f->detail = detail.len ? strbuf_steal(&detail) : NULL;
	f->body = f->text + body;
	f->body_len = f->len - body;
	return 0;
}

void statefile_done(struct statefile *f)
{
	free(f->text);
	free(f->detail);
	*f = (struct statefile){0};
}

/* Renames without replacing: renameat2's RENAME_NOREPLACE, or where a file system lacks it, a
 * hard link (which never replaces either) and the old name removed. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(from, to) < 0)
		return -errno;
	return unlink(from) < 0 ? -errno : 0;
}

int statefile_set_aside(const char *path, enum seal_problem why, char **ret_aside,
			struct strbuf *err)
{
	char stamp[STAMP_LEN + 1];
	struct strbuf name = {0}, ignored = {0};
	struct tm tm;
	time_t now = time(NULL);
	size_t base;
	int i, r = -EEXIST;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strbuf_printf(&name, "%s.%s-%s", path, seal_problem_to_string(why), stamp);
	base = name.len;
	for (i = 1; r == -EEXIST && i <= ASIDE_TRIES && !name.oom; i++) {
		strbuf_truncate(&name, base);
		if (i > 1)
			strbuf_printf(&name, ".%d", i);
		if (!name.oom)
			r = rename_noreplace(path, name.s);
	}
	if (name.oom) {
		strbuf_done(&name);
		return -ENOMEM;
	}
	if (r < 0) {
		strbuf_printf(err, "cannot rename %s to %s: %s", path, name.s, strerror(-r));
		strbuf_done(&name);
		return r;
	}
	/* Renamed: a directory that cannot be synced only makes that less durable. */
	fsync_dir(path, &ignored);
	strbuf_done(&ignored);
	*ret_aside = strbuf_steal(&name);
	return 0;
}

/* The parts of a set-aside name "NAME.PROBLEM-YYYYMMDDTHHMMSSZ[.N]": the length of NAME, the
 * problem and the stamp's offset; false when it is not one. */
static bool parse_aside(const char *n, size_t *ret_name, enum seal_problem *ret_problem,
			size_t *ret_stamp)
{
	size_t len = strlen(n), i, dot;
	char problem[16];
	int p;

	/* A ".N" at the end. */
	i = len;
	while (i > 0 && n[i - 1] >= '0' && n[i - 1] <= '9')
		i--;
	if (i < len && i > 0 && n[i - 1] == '.')
		len = i - 1;
	if (len < STAMP_LEN + 1 || n[len - STAMP_LEN - 1] != '-')
		return false;
	for (i = 0; i < STAMP_LEN; i++) {
		char c = n[len - STAMP_LEN + i];

		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9'))
			return false;
	}
	for (dot = len - STAMP_LEN - 1; dot > 0 && n[dot - 1] != '.'; dot--)
		;
	if (dot < 2 || len - STAMP_LEN - 1 - dot >= sizeof(problem))
		return false;
	memcpy(problem, n + dot, len - STAMP_LEN - 1 - dot);
	problem[len - STAMP_LEN - 1 - dot] = '\0';
	p = seal_problem_from_string(problem);
	if (p < SEAL_HEADER)
		return false;
	*ret_name = dot - 1;
	*ret_problem = (enum seal_problem)p;
	*ret_stamp = len - STAMP_LEN;
	return true;
}

static int aside_cmp(const void *a, const void *b)
{
	const struct statefile_aside *x = a, *y = b;
	int c = strcmp(x->when, y->when);

	return c ? c : strcmp(x->moved_to, y->moved_to);
}

int statefile_aside_list(const char *dir, struct statefile_aside **v, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = *n;
	int r = 0;

	while (d && r >= 0 && (e = readdir(d))) {
		struct statefile_aside a = {0}, *grown;
		size_t name, stamp;
		const char *s;

		if (!parse_aside(e->d_name, &name, &a.problem, &stamp))
			continue;
		s = e->d_name + stamp;
		if (asprintf(&a.file, "%s/%.*s", dir, (int)name, e->d_name) < 0)
			a.file = NULL;
		if (asprintf(&a.moved_to, "%s/%s", dir, e->d_name) < 0)
			a.moved_to = NULL;
		if (asprintf(&a.when, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6, s + 9,
			     s + 11, s + 13) < 0)
			a.when = NULL;
		grown = reallocarray(*v, *n + 1, sizeof(**v));
		if (!a.file || !a.moved_to || !a.when || !grown) {
			if (grown)
				*v = grown;
			free(a.file);
			free(a.moved_to);
			free(a.when);
			r = -ENOMEM;
			break;
		}
		*v = grown;
		(*v)[(*n)++] = a;
	}
	if (d)
		closedir(d);
	if (*n > first)
		qsort(*v, *n, sizeof(**v), aside_cmp);
	return r;
}

void statefile_aside_free(struct statefile_aside *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].file);
		free(v[i].moved_to);
		free(v[i].when);
	}
	free(v);
}
