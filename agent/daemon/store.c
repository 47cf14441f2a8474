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
#include "lib/jtext.h"
#include "state/statefile.h"
#include "store-migrate.h"
#include "store.h"

/* The largest change log an older vrouterd wrote: the snapshot's size and its header. */
#define LOG_MAX (JR_DOCUMENT_MAX + 4096)
/* The largest intent.json: the largest intent and its checksum line. */
#define FILE_MAX (JR_DOCUMENT_MAX + SEAL_HEADER_MAX)

struct store {
	char *dir;
	char *path;	/* dir/intent.json */
	char *log_path; /* dir/intent.log, an older vrouterd's change log */
	int lock_fd;
	char *text; /* the intent in effect, with its newline */
	size_t len;
	int64_t generation;
	bool dirty;  /* text is not in intent.json yet (its save failed), or not with its line */
	bool legacy; /* text is an older agent's intent.json, without its checksum line */
	char *error; /* why the directory does not work (NULL: it does) */
	struct strbuf warnings, notices; /* for store_notes() */
	struct store_pending *pending;	 /* damaged files not yet set aside */
	size_t n_pending;
};

/* Forgets the intent read from the directory. */
static void store_drop_text(struct store *s)
{
	free(s->text);
	s->text = NULL;
	s->len = 0;
	s->generation = 0;
	s->legacy = false;
	s->dirty = false;
}

