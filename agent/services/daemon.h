/* SPDX-License-Identifier: MIT */
/*
 * One supervised daemon: started, signalled, stopped, found again after the agent restarted,
 * and started again when it dies.
 *
 * A daemon is started by its own program in daemon mode: the program forks, and its first
 * process exits 0 only once the daemon is set up (sockets bound, files read), or non-zero
 * with the reason on stderr. That exit is the start's health check, with a deadline. A
 * program that has no daemon mode (charon) is started detached by the agent (foreground),
 * and its health check is its ready hook, with the same deadline. The
 * daemon writes its pid file (in the state directory; the agent waits for it a little, and
 * writes it for a daemon that has none), and the agent holds a pidfd of it:
 * the daemon is not the agent's child and is in a session of its own, so a restart of the
 * agent (kill -9 included) neither stops nor restarts it. At start, the agent adopts a daemon
 * whose pid file names a live process whose command line carries this daemon's
 * configuration file (an argument that is its path, or ends in "=" and its path), and
 * compares the hash of the configuration it was started with
 * (written beside the pid file) with the file's.
 *
 * Supervision: a daemon that should run and has exited is started again at once, then after
 * 0.5, 1 and 2 s for the next deaths within a minute; after SVCD_RESTART_LIMIT restarts in a
 * minute it is left failed until the next apply.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/strbuf.h"

#define SVCD_RESTART_LIMIT 5
#define SVCD_START_TIMEOUT_MS 5000
#define SVCD_STOP_TIMEOUT_MS 2000
/* How long a started daemon may take to write its pid file after its first process exited. */
#define SVCD_PID_WAIT_MS 1000

enum svcd_state { SVCD_STOPPED, SVCD_RUNNING, SVCD_FAILED, _SVCD_STATE_MAX };

struct svcd;

/* What a daemon is, for the services backend (one per daemon, svc-<name>.c). */
struct svcd_def {
	const char *name;    /* "dnsmasq" */
	const char *dir;     /* its files under the configuration directory: "dnsmasq" */
	const char *main;    /* its main file: "dnsmasq/vrouter.conf" */
	const char *program; /* absolute path */
	/* made (0755) before it starts: the directories it reads (under the configuration
	 * directory, or absolute) */
	const char *const *dirs;
	/* absolute paths removed before it starts: what a killed one leaves and a new one
	 * refuses to start over (conntrackd's lock file). NULL: none. */
	const char *const *stale;
	int reload_signal; /* re-reads its files (but the main one) in place */
	/* Re-reads its files (but the main one) in place, instead of reload_signal (NULL: the
	 * signal). 0 or a negative errno with the reason in err. */
	int (*reload)(struct svcd *d, struct strbuf *err);
	/* It stays in the foreground: the agent starts it detached (runner_spawn) and writes its
	 * pid file; ready is its health check. */
	bool foreground;
	/* For a foreground daemon: 0 once it serves (within SVCD_START_TIMEOUT_MS), or a
	 * negative errno with the reason in err. */
	int (*ready)(struct svcd *d, struct strbuf *err);
	/* An environment variable set to its main file's path for it and its tools
	 * ("STRONGSWAN_CONF"), or NULL. */
	const char *conf_env;
	bool reload_main;  /* the reload signal re-reads the main file too (no restart) */
	/* It writes no pid file: the agent finds it by its command line once its first process
	 * exited, and writes the pid file itself. */
	bool no_pid_file;
	/* argv (NULL-terminated, at most 15 entries) to start it as a daemon with the main file
	 * conf, writing pid_path, keeping its state (leases) under state_dir; and to check the
	 * configuration file conf. Strings are written into buf (size). */
	int (*start_argv)(const char *conf, const char *pid_path, const char *state_dir,
			  char *argv[16], char *buf, size_t size);
	int (*check_argv)(const char *conf, char *argv[16], char *buf, size_t size);
	/* Called before each start, or NULL: what must exist when it starts (keepalived's FIFO).
	 * 0 or a negative errno with the reason in err. */
	int (*prepare)(struct strbuf *err);
};

struct svcd {
	const struct svcd_def *def;
	char *confdir, *state_dir;
	char *conf_path, *pid_path, *hash_path;
	char *out_path; /* its stdout and stderr (state directory) */
	enum svcd_state state;
	pid_t pid;
	int pidfd;	    /* -1: none */
	uint32_t conf_hash; /* of the main file it was started with */
	unsigned restarts;  /* by supervision, since the agent started */
	char since[64];	    /* ISO 8601 time of the last change of state */
	char *last_error;   /* NULL: none */
	bool want;	    /* it should run (supervision restarts it) */
	uint64_t next_start_ms; /* supervision's next attempt (0: none) */
	uint64_t window_ms;	/* start of the minute the restarts are counted in */
	unsigned window_restarts;
};

/* For start_argv and check_argv: writes "OPTIONVALUESUFFIX" into *buf (left bytes) as the
 * next argument and moves past it. NULL when it does not fit. */
char *svcd_arg(char **buf, size_t *left, const char *option, const char *value,
	       const char *suffix);

int svcd_init(struct svcd *d, const struct svcd_def *def, const char *confdir,
	      const char *state_dir);
void svcd_done(struct svcd *d);
/* Finds a running daemon from its pid file (see above), and the hash of the configuration it
 * was started with (its conf-hash file: a state file, state/statefile.h; damaged, it is set
 * aside and the hash is unknown, so that the next apply starts the daemon again or reloads
 * it), with a line for the daemon's log in warnings or notices for what it found. 1 adopted,
 * 0 none. */
int svcd_adopt(struct svcd *d, struct strbuf *warnings, struct strbuf *notices);
/* Makes the directories it reads (def->dirs; its checker may look for them too). */
int svcd_make_dirs(const struct svcd *d, struct strbuf *err);
/* Starts it with the main file as it is on disk; health-checked (see above). 0, or a negative
 * errno with the daemon's own reason in err (and as last_error). */
int svcd_start(struct svcd *d, struct strbuf *err);
/* SIGTERM, SIGKILL after SVCD_STOP_TIMEOUT_MS; the pid file removed. */
int svcd_stop(struct svcd *d, struct strbuf *err);
/* Signals the running daemon; then checks that it is still alive. */
int svcd_signal(struct svcd *d, int sig, struct strbuf *err);
/* Its reload hook, or its reload signal. */
int svcd_reload(struct svcd *d, struct strbuf *err);
/* "conf_env=path of the main file" into buf, or NULL (no conf_env, or it does not fit). */
const char *svcd_env(const struct svcd *d, char *buf, size_t size);
/* Records that the running daemon has re-read its main file (reload_main): its hash now. */
void svcd_reloaded(struct svcd *d);
bool svcd_running(struct svcd *d);
/* The hash of the main file on disk (0: absent). */
uint32_t svcd_file_hash(const struct svcd *d, bool *exists);
/* Supervision at time now_ms (CLOCK_MONOTONIC): notices a death, starts again when due.
 * Appends one line per event to log. Returns the ms until it wants to be called again
 * (UINT64_MAX: nothing pending). */
uint64_t svcd_supervise(struct svcd *d, uint64_t now_ms, struct strbuf *log);
uint64_t svcd_now_ms(void);
/* The wall-clock time now as ISO 8601, UTC, with milliseconds ("...T10:00:00.123Z"). */
void svcd_now_iso(char buf[64]);
const char *svcd_state_to_string(enum svcd_state s);

extern const struct svcd_def svcd_dnsmasq;
extern const struct svcd_def svcd_conntrackd;
extern const struct svcd_def svcd_keepalived;
extern const struct svcd_def svcd_charon;
