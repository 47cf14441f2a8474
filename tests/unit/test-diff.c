/* SPDX-License-Identifier: MIT */
/*
 * The diff of two intents (proto_diff, proto_diff_text) against golden outputs: test-diff DIR,
 * each case DIR/<case>/ with a.json, b.json and expected.diff (the text `vrouterctl diff`
 * prints for generation 1 against 2). VROUTER_REGEN=1 rewrites expected.diff. Every case is
 * also checked the other way round (b to a: as many changes, added and removed swapped), for
 * the same output twice (deterministic), and for no secret of either document in the output.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "proto/proto-history.h"
#include "proto/proto.h"
#include "state/statefile.h"

static int failed;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		printf("FAIL " __VA_ARGS__);                                                       \
		failed++;                                                                          \
	} while (0)

static struct json_t *load(const char *dir, const char *name)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct json_t *doc = NULL;
	size_t len;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    statefile_read(path, 1 << 20, &text, &len) < 0 ||
	    proto_document_load(text, len, &doc) < 0) {
		FAIL("%s: cannot load\n", path ? path : name);
		return NULL;
	}
	return doc;
}

/* The text of the diff from a to b; the number of changes in *n. */
static char *diff_text(const struct json_t *a, const struct json_t *b, size_t *n)
{
	_cleanup_free_ char *answer = proto_answer_diff(NULL, 1, 2, a, b);
	struct strbuf out = {0};
	const char *p;

	if (!answer || proto_diff_text(answer, NULL, &out) < 0)
		return NULL;
	*n = 0;
	for (p = out.s; (p = strchr(p, '\n')); p++)
		(*n)++;
	*n -= 2; /* the two header lines */
	return out.s ? out.s : strdup("");
}

/* Swaps "+ " and "- " at the lines' starts and the values of "~" lines: what b to a gives. */
static size_t count_prefix(const char *text, char c)
{
	size_t n = 0;
	const char *p = text;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (p[0] == c && p[1] == ' ')
			n++;
	return n;
}

static const char *const secrets[] = {"old-secret-psk-1", "new-secret-psk-1", "unchanged-psk-2",
				      "WG0-PRIVATE-OLD=", "P1-PSK-OLD=",      "P1-PSK-NEW=",
				      "WG1-PRIVATE-NEW=", "P2-PSK="};

static void run_case(const char *dir, const char *name)
{
	_cleanup_free_ char *cdir = NULL, *expected_path = NULL, *expected = NULL;
	_cleanup_free_ char *text = NULL, *again = NULL, *back = NULL;
	struct json_t *a, *b;
	size_t n = 0, n2 = 0, n_back = 0, len, i;
	FILE *f;

	if (asprintf(&cdir, "%s/%s", dir, name) < 0 ||
	    asprintf(&expected_path, "%s/expected.diff", cdir) < 0)
		exit(2);
	a = load(cdir, "a.json");
	b = load(cdir, "b.json");
	if (!a || !b)
		goto out;
	text = diff_text(a, b, &n);
	again = diff_text(a, b, &n2);
	back = diff_text(b, a, &n_back);
	if (!text || !again || !back) {
		FAIL("%s: out of memory\n", name);
		goto out;
	}
	if (strcmp(text, again))
		FAIL("%s: two runs differ\n", name);
	if (n != n_back || count_prefix(text, '+') != count_prefix(back, '-') ||
	    count_prefix(text, '-') != count_prefix(back, '+') ||
	    count_prefix(text, '~') != count_prefix(back, '~'))
		FAIL("%s: b to a is not a to b reversed\n%s---\n%s", name, text, back);
	for (i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		if (strstr(text, secrets[i]) || strstr(back, secrets[i]))
			FAIL("%s: the secret %s is in the output\n", name, secrets[i]);
	if (getenv("VROUTER_REGEN")) {
		f = fopen(expected_path, "w");
		if (!f || fputs(text, f) < 0 || fclose(f) != 0)
			FAIL("%s: cannot write %s\n", name, expected_path);
		goto out;
	}
	if (statefile_read(expected_path, 1 << 20, &expected, &len) < 0)
		FAIL("%s: no %s\n", name, expected_path);
	else if (strcmp(expected, text))
		FAIL("%s: got\n%s---- expected\n%s", name, text, expected);
	else
		printf("ok   %s (%zu changes)\n", name, n);
out:
	proto_document_unref(a);
	proto_document_unref(b);
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int main(int argc, char **argv)
{
	char *names[64];
	size_t n = 0, i;
	struct dirent *e;
	DIR *d;

	if (argc != 2 || !(d = opendir(argv[1]))) {
		fprintf(stderr, "usage: test-diff DIR\n");
		return 2;
	}
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.' && e->d_type == DT_DIR)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		run_case(argv[1], names[i]);
		free(names[i]);
	}
	if (!n)
		FAIL("no case in %s\n", argv[1]);
	printf("%zu cases, %d failures\n", n, failed);
	return failed ? 1 : 0;
}
