/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "store-migrate.h"
#include "store.h"

/* The largest change log an older vrouterd wrote: the snapshot's size and its header. */
#define LOG_MAX (JR_DOCUMENT_MAX + 4096)

struct store {
	char *dir;
	char *path; /* dir/intent.json */
	int lock_fd;
	char *text; /* the intent in effect, with its newline */
	size_t len;
	int64_t generation;
	bool dirty; /* text is not yet in intent.json (its save failed) */
	char *error; /* why the directory does not work (NULL: it does) */
};

int store_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct strbuf b = {0};
	char chunk[65536];

	if (fd < 0)
		return -errno;
	strbuf_append(&b, "");
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			strbuf_done(&b);
			return r;
		}
		if (n == 0)
			break;
		strbuf_append_n(&b, chunk, (size_t)n);
		if (b.len > max) {
			strbuf_done(&b);
			return -EFBIG;
		}
	}
	*ret_len = b.len;
	*ret = strbuf_steal(&b);
	return *ret ? 0 : -ENOMEM;
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

static int fsync_dir(const char *path)
{
	_cleanup_free_ char *dir = dir_of(path);
	_cleanup_close_ int fd = -1;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Writes buf to tmp (created, or emptied) and syncs it. On failure tmp is removed. */
static int write_synced(const char *tmp, const char *buf, size_t len, struct strbuf *err)
{
	_cleanup_close_ int fd = -1;
	size_t off = 0;
	int r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		strbuf_printf(err, "cannot create %s: %s", tmp, strerror(errno));
		return r;
	}
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			strbuf_printf(err, "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (r >= 0 && fsync(fd) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot sync %s: %s", tmp, strerror(errno));
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

/* Renames a synced tmp to path and syncs the directory. */
static int rename_synced(const char *tmp, const char *path, struct strbuf *err)
{
	int r;

	if (rename(tmp, path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return r;
	}
	r = fsync_dir(path);
	if (r < 0)
		strbuf_printf(err, "cannot sync the directory of %s: %s", path, strerror(-r));
	return r;
}

int store_write_file(const char *path, const char *buf, size_t len, struct strbuf *err)
{
	struct strbuf tmp = {0};
	int r;

	if (strbuf_printf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	r = write_synced(tmp.s, buf, len, err);
	if (r >= 0)
		r = rename_synced(tmp.s, path, err);
	strbuf_done(&tmp);
	return r;
}

int store_commit_file(const char *tmp, const char *path, struct strbuf *err)
{
	_cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0 || fsync(fd) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot sync %s: %s", tmp, strerror(errno));
		return r;
	}
	return rename_synced(tmp, path, err);
}

/* Creates the directory if needed and takes its lock (kept: lock_fd). */
static int store_lock(struct store *s, struct strbuf *err)
{
	struct strbuf path = {0};
	int fd, r = 0;

	if (mkdir(s->dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		strbuf_printf(err, "cannot create %s: %s", s->dir, strerror(errno));
		return r;
	}
	if (strbuf_printf(&path, "%s/lock", s->dir) < 0)
		return -ENOMEM;
	fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		strbuf_printf(err, "cannot open %s: %s", path.s, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		strbuf_printf(err, "%s is in use by another vrouterd", s->dir);
		close(fd);
	} else {
		s->lock_fd = fd;
	}
	strbuf_done(&path);
	return r;
}

/* Remembers why the directory does not work (err's text), or that it works (r >= 0). */
static void store_note(struct store *s, int r, const struct strbuf *err)
{
	free(s->error);
	s->error = NULL;
	if (r < 0)
		s->error = strdup(err->len ? strbuf_str(err) : strerror(-r));
}

/*
 * A change log that an older vrouterd left after the snapshot (dir/intent.log): replayed
 * over it once, the result written as the one intent.json, then the log removed. A crash
 * before the rename leaves the snapshot and its log (migrated again at the next start), one
 * after it a log that names a snapshot which is no longer there (stale: only removed). A log
 * with no snapshot to follow is removed too.
 */
static int store_migrate(struct store *s, struct strbuf *err)
{
	_cleanup_free_ char *log_path = NULL, *log = NULL, *text = NULL;
	size_t log_len = 0, len, records = 0;
	int r;

	if (asprintf(&log_path, "%s/intent.log", s->dir) < 0) {
		log_path = NULL;
		return -ENOMEM;
	}
	r = store_read_file(log_path, LOG_MAX, &log, &log_len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 && r != -EFBIG) {
		strbuf_printf(err, "cannot read %s: %s", log_path, strerror(-r));
		return r;
	}
	/* A log larger than any the older vrouterd wrote is not one of its logs: removed. */
	if (r >= 0 && s->text) {
		r = store_migrate_replay(s->text, s->len, log, log_len, JR_DOCUMENT_MAX, &text,
					 &len, &records);
		if (r < 0)
			return r;
	}
	if (records) {
		free(s->text);
		s->text = TAKE_PTR(text);
		s->len = len;
		s->dirty = true;
		r = store_write_file(s->path, s->text, s->len, err);
		if (r < 0)
			return r;
		s->dirty = false;
	}
	if (unlink(log_path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot remove %s: %s", log_path, strerror(errno));
		return r;
	}
	r = fsync_dir(log_path);
	if (r < 0)
		strbuf_printf(err, "cannot sync the directory of %s: %s", log_path, strerror(-r));
	return r;
}

static int store_load(struct store *s, struct strbuf *err)
{
	int r = store_read_file(s->path, JR_DOCUMENT_MAX, &s->text, &s->len);

	if (r == -ENOENT)
		r = 0;
	else if (r < 0)
		strbuf_printf(err, "cannot read %s: %s", s->path, strerror(-r));
	return r < 0 ? r : store_migrate(s, err);
}

int store_open(const char *dir, struct store **ret, struct strbuf *err)
{
	struct store *s = calloc(1, sizeof(*s));
	struct strbuf why = {0};
	int r, q;

	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->dir = strdup(dir);
	if (!s->dir || asprintf(&s->path, "%s/intent.json", dir) < 0) {
		s->path = NULL;
		store_free(s);
		return -ENOMEM;
	}
	/* Another vrouterd on the directory is the one error that stops this one: any other
	 * leaves a store that works in memory, with what it could read (store_error()). */
	r = store_lock(s, &why);
	if (r != -EBUSY && r != -ENOMEM) {
		q = store_load(s, &why);
		r = r < 0 && q != -ENOMEM ? r : q;
	}
	if (r < 0 && r != -EBUSY && r != -ENOMEM) {
		store_note(s, r, &why);
		if (!s->error)
			r = -ENOMEM;
		else
			r = 0;
	}
	if (r < 0) {
		strbuf_append(err, strbuf_str(&why));
		strbuf_done(&why);
		store_free(s);
		return r;
	}
	strbuf_done(&why);
	*ret = s;
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s->path);
	free(s->text);
	free(s->error);
	free(s);
	return NULL;
}

const char *store_text(const struct store *s, size_t *ret_len)
{
	*ret_len = s->len;
	return s->text;
}

int64_t store_generation(const struct store *s)
{
	return s->text ? s->generation : 0;
}

void store_set_loaded(struct store *s, int64_t generation)
{
	s->generation = generation;
}

int store_reject(struct store *s, struct strbuf *err)
{
	struct strbuf aside = {0};
	int r = 0;

	if (strbuf_printf(&aside, "%s.rejected", s->path) < 0)
		return -ENOMEM;
	if (rename(s->path, aside.s) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot rename %s to %s: %s", s->path, aside.s, strerror(errno));
	} else if ((r = fsync_dir(s->path)) < 0) {
		strbuf_printf(err, "cannot sync the directory of %s: %s", s->path, strerror(-r));
	}
	strbuf_done(&aside);
	free(s->text);
	s->text = NULL;
	s->len = 0;
	s->generation = 0;
	return r;
}

enum store_verdict store_compare(const struct store *s, int64_t generation, bool same_content,
				 struct strbuf *msg)
{
	if (!s->text || generation > s->generation)
		return STORE_NEWER;
	if (generation < s->generation) {
		strbuf_printf(msg, "stale generation: %lld < applied %lld", (long long)generation,
			      (long long)s->generation);
		return STORE_STALE;
	}
	if (same_content)
		return STORE_SAME;
	strbuf_printf(msg, "generation %lld was already applied with different content",
		      (long long)generation);
	return STORE_CONFLICT;
}

int store_set(struct store *s, int64_t generation, const char *text, size_t len)
{
	char *t = malloc(len + 2);

	if (!t)
		return -ENOMEM;
	memcpy(t, text, len);
	t[len] = '\n';
	t[len + 1] = '\0';
	free(s->text);
	s->text = t;
	s->len = len + 1;
	s->generation = generation;
	s->dirty = true;
	return 0;
}

int store_flush(struct store *s, struct strbuf *err)
{
	struct strbuf why = {0};
	int r = 0;

	if (!s->dirty && !s->error)
		return 0;
	if (s->lock_fd < 0)
		r = store_lock(s, &why);
	if (r >= 0 && s->dirty)
		r = store_write_file(s->path, s->text, s->len, &why);
	if (r >= 0)
		s->dirty = false;
	if (r != -ENOMEM)
		store_note(s, r, &why);
	strbuf_append(err, strbuf_str(&why));
	strbuf_done(&why);
	return r;
}

const char *store_error(const struct store *s)
{
	return s->error;
}

bool store_dirty(const struct store *s)
{
	return s->dirty;
}

int store_save(struct store *s, int64_t generation, const char *text, size_t len,
	       struct strbuf *err)
{
	int r = store_set(s, generation, text, len);

	return r < 0 ? r : store_flush(s, err);
}
