/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "editor.h"
#include "lib/cleanup.h"
#include "lib/fdio.h"

static volatile sig_atomic_t received;

static void on_signal(int sig)
{
	if (!received)
		received = sig;
}

void edit_signals_catch(void)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT};
	/* No SA_RESTART: a wait for the editor or a read of the answer returns EINTR. */
	struct sigaction sa = {.sa_handler = on_signal};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ELEMENTSOF(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int edit_signal(void)
{
	return received;
}

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int edit_dir_make(struct edit_dir *d, const char *text, size_t len)
{
	const char *tmp = tmp_dir();
	size_t tl = strlen(tmp);
	int fd, r;

	*d = (struct edit_dir){0};
	while (tl > 1 && tmp[tl - 1] == '/')
		tl--;
	if (asprintf(&d->dir, "%.*s/vrouterctl-edit.XXXXXX", (int)tl, tmp) < 0) {
		d->dir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(d->dir)) {
		r = -errno;
		fprintf(stderr, "vrouterctl: cannot make a directory in %s: %s\n", tmp,
			strerror(errno));
		free(d->dir);
		d->dir = NULL;
		return r;
	}
	if (asprintf(&d->path, "%s/intent.json", d->dir) < 0) {
		d->path = NULL;
		edit_dir_remove(d);
		return -ENOMEM;
	}
	/* The modes whatever the umask: the operator must be able to write the file, nobody
	 * else to read it. */
	fd = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : 0;
	if (!r && (chmod(d->dir, 0700) < 0 || fchmod(fd, 0600) < 0))
		r = -errno;
	if (!r)
		r = fd_write_all(fd, text, len);
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "vrouterctl: cannot write %s: %s\n", d->path, strerror(-r));
		edit_dir_remove(d);
	}
	return r;
}

void edit_dir_keep(struct edit_dir *d)
{
	free(d->dir);
	free(d->path);
	*d = (struct edit_dir){0};
}

void edit_dir_remove(struct edit_dir *d)
{
	DIR *dir;
	struct dirent *e;

	if (!d->dir)
		return;
	if (d->path)
		unlink(d->path);
	/* The editor's copies of the file (swap, backup): the secrets again. Only files: the
	 * directory is this program's, nothing else writes directories there. */
	dir = opendir(d->dir);
	if (dir) {
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(dir), e->d_name, 0);
		closedir(dir);
	}
	if (rmdir(d->dir) < 0 && errno != ENOENT)
		fprintf(stderr,
			"vrouterctl: cannot remove %s: %s (it may hold the intent's "
			"secrets: remove it)\n",
			d->dir, strerror(errno));
	edit_dir_keep(d);
}

static bool in_path(const char *name)
{
	const char *p = getenv("PATH"), *end;
	_cleanup_free_ char *file = NULL;

	for (; p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		free(file);
		if (asprintf(&file, "%.*s/%s", end > p ? (int)(end - p) : 1, end > p ? p : ".",
			     name) < 0) {
			file = NULL;
			return false;
		}
		if (access(file, X_OK) == 0)
			return true;
	}
	return false;
}

const char *editor_command(void)
{
	static const char *const fallback[] = {"editor", "nano", "vi"};
	const char *e = getenv("VISUAL");
	size_t i;

	if (!e || !*e)
		e = getenv("EDITOR");
	if (e && *e)
		return e;
	for (i = 0; i < ELEMENTSOF(fallback); i++)
		if (in_path(fallback[i]))
			return fallback[i];
	return NULL;
}

int editor_run(const char *cmd, const char *path)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	_cleanup_free_ char *script = NULL;
	int status, forwarded = 0, r = 0;
	sigset_t term, old_mask;
	pid_t pid;

	/* exec: the editor is the child, so that a signal passed on reaches it, not a shell. */
	if (asprintf(&script, "exec %s \"$@\"", cmd) < 0) {
		script = NULL;
		return -ENOMEM;
	}
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	/* Held until the child has the default actions back: one sent between fork and exec
	 * would otherwise run this program's handler in the child, and be lost. */
	sigemptyset(&term);
	sigaddset(&term, SIGHUP);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old_mask);
	pid = fork();
	if (pid == 0) {
		static const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT};
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		size_t i;

		sigemptyset(&dfl.sa_mask);
		for (i = 0; i < ELEMENTSOF(sigs); i++)
			sigaction(sigs[i], &dfl, NULL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		execl("/bin/sh", "sh", "-c", script, cmd, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		r = -errno;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	while (pid > 0) {
		if (received && !forwarded) {
			kill(pid, received);
			forwarded = received;
		}
		if (waitpid(pid, &status, 0) == pid)
			break;
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (r < 0) {
		fprintf(stderr, "vrouterctl: cannot run the editor: %s\n", strerror(-r));
		return r;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
