/* SPDX-License-Identifier: MIT */
/* The state directory's files (state/statefile.h) in a temporary directory: written with their
 * checksum line and read back, staged then published or dropped, checked on reading, set aside
 * under names that never replace one another, and those names listed back. */
#include <errno.h>
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

#include "lib/cleanup.h"
#include "state/statefile.h"

static char dir[] = "/tmp/vrouter-test-statefile-XXXXXX";

static char *path_in(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void test_write_read(void **state)
{
	static const char body[] = "vrouter-nft-records 1 0123456789abcdef\nfw-chain 5:input0:\n";
	_cleanup_free_ char *p = NULL, *tmp = NULL, *raw = NULL;
	struct strbuf err = {0};
	struct statefile f;
	struct stat st;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	p = path_in("records");
	tmp = path_in("records.tmp");
	/* saved: its checksum line, the body, mode 0600, no temporary file left */
	assert_int_equal(statefile_save(p, body, strlen(body), STATEFILE_SYNC, &err), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_OK);
	assert_int_equal(f.body_len, strlen(body));
	assert_memory_equal(f.body, body, f.body_len);
	assert_null(f.detail);
	statefile_done(&f);
	/* staged: the file is as it was until published; dropped, as it was */
	assert_int_equal(statefile_stage(p, "x\n", 2, 0, &err), 0);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), 0);
	assert_int_equal(f.body_len, strlen(body));
	statefile_done(&f);
	statefile_drop(p);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(statefile_stage(p, "x\n", 2, 0, &err), 0);
	assert_int_equal(statefile_publish(p, 0, &err), 0);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_OK);
	assert_memory_equal(f.body, "x\n", 2);
	statefile_done(&f);
	/* written raw (no checksum line): read as unsealed, the body the whole text */
	assert_int_equal(statefile_write_raw(p, body, strlen(body), &err), 0);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_UNSEALED);
	assert_int_equal(f.body_len, strlen(body));
	statefile_done(&f);
	/* over the limit: not read, not whole */
	assert_int_equal(statefile_load(p, 10, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_LENGTH);
	assert_non_null(f.detail);
	statefile_done(&f);
	assert_int_equal(statefile_read(p, 10, &raw, &len), -EFBIG);
	/* none */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), -ENOENT);
	assert_int_equal(err.len, 0);
	/* a damaged file: what is wrong, and the details */
	assert_int_equal(statefile_save(p, body, strlen(body), 0, &err), 0);
	assert_int_equal(statefile_read(p, 1 << 20, &raw, &len), 0);
	raw[len - 3] ^= 0x01;
	assert_int_equal(statefile_write_raw(p, raw, len, &err), 0);
	assert_int_equal(statefile_load(p, 1 << 20, &f, &err), 0);
	assert_int_equal(f.problem, SEAL_CHECKSUM);
	assert_non_null(strstr(f.detail, "SHA-256"));
	statefile_done(&f);
	assert_int_equal(statefile_remove(p, &err), 0);
	assert_int_equal(access(p, F_OK), -1);
	strbuf_done(&err);
}

/* Set aside three times in a second: three names, each file kept; listed back with what the
 * names tell; names that are not set-aside files ignored. */
static void test_aside(void **state)
{
	static const char *const others[] = {
	    "intent.json.rejected",		    /* an older agent's name */
	    "intent.json.unknown-20260101T000000Z", /* not a problem */
	    "intent.json.checksum-2026010T000000Z", /* not a time */
	    "intent.json.checksum-20260101T000000Z.x",
	    ".checksum-20260101T000000Z", /* no name */
	    "intent.json.ok-20260101T000000Z",
	};
	_cleanup_free_ char *p = path_in("intent.json");
	struct statefile_aside *v = NULL;
	struct strbuf err = {0};
	char *to[3];
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char body[16];

		snprintf(body, sizeof(body), "%zu\n", i);
		assert_int_equal(statefile_save(p, body, strlen(body), 0, &err), 0);
		assert_int_equal(
		    statefile_set_aside(p, i == 2 ? SEAL_TRUNCATED : SEAL_CHECKSUM, &to[i], &err),
		    0);
		assert_int_equal(access(p, F_OK), -1);
		assert_int_equal(access(to[i], F_OK), 0);
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		_cleanup_free_ char *o = path_in(others[i]);

		assert_int_equal(statefile_write_raw(o, "x", 1, &err), 0);
	}
	/* nothing to set aside */
	assert_int_equal(statefile_set_aside(p, SEAL_CHECKSUM, &to[0], &err), -ENOENT);
	strbuf_truncate(&err, 0);
	assert_int_equal(statefile_aside_list(dir, &v, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		struct statefile f;

		assert_string_equal(v[i].file, p);
		assert_int_equal(strlen(v[i].when), strlen("2026-01-01T00:00:00Z"));
		assert_int_equal(v[i].when[10], 'T');
		assert_int_equal(statefile_load(v[i].moved_to, 1 << 20, &f, &err), 0);
		assert_int_equal(f.problem, SEAL_OK);
		/* each its own content: none was set aside over another */
		assert_int_equal(f.body_len, 2);
		assert_true(f.body[0] >= '0' && f.body[0] <= '2');
		assert_int_equal(v[i].problem, f.body[0] == '2' ? SEAL_TRUNCATED : SEAL_CHECKSUM);
		assert_non_null(
		    strstr(v[i].moved_to, f.body[0] == '2' ? ".truncated-" : ".checksum-"));
		statefile_done(&f);
		unlink(v[i].moved_to);
	}
	statefile_aside_free(v, n);
	/* a directory that cannot be read: none */
	v = NULL;
	n = 0;
	assert_int_equal(statefile_aside_list("/nonexistent-vrouter-test", &v, &n), 0);
	assert_int_equal(n, 0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		_cleanup_free_ char *o = path_in(others[i]);

		unlink(o);
	}
	for (i = 0; i < 3; i++)
		free(to[i]);
	assert_int_equal(rmdir(dir), 0);
	strbuf_done(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_read),
	    cmocka_unit_test(test_aside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
