/* SPDX-License-Identifier: MIT */
/*
 * keepalived as the services backend runs it: its VRRP process only, with the configuration
 * rendered by agent/render/render-keepalived.c. SIGHUP re-reads the whole configuration in
 * place, the main file included: a changed group neither restarts it nor moves mastership
 * (a restart would, for the time it takes). Its transitions come through the FIFO that the
 * agent makes before it starts and reads (vrrp.c).
 */
#include <errno.h>
#include <signal.h>

#include "daemon.h"
#include "render/render.h"
#include "vrrp.h"

static int keepalived_start_argv(const char *conf, const char *pid_path, const char *state_dir,
				 char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_keepalived.program;
	argv[1] = (char *)"--vrrp";
	argv[2] = svcd_arg(&buf, &size, "--use-file=", conf, "");
	argv[3] = svcd_arg(&buf, &size, "--pid=", pid_path, "");
	argv[4] = svcd_arg(&buf, &size, "--vrrp_pid=", state_dir, "/keepalived-vrrp.pid");
	argv[5] = NULL;
	return argv[2] && argv[3] && argv[4] ? 0 : -ENAMETOOLONG;
}

static int keepalived_check_argv(const char *conf, char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_keepalived.program;
	argv[1] = (char *)"--config-test";
	argv[2] = svcd_arg(&buf, &size, "--use-file=", conf, "");
	argv[3] = NULL;
	return argv[2] ? 0 : -ENAMETOOLONG;
}

static const char *const keepalived_dirs[] = {RENDER_RUN_DIR, NULL};

const struct svcd_def svcd_keepalived = {
	.name = "keepalived",
	.dir = "keepalived",
	.main = "keepalived/keepalived.conf",
	.program = "/usr/sbin/keepalived",
	.dirs = keepalived_dirs,
	.reload_signal = SIGHUP,
	.reload_main = true,
	.start_argv = keepalived_start_argv,
	.check_argv = keepalived_check_argv,
	.prepare = vrrp_prepare,
};
