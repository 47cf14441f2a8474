/* SPDX-License-Identifier: MIT */
/* Replays a fuzzer corpus through LLVMFuzzerTestOneInput without libFuzzer, so that the
 * corpus runs as an ordinary test (and under ASan/UBSan with gcc). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "lib/cleanup.h"

static int replay_file(const char *path, size_t *count)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	_cleanup_free_ uint8_t *buf = NULL;
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	buf = malloc((size_t)size + 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: read failed\n", path);
		return -EIO;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	(*count)++;
	return 0;
}

static int replay(const char *path, size_t *count)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = replay(p, count);
		free(p);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i;

	for (i = 1; i < argc; i++)
		if (replay(argv[i], &count) < 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "no input replayed\n");
		return 1;
	}
	printf("%zu passed, 0 failed\n", count);
	return 0;
}
