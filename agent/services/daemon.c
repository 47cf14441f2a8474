/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/cleanup.h"
#include "plan/object.h"
#include "runner.h"
#include "state/statefile.h"

/* The next restart's delay after the n-th death within a minute (n from 1). */
static const unsigned restart_delay_ms[] = {0, 500, 1000, 2000, 2000};

const char *svcd_state_to_string(enum svcd_state s)
{
	static const char *const names[] = {
		[SVCD_STOPPED] = "stopped",
		[SVCD_RUNNING] = "running",
		[SVCD_FAILED] = "failed",
	};

	return (size_t)s < ELEMENTSOF(names) ? names[s] : NULL;
}

uint64_t svcd_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void svcd_now_iso(char buf[64])
{
	struct timespec t;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t.tv_nsec / 1000000);
}

static void set_state(struct svcd *d, enum svcd_state s)
{
	d->state = s;
	svcd_now_iso(d->since);
}

static void set_error(struct svcd *d, const char *msg)
{
	free(d->last_error);
	d->last_error = msg ? strdup(msg) : NULL;
}

static char *path2(const char *a, const char *b, const char *c)
{
	char *s;

	return asprintf(&s, "%s/%s%s", a, b, c) < 0 ? NULL : s;
}

char *svcd_arg(char **buf, size_t *left, const char *option, const char *value,
	       const char *suffix)
{
	int n = snprintf(*buf, *left, "%s%s%s", option, value, suffix);
	char *r = *buf;

	if (n < 0 || (size_t)n >= *left)
		return NULL;
	*buf += n + 1;
	*left -= (size_t)n + 1;
	return r;
}

int svcd_init(struct svcd *d, const struct svcd_def *def, const char *confdir,
	      const char *state_dir)
{
	*d = (struct svcd){.def = def, .pidfd = -1};
	d->confdir = strdup(confdir);
	d->state_dir = path2(state_dir, "services", "");
	d->conf_path = path2(confdir, def->main, "");
	d->pid_path = d->state_dir ? path2(d->state_dir, def->name, ".pid") : NULL;
	d->hash_path = d->state_dir ? path2(d->state_dir, def->name, ".conf-hash") : NULL;
	d->out_path = d->state_dir ? path2(d->state_dir, def->name, ".out") : NULL;
	set_state(d, SVCD_STOPPED);
	if (!d->confdir || !d->state_dir || !d->conf_path || !d->pid_path || !d->hash_path ||
	    !d->out_path) {
		svcd_done(d);
		return -ENOMEM;
	}
	return 0;
}

void svcd_done(struct svcd *d)
{
	if (d->pidfd >= 0)
		close(d->pidfd);
	free(d->confdir);
	free(d->state_dir);
	free(d->conf_path);
	free(d->pid_path);
	free(d->hash_path);
	free(d->out_path);
	free(d->last_error);
	*d = (struct svcd){.pidfd = -1};
}

/* Reads a small file whole (NUL-terminated; NUL bytes inside kept). */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static int read_number(const char *path, unsigned long *ret, int base)
{
	char buf[32], *end;
	unsigned long v;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	errno = 0;
	v = strtoul(buf, &end, base);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Replaces the pid file path with s. A pid file is the daemons' own format (dnsmasq and
 * keepalived write theirs), without a checksum line: what it names is trusted only once the
 * process's command line names the daemon's configuration (is_ours()). */
static void write_small(const char *path, const char *s)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		unlink(path);
	close(fd);
}

uint32_t svcd_file_hash(const struct svcd *d, bool *exists)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = open(d->conf_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	*exists = false;
	if (fd < 0 || fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)))
		return 0;
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return 0;
	*exists = true;
	return object_content_hash(buf, (size_t)n);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Whether one of the NUL-separated arguments in buf[0..n) is path, or ends in "=" and path. */
static bool args_name(const char *buf, ssize_t n, const char *path)
{
	size_t len = strlen(path), a;
	ssize_t i;

	for (i = 0; i < n; i += (ssize_t)a + 1) {
		a = strlen(buf + i);
		if (!strcmp(buf + i, path) ||
		    (a > len && buf[i + a - len - 1] == '=' && !strcmp(buf + i + a - len, path)))
			return true;
	}
	return false;
}

