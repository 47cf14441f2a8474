/* SPDX-License-Identifier: MIT */
/* The persisted intent in a temporary directory (store.c): one file written (with its checksum
 * line) and read back, set aside when damaged or rejected, locked; an older agent's file read
 * and written again; and a state directory that an older vrouterd left with a change log
 * (store-migrate.c): the log replayed once into the one file, and removed, or both set aside
 * when they do not add up to one intent. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/store-migrate.h"
#include "daemon/store.h"
#include "lib/cleanup.h"
#include "lib/seal.h"
#include "state/statefile.h"

#define MAX (1u << 20)

/* ---- the older change log, written as that vrouterd wrote it (store-migrate.h) ---- */

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ULL;
	return h;
}

static void log_header(struct strbuf *log, const char *base)
{
	strbuf_printf(log, "vrouter-log 1 %zu %016llx\n", strlen(base),
		      (unsigned long long)fnv1a(base, strlen(base)));
}

static void log_record(struct strbuf *log, int generation, const char *payload, size_t len)
{
	strbuf_printf(log, "R %d %zu %016llx\n", generation, len,
		      (unsigned long long)fnv1a(payload, len));
	strbuf_append_n(log, payload, len);
}

/* Snapshots as the store writes them (the text and a newline), and records between them. */
static const char prev[] = "{\"version\":1,\"generation\":4,\"firewall\":{\"a\":[1,2,3]},"
			   "\"nat\":{\"b\":1}}\n";
static const char next[] = "{\"version\":1,\"generation\":5,\"firewall\":{\"a\":[1,2,3]},"
			   "\"nat\":{\"b\":22}}\n";
static const char last[] = "{\"version\":1,\"generation\":6,\"firewall\":{\"a\":[1,2,3]},"
			   "\"nat\":{\"b\":22}}\n";
/* next from prev: "...generation\":" copied, "5" inserted, the firewall copied, the rest
 * inserted; last from next: all copied but the generation. */
static const char to_next[] = "C 0 26\nI 1\n5C 27 26\nI 16\n\"nat\":{\"b\":22}}\n";
static const char to_last[] = "C 0 26\nI 1\n6C 27 42\n";

/* The header and the record of next, then (two) the record of last. */
static void make_log(struct strbuf *log, bool two)
{
	log_header(log, prev);
	log_record(log, 5, to_next, strlen(to_next));
	if (two)
		log_record(log, 6, to_last, strlen(to_last));
	assert_false(log->oom);
}

/* The replay of log over base: want after want_records records; damaged (0 or 1), newest. */
static void replay_ex(const char *base, const char *log, size_t len, size_t max,
		      const char *want, size_t want_records, int damaged, int64_t newest)
{
	struct store_migrate m;

	assert_int_equal(store_migrate_replay(base, strlen(base), log, len, max, &m), 0);
	assert_int_equal(m.records, want_records);
	assert_int_equal(m.len, strlen(want));
	assert_string_equal(m.text, want);
	if (damaged >= 0)
		assert_int_equal(m.damaged, damaged);
	if (newest >= 0)
		assert_int_equal(m.newest, newest);
	store_migrate_done(&m);
}

static void replay(const char *base, const char *log, size_t len, size_t max, const char *want,
		   size_t want_records)
{
	replay_ex(base, log, len, max, want, want_records, -1, -1);
}

static void test_replay(void **state)
{
	struct strbuf log = {0};
	size_t header;

	(void)state;
	make_log(&log, true);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	replay_ex(prev, log.s, log.len, MAX, last, 2, 0, 6);
	/* no log, or a header alone: the snapshot */
	replay_ex(prev, "", 0, MAX, prev, 0, 0, 0);
	replay_ex(prev, log.s, header, MAX, prev, 0, 0, 0);
	/* a log that follows another snapshot is not replayed; its generations are still read */
	replay_ex(next, log.s, log.len, MAX, next, 0, 0, 6);
	/* a text longer than max: damage, the log ends before the record that makes it */
	replay_ex(prev, log.s, log.len, strlen(next) - 1, prev, 0, 1, 6);
	strbuf_done(&log);
}

/* A crash can leave any beginning of an appended record: the log ends before it, and that is
 * no damage. */
static void test_replay_cut_short(void **state)
{
	struct strbuf log = {0};
	size_t header, first, cut;

	(void)state;
	make_log(&log, true);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	for (cut = 0; cut < header; cut++) /* a header cut short: the log follows nothing */
		replay_ex(prev, log.s, cut, MAX, prev, 0, 0, 0);
	for (cut = header; cut < first; cut++)
		replay_ex(prev, log.s, cut, MAX, prev, 0, 0, 0);
	for (cut = first; cut < log.len; cut++)
		replay_ex(prev, log.s, cut, MAX, next, 1, 0, 5);
	strbuf_done(&log);
}

