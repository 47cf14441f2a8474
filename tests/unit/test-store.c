/* SPDX-License-Identifier: MIT */
/* The persisted intent: the change log's records (store-log.c) and the store's files in a
 * temporary directory (store.c): snapshots, records, a record cut short, a stale log. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/store-log.h"
#include "daemon/store.h"
#include "lib/cleanup.h"

#define MAX (1u << 20)

static const char prev[] = "{\"version\":1,\"generation\":4,\"firewall\":{\"a\":[1,2,3]},"
			   "\"nat\":{\"b\":1}}\n";
static const char next[] = "{\"version\":1,\"generation\":5,\"firewall\":{\"a\":[1,2,3]},"
			   "\"nat\":{\"b\":22}}\n";

/* The spans of next that are prev's: "{\"version\":1,\"generation\":" and the firewall. */
static const struct storelog_pair copies[] = {
	{0, 26, 0, 26},
	{28, 24, 28, 24},
};

/* The header and one record building next from prev. */
static void make_log(struct strbuf *log)
{
	assert_int_equal(storelog_header(prev, strlen(prev), log), 0);
	assert_int_equal(storelog_record(prev, strlen(prev), next, strlen(next), 5, copies, 2, log),
			 26 + 24);
}

static void replay(const char *base, const char *log, size_t len, const char *want,
		   int64_t want_generation, size_t want_valid, size_t want_records)
{
	char *text;
	size_t n, valid, records;
	int64_t generation;

	assert_int_equal(storelog_replay(base, strlen(base), log, len, MAX, &text, &n, &generation,
					 &valid, &records),
			 0);
	assert_int_equal(records, want_records);
	assert_string_equal(text, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(generation, want_generation);
	assert_int_equal(valid, want_valid);
	free(text);
}

static void test_record_round_trip(void **state)
{
	struct strbuf log = {0};
	const char *nl;

	make_log(&log);
	nl = strchr(log.s, '\n');
	/* a copy whose bytes differ is inserted instead: the record still builds next */
	{
		struct storelog_pair wrong[] = {{0, 26, 0, 26}, {28, 24, 29, 24}};
		struct strbuf other = {0};

		assert_int_equal(storelog_header(prev, strlen(prev), &other), 0);
		assert_int_equal(storelog_record(prev, strlen(prev), next, strlen(next), 5, wrong, 2,
						 &other),
				 26);
		replay(prev, other.s, other.len, next, 5, other.len, 1);
		strbuf_done(&other);
	}
	replay(prev, log.s, log.len, next, 5, log.len, 1);
	/* one pair for all of a text changed in its middle: both ends copied, the middle inserted
	 * (a common end shorter than STORELOG_COPY_MIN is inserted too) */
	{
		_cleanup_free_ char *a = NULL, *b = NULL;
		struct strbuf w = {0};
		struct storelog_pair all;

		assert_true(asprintf(&a, "{\"x\":\"%0100d\",\"n\":1,\"y\":\"%0100d\"}", 0, 0) > 0);
		assert_true(asprintf(&b, "{\"x\":\"%0100d\",\"n\":22,\"y\":\"%0100d\"}", 0, 0) > 0);
		all = (struct storelog_pair){0, strlen(b), 0, strlen(a)};
		assert_int_equal(storelog_header(a, strlen(a), &w), 0);
		assert_int_equal(storelog_record(a, strlen(a), b, strlen(b), 2, &all, 1, &w),
				 strlen(a) - 1);
		replay(a, w.s, w.len, b, 2, w.len, 1);
		assert_non_null(strstr(w.s, "\nI 2\n22"));
		strbuf_done(&w);
	}
	/* no log, or a header alone: the snapshot */
	replay(prev, "", 0, prev, 0, 0, 0);
	replay(prev, log.s, (size_t)(nl + 1 - log.s), prev, 0, (size_t)(nl + 1 - log.s), 0);
	strbuf_done(&log);
}

/* A crash can leave any beginning of an appended record: the log ends before it. */
static void test_record_cut_short(void **state)
{
	struct strbuf log = {0};
	size_t header, cut;

	make_log(&log);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	for (cut = header; cut < log.len; cut++)
		replay(prev, log.s, cut, prev, 0, header, 0);
	/* a header cut short: the log is stale */
	for (cut = 0; cut < header; cut++)
		replay(prev, log.s, cut, prev, 0, 0, 0);
	strbuf_done(&log);
}

static void test_record_damaged(void **state)
{
	struct strbuf log = {0}, two = {0};
	size_t header, i;

	make_log(&log);
	header = (size_t)(strchr(log.s, '\n') + 1 - log.s);
	/* any byte of the record changed: its length, hash or payload no longer agree */
	for (i = header; i < log.len; i++) {
		char *copy = strndup(log.s, log.len);

		assert_non_null(copy);
		copy[i] ^= 0x20;
		replay(prev, copy, log.len, prev, 0, header, 0);
		free(copy);
	}
	/* a log that follows another snapshot is stale */
	replay(next, log.s, log.len, next, 0, 0, 0);
	/* two records: the second builds from the first's text */
	strbuf_append_n(&two, log.s, log.len);
	{
		const struct storelog_pair all[] = {{0, strlen(next), 0, strlen(next)}};

		assert_int_equal(storelog_record(next, strlen(next), next, strlen(next), 6, all, 1,
						 &two),
				 (ssize_t)strlen(next));
	}
	replay(prev, two.s, two.len, next, 6, two.len, 2);
	/* a record whose copy reaches past the text, with a good hash: the log ends before it */
	{
		struct strbuf bad = {0};
		const char payload[] = "C 10 1000\n";

		strbuf_append_n(&bad, log.s, log.len);
		strbuf_printf(&bad, "R 7 %zu %016llx\n%s", strlen(payload),
			      (unsigned long long)storelog_hash(payload, strlen(payload)), payload);
		replay(prev, bad.s, bad.len, next, 5, log.len, 1);
		strbuf_done(&bad);
	}
	strbuf_done(&log);
	strbuf_done(&two);
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

static void assert_text(struct store *s, const char *want)
{
	size_t len;
	const char *t = store_text(s, &len);

	if (!want) {
		assert_null(t);
		return;
	}
	assert_non_null(t);
	assert_int_equal(len, strlen(want) + 1);
	assert_memory_equal(t, want, len - 1);
	assert_int_equal(t[len - 1], '\n');
}

static void save(struct store *s, int64_t generation, const char *text,
		 const struct storelog_pair *c, size_t n)
{
	struct strbuf err = {0};

	assert_int_equal(store_save(s, generation, text, strlen(text), c, n, &err), 0);
	strbuf_done(&err);
}

/* A large text (the snapshot must be larger than the log for records to be written) with one
 * member that changes: "{"big":"xxx...","n":N}". */
static char *big(int n, size_t *ret_big)
{
	char *t;

	*ret_big = 4000;
	assert_true(asprintf(&t, "{\"big\":\"%04000d\",\"n\":%d}", 0, n) > 0);
	return t;
}

static void test_store_files(void **state)
{
	const struct storelog_pair shared[] = {{0, 4009, 0, 4009}}; /* {"big":"000...0" */
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *rejected = NULL;
	struct strbuf err = {0};
	struct store *s;
	size_t n, len;
	int i;

	assert_non_null(mkdtemp(dir));
	a = big(1, &n);
	b = big(2, &n);
	c = big(3, &n);
	s = open_store();
	assert_text(s, NULL);
	/* the first save: a snapshot (nothing to refer to) */
	save(s, 1, a, shared, 1);
	assert_int_equal(size_of("intent.json"), strlen(a) + 1);
	assert_int_equal(size_of("intent.log"), 0);
	/* then records: the snapshot stays, the log grows by far less than the text */
	save(s, 2, b, shared, 1);
	assert_int_equal(size_of("intent.json"), strlen(a) + 1);
	assert_in_range(size_of("intent.log"), 1, 200);
	assert_text(s, b);
	store_free(s);
	s = open_store();
	assert_text(s, b);
	save(s, 3, c, shared, 1);
	store_free(s);
	s = open_store();
	assert_text(s, c);
	/* no copies: a snapshot, and the log emptied */
	save(s, 4, b, NULL, 0);
	assert_int_equal(size_of("intent.log"), 0);
	store_free(s);
	s = open_store();
	assert_text(s, b);
	/* at most 32 records (each is a copy of the text to replay at start): then a snapshot */
	save(s, 5, a, NULL, 0);
	for (i = 0; i < 32; i++)
		save(s, 6 + i, i % 2 ? a : b, shared, 1);
	assert_in_range(size_of("intent.log"), 32 * 10, (off_t)strlen(a) / 2);
	save(s, 40, b, shared, 1);
	assert_int_equal(size_of("intent.log"), 0);
	store_free(s);
	s = open_store();
	assert_text(s, b);
	for (i = 0; i < 31; i++)
		save(s, 41 + i, i % 2 ? b : a, shared, 1);
	store_free(s);
	s = open_store(); /* 31 records replayed: one more fits */
	save(s, 80, a, shared, 1);
	assert_true(size_of("intent.log") > 0);
	save(s, 81, b, shared, 1);
	assert_int_equal(size_of("intent.log"), 0);
	/* until the log would outgrow the snapshot: then a snapshot again (records of 1,500
	 * changed bytes each: the third would pass the 4 kB snapshot) */
	{
		_cleanup_free_ char *mid = strdup(a);
		const struct storelog_pair whole = {0, strlen(a), 0, strlen(a)};

		assert_non_null(mid);
		memset(mid + 1000, '1', 1500);
		save(s, 82, a, NULL, 0);
		save(s, 83, mid, &whole, 1);
		save(s, 84, a, &whole, 1);
		assert_in_range(size_of("intent.log"), 3000, 3900);
		save(s, 85, mid, &whole, 1);
		assert_int_equal(size_of("intent.log"), 0);
		assert_text(s, mid);
		store_free(s);
		s = open_store();
		assert_text(s, mid);
	}
	/* set aside: the text the log made, nothing persisted after */
	save(s, 300, c, shared, 1);
	assert_int_equal(store_reject(s, &err), 0);
	assert_text(s, NULL);
	store_free(s);
	rejected = path_in("intent.json.rejected");
	{
		char *t;

		assert_int_equal(store_read_file(rejected, MAX, &t, &len), 0);
		assert_int_equal(len, strlen(c) + 1);
		assert_memory_equal(t, c, strlen(c));
		free(t);
	}
	s = open_store();
	assert_text(s, NULL);
	store_free(s);
	strbuf_done(&err);
}

/* A save in two steps (store_stage, store_stage_end): nothing persisted or remembered until it
 * ends with commit; thrown away, it leaves the store as it was and no temporary file. */
static void test_store_stage(void **state)
{
	const struct storelog_pair shared[] = {{0, 4009, 0, 4009}};
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct strbuf err = {0};
	struct store_stage *st;
	struct store *s;
	size_t n;

	a = big(1, &n);
	b = big(2, &n);
	s = open_store(); /* test_store_files left nothing persisted */
	assert_text(s, NULL);
	/* a snapshot: written to its temporary file, thrown away */
	assert_int_equal(store_stage(s, 1, a, strlen(a), NULL, 0, &st), 0);
	assert_int_equal(store_stage_end(st, false, &err), 0);
	assert_int_equal(size_of("intent.json"), -1);
	assert_int_equal(size_of("intent.json.tmp"), -1);
	assert_text(s, NULL);
	/* kept */
	assert_int_equal(store_stage(s, 1, a, strlen(a), NULL, 0, &st), 0);
	assert_int_equal(store_stage_end(st, true, &err), 0);
	assert_int_equal(size_of("intent.json"), strlen(a) + 1);
	assert_int_equal(size_of("intent.json.tmp"), -1);
	assert_text(s, a);
	assert_int_equal(store_generation(s), 1);
	/* a record: not appended until kept */
	assert_int_equal(store_stage(s, 2, b, strlen(b), shared, 1, &st), 0);
	assert_int_equal(store_stage_end(st, false, &err), 0);
	assert_int_equal(size_of("intent.log"), 0);
	assert_text(s, a);
	assert_int_equal(store_stage(s, 2, b, strlen(b), shared, 1, &st), 0);
	assert_int_equal(store_stage_end(st, true, &err), 0);
	assert_in_range(size_of("intent.log"), 1, 200);
	assert_text(s, b);
	assert_int_equal(store_generation(s), 2);
	store_free(s);
	s = open_store();
	assert_text(s, b);
	assert_int_equal(store_stage_end(NULL, true, &err), 0);
	assert_int_equal(store_reject(s, &err), 0);
	store_free(s);
	strbuf_done(&err);
}

/* A snapshot as the store writes it: the text and a newline. */
static void write_snapshot(const char *path, const char *text)
{
	_cleanup_free_ char *t = NULL;
	struct strbuf err = {0};

	assert_true(asprintf(&t, "%s\n", text) > 0);
	assert_int_equal(store_write_file(path, t, strlen(t), &err), 0);
	strbuf_done(&err);
}

/* A crash between the snapshot's rename and the emptying of the log leaves a log that follows
 * the old snapshot: ignored (and emptied), the new snapshot stands. A crash in the middle of
 * an append leaves a record cut short: the intent before it stands, and the next record goes
 * after it. */
static void test_store_crashes(void **state)
{
	const struct storelog_pair shared[] = {{0, 4009, 0, 4009}};
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *json = path_in("intent.json"),
			    *log = path_in("intent.log"), *log_text = NULL;
	struct strbuf err = {0};
	struct store *s;
	size_t n, log_len;
	int fd;

	a = big(1, &n);
	b = big(2, &n);
	c = big(3, &n);
	s = open_store();
	save(s, 1, a, shared, 1);
	save(s, 2, b, shared, 1);
	store_free(s);
	assert_int_equal(store_read_file(log, MAX, &log_text, &log_len), 0);
	/* the snapshot replaced (generation 3) with the old log left */
	write_snapshot(json, c);
	s = open_store();
	assert_text(s, c);
	assert_int_equal(size_of("intent.log"), 0);
	store_free(s);
	/* snapshot a, the log with b's record cut short */
	write_snapshot(json, a);
	fd = open(log, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, log_text, log_len - 3), (ssize_t)(log_len - 3));
	close(fd);
	s = open_store();
	assert_text(s, a);
	assert_int_equal(size_of("intent.log"), strchr(log_text, '\n') + 1 - log_text);
	save(s, 3, c, shared, 1);
	store_free(s);
	s = open_store();
	assert_text(s, c);
	store_free(s);
	strbuf_done(&err);
	{
		_cleanup_free_ char *lock = path_in("lock"), *rej = path_in("intent.json.rejected");

		unlink(json), unlink(log), unlink(lock), unlink(rej);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_round_trip), cmocka_unit_test(test_record_cut_short),
	    cmocka_unit_test(test_record_damaged),    cmocka_unit_test(test_store_files),
	    cmocka_unit_test(test_store_stage),	      cmocka_unit_test(test_store_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