/* Whether pid's command line names this daemon's configuration file (pid files outlive their
 * processes, and pids are reused). */
static bool is_ours(const struct svcd *d, pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	return n > 0 && args_name(buf, n, d->conf_path);
}

/* The pid of the live process running this daemon's program with its configuration file (the
 * oldest when there are several), for a daemon without a pid file; 0: none. */
static pid_t find_by_cmdline(const struct svcd *d)
{
	_cleanup_(closedirp) DIR *proc = opendir("/proc");
	const char *base = strrchr(d->def->program, '/');
	struct dirent *e;
	pid_t best = 0;

	base = base ? base + 1 : d->def->program;
	while (proc && (e = readdir(proc))) {
		char path[300], buf[4096], *end;
		long pid = strtol(e->d_name, &end, 10);
		const char *arg0;
		ssize_t n;

		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		n = read_small(path, buf, sizeof(buf));
		if (n <= 0)
			continue;
		arg0 = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
		if (strcmp(arg0, base) || !args_name(buf, n, d->conf_path))
			continue;
		/* Called once the first process has exited: what is left is the daemon and any
		 * children it made after it. */
		if (!best || pid < best)
			best = (pid_t)pid;
	}
	return best;
}

/* Takes pid as the running daemon: a pidfd, then its identity checked (after the pidfd is
 * open, the pid cannot be reused under it). */
static int take_pid(struct svcd *d, pid_t pid)
{
	int fd = runner_pidfd_open(pid);

	if (fd < 0)
		return fd;
	if (!is_ours(d, pid) || runner_pidfd_exited(fd, 0)) {
		close(fd);
		return -ESRCH;
	}
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = fd;
	d->pid = pid;
	set_state(d, SVCD_RUNNING);
	return 0;
}

/* A process being killed has closed nothing yet and already lost its command line: wait
 * for it to be gone, so that a daemon started in its place finds its ports free. */
static void wait_exiting(pid_t pid)
{
	char path[64], buf[16];
	int fd = runner_pidfd_open(pid);

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (fd >= 0 && read_small(path, buf, sizeof(buf)) == 0)
		runner_pidfd_exited(fd, SVCD_STOP_TIMEOUT_MS);
	if (fd >= 0)
		close(fd);
}

/* The conf-hash file's text for the hash of the daemon's configuration. */
static void write_hash(const struct svcd *d)
{
	struct strbuf ignored = {0};
	char hash[16];
	int n = snprintf(hash, sizeof(hash), "%08x\n", d->conf_hash);

	/* Not written: the next agent that adopts the daemon starts it again. */
	statefile_save(d->hash_path, hash, (size_t)n, STATEFILE_SYNC, &ignored);
	strbuf_done(&ignored);
}

/* The hash the last agent wrote in the conf-hash file; 0 (unknown) when there is none or it is
 * damaged (set aside). An older agent's file (no checksum line) is written again with one. */
static uint32_t read_hash(const struct svcd *d, bool *older, struct strbuf *warnings,
			  struct strbuf *notices)
{
	_cleanup_free_ char *aside = NULL;
	struct strbuf err = {0};
	struct statefile f;
	unsigned long v = 0;
	char *end = NULL;