static void test_replay_damaged(void **state)
{
	struct strbuf log = {0};
	size_t header, i;

	(void)state;
	make_log(&log, false);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	/* any byte of the last record changed: its length, hash or payload no longer agree, and
	 * the log ends before it (a crash's torn append looks the same) */
	for (i = header; i < log.len; i++) {
		char *copy = strndup(log.s, log.len);

		assert_non_null(copy);
		copy[i] ^= 0x20;
		replay(prev, copy, log.len, MAX, prev, 0);
		free(copy);
	}
	/* a record whose copy reaches past the text, with a good hash: damage, the log ends
	 * before it */
	log_record(&log, 7, "C 10 1000\n", 10);
	replay_ex(prev, log.s, log.len, MAX, next, 1, 1, 7);
	strbuf_done(&log);
}

/* A record damaged with records after it: the replay stops there, and says so; the later
 * records' generations are still read. */
static void test_replay_damaged_middle(void **state)
{
	struct strbuf log = {0};
	size_t first, i;

	(void)state;
	make_log(&log, true);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	/* (its generation aside: the older agent's hash covers the payload only) */
	for (i = (size_t)(strstr(log.s, "R 5 ") - log.s) + 4; i < first; i++) {
		char *copy = strndup(log.s, log.len);

		assert_non_null(copy);
		copy[i] ^= 0x01;
		/* Each changed byte: the record no longer reads, or fails its hash (a length made
		 * longer swallows the next record: a torn end, which the hash cannot tell). */
		replay_ex(prev, copy, log.len, MAX, prev, 0, -1, -1);
		free(copy);
	}
	{
		char *copy = strndup(log.s, log.len);

		assert_non_null(copy);
		copy[first - 2] ^= 0x01; /* in the first record's payload */
		replay_ex(prev, copy, log.len, MAX, prev, 0, 1, 6);
		free(copy);
	}
	strbuf_done(&log);
}

/* ---- the store's files ---- */

static char dir[] = "/tmp/vrouter-test-store-XXXXXX";

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static off_t size_of(const char *name)
{
	_cleanup_free_ char *p = path_in(name);
	struct stat st;

	return stat(p, &st) < 0 ? -1 : st.st_size;
}

static struct store *open_store(void)
{
	struct strbuf err = {0};
	struct store *s = NULL;

	assert_int_equal(store_open(dir, &s, &err), 0);
	strbuf_done(&err);
	return s;
}

/* The persisted text is want (with its newline; NULL: nothing persisted). */
static void assert_text_nl(struct store *s, const char *want)
{
	size_t len;
	const char *t = store_text(s, &len);

	if (!want) {
		assert_null(t);
		return;
	}
	assert_non_null(t);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(t, want, len);
}

/* The persisted text is want and a newline (want NULL: nothing persisted). */
static void assert_text(struct store *s, const char *want)
{
	_cleanup_free_ char *t = NULL;

	if (want)
		assert_true(asprintf(&t, "%s\n", want) > 0);
	assert_text_nl(s, t);
}

/* A state file's text: the checksum line of body, then body (malloc'd). */
static char *sealed(const char *body)
{
	char head[SEAL_HEADER_MAX];
	char *t;

	seal_header(body, strlen(body), head);
	assert_true(asprintf(&t, "%s%s", head, body) > 0);
	return t;
}

/* The file name holds exactly text (NULL: there is no such file). */
static void assert_file(const char *name, const char *text)
{
	_cleanup_free_ char *p = path_in(name), *t = NULL;
	size_t len;

	if (!text) {
		assert_int_equal(size_of(name), -1);
		return;
	}
	assert_int_equal(statefile_read(p, MAX, &t, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(t, text, len);
}

/* The file name holds body after its checksum line. */
static void assert_sealed(const char *name, const char *body)
{
	_cleanup_free_ char *t = sealed(body);

	assert_file(name, t);
}

static void write_file(const char *name, const char *text, size_t len)
{
	_cleanup_free_ char *p = path_in(name);
	struct strbuf err = {0};

	assert_int_equal(statefile_write_raw(p, text, len, &err), 0);
	strbuf_done(&err);
}

static void save(struct store *s, int64_t generation, const char *text)
{
	struct strbuf err = {0};

	assert_int_equal(store_save(s, generation, text, strlen(text), &err), 0);
	strbuf_done(&err);
}

/* The one file set aside from name, for problem: holds text; removed. */
static void assert_aside(const char *name, enum seal_problem problem, const char *text)
{
	_cleanup_free_ char *file = path_in(name);
	struct statefile_aside *v = NULL;
	size_t n = 0, i, found = 0;

	assert_int_equal(statefile_aside_list(dir, &v, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].file, file))
			continue;
		found++;
		assert_int_equal(v[i].problem, problem);
		{
			_cleanup_free_ char *t = NULL;
			size_t len;

			assert_int_equal(statefile_read(v[i].moved_to, MAX, &t, &len), 0);
			assert_int_equal(len, strlen(text));
			assert_memory_equal(t, text, len);
		}
		unlink(v[i].moved_to);
	}
	assert_int_equal(found, 1);
	statefile_aside_free(v, n);
}

