/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "state/statefile.h"

/* The largest entry: the largest intent, its members and its checksum line. */
#define ENTRY_MAX (JR_DOCUMENT_MAX + 8192 + SEAL_HEADER_MAX)

struct history_item {
	struct proto_history_entry e;
	bool kept;    /* its intent can be read (in memory until written, then from its file) */
	char *intent; /* not written yet: the intent to write */
	size_t len;
	size_t bytes; /* its intent's size while kept, counted against HISTORY_BYTES_MAX */
};

struct history {
	char *dir; /* STATE_DIR/history */
	struct history_item *v;
	size_t n;
	int64_t next_seq;
	size_t unwritten; /* the last ones of v */
	size_t bytes;	  /* the sum of the items' bytes */
	char *error;
};


/* The sequence number of an entry's file name (NNNNNN.json), or 0 for any other name. */
static int64_t name_seq(const char *name)
{
	char *end;
	long long s;

	if (name[0] < '0' || name[0] > '9')
		return 0;
	errno = 0;
	s = strtoll(name, &end, 10);
	return errno || s < 1 || strcmp(end, ".json") ? 0 : (int64_t)s;
}

static char *entry_path(const struct history *h, int64_t seq)
{
	char *p;

	return asprintf(&p, "%s/%06lld.json", h->dir, (long long)seq) < 0 ? NULL : p;
}

static void item_done(struct history_item *it)
{
	proto_history_entry_done(&it->e);
	free(it->intent);
}

/* Forgets the oldest entries beyond HISTORY_MAX, and beyond HISTORY_BYTES_MAX of intents (the
 * newest is always kept); their files are removed at the next write (history_prune). */
static void history_trim(struct history *h)
{
	size_t drop = 0;

	while (h->n - drop > 1 && (h->n - drop > HISTORY_MAX || h->bytes > HISTORY_BYTES_MAX)) {
		h->bytes -= h->v[drop].bytes;
		item_done(&h->v[drop]);
		drop++;
	}
	if (!drop)
		return;
	memmove(h->v, h->v + drop, (h->n - drop) * sizeof(*h->v));
	h->n -= drop;
	if (h->unwritten > h->n)
		h->unwritten = h->n;
}

/* Sets a damaged entry's file aside, with a warning; the other entries stay. */
static void history_aside(const char *path, enum seal_problem why, const char *detail,
			  struct strbuf *warnings)
{
	_cleanup_free_ char *to = NULL;
	struct strbuf err = {0};

	strbuf_printf(warnings, "the history entry %s: %s%s%s", path, seal_problem_describe(why),
		      detail ? ": " : "", detail ? detail : "");
	if (statefile_set_aside(path, why, &to, &err) >= 0)
		strbuf_printf(warnings, "; set aside as %s\n", to);
	else
		strbuf_printf(warnings, "; it cannot be set aside (%s): left where it is, unused\n",
			      strbuf_str(&err));
	strbuf_done(&err);
}

/* Reads and checks an entry's file: 0 with its entry and (when ret_intent) its intent, -ENOENT
 * or -ENOMEM, or -EBADMSG once a damaged file is set aside. */
static int entry_load(const char *path, int64_t seq, struct proto_history_entry *ret,
		      char **ret_intent, size_t *ret_len, struct strbuf *warnings)
{
	struct strbuf err = {0};
	struct statefile f;
	enum seal_problem why;
	const char *intent;
	size_t len;
	int r;

	r = statefile_load(path, ENTRY_MAX, &f, &err);
	if (r < 0) {
		if (r != -ENOENT && r != -ENOMEM)
			strbuf_printf(warnings, "the history entry %s cannot be read: %s\n", path,
				      strbuf_str(&err));
		strbuf_done(&err);
		return r == -ENOMEM ? r : -ENOENT;
	}
	strbuf_done(&err);
	/* History is newer than the checksum line: a file without one is damaged. */
	why = f.problem == SEAL_UNSEALED ? SEAL_HEADER : f.problem;
	if (why == SEAL_OK) {
		r = proto_history_load(f.body, f.body_len, ret, &intent, &len);
		if (r == -ENOMEM) {
			statefile_done(&f);
			return r;
		}
		if (r >= 0 && ret->seq != seq) {
			proto_history_entry_done(ret);
			r = -EINVAL;
		}
		why = r < 0 ? SEAL_INVALID : SEAL_OK;
	}
	if (why != SEAL_OK) {
		history_aside(path, why, why == SEAL_INVALID ? "not a history entry" : f.detail,
			      warnings);
		statefile_done(&f);
		return -EBADMSG;
	}
	if (ret_intent) {
		*ret_intent = strndup(intent, len);
		*ret_len = len;
		if (!*ret_intent) {
			proto_history_entry_done(ret);
			statefile_done(&f);
			return -ENOMEM;
		}
	}
	statefile_done(&f);
	return 0;
}