	*older = false;
	if (statefile_load(d->hash_path, 4096, &f, &err) < 0) {
		strbuf_done(&err);
		return 0;
	}
	if (f.problem == SEAL_OK || f.problem == SEAL_UNSEALED) {
		errno = 0;
		v = strtoul(f.body, &end, 16);
		if (errno || end == f.body || (*end && strcmp(end, "\n")) || v > UINT32_MAX) {
			f.problem = f.problem == SEAL_OK ? SEAL_INVALID : SEAL_HEADER;
			free(f.detail);
			f.detail = strdup("not a hash");
		}
	}
	*older = f.problem == SEAL_UNSEALED;
	if (*older)
		strbuf_printf(notices, "%s has no checksum line (written by an older vrouterd): "
				       "read, and written again with one\n",
			      d->hash_path);
	if (f.problem != SEAL_OK && f.problem != SEAL_UNSEALED) {
		strbuf_printf(warnings, "the hash of %s's configuration %s: %s%s%s; ", d->def->name,
			      d->hash_path, seal_problem_describe(f.problem), f.detail ? ": " : "",
			      f.detail ? f.detail : "");
		if (statefile_set_aside(d->hash_path, f.problem, &aside, &err) >= 0)
			strbuf_printf(warnings, "set aside as %s", aside);
		else
			strbuf_printf(warnings, "it cannot be set aside (%s)", strbuf_str(&err));
		strbuf_printf(warnings, "; the configuration it runs with is unknown: the next "
					"apply starts it again (or reloads it)\n");
		v = 0;
	}
	statefile_done(&f);
	strbuf_done(&err);
	return (uint32_t)v;
}

int svcd_adopt(struct svcd *d, struct strbuf *warnings, struct strbuf *notices)
{
	unsigned long pid;
	bool older;

	/* A daemon without a pid file of its own whose pid file the agent lost is still found. */
	if (read_number(d->pid_path, &pid, 10) < 0)
		pid = d->def->no_pid_file ? (unsigned long)find_by_cmdline(d) : 0;
	if (pid == 0 || pid > INT32_MAX)
		return 0;
	if (take_pid(d, (pid_t)pid) < 0) {
		wait_exiting((pid_t)pid);
		return 0;
	}
	d->conf_hash = read_hash(d, &older, warnings, notices);
	if (older)
		write_hash(d);
	d->want = true;
	return 1;
}

bool svcd_running(struct svcd *d)
{
	return d->state == SVCD_RUNNING && d->pidfd >= 0 && !runner_pidfd_exited(d->pidfd, 0);
}

static void forget_pid(struct svcd *d)
{
	if (d->pidfd >= 0)
		close(d->pidfd);
	d->pidfd = -1;
	d->pid = 0;
}

/* mkdir of path and of its missing parents, 0755 whatever the umask (the unit's is 0077): the
 * daemon reads its directories after it dropped root (dnsmasq, as user dnsmasq). */
static int make_dir(const char *path, struct strbuf *err)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) == 0 ? chmod(p, 0755) < 0 : errno != EEXIST) {
			strbuf_printf(err, "cannot make %s: %s", p, strerror(errno));
			return -errno;
		}
		if (!s)
			return 0;
		*s = '/';
	}
}

/* The daemon's pid once its first process exited 0: from its pid file, which a daemon may
 * write a little after (keepalived), or found by its command line (no_pid_file) and then
 * written for it. */
static int wait_pid(struct svcd *d, unsigned long *pid)
{
	char line[32];
	int i, r = -ENOENT;

	for (i = 0; i < SVCD_PID_WAIT_MS / 5 && r < 0; i++) {
		if (i)
			usleep(5000);
		if (!d->def->no_pid_file) {
			r = read_number(d->pid_path, pid, 10);
			continue;
		}
		*pid = (unsigned long)find_by_cmdline(d);
		if (*pid) {
			snprintf(line, sizeof(line), "%lu\n", *pid);
			write_small(d->pid_path, line);
			r = 0;
		}
	}
	return r;
}

int svcd_make_dirs(const struct svcd *d, struct strbuf *err)
{
	size_t i;
	int r = 0;

	for (i = 0; r >= 0 && d->def->dirs && d->def->dirs[i]; i++) {
		const char *rel = d->def->dirs[i];
		_cleanup_free_ char *dir = rel[0] == '/' ? strdup(rel) : path2(d->confdir, rel, "");

		r = dir ? make_dir(dir, err) : -ENOMEM;
	}
	return r;
}

