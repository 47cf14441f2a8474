/* SPDX-License-Identifier: MIT */
/*
 * conntrackd as the services backend runs it: FTFW replication of the connection tracking
 * table to the VRRP peer, with the configuration rendered by agent/render/render-conntrackd.c,
 * read at start only (a changed file restarts it; the kernel's table, which holds the
 * replicated entries, is not touched by that). It has no pid file and no checker: its first
 * process exits 0 once it is set up (sockets bound), and the agent finds the daemon by its
 * command line. A killed one leaves its lock file, which would stop the next one.
 */
#include <errno.h>
#include <signal.h>

#include "daemon.h"
#include "render/render.h"

static int conntrackd_start_argv(const char *conf, const char *pid_path, const char *state_dir,
				 char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_conntrackd.program;
	argv[1] = (char *)"-d";
	argv[2] = (char *)"-C";
	argv[3] = svcd_arg(&buf, &size, "", conf, "");
	argv[4] = NULL;
	return argv[3] ? 0 : -ENAMETOOLONG;
}

static const char *const conntrackd_dirs[] = {RENDER_RUN_DIR, NULL};
static const char *const conntrackd_stale[] = {RENDER_CONNTRACKD_LOCK, RENDER_CONNTRACKD_CTL,
					       NULL};

const struct svcd_def svcd_conntrackd = {
	.name = "conntrackd",
	.dir = "conntrackd",
	.main = "conntrackd/conntrackd.conf",
	.program = "/usr/sbin/conntrackd",
	.dirs = conntrackd_dirs,
	.stale = conntrackd_stale,
	.reload_signal = 0,
	.no_pid_file = true,
	.start_argv = conntrackd_start_argv,
};
