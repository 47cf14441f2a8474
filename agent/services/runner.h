/* SPDX-License-Identifier: MIT */
/*
 * Programs run by the services backend: execve of an argument vector (never a shell), with
 * nothing of the agent inherited: no file descriptor but stdin (/dev/null, or the caller's
 * input) and stdout/stderr (a pipe the runner reads, or a file for a daemon: a pipe closed
 * once its first process exited would kill the daemon with SIGPIPE at its next message),
 * an empty signal mask and default dispositions, a fixed PATH, and a session of its own
 * (setsid), so that neither the agent's exit nor a signal to its process group reaches a
 * daemon started from it.
 *
 * The pidfd helpers work for processes that are not the agent's children (a daemon that
 * double-forked, or one a previous agent started): a pidfd names one process for good, so a
 * reused pid is never signalled by mistake.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/strbuf.h"

/* What runner_run keeps of a program's output. */
#define RUNNER_OUTPUT_MAX 4096

/* Runs argv[0] (an absolute path) with argv, waits at most timeout_ms for it to exit and
 * appends what it wrote (stdout and stderr, at most 4 KiB, trailing newlines dropped) to out.
 * out_path: stdout and stderr go to that file (emptied first) rather than a pipe. Returns its
 * exit status (0-255; 128+N when killed by signal N), -ETIMEDOUT (it was killed at the
 * deadline) or another negative errno (it could not be started). */
int runner_run(char *const argv[], int timeout_ms, const char *out_path, struct strbuf *out);
/* The same with one more environment variable (env_extra, "NAME=value"; NULL: none), keeping
 * up to max bytes of its output (more for a listing than for a message). */
int runner_run_ex(char *const argv[], const char *env_extra, int timeout_ms,
		  const char *out_path, size_t max, struct strbuf *out);

/* runner_run with stdin read from in_fd (a file the caller wrote and rewound: a memfd keeps
 * secrets off the disk and out of the arguments), output in a pipe. */
int runner_run_input(char *const argv[], int in_fd, int timeout_ms, struct strbuf *out);

/* Starts argv[0] as a daemon that stays in the foreground: in a session of its own, not the
 * caller's child (a middle process forks it and exits, so that init reaps it), with stdout and
 * stderr in out_path (emptied first) and env_extra as for runner_run_ex. Returns 0 and its
 * pid in *ret at once (whether it starts well is the caller's check), or a negative errno. */
int runner_spawn(char *const argv[], const char *env_extra, const char *out_path, pid_t *ret);

/* pidfd_open(2) of pid: a new descriptor (close-on-exec) or a negative errno. */
int runner_pidfd_open(pid_t pid);
/* pidfd_send_signal(2). 0 or a negative errno (-ESRCH: it has exited). */
int runner_pidfd_signal(int pidfd, int sig);
/* Whether the process of pidfd has exited, waiting at most timeout_ms (0: just look). */
bool runner_pidfd_exited(int pidfd, int timeout_ms);
/* SIGTERM, then SIGKILL if it has not exited after term_ms. 0 once it has exited, or a
 * negative errno. */
int runner_pidfd_stop(int pidfd, int term_ms);
