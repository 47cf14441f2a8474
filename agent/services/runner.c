/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runner.h"



int runner_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

int runner_pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

bool runner_pidfd_exited(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

int runner_pidfd_stop(int pidfd, int term_ms)
{
	int r = runner_pidfd_signal(pidfd, SIGTERM);

	if (r == -ESRCH || runner_pidfd_exited(pidfd, term_ms))
		return 0;
	r = runner_pidfd_signal(pidfd, SIGKILL);
	if (r == -ESRCH || runner_pidfd_exited(pidfd, 2000))
		return 0;
	return r < 0 ? r : -ETIMEDOUT;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn)) runner_exec(char *const argv[], const char *env_extra,
						 int in_fd, int out_fd)
{
	char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", (char *)env_extra, NULL};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int sig, null_fd;

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	null_fd = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	syscall(SYS_close_range, 3, ~0u, 0);
	execve(argv[0], argv, env);
	_exit(127);
}

/* Reads one chunk: 1 read, 0 nothing there now, -1 end of file or an error. */
static int runner_read(int fd, struct strbuf *buf, size_t max)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (buf->len < max)
		strbuf_append_n(buf, chunk, (size_t)n);
	return 1;
}

static int run(char *const argv[], const char *env_extra, int in_fd, int timeout_ms,
	       const char *out_path, size_t max, struct strbuf *out);

int runner_run(char *const argv[], int timeout_ms, const char *out_path, struct strbuf *out)
{
	return run(argv, NULL, -1, timeout_ms, out_path, RUNNER_OUTPUT_MAX, out);
}

int runner_run_ex(char *const argv[], const char *env_extra, int timeout_ms,
		  const char *out_path, size_t max, struct strbuf *out)
{
	return run(argv, env_extra, -1, timeout_ms, out_path, max, out);
}

int runner_run_input(char *const argv[], int in_fd, int timeout_ms, struct strbuf *out)
{
	return run(argv, NULL, in_fd, timeout_ms, NULL, RUNNER_OUTPUT_MAX, out);
}

static int run(char *const argv[], const char *env_extra, int in_fd, int timeout_ms,
	       const char *out_path, size_t max, struct strbuf *out)
{
	_cleanup_close_ int pidfd = -1;
	struct strbuf buf = {0};
	long deadline = now_ms() + timeout_ms;
	int fds[2], status = 0, r;
	bool open_out = !out_path;
	pid_t pid;

	if (out_path) {
		/* A file: a daemon keeps writing to it after its first process exited. */
		fds[0] = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		fds[1] = fds[0] < 0 ? -1 : dup(fds[0]);
		if (fds[1] < 0) {
			r = -errno;
			if (fds[0] >= 0)
				close(fds[0]);
			return r;
		}
	} else if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid == 0)
		runner_exec(argv, env_extra, in_fd, fds[1]);
	r = pid < 0 ? -errno : 0;
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		return r;
	}
	pidfd = runner_pidfd_open(pid);
	/* Until it exits: a daemon's child that keeps the pipe open does not hold this up. */
	while (pidfd >= 0 && !runner_pidfd_exited(pidfd, 0)) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = open_out ? fds[0] : -1, .events = POLLIN}};
		long left = deadline - now_ms();

		if (left <= 0) {
			runner_pidfd_signal(pidfd, SIGKILL);
			r = -ETIMEDOUT;
			break;
		}
		if (poll(p, 2, (int)left) > 0 && p[1].revents)
			open_out = runner_read(fds[0], &buf, max) >= 0;
	}
	/* What it wrote before it exited is in the pipe, or at the file's start. */
	if (out_path)
		lseek(fds[0], 0, SEEK_SET);
	while ((open_out || out_path) && runner_read(fds[0], &buf, max) > 0 && buf.len < max)
		;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (buf.len && buf.s[buf.len - 1] == '\n')
		strbuf_truncate(&buf, buf.len - 1);
	if (buf.len)
		strbuf_append(out, strbuf_str(&buf));
	strbuf_done(&buf);
	if (r < 0)
		return r;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int runner_spawn(char *const argv[], const char *env_extra, const char *out_path, pid_t *ret)
{
	int out_fd, fds[2], status = 0, r = 0;
	pid_t pid, daemon_pid = 0;
	ssize_t n;

	out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out_fd < 0)
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		close(out_fd);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		/* The middle process: its child is the daemon, which init then reaps. */
		pid_t child = fork();

		if (child == 0)
			runner_exec(argv, env_extra, -1, out_fd);
		if (child > 0 && write(fds[1], &child, sizeof(child)) == sizeof(child))
			_exit(0);
		_exit(127);
	}
	if (pid < 0)
		r = -errno;
	close(fds[1]);
	close(out_fd);
	if (r >= 0) {
		do
			n = read(fds[0], &daemon_pid, sizeof(daemon_pid));
		while (n < 0 && errno == EINTR);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		r = n == sizeof(daemon_pid) && daemon_pid > 0 ? 0 : -ECHILD;
	}
	close(fds[0]);
	if (r >= 0)
		*ret = daemon_pid;
	return r;
}