static int store_add_pending(struct store *s, const char *path, enum seal_problem why,
			     const char *error)
{
	struct store_pending *v = reallocarray(s->pending, s->n_pending + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->pending = v;
	v[s->n_pending] = (struct store_pending){strdup(path), why, strdup(error)};
	if (!v[s->n_pending].path || !v[s->n_pending].error) {
		free(v[s->n_pending].path);
		free(v[s->n_pending].error);
		return -ENOMEM;
	}
	s->n_pending++;
	return 0;
}

/*
 * Sets a damaged file aside, with a warning: WHAT PATH: the problem (detail); set aside as
 * ASIDE, then `then`. One that cannot be set aside stays where it is, pending: nothing is
 * written over it until store_flush() has set it aside.
 */
static void store_aside(struct store *s, const char *path, const char *what,
			enum seal_problem why, const char *detail, const char *then)
{
	_cleanup_free_ char *aside = NULL;
	struct strbuf err = {0};

	strbuf_printf(&s->warnings, "%s %s: %s%s%s", what, path, seal_problem_describe(why),
		      detail ? ": " : "", detail ? detail : "");
	if (statefile_set_aside(path, why, &aside, &err) >= 0) {
		strbuf_printf(&s->warnings, "; set aside as %s%s\n", aside, then);
	} else {
		strbuf_printf(&s->warnings, "; it cannot be set aside (%s): left where it is and "
					    "unused, and set aside once the directory works%s\n",
			      strbuf_str(&err), then);
		store_add_pending(s, path, why, strbuf_str(&err));
	}
	strbuf_done(&err);
}

/* The top-level "generation" of a snapshot's text, or -1 when it cannot be read. */
static int64_t snapshot_generation(const char *text, size_t len)
{
	struct jtext_object o;
	const char *key, *v;
	size_t key_len, v_len;
	char num[24], *end;
	long long g;

	if (jtext_object_open(&o, text, len) < 0)
		return -1;
	while (jtext_object_next(&o, &key, &key_len) > 0) {
		if (jtext_object_skip(&o, &v, &v_len) < 0)
			return -1;
		if (key_len != 10 || memcmp(key, "generation", 10))
			continue;
		if (!v_len || v_len >= sizeof(num) || *v < '0' || *v > '9')
			return -1;
		memcpy(num, v, v_len);
		num[v_len] = '\0';
		errno = 0;
		g = strtoll(num, &end, 10);
		return errno || *end ? -1 : (int64_t)g;
	}
	return -1;
}

/*
 * A change log that an older vrouterd left after the snapshot (dir/intent.log): replayed over it
 * once, the result written as the one intent.json, then the log removed. A crash before the
 * rename leaves the snapshot and its log (migrated again at the next start); one after it, a
 * log beside an intent.json with its checksum line (sealed), which this agent wrote from it: the
 * log is only removed. So is a log that does not follow the snapshot and holds no newer
 * generation than it (the older agent's crash between its new snapshot and its emptied log).
 *
 * Anything else is damage, and then neither file is used (each set aside): a log with no
 * snapshot, a log that does not follow its snapshot and holds newer generations (the snapshot
 * changed since the log was written), a record damaged before the log's end (the records after
 * it are lost). The snapshot alone would be an older generation than the router had.
 */
static int store_migrate(struct store *s, bool sealed, struct strbuf *err)
{
	static const char what[] = "the change log of an older vrouterd";
	static const char none[] = "; nothing of it is in effect";
	_cleanup_free_ char *log = NULL, *detail = NULL;
	struct store_migrate m = {0};
	size_t log_len = 0;
	int64_t snap;
	int r;

	r = statefile_read(s->log_path, LOG_MAX, &log, &log_len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 && r != -EFBIG) {
		strbuf_printf(err, "cannot read %s: %s", s->log_path, strerror(-r));
		return r;
	}
	if (r >= 0 && sealed)
		return statefile_remove(s->log_path, err);
	if (r == -EFBIG || !s->text) {
		store_aside(s, s->log_path, what, r == -EFBIG ? SEAL_LENGTH : SEAL_ORPHAN,
			    r == -EFBIG ? "larger than any log it wrote"
					: "there is no intent.json",
			    none);
		if (s->text)
			store_aside(s, s->path, "the persisted intent", SEAL_STALE,
				    "its change log is damaged", none);
		store_drop_text(s);
		return 0;
	}
	r = store_migrate_replay(s->text, s->len, log, log_len, JR_DOCUMENT_MAX, &m);
	if (r < 0)
		return r;
	snap = s->text ? snapshot_generation(s->text, s->len) : -1;
	if (m.follows && !m.damaged) {
		if (m.records) {
			free(s->text);
			s->text = TAKE_PTR(m.text);
			s->len = m.len;
			s->legacy = false;
			s->dirty = true;
			r = statefile_save(s->path, s->text, s->len, STATEFILE_SYNC, err);
			if (r < 0)
				goto out;
			s->dirty = false;
			strbuf_printf(&s->notices, "%s in %s: its %zu records replayed over "
						   "intent.json, written as the one intent.json\n",
				      what, s->log_path, m.records);
		}
		r = statefile_remove(s->log_path, err);
		goto out;
	}
	if (!m.follows && (!m.newest || (snap >= 0 && m.newest <= snap))) {
		if (m.newest)
			strbuf_printf(&s->notices, "%s in %s removed: intent.json (generation "
						   "%lld) is as new as any of its records\n",
				      what, s->log_path, (long long)snap);
		else
			strbuf_printf(&s->notices, "%s in %s removed: it holds no whole record\n",
				      what, s->log_path);
		r = statefile_remove(s->log_path, err);
		goto out;
	}
	if (m.follows) {
		if (asprintf(&detail, "a record before its end is damaged, so the records after it "
				      "(up to generation %lld) are lost", (long long)m.newest) < 0)
			detail = NULL;
		store_aside(s, s->log_path, what, SEAL_CHECKSUM, detail, none);
		free(detail);
		if (asprintf(&detail, "generation %lld, older than its change log's %lld",
			     (long long)snap, (long long)m.newest) < 0)
			detail = NULL;
		store_aside(s, s->path, "the persisted intent", SEAL_STALE, detail, none);
	} else {
		if (asprintf(&detail, "it is not the snapshot its change log follows, whose "
				      "records go up to generation %lld",
			     (long long)m.newest) < 0)
			detail = NULL;
		store_aside(s, s->path, "the persisted intent", SEAL_CHECKSUM, detail, none);
		store_aside(s, s->log_path, what, SEAL_ORPHAN, "its snapshot changed", none);
	}
	store_drop_text(s);
	r = 0;
out:
	store_migrate_done(&m);
	return r;
}

/* Reads intent.json: with its checksum line (sealed), an older agent's (JSON, no line), or
 * damaged (set aside). Then a change log an older agent left beside it. */
static int store_load(struct store *s, struct strbuf *err)
{
	struct statefile f;
	bool sealed = false;
	int r;

	r = statefile_load(s->path, FILE_MAX, &f, err);
	if (r == -ENOENT)
		return store_migrate(s, false, err);
	if (r < 0)
		return r;
	if (f.problem == SEAL_UNSEALED && f.text[0] != '{') {
		f.problem = SEAL_HEADER;
		free(f.detail);
		f.detail = strdup("it starts with neither a checksum line nor a JSON object");
	}
	switch (f.problem) {
	case SEAL_OK:
		sealed = true;
		memmove(f.text, f.body, f.body_len);
		f.text[f.body_len] = '\0';
		s->len = f.body_len;
		s->text = TAKE_PTR(f.text);
		break;
	case SEAL_UNSEALED:
		s->legacy = true;
		s->len = f.len;
		s->text = TAKE_PTR(f.text);
		break;
	default:
		store_aside(s, s->path, "the persisted intent", f.problem, f.detail,
			    "; no intent from it is in effect");
		break;
	}
	statefile_done(&f);
	r = store_migrate(s, sealed, err);
	if (r >= 0 && s->legacy && s->text)
		strbuf_printf(&s->notices, "%s has no checksum line (written by an older "
					   "vrouterd): read, and written again with one\n",
			      s->path);
	return r;
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
	if (asprintf(&s->log_path, "%s/intent.log", dir) < 0) {
		s->log_path = NULL;
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
	free(s->log_path);
	free(s->text);
	free(s->error);
	strbuf_done(&s->warnings);
	strbuf_done(&s->notices);
	for (size_t i = 0; i < s->n_pending; i++) {
		free(s->pending[i].path);
		free(s->pending[i].error);
	}
	free(s->pending);
	free(s);
	return NULL;
}

const char *store_dir(const struct store *s)
{
	return s->dir;
}

void store_notes(struct store *s, struct strbuf *warnings, struct strbuf *notices)
{
	strbuf_append_n(warnings, s->warnings.s ? s->warnings.s : "", s->warnings.len);
	strbuf_append_n(notices, s->notices.s ? s->notices.s : "", s->notices.len);
	strbuf_truncate(&s->warnings, 0);
	strbuf_truncate(&s->notices, 0);
}

const struct store_pending *store_pending(const struct store *s, size_t *ret_n)
{
	*ret_n = s->n_pending;
	return s->pending;
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

bool store_set_loaded(struct store *s, int64_t generation)
{
	bool older = s->legacy;

	s->generation = generation;
	/* An older agent's file, now known to be an intent: with its checksum from now on. */
	if (older)
		s->dirty = true;
	s->legacy = false;
	return older;
}

int store_reject(struct store *s, struct strbuf *aside, struct strbuf *err)
{
	_cleanup_free_ char *to = NULL;
	int r;

	r = statefile_set_aside(s->path, SEAL_INVALID, &to, err);
	if (r >= 0)
		strbuf_append(aside, to);
	else
		store_add_pending(s, s->path, SEAL_INVALID, strbuf_str(err));
	store_drop_text(s);
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

/* Sets aside the damaged files still pending, in order, until one fails. */
static int store_aside_pending(struct store *s, struct strbuf *err)
{
	struct store_pending *p;
	char *to;
	int r;

	while (s->n_pending) {
		p = &s->pending[0];
		r = statefile_set_aside(p->path, p->problem, &to, err);
		if (r == -ENOENT) {
			/* Gone by someone else's hand: nothing is left to keep. */
			strbuf_truncate(err, 0);
		} else if (r < 0) {
			return r;
		} else {
			strbuf_printf(&s->warnings, "%s: %s; set aside as %s\n", p->path,
				      seal_problem_describe(p->problem), to);
			free(to);
		}
		free(p->path);
		free(p->error);
		memmove(p, p + 1, --s->n_pending * sizeof(*p));
	}
	return 0;
}

int store_flush(struct store *s, struct strbuf *err)
{
	struct strbuf why = {0};
	int r = 0;

	if (!s->dirty && !s->error && !s->n_pending)
		return 0;
	if (s->lock_fd < 0)
		r = store_lock(s, &why);
	/* Nothing is written over a damaged file that is still where it was. */
	if (r >= 0)
		r = store_aside_pending(s, &why);
	if (r >= 0 && s->dirty)
		r = statefile_save(s->path, s->text, s->len, STATEFILE_SYNC, &why);
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
	return s->dirty || s->n_pending;
}

int store_save(struct store *s, int64_t generation, const char *text, size_t len,
	       struct strbuf *err)
{
	int r = store_set(s, generation, text, len);

	return r < 0 ? r : store_flush(s, err);
}