static int seq_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The sequence numbers of the entries' files in the directory, sorted. */
static int list_seqs(const char *dir, int64_t **ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	int64_t *v = NULL, *grown, seq;
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		seq = name_seq(e->d_name);
		if (!seq)
			continue;
		grown = reallocarray(v, n + 1, sizeof(*v));
		if (!grown) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = grown;
		v[n++] = seq;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), seq_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

int history_open(const char *state_dir, struct history **ret, struct strbuf *warnings)
{
	struct history *h = calloc(1, sizeof(*h));
	_cleanup_free_ int64_t *seqs = NULL;
	size_t n = 0, i;
	int r;

	if (!h)
		return -ENOMEM;
	h->next_seq = 1;
	if (asprintf(&h->dir, "%s/history", state_dir) < 0) {
		free(h);
		return -ENOMEM;
	}
	r = list_seqs(h->dir, &seqs, &n);
	if (r == -ENOMEM) {
		history_free(h);
		return r;
	}
	if (n)
		h->next_seq = seqs[n - 1] + 1;
	h->v = n ? calloc(n, sizeof(*h->v)) : NULL;
	if (n && !h->v) {
		history_free(h);
		return -ENOMEM;
	}
	/* The newest HISTORY_MAX only; the older files go at the next write. */
	for (i = n > HISTORY_MAX ? n - HISTORY_MAX : 0; i < n; i++) {
		_cleanup_free_ char *path = entry_path(h, seqs[i]);
		struct history_item *it = &h->v[h->n];

		r = path ? entry_load(path, seqs[i], &it->e, NULL, NULL, warnings) : -ENOMEM;
		if (r == -ENOMEM) {
			history_free(h);
			return r;
		}
		if (r >= 0) {
			struct stat st;

			it->kept = true;
			it->bytes = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
			h->bytes += it->bytes;
			h->n++;
		}
	}
	history_trim(h);
	*ret = h;
	return 0;
}

struct history *history_free(struct history *h)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < h->n; i++)
		item_done(&h->v[i]);
	free(h->v);
	free(h->dir);
	free(h->error);
	free(h);
	return NULL;
}

int history_add(struct history *h, const struct proto_history_entry *e, const char *intent,
		size_t len)
{
	struct history_item it = {.kept = true, .len = len, .bytes = len};
	struct history_item *grown;

	it.e = (struct proto_history_entry){
	    .seq = h->next_seq,
	    .generation = e->generation,
	    .time = strdup(e->time),
	    .origin = strdup(e->origin),
	    .result = strdup(e->result),
	    .error = e->error ? strdup(e->error) : NULL,
	    .duration_ms = e->duration_ms,
	};
	it.intent = malloc(len ? len : 1);
	grown = reallocarray(h->v, h->n + 1, sizeof(*h->v));
	if (grown)
		h->v = grown;
	if (!it.e.time || !it.e.origin || !it.e.result || (e->error && !it.e.error) || !it.intent ||
	    !grown) {
		item_done(&it);
		return -ENOMEM;
	}
	memcpy(it.intent, intent, len);
	h->v[h->n++] = it;
	h->next_seq++;
	h->unwritten++;
	h->bytes += len;
	history_trim(h);
	return 0;
}

bool history_pending(const struct history *h)
{
	return h->unwritten > 0;
}

