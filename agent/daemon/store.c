/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/jread.h"
#include "store-log.h"
#include "store.h"

/* The log grows to the snapshot's size at most, and to LOG_RECORDS records (each costs a copy
 * of the whole text to replay at start): then the next save writes a snapshot. */
#define LOG_MAX (JR_DOCUMENT_MAX + 4096)
#define LOG_RECORDS 32

struct store {
	char *dir;
	char *path;	/* dir/intent.json, the snapshot */
	char *log_path; /* dir/intent.log, the intents applied since */
	int lock_fd;
	int log_fd;	 /* appending; -1 while there is no snapshot to follow */
	size_t log_len;	 /* its valid length (0: empty, the next record brings the header) */
	size_t log_records; /* how many records it holds */
	size_t base_len; /* the snapshot's */
	char *text;	 /* the persisted intent: the snapshot's text with the log replayed */
	size_t len;
	int64_t generation;
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

static int store_lock(struct store *s, struct strbuf *err)
{
	struct strbuf path = {0};
	int r = 0;

	if (strbuf_printf(&path, "%s/lock", s->dir) < 0)
		return -ENOMEM;
	s->lock_fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0) {
		r = -errno;
		strbuf_printf(err, "cannot open %s: %s", path.s, strerror(errno));
	} else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		strbuf_printf(err, "%s is in use by another vrouterd", s->dir);
	}
	strbuf_done(&path);
	return r;
}

/* Stops using the log (its end is not known): the next save writes a snapshot, which opens
 * and empties it again. */
static void log_drop(struct store *s)
{
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -1;
}

/* Opens the log for appending, its valid beginning kept (the rest: a record cut short by a
 * crash, or a log that follows another snapshot). A new log file's name is made durable. */
static int log_open(struct store *s, size_t valid, struct strbuf *err)
{
	bool created = access(s->log_path, F_OK) < 0;
	struct stat st;
	int r = 0;

	s->log_fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			 0600);
	if (s->log_fd < 0 || fstat(s->log_fd, &st) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot open %s: %s", s->log_path, strerror(errno));
		log_drop(s);
		return r;
	}
	if ((size_t)st.st_size != valid &&
	    (ftruncate(s->log_fd, (off_t)valid) < 0 || fdatasync(s->log_fd) < 0)) {
		r = -errno;
		strbuf_printf(err, "cannot truncate %s: %s", s->log_path, strerror(errno));
		log_drop(s);
		return r;
	}
	s->log_len = valid;
	if (created) {
		r = fsync_dir(s->log_path);
		if (r < 0) {
			strbuf_printf(err, "cannot sync the directory of %s: %s", s->log_path,
				      strerror(-r));
			log_drop(s);
		}
	}
	return r;
}

/* Reads the snapshot and replays the log over it. */
static int store_load(struct store *s, struct strbuf *err)
{
	_cleanup_free_ char *base = NULL, *log = NULL;
	size_t log_len = 0, valid = 0;
	int64_t generation;
	int r;

	r = store_read_file(s->path, JR_DOCUMENT_MAX, &base, &s->base_len);
	if (r == -ENOENT)
		return 0; /* nothing persisted: a log, if any, follows nothing */
	if (r < 0) {
		strbuf_printf(err, "cannot read %s: %s", s->path, strerror(-r));
		return r;
	}
	r = store_read_file(s->log_path, LOG_MAX, &log, &log_len);
	if (r < 0 && r != -ENOENT && r != -EFBIG) {
		strbuf_printf(err, "cannot read %s: %s", s->log_path, strerror(-r));
		return r;
	}
	r = storelog_replay(base, s->base_len, log ? log : "", r < 0 ? 0 : log_len,
			    JR_DOCUMENT_MAX + 1, &s->text, &s->len, &generation, &valid,
			    &s->log_records);
	if (r < 0)
		return r;
	/* A log that cannot be opened or cut at its valid end is not used (the next save writes
	 * a snapshot); the intent it made is the persisted one all the same. */
	{
		struct strbuf ignored = {0};

		if (log_open(s, valid, &ignored) < 0)
			log_drop(s);
		strbuf_done(&ignored);
	}
	return 0;
}