/* The store's notes: a warning that holds want_warning, or none (NULL); the same for notices. */
static void assert_notes(struct store *s, const char *want_warning, const char *want_notice)
{
	struct strbuf w = {0}, n = {0};

	store_notes(s, &w, &n);
	if (want_warning)
		assert_non_null(strstr(strbuf_str(&w), want_warning));
	else
		assert_int_equal(w.len, 0);
	if (want_notice)
		assert_non_null(strstr(strbuf_str(&n), want_notice));
	else
		assert_int_equal(n.len, 0);
	strbuf_done(&w);
	strbuf_done(&n);
}

static void test_store_files(void **state)
{
	_cleanup_free_ char *one = NULL;
	struct strbuf err = {0}, aside = {0};
	struct store *s, *other = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = open_store();
	assert_text(s, NULL);
	assert_int_equal(store_generation(s), 0);
	/* the checksum line, the text and a newline, in intent.json, no temporary file left */
	save(s, 1, "{\"generation\":1}");
	assert_text(s, "{\"generation\":1}");
	assert_int_equal(store_generation(s), 1);
	assert_sealed("intent.json", "{\"generation\":1}\n");
	assert_int_equal(size_of("intent.json.tmp"), -1);
	save(s, 2, "{\"generation\":2}");
	assert_sealed("intent.json", "{\"generation\":2}\n");
	/* one vrouterd per directory */
	assert_int_equal(store_open(dir, &other, &err), -EBUSY);
	assert_null(other);
	store_free(s);
	s = open_store();
	assert_text(s, "{\"generation\":2}");
	assert_false(store_set_loaded(s, 2));
	assert_false(store_dirty(s));
	assert_notes(s, NULL, NULL);
	/* set aside as invalid: nothing persisted after */
	assert_int_equal(store_reject(s, &aside, &err), 0);
	assert_non_null(strstr(strbuf_str(&aside), "/intent.json.invalid-"));
	assert_text(s, NULL);
	store_free(s);
	assert_file("intent.json", NULL);
	one = sealed("{\"generation\":2}\n");
	assert_aside("intent.json", SEAL_INVALID, one);
	s = open_store();
	assert_text(s, NULL);
	store_free(s);
	strbuf_done(&err);
	strbuf_done(&aside);
}

/* intent.json damaged (a byte changed, cut short, edited with its old checksum, a first line
 * that is no checksum line, empty): set aside for what is wrong, with a warning; the store
 * holds no intent. */
static void test_store_damaged(void **state)
{
	static const char body[] = "{\"version\":1,\"generation\":7,\"hostname\":\"r-7\"}\n";
	_cleanup_free_ char *good = sealed(body);
	size_t head = (size_t)(strchr(good, '\n') + 1 - good);
	struct {
		const char *what;
		char *text;
		enum seal_problem problem;
	} cases[6];
	size_t i, n = 0;

	(void)state;
	cases[n].what = "a byte changed";
	cases[n].text = strdup(good);
	cases[n].text[head + 20] ^= 0x01;
	cases[n++].problem = SEAL_CHECKSUM;
	cases[n].what = "cut short";
	cases[n].text = strndup(good, strlen(good) - 5);
	cases[n++].problem = SEAL_TRUNCATED;
	cases[n].what = "bytes added";
	assert_true(asprintf(&cases[n].text, "%s{}\n", good) > 0);
	cases[n++].problem = SEAL_LENGTH;
	cases[n].what = "edited, its old checksum";
	cases[n].text = strdup(good);
	memcpy(strstr(cases[n].text, "r-7"), "r-9", 3);
	cases[n++].problem = SEAL_CHECKSUM;
	cases[n].what = "neither a checksum line nor JSON";
	cases[n].text = strdup(good + head + 1);
	cases[n++].problem = SEAL_HEADER;
	cases[n].what = "a later format";
	cases[n].text = strdup(good);
	memcpy(cases[n].text + strlen(SEAL_MAGIC), "v2", 2);
	cases[n++].problem = SEAL_VERSION;
	for (i = 0; i < n; i++) {
		struct store *s;

		print_message("intent.json %s\n", cases[i].what);
		write_file("intent.json", cases[i].text, strlen(cases[i].text));
		s = open_store();
		assert_text(s, NULL);
		assert_int_equal(store_generation(s), 0);
		assert_notes(s, "set aside as", NULL);
		assert_false(store_dirty(s));
		store_free(s);
		assert_file("intent.json", NULL);
		assert_aside("intent.json", cases[i].problem, cases[i].text);
		free(cases[i].text);
	}
}

