/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl render FILE|- DIR [--confdir PATH]: validate an intent and write the service
 * configurations it needs under DIR, as the agent would under PATH (default /etc/vrouter;
 * the files name each other by absolute path). One line per file on stdout:
 * "PATH MODE SERVICE CHANGE POINTER". No root, no agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "intent/parse.h"
#include "lib/cleanup.h"
#include "lib/fdio.h"
#include "lib/jread.h"
#include "lib/strbuf.h"
#include "render/render.h"

#define RENDER_CONFDIR "/etc/vrouter"

/* mkdir -p of the directories above path (path itself is the file). */
static int mkdir_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int write_file(const char *dir, const struct rendered_file *f)
{
	struct strbuf path = {0};
	int fd = -1, r;

	strbuf_printf(&path, "%s/%s", dir, f->path);
	if (path.oom) {
		strbuf_done(&path);
		return -ENOMEM;
	}
	r = mkdir_parents(strbuf_str(&path));
	if (r >= 0) {
		fd = open(strbuf_str(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			  f->mode);
		if (fd < 0)
			r = -errno;
	}
	/* The mode is the file's, whatever the umask or an earlier file said. */
	if (r >= 0 && fchmod(fd, f->mode) < 0)
		r = -errno;
	if (r >= 0)
		r = fd_write_all(fd, f->content, strlen(f->content));
	if (fd >= 0 && close(fd) < 0 && r >= 0)
		r = -errno;
	if (r < 0)
		fprintf(stderr, "vrouterctl: %s: %s\n", strbuf_str(&path), strerror(-r));
	strbuf_done(&path);
	return r;
}

static int usage(void)
{
	fprintf(stderr, "usage: vrouterctl render FILE|- DIR [--confdir PATH]\n");
	return EXIT_USAGE;
}

int cmd_render(int argc, char **argv)
{
	const char *input = NULL, *dir = NULL, *confdir = RENDER_CONFDIR;
	_cleanup_free_ char *buf = NULL;
	struct rendered out = {0};
	struct strbuf top = {0};
	struct errlist errs = {0};
	struct intent *in = NULL;
	int i, r, ret = APPLY_OK;
	size_t len, k;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--confdir")) {
			if (++i == argc)
				return usage();
			confdir = argv[i];
		} else if (!strncmp(argv[i], "--confdir=", 10)) {
			confdir = argv[i] + 10;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vrouterctl: unknown option \"%s\"\n", argv[i]);
			return usage();
		} else if (!input) {
			input = argv[i];
		} else if (!dir) {
			dir = argv[i];
		} else {
			return usage();
		}
	}
	if (!input || !dir)
		return usage();
	if (confdir[0] != '/') {
		fprintf(stderr, "vrouterctl: --confdir \"%s\" is not an absolute path\n", confdir);
		return EXIT_USAGE;
	}
	if (cli_read_input(input, JR_DOCUMENT_MAX, &buf, &len) < 0)
		return APPLY_INVALID;
	r = intent_load(buf, len, &in, &errs);
	if (r < 0) {
		if (errs.n == 0)
			fprintf(stderr, ": %s\n", strerror(-r));
		errlist_print(&errs, stderr);
		errlist_done(&errs);
		return APPLY_INVALID;
	}
	errlist_done(&errs);
	r = render_services(in, confdir, &out);
	intent_free(in);
	if (r < 0) {
		fprintf(stderr, "vrouterctl: rendering failed: %s\n", strerror(-r));
		return APPLY_FAILED;
	}
	/* DIR itself, even when there is no file to write. */
	strbuf_printf(&top, "%s/", dir);
	r = top.oom ? -ENOMEM : mkdir_parents(strbuf_str(&top));
	strbuf_done(&top);
	if (r < 0) {
		fprintf(stderr, "vrouterctl: %s: %s\n", dir, strerror(-r));
		ret = APPLY_FAILED;
	}
	for (k = 0; ret == APPLY_OK && k < out.n; k++) {
		const struct rendered_file *f = &out.files[k];

		if (write_file(dir, f) < 0) {
			ret = APPLY_FAILED;
			break;
		}
		printf("%s %04o %s %s %s\n", f->path, f->mode, f->service,
		       change_class_to_string(f->change), f->ptr);
	}
	rendered_done(&out);
	return ret;
}
