/* SPDX-License-Identifier: MIT */
/*
 * dnsmasq as the services backend runs it: one daemon for the router, its configuration
 * rendered by agent/render/render-dnsmasq.c (the main file, and the directories of
 * reservations and their names). It forks, and its first process exits only once the
 * daemon has bound its sockets, with the reason on stderr when it could not; then it runs as
 * user dnsmasq, and reads its directories as that user. Its leases are kept in the state
 * directory, so that a restart of it, of the agent or of the router keeps them; SIGHUP
 * re-reads the reservations and the names without a restart.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "daemon.h"

static int dnsmasq_start_argv(const char *conf, const char *pid_path, const char *state_dir,
			      char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_dnsmasq.program;
	argv[1] = svcd_arg(&buf, &size, "--conf-file=", conf, "");
	argv[2] = svcd_arg(&buf, &size, "--pid-file=", pid_path, "");
	argv[3] = svcd_arg(&buf, &size, "--dhcp-leasefile=", state_dir, "/dnsmasq.leases");
	/* Its own user, which dnsmasq-base creates (without it dnsmasq becomes nobody), as
	 * Debian's dnsmasq.service runs it. */
	argv[4] = (char *)"--user=dnsmasq";
	argv[5] = NULL;
	return argv[1] && argv[2] && argv[3] ? 0 : -ENAMETOOLONG;
}

static int dnsmasq_check_argv(const char *conf, char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_dnsmasq.program;
	argv[1] = (char *)"--test";
	argv[2] = svcd_arg(&buf, &size, "--conf-file=", conf, "");
	argv[3] = NULL;
	return argv[2] ? 0 : -ENAMETOOLONG;
}

static const char *const dnsmasq_dirs[] = {"dnsmasq/hosts", "dnsmasq/dns", "dnsmasq/records",
					   NULL};

const struct svcd_def svcd_dnsmasq = {
	.name = "dnsmasq",
	.dir = "dnsmasq",
	.main = "dnsmasq/vrouter.conf",
	.program = "/usr/sbin/dnsmasq",
	.dirs = dnsmasq_dirs,
	.reload_signal = SIGHUP,
	.start_argv = dnsmasq_start_argv,
	.check_argv = dnsmasq_check_argv,
};