int store_open(const char *dir, struct store **ret, struct strbuf *err)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->log_fd = -1;
	s->dir = strdup(dir);
	if (!s->dir || asprintf(&s->path, "%s/intent.json", dir) < 0) {
		s->path = NULL;
		store_free(s);
		return -ENOMEM;
	}
	if (asprintf(&s->log_path, "%s/intent.log", dir) < 0) {
		s->log_path = NULL;
		store_free(s);
		return -ENOMEM;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		strbuf_printf(err, "cannot create %s: %s", dir, strerror(errno));
		store_free(s);
		return r;
	}
	r = store_lock(s, err);
	if (r >= 0)
		r = store_load(s, err);
	if (r < 0) {
		store_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free(s->dir);
	free(s->path);
	free(s->log_path);
	free(s->text);
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

/* Empties the log: the next record brings a header. */
static int log_reset(struct store *s, struct strbuf *err)
{
	int r = 0;

	if (s->log_fd >= 0 && (ftruncate(s->log_fd, 0) < 0 || fdatasync(s->log_fd) < 0)) {
		r = -errno;
		strbuf_printf(err, "cannot truncate %s: %s", s->log_path, strerror(errno));
	}
	s->log_len = 0;
	s->log_records = 0;
	return r;
}

int store_reject(struct store *s, struct strbuf *err)
{
	struct strbuf aside = {0}, ignored = {0};
	int r = 0;

	if (strbuf_printf(&aside, "%s.rejected", s->path) < 0)
		return -ENOMEM;
	/* The text set aside is the one the snapshot and the log made. */
	if (s->text)
		r = store_write_file(aside.s, s->text, s->len, err);
	if (r >= 0 && unlink(s->path) < 0) {
		r = -errno;
		strbuf_printf(err, "cannot remove %s: %s", s->path, strerror(errno));
	}
	if (r >= 0 && log_reset(s, &ignored) < 0)
		log_drop(s);
	if (r >= 0) {
		r = fsync_dir(s->path);
		if (r < 0)
			strbuf_printf(err, "cannot sync the directory of %s: %s", s->path,
				      strerror(-r));
	}
	strbuf_done(&aside);
	strbuf_done(&ignored);
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

/* The whole text as the snapshot (written to tmp and synced by the stage), then an empty log
 * that follows it. The log is emptied only once the snapshot's rename is durable: until then
 * it names the old snapshot, and after, it names none that exists (stale: ignored), so a
 * crash leaves the old intent or the new. */
static int save_snapshot(struct store *s, const char *tmp, size_t len, struct strbuf *err)
{
	struct strbuf ignored = {0};
	int r;

	r = rename_synced(tmp, s->path, err);
	if (r < 0)
		return r;
	s->base_len = len;
	s->log_records = 0;
	/* The intent is persisted. A log that cannot be emptied is not used: the next save
	 * writes a snapshot again (and tries again). */
	if ((s->log_fd < 0 ? log_open(s, 0, &ignored) : log_reset(s, &ignored)) < 0)
		log_drop(s);
	strbuf_done(&ignored);
	return 0;
}

/* Appends the record and syncs it; on failure the log is cut back to where it was (if that
 * fails too, the log is dropped: the next save writes a snapshot). */
static int save_record(struct store *s, const char *rec, size_t rec_len, struct strbuf *err)
{
	struct strbuf head = {0};
	size_t off = 0;
	int r = 0;

	if (!s->log_len && storelog_header(s->text, s->base_len, &head) < 0)
		return -ENOMEM;
	while (r >= 0 && off < head.len + rec_len) {
		const char *p = off < head.len ? head.s + off : rec + (off - head.len);
		size_t n = off < head.len ? head.len - off : rec_len - (off - head.len);
		ssize_t w = write(s->log_fd, p, n);

		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w == 0)
			r = -EIO;
		else if (w > 0)
			off += (size_t)w;
	}
	if (r >= 0 && fdatasync(s->log_fd) < 0)
		r = -errno;
	if (r < 0) {
		strbuf_printf(err, "cannot write %s: %s", s->log_path, strerror(-r));
		if (ftruncate(s->log_fd, (off_t)s->log_len) < 0)
			log_drop(s);
	} else {
		s->log_len += head.len + rec_len;
		s->log_records++;
	}
	strbuf_done(&head);
	return r;
}

/* The fewest bytes a record of text (len bytes) can insert: what no pair can copy. A record
 * copies within the pairs only, at most the shorter of each pair's two spans. */
static size_t record_inserts_at_least(size_t len, const struct storelog_pair *pairs, size_t n_pairs)
{
	size_t i, copy = 0;

	for (i = 0; i < n_pairs; i++)
		copy += pairs[i].len < pairs[i].from_len ? pairs[i].len : pairs[i].from_len;
	return copy < len ? len - copy : 0;
}

struct store_stage {
	struct store *s;
	int64_t generation;
	const char *text; /* the caller's, until store_stage_end() */
	size_t len;
	struct storelog_pair *pairs;
	size_t n_pairs;
	/* made by stage_run() */
	char *t;	   /* text, its newline and a NUL */
	struct strbuf rec; /* the log's record; empty: a snapshot */
	struct strbuf tmp; /* the snapshot's temporary file, written and synced */
	struct strbuf err;
	int r;
	pthread_t thread;
	bool threaded;
	/* The thread waits for store_stage_go() (or store_stage_end()) before it starts. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
};

/* Everything of a save that the persisted intent does not see: the copy, the record or the
 * snapshot's temporary file. Reads the store, changes nothing in it. */
static void *stage_run(void *data)
{
	struct store_stage *st = data;
	struct store *s = st->s;
	size_t len = st->len;
	ssize_t copied = 0;

	pthread_mutex_lock(&st->lock);
	while (!st->go)
		pthread_cond_wait(&st->cond, &st->lock);
	pthread_mutex_unlock(&st->lock);

	st->t = malloc(len + 2);
	if (!st->t) {
		st->r = -ENOMEM;
		return NULL;
	}
	memcpy(st->t, st->text, len);
	st->t[len] = '\n';
	st->t[len + 1] = '\0';
	/* A record when the log follows the snapshot of the persisted text (or will, with its
	 * header), has room for one more record and stays within the snapshot's size (128:
	 * room for the header); else a snapshot. A record that cannot fit is not built (a
	 * full apply shares little with the intent before it). */
	if (s->text && s->log_fd >= 0 && st->n_pairs && s->log_records < LOG_RECORDS &&
	    s->log_len + record_inserts_at_least(len + 1, st->pairs, st->n_pairs) + 128 <=
		s->base_len)
		copied = storelog_record(s->text, s->len, st->t, len + 1, st->generation, st->pairs,
					 st->n_pairs, &st->rec);
	if (copied < 0) {
		st->r = -ENOMEM;
		return NULL;
	}
	if (copied > 0 && s->log_len + st->rec.len + 128 <= s->base_len)
		return NULL;
	strbuf_truncate(&st->rec, 0);
	if (strbuf_printf(&st->tmp, "%s.tmp", s->path) < 0)
		st->r = -ENOMEM;
	else
		st->r = write_synced(st->tmp.s, st->t, len + 1, &st->err);
	if (st->r < 0)
		strbuf_truncate(&st->tmp, 0); /* removed, or never made */
	return NULL;
}

/* A thread that runs when a CPU is idle (SCHED_IDLE): the stage waits while the apply it
 * goes with takes both CPUs, and takes a CPU the apply does not use (store_stage_end() makes
 * it an ordinary thread again before it waits for it). */
static bool start_idle(pthread_t *t, void *(*fn)(void *), void *data)
{
	struct sched_param param = {0};
	pthread_attr_t attr;
	bool ok;

	if (pthread_attr_init(&attr) != 0)
		return false;
	ok = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) == 0 &&
	     pthread_attr_setschedpolicy(&attr, SCHED_IDLE) == 0 &&
	     pthread_attr_setschedparam(&attr, &param) == 0 &&
	     pthread_create(t, &attr, fn, data) == 0;
	pthread_attr_destroy(&attr);
	return ok || pthread_create(t, NULL, fn, data) == 0;
}

int store_stage(struct store *s, int64_t generation, const char *text, size_t len,
		const struct storelog_pair *pairs, size_t n_pairs, struct store_stage **ret)
{
	struct store_stage *st = calloc(1, sizeof(*st));

	if (st && n_pairs)
		st->pairs = malloc(n_pairs * sizeof(*pairs));
	if (!st || (n_pairs && !st->pairs)) {
		free(st);
		return -ENOMEM;
	}
	st->s = s;
	st->generation = generation;
	st->text = text;
	st->len = len;
	if (n_pairs)
		memcpy(st->pairs, pairs, n_pairs * sizeof(*pairs));
	st->n_pairs = n_pairs;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->threaded = start_idle(&st->thread, stage_run, st);
	*ret = st;
	return 0;
}

void store_stage_go(struct store_stage *st)
{
	if (!st || !st->threaded)
		return;
	pthread_mutex_lock(&st->lock);
	st->go = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

int store_stage_end(struct store_stage *st, bool commit, struct strbuf *err)
{
	struct store *s;
	int r;

	if (!st)
		return 0;
	s = st->s;
	if (st->threaded) {
		struct sched_param param = {0};

		/* Waited for now: no longer only in idle time. */
		pthread_setschedparam(st->thread, SCHED_OTHER, &param);
		store_stage_go(st);
		pthread_join(st->thread, NULL);
	} else {
		st->go = true;
		stage_run(st);
	}
	r = st->r;
	if (r < 0 && commit)
		strbuf_printf(err, "%s", st->err.len ? strbuf_str(&st->err) : strerror(-r));
	if (r >= 0 && !commit && st->tmp.len)
		unlink(st->tmp.s);
	if (r >= 0 && commit)
		r = st->tmp.len ? save_snapshot(s, st->tmp.s, st->len + 1, err)
				: save_record(s, st->rec.s, st->rec.len, err);
	if (r >= 0 && commit) {
		free(s->text);
		s->text = TAKE_PTR(st->t);
		s->len = st->len + 1;
		s->generation = st->generation;
	}
	free(st->t);
	free(st->pairs);
	strbuf_done(&st->rec);
	strbuf_done(&st->tmp);
	strbuf_done(&st->err);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st);
	return commit ? r : 0;
}

int store_save(struct store *s, int64_t generation, const char *text, size_t len,
	       const struct storelog_pair *pairs, size_t n_pairs, struct strbuf *err)
{
	struct store_stage *st;
	int r;

	r = store_stage(s, generation, text, len, pairs, n_pairs, &st);
	return r < 0 ? r : store_stage_end(st, true, err);
}