const char *svcd_env(const struct svcd *d, char *buf, size_t size)
{
	int n;

	if (!d->def->conf_env)
		return NULL;
	n = snprintf(buf, size, "%s=%s", d->def->conf_env, d->conf_path);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* The tail of what the daemon wrote (its reason for exiting), appended to out. */
static void append_output(const struct svcd *d, struct strbuf *out)
{
	char buf[1024];
	_cleanup_close_ int fd = open(d->out_path, O_RDONLY | O_CLOEXEC);
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	ssize_t n;
	char *s;

	if (end < 0 || lseek(fd, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0,
			     SEEK_SET) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* Its last line says why. */
	s = strrchr(buf, '\n');
	strbuf_printf(out, "%s%s", out->len ? "; " : "", s ? s + 1 : buf);
}

/* A foreground daemon: spawned, its pid file written, then its ready hook. */
static int start_foreground(struct svcd *d, char *argv[16], struct strbuf *out)
{
	char env[4200], line[32];
	pid_t pid;
	int i, r;

	r = runner_spawn(argv, svcd_env(d, env, sizeof(env)), d->out_path, &pid);
	if (r < 0) {
		strbuf_printf(out, "cannot run %s: %s", d->def->program, strerror(-r));
		return r;
	}
	snprintf(line, sizeof(line), "%d\n", (int)pid);
	write_small(d->pid_path, line);
	/* Until it has exec'd, its command line is the agent's. */
	for (i = 0; (r = take_pid(d, pid)) < 0 && i < SVCD_PID_WAIT_MS / 5 && kill(pid, 0) == 0;
	     i++)
		usleep(5000);
	if (r >= 0)
		r = d->def->ready(d, out);
	else
		strbuf_printf(out, "exited at once");
	if (r < 0) {
		append_output(d, out);
		if (d->pidfd >= 0)
			runner_pidfd_stop(d->pidfd, SVCD_STOP_TIMEOUT_MS);
		else
			kill(pid, SIGKILL);
		unlink(d->pid_path);
	}
	return r;
}

int svcd_start(struct svcd *d, struct strbuf *err)
{
	char *argv[16], buf[4096], env[4200];
	struct strbuf out = {0};
	unsigned long pid = 0;
	bool exists;
	size_t i;
	int r;

	d->conf_hash = svcd_file_hash(d, &exists);
	r = make_dir(d->state_dir, &out);
	if (r >= 0)
		r = svcd_make_dirs(d, &out);
	for (i = 0; r >= 0 && d->def->stale && d->def->stale[i]; i++)
		if (unlink(d->def->stale[i]) < 0 && errno != ENOENT)
			r = -errno;
	if (r >= 0 && d->def->prepare)
		r = d->def->prepare(&out);
	if (r < 0)
		goto fail;
	unlink(d->pid_path);
	r = d->def->start_argv(d->conf_path, d->pid_path, d->state_dir, argv, buf, sizeof(buf));
	if (r >= 0 && d->def->foreground) {
		r = start_foreground(d, argv, &out);
		if (r < 0)
			goto fail;
		goto started;
	}
	if (r >= 0)
		r = runner_run_ex(argv, svcd_env(d, env, sizeof(env)), SVCD_START_TIMEOUT_MS,
				  d->out_path, RUNNER_OUTPUT_MAX, &out);
	if (r == -ETIMEDOUT)
		strbuf_printf(&out, "%sdid not start within %d ms", out.len ? "; " : "",
			      SVCD_START_TIMEOUT_MS);
	else if (r < 0 && !out.len)
		strbuf_printf(&out, "cannot run %s: %s", d->def->program, strerror(-r));
	else if (r > 0 && !out.len)
		strbuf_printf(&out, "exited with status %d", r);
	if (r != 0) {
		r = r > 0 ? -EIO : r;
		goto fail;
	}
	/* It exited 0: the daemon is up and its pid file written, or about to be. */
	r = wait_pid(d, &pid);
	if (r >= 0)
		r = pid && pid <= INT32_MAX ? take_pid(d, (pid_t)pid) : -EINVAL;
	if (r < 0) {
		strbuf_printf(&out, "started, but no live process in its pid file %s (%s)",
			      d->pid_path, strerror(-r));
		/* Not left running untracked (a kernel without pidfds). */
		if (pid && pid <= INT32_MAX && is_ours(d, (pid_t)pid))
			kill((pid_t)pid, SIGKILL);
		goto fail;
	}
started:
	/* For the agent that adopts it after a restart: what it runs with. */
	write_hash(d);
	set_error(d, NULL);
	strbuf_done(&out);
	return 0;
fail:
	forget_pid(d);
	set_error(d, out.len ? strbuf_str(&out) : "failed");
	set_state(d, SVCD_FAILED);
	strbuf_printf(err, "%s: %s", d->def->name, d->last_error ? d->last_error : "failed");
	strbuf_done(&out);
	return r < 0 ? r : -EIO;
}

int svcd_stop(struct svcd *d, struct strbuf *err)
{
	int r = 0;

	if (d->pidfd >= 0)
		r = runner_pidfd_stop(d->pidfd, SVCD_STOP_TIMEOUT_MS);
	if (r < 0) {
		strbuf_printf(err, "%s: cannot stop pid %d: %s", d->def->name, (int)d->pid,
			      strerror(-r));
		return r;
	}
	forget_pid(d);
	unlink(d->pid_path);
	unlink(d->hash_path);
	set_error(d, NULL);
	set_state(d, SVCD_STOPPED);
	return 0;
}

int svcd_signal(struct svcd *d, int sig, struct strbuf *err)
{
	int r = d->pidfd >= 0 ? runner_pidfd_signal(d->pidfd, sig) : -ESRCH;

	if (r >= 0 && !svcd_running(d))
		r = -ESRCH;
	if (r < 0)
		strbuf_printf(err, "%s: cannot signal pid %d: %s", d->def->name, (int)d->pid,
			      strerror(-r));
	return r;
}

int svcd_reload(struct svcd *d, struct strbuf *err)
{
	if (!d->def->reload)
		return svcd_signal(d, d->def->reload_signal, err);
	if (!svcd_running(d)) {
		strbuf_printf(err, "%s: not running", d->def->name);
		return -ESRCH;
	}
	return d->def->reload(d, err);
}

void svcd_reloaded(struct svcd *d)
{
	bool exists;

	d->conf_hash = svcd_file_hash(d, &exists);
	write_hash(d);
}

uint64_t svcd_supervise(struct svcd *d, uint64_t now_ms, struct strbuf *log)
{
	struct strbuf err = {0};
	unsigned delay;

	if (d->state == SVCD_RUNNING && d->pidfd >= 0 && runner_pidfd_exited(d->pidfd, 0)) {
		strbuf_printf(log, "%s (pid %d) exited\n", d->def->name, (int)d->pid);
		forget_pid(d);
		unlink(d->pid_path);
		set_error(d, "exited");
		set_state(d, SVCD_FAILED);
		if (!d->want)
			return UINT64_MAX;
		if (now_ms - d->window_ms > 60000) {
			d->window_ms = now_ms;
			d->window_restarts = 0;
		}
		if (d->window_restarts >= SVCD_RESTART_LIMIT) {
			strbuf_printf(log, "%s: %u restarts within a minute: not started again until "
					   "the next apply\n", d->def->name, d->window_restarts);
			set_error(d, "exited too often: left stopped until the next apply");
			d->next_start_ms = 0;
			return UINT64_MAX;
		}
		delay = restart_delay_ms[d->window_restarts];
		d->window_restarts++;
		d->next_start_ms = now_ms + delay;
	}
	if (!d->next_start_ms || !d->want)
		return UINT64_MAX;
	if (now_ms < d->next_start_ms)
		return d->next_start_ms - now_ms;
	d->next_start_ms = 0;
	if (svcd_start(d, &err) >= 0) {
		d->restarts++;
		strbuf_printf(log, "%s started again (pid %d)\n", d->def->name, (int)d->pid);
	} else {
		strbuf_printf(log, "%s could not be started again: %s\n", d->def->name,
			      strbuf_str(&err));
		if (d->window_restarts < SVCD_RESTART_LIMIT) {
			d->next_start_ms = now_ms + restart_delay_ms[d->window_restarts];
			d->window_restarts++;
		}
	}
	strbuf_done(&err);
	return d->next_start_ms ? d->next_start_ms - now_ms : UINT64_MAX;
}