/* Removes the files older than the oldest entry kept (sorted: the oldest first). */
static void history_prune(struct history *h)
{
	_cleanup_free_ int64_t *seqs = NULL;
	int64_t oldest = h->n ? h->v[0].e.seq : h->next_seq;
	size_t n = 0, i;

	if (list_seqs(h->dir, &seqs, &n) < 0)
		return;
	for (i = 0; i < n && seqs[i] < oldest; i++) {
		_cleanup_free_ char *path = entry_path(h, seqs[i]);

		if (path)
			unlink(path);
	}
}

int history_flush(struct history *h, struct strbuf *err)
{
	struct strbuf body = {0};
	int r = 0;

	if (!h->unwritten)
		return 0;
	if (mkdir(h->dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		strbuf_printf(err, "cannot create %s: %s", h->dir, strerror(errno));
	}
	for (size_t i = h->n - h->unwritten; i < h->n; i++) {
		struct history_item *it = &h->v[i];
		_cleanup_free_ char *path = NULL;

		if (r >= 0) {
			path = entry_path(h, it->e.seq);
			strbuf_truncate(&body, 0);
			r = path ? proto_history_dump(&it->e, it->intent, it->len, &body) : -ENOMEM;
		}
		if (r >= 0)
			r = statefile_save(path, body.s, body.len, STATEFILE_SYNC, err);
		/* Not written: its metadata stay in memory, its intent is not kept. */
		it->kept = r >= 0;
		if (!it->kept) {
			h->bytes -= it->bytes;
			it->bytes = 0;
		}
		free(it->intent);
		it->intent = NULL;
	}
	h->unwritten = 0;
	strbuf_done(&body);
	free(h->error);
	h->error = r < 0 ? strdup(err->len ? strbuf_str(err) : strerror(-r)) : NULL;
	if (r >= 0)
		history_prune(h);
	return r;
}

const char *history_error(const struct history *h)
{
	return h->error;
}

char *history_answer(const struct history *h, const char *id)
{
	_cleanup_free_ struct proto_history_entry *v = calloc(h->n + 1, sizeof(*v));
	_cleanup_free_ bool *kept = calloc(h->n + 1, sizeof(*kept));

	if (!v || !kept)
		return NULL;
	for (size_t i = 0; i < h->n; i++) {
		v[i] = h->v[i].e; /* borrowed */
		kept[i] = h->v[i].kept;
	}
	return proto_answer_history(id, v, kept, h->n, h->error);
}

/* The entry a diff or a rollback means (history.h), or NULL. */
static struct history_item *history_find(struct history *h, int64_t generation, int64_t before)
{
	struct history_item *tried = NULL;
	size_t i;

	for (i = h->n; i-- > 0;) {
		struct history_item *it = &h->v[i];
		bool applied = !strcmp(it->e.result, "applied");

		if (!it->kept)
			continue;
		if (before && applied && it->e.generation < before)
			return it;
		if (!before && it->e.generation == generation) {
			if (applied)
				return it;
			if (!tried)
				tried = it;
		}
	}
	return tried;
}

int history_intent(struct history *h, int64_t generation, int64_t before, char **ret,
		   size_t *ret_len, int64_t *ret_generation, struct strbuf *warnings,
		   struct strbuf *err)
{
	struct history_item *it = history_find(h, generation, before);
	struct proto_history_entry e = {0};
	_cleanup_free_ char *path = NULL;
	int r;

	if (!it) {
		if (before)
			strbuf_printf(err, "the history holds no applied generation before %lld",
				      (long long)before);
		else
			strbuf_printf(err, "the history holds no generation %lld",
				      (long long)generation);
		return -ENOENT;
	}
	if (it->intent) {
		*ret = malloc(it->len + 1);
		if (!*ret)
			return -ENOMEM;
		memcpy(*ret, it->intent, it->len);
		(*ret)[it->len] = '\0';
		*ret_len = it->len;
		*ret_generation = it->e.generation;
		return 0;
	}
	path = entry_path(h, it->e.seq);
	r = path ? entry_load(path, it->e.seq, &e, ret, ret_len, warnings) : -ENOMEM;
	proto_history_entry_done(&e);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		it->kept = false;
		strbuf_printf(err, "generation %lld's intent in %s is lost (%s)",
			      (long long)it->e.generation, path,
			      r == -EBADMSG ? "damaged, set aside" : "no such file");
		return -ENOENT;
	}
	*ret_generation = it->e.generation;
	return 0;
}
