/* SPDX-License-Identifier: MIT */
/* The persisted intent in a temporary directory (store.c): one file written and read back,
 * set aside, locked; and a state directory that an older vrouterd left with a change log
 * (store-migrate.c): the log replayed once into the one file, and removed. */
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

static void replay(const char *base, const char *log, size_t len, size_t max, const char *want,
		   size_t want_records)
{
	char *text;
	size_t n, records;

	assert_int_equal(
	    store_migrate_replay(base, strlen(base), log, len, max, &text, &n, &records), 0);
	assert_int_equal(records, want_records);
	assert_int_equal(n, strlen(want));
	assert_string_equal(text, want);
	free(text);
}

static void test_replay(void **state)
{
	struct strbuf log = {0};
	size_t header;

	(void)state;
	make_log(&log, true);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	replay(prev, log.s, log.len, MAX, last, 2);
	/* no log, or a header alone: the snapshot */
	replay(prev, "", 0, MAX, prev, 0);
	replay(prev, log.s, header, MAX, prev, 0);
	/* a log that follows another snapshot is stale */
	replay(next, log.s, log.len, MAX, next, 0);
	/* a text longer than max ends the log before the record that makes it */
	replay(prev, log.s, log.len, strlen(next) - 1, prev, 0);
	strbuf_done(&log);
}

/* A crash can leave any beginning of an appended record: the log ends before it. */
static void test_replay_cut_short(void **state)
{
	struct strbuf log = {0};
	size_t header, first, cut;

	(void)state;
	make_log(&log, true);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	for (cut = 0; cut < header; cut++) /* a header cut short: the log is stale */
		replay(prev, log.s, cut, MAX, prev, 0);
	for (cut = header; cut < first; cut++)
		replay(prev, log.s, cut, MAX, prev, 0);
	for (cut = first; cut < log.len; cut++)
		replay(prev, log.s, cut, MAX, next, 1);
	strbuf_done(&log);
}

static void test_replay_damaged(void **state)
{
	struct strbuf log = {0};
	size_t header, i;

	(void)state;
	make_log(&log, false);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	/* any byte of the record changed: its length, hash or payload no longer agree */
	for (i = header; i < log.len; i++) {
		char *copy = strndup(log.s, log.len);

		assert_non_null(copy);
		copy[i] ^= 0x20;
		replay(prev, copy, log.len, MAX, prev, 0);
		free(copy);
	}
	/* a record whose copy reaches past the text, with a good hash: the log ends before it */
	log_record(&log, 7, "C 10 1000\n", 10);
	replay(prev, log.s, log.len, MAX, next, 1);
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

/* The file name holds exactly text (NULL: there is no such file). */
static void assert_file(const char *name, const char *text)
{
	_cleanup_free_ char *p = path_in(name), *t = NULL;
	size_t len;

	if (!text) {
		assert_int_equal(size_of(name), -1);
		return;
	}
	assert_int_equal(store_read_file(p, MAX, &t, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(t, text, len);
}

static void write_file(const char *name, const char *text, size_t len)
{
	_cleanup_free_ char *p = path_in(name);
	struct strbuf err = {0};

	assert_int_equal(store_write_file(p, text, len, &err), 0);
	strbuf_done(&err);
}

static void save(struct store *s, int64_t generation, const char *text)
{
	struct strbuf err = {0};

	assert_int_equal(store_save(s, generation, text, strlen(text), &err), 0);
	strbuf_done(&err);
}

static void test_store_files(void **state)
{
	_cleanup_free_ char *json = NULL;
	struct strbuf err = {0};
	struct store *s, *other = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = open_store();
	assert_text(s, NULL);
	assert_int_equal(store_generation(s), 0);
	/* the text and a newline, in intent.json, no temporary file left */
	save(s, 1, "{\"generation\":1}");
	assert_text(s, "{\"generation\":1}");
	assert_int_equal(store_generation(s), 1);
	assert_file("intent.json", "{\"generation\":1}\n");
	assert_int_equal(size_of("intent.json.tmp"), -1);
	save(s, 2, "{\"generation\":2}");
	assert_file("intent.json", "{\"generation\":2}\n");
	/* one vrouterd per directory */
	assert_int_equal(store_open(dir, &other, &err), -EBUSY);
	assert_null(other);
	store_free(s);
	s = open_store();
	assert_text(s, "{\"generation\":2}");
	/* set aside: nothing persisted after */
	assert_int_equal(store_reject(s, &err), 0);
	assert_text(s, NULL);
	store_free(s);
	assert_file("intent.json", NULL);
	assert_file("intent.json.rejected", "{\"generation\":2}\n");
	s = open_store();
	assert_text(s, NULL);
	store_free(s);
	json = path_in("intent.json.rejected");
	unlink(json);
	strbuf_done(&err);
}

/* The text store_open() migrated a snapshot and a log to: in memory and as the one file, the
 * log removed; and so again after a restart. */
static void assert_migrated(const char *want)
{
	struct store *s = open_store();

	assert_text_nl(s, want);
	assert_file("intent.json", want);
	assert_file("intent.log", NULL);
	store_free(s);
	s = open_store();
	assert_file("intent.json", want);
	store_free(s);
}

static void test_store_migrates(void **state)
{
	struct strbuf log = {0};
	size_t first;

	(void)state;
	make_log(&log, true);
	first = (size_t)(strstr(log.s, "R 6 ") - log.s);
	/* two records: the last text */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, log.len);
	assert_migrated(last);
	/* a crash after the migration's rename, before the log was removed: the log names a
	 * snapshot that is no longer there, and is only removed */
	write_file("intent.log", log.s, log.len);
	assert_migrated(last);
	/* the second record cut short by a crash: the first's text */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, first + 5);
	assert_migrated(next);
	/* a header alone: the snapshot as it was */
	write_file("intent.json", prev, strlen(prev));
	write_file("intent.log", log.s, (size_t)(strchr(log.s, '\n') + 1 - log.s));
	assert_migrated(prev);
	/* a log with no snapshot: removed, nothing persisted */
	{
		_cleanup_free_ char *json = path_in("intent.json");

		unlink(json);
	}
	write_file("intent.log", log.s, log.len);
	assert_migrated(NULL);
	strbuf_done(&log);
	{
		_cleanup_free_ char *lock = path_in("lock");

		unlink(lock);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay),	   cmocka_unit_test(test_replay_cut_short),
	    cmocka_unit_test(test_replay_damaged), cmocka_unit_test(test_store_files),
	    cmocka_unit_test(test_store_migrates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