/* intent.json of an older agent (JSON, no checksum line): read, said so, and written again with
 * its checksum line once the daemon loaded it. */
static void test_store_older(void **state)
{
	static const char body[] = "{\"version\":1,\"generation\":3}\n";
	struct strbuf err = {0};
	struct store *s;

	(void)state;
	write_file("intent.json", body, strlen(body));
	s = open_store();
	assert_text_nl(s, body);
	assert_notes(s, NULL, "has no checksum line");
	assert_false(store_dirty(s));
	assert_true(store_set_loaded(s, 3));
	assert_true(store_dirty(s));
	assert_int_equal(store_flush(s, &err), 0);
	assert_false(store_dirty(s));
	store_free(s);
	assert_sealed("intent.json", body);
	s = open_store();
	assert_text_nl(s, body);
	assert_false(store_set_loaded(s, 3));
	assert_notes(s, NULL, NULL);
	store_free(s);
	strbuf_done(&err);
}

/* The text store_open() migrated a snapshot and a log to: in memory and as the one file (file:
 * what intent.json then holds), the log removed; and so again after a restart. */
static void assert_migrated(const char *want, const char *file)
{
	struct store *s = open_store();

	assert_text_nl(s, want);
	assert_file("intent.json", file);
	assert_file("intent.log", NULL);
	store_free(s);
	s = open_store();
	assert_file("intent.json", file);
	store_free(s);
}

static void test_store_migrates(void **state)
{
	_cleanup_free_ char *sealed_last = sealed(last), *sealed_next = sealed(next);
	struct strbuf log = {0};
	size_t first;

	(void)state;
	make_log(&log, true);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	/* two records: the last text, with its checksum line */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, log.len);
	assert_migrated(last, sealed_last);
	/* a crash after the migration's rename, before the log was removed: intent.json has its
	 * checksum line (this agent wrote it from the log), and the log is only removed */
	write_file("intent.log", log.s, log.len);
	assert_migrated(last, sealed_last);
	/* the second record cut short by a crash: the first's text */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, first + 5);
	assert_migrated(next, sealed_next);
	/* a header alone: the snapshot as it was (written again once the daemon loads it) */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, (size_t)(strchr(log.s, '\n') + 1 - log.s));
	assert_migrated(prev, prev);
	/* the older agent's crash between its new snapshot and its emptied log: the log names the
	 * snapshot before, and holds no newer generation than this one: only removed */
	write_file("intent.json", last, strlen(last));
	write_file("intent.log", log.s, log.len);
	assert_migrated(last, last);
	strbuf_done(&log);
}

/* A snapshot and a log that do not add up to one intent: neither is used, both set aside. */
static void test_store_migrate_damaged(void **state)
{
	_cleanup_free_ char *snap = strdup(prev);
	struct strbuf log = {0};
	struct store *s;
	size_t first;

	(void)state;
	make_log(&log, true);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	/* the snapshot changed since the log was written (its hash): the log holds generation 6,
	 * the snapshot is 4 */
	snap[strlen(snap) - 4] = '9';
	write_file("intent.json", snap, strlen(snap));
	write_file("intent.log", log.s, log.len);
	s = open_store();
	assert_text(s, NULL);
	assert_notes(s, "set aside as", NULL);
	store_free(s);
	assert_aside("intent.json", SEAL_CHECKSUM, snap);
	assert_aside("intent.log", SEAL_ORPHAN, log.s);
	assert_file("intent.json", NULL);
	assert_file("intent.log", NULL);
	/* the first record damaged, the second after it: lost; the snapshot alone is older */
	log.s[first - 2] ^= 0x01;
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, log.len);
	s = open_store();
	assert_text(s, NULL);
	store_free(s);
	assert_aside("intent.json", SEAL_STALE, prev);
	assert_aside("intent.log", SEAL_CHECKSUM, log.s);
	/* a log with no snapshot: set aside, nothing persisted */
	write_file("intent.log", log.s, log.len);
	s = open_store();
	assert_text(s, NULL);
	store_free(s);
	assert_aside("intent.log", SEAL_ORPHAN, log.s);
	strbuf_done(&log);
	{
		_cleanup_free_ char *lock = path_in("lock");

		unlink(lock);
		assert_int_equal(rmdir(dir), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_replay_cut_short),
	    cmocka_unit_test(test_replay_damaged),
	    cmocka_unit_test(test_replay_damaged_middle),
	    cmocka_unit_test(test_store_files),
	    cmocka_unit_test(test_store_damaged),
	    cmocka_unit_test(test_store_older),
	    cmocka_unit_test(test_store_migrates),
	    cmocka_unit_test(test_store_migrate_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
