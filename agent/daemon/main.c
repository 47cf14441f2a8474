/* SPDX-License-Identifier: MIT */
/*
 * vrouterd: the vrouter agent. Applies intents received on its UNIX socket and its serial
 * port, persists the applied one and re-applies it at start.
 *
 * systemd: Type=notify. READY=1 once the socket listens and the persisted intent (or a newer
 * boot payload) is applied, or waits for its links (linkwait.h); STATUS= after each apply;
 * WATCHDOG=1 at half the WatchdogSec interval; STOPPING=1 on SIGTERM. Through libsystemd's
 * sd_notify: it is in the image anyway (systemd's own library), and it gets the details right
 * (abstract sockets, credentials, $WATCHDOG_PID) that a hand-made datagram sender would have
 * to repeat.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent.h"
#include "drift.h"
#include "linkwait.h"
#include "log.h"
#include "serial.h"
#include "server.h"

#ifndef VROUTER_VERSION
#define VROUTER_VERSION "unknown"
#endif

#define SOCKET_DEFAULT "/run/vrouter/agent.sock"
#define SERIAL_DEFAULT "/dev/virtio-ports/org.vrouter.agent.0"
#define STATE_DIR_DEFAULT "/var/lib/vrouter"
#define CONFDIR_DEFAULT "/etc/vrouter"
#define PAYLOAD_DEFAULT "/run/vrouter/payload-intent.json"
#define LINK_WAIT_DEFAULT 60
#define LINK_WAIT_MAX 86400

struct args {
	struct agent_config agent;
	const char *socket;
	const char *serial; /* NULL: the virtio port; "none": no serial port */
	const char *payload;
	unsigned link_wait; /* seconds; 0: no wait for late links */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vrouterd [OPTIONS]\n\n"
		"  --backend kernel|record:PATH  where intents are applied (default: kernel);\n"
		"                                record:PATH keeps the router as a JSON state file\n"
		"  --socket PATH      the agent's socket (default: " SOCKET_DEFAULT ")\n"
		"  --serial PATH|none the serial port to answer on as well (default:\n"
		"                     " SERIAL_DEFAULT ")\n"
		"  --state-dir DIR    where the applied intent is kept (default: " STATE_DIR_DEFAULT
		")\n"
		"  --confdir DIR      service configurations (default: " CONFDIR_DEFAULT ")\n"
		"  --payload PATH     the boot payload intent (default: " PAYLOAD_DEFAULT ")\n"
		"  --link-wait SECONDS  when the intent applied at start names links the router\n"
		"                     lacks, apply it once they appear, for up to SECONDS after\n"
		"                     the start (default: %u; 0: no wait; kernel backend only)\n"
		"  --drift repair|report  drift of the kernel objects from the intent in effect\n"
		"                     (changed behind the agent's back) repaired within a second,\n"
		"                     or only reported in status and the log (default: repair)\n"
		"  --image-version VERSION  the version of the image the agent runs in, for status\n"
		"                     (the unit passes /usr/lib/vrouter/release's; empty: none)\n"
		"  --version\n",
		LINK_WAIT_DEFAULT);
}

/* optarg as a whole decimal number from 0 to max, or an error naming the option. */
static int parse_uint(const char *option, const char *unit, unsigned max, unsigned *ret)
{
	unsigned long ul;
	char *end;

	errno = 0;
	ul = strtoul(optarg, &end, 10);
	if (errno || end == optarg || *end || optarg[0] == '-' || ul > max) {
		fprintf(stderr, "vrouterd: %s %s: not a number of %s from 0 to %u\n", option, optarg,
			unit, max);
		return -EINVAL;
	}
	*ret = (unsigned)ul;
	return 0;
}

/* --image-version: printable ASCII without '"' or '\\', at most 64 characters (a version,
 * shown in status as it is). */
static int image_version_check(const char *v)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n && n <= 64; i++)
		if (v[i] < 0x21 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\')
			break;
	if (i < n || n > 64) {
		fprintf(stderr, "vrouterd: --image-version: at most 64 printable characters, no "
				"space, quote or backslash\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{"backend", required_argument, NULL, 'b'},
		{"socket", required_argument, NULL, 's'},
		{"serial", required_argument, NULL, 'S'},
		{"state-dir", required_argument, NULL, 'd'},
		{"confdir", required_argument, NULL, 'c'},
		{"payload", required_argument, NULL, 'p'},
		{"link-wait", required_argument, NULL, 'w'},
		{"drift", required_argument, NULL, 'D'},
		{"image-version", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int c;

	*a = (struct args){
		.agent = {.backend = "kernel",
			  .state_dir = STATE_DIR_DEFAULT,
			  .confdir = CONFDIR_DEFAULT},
		.socket = SOCKET_DEFAULT,
		.payload = PAYLOAD_DEFAULT,
		.link_wait = LINK_WAIT_DEFAULT,
	};
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->agent.backend = optarg;
			break;
		case 's':
			a->socket = optarg;
			break;
		case 'S':
			a->serial = optarg;
			break;
		case 'd':
			a->agent.state_dir = optarg;
			break;
		case 'c':
			a->agent.confdir = optarg;
			break;
		case 'p':
			a->payload = optarg;
			break;
		case 'w':
			if (parse_uint("--link-wait", "seconds", LINK_WAIT_MAX, &a->link_wait) < 0)
				return -EINVAL;
			break;
		case 'D':
			if (drift_mode_from_string(optarg) < 0) {
				fprintf(stderr, "vrouterd: --drift %s: repair or report\n", optarg);
				return -EINVAL;
			}
			a->agent.drift_report = drift_mode_from_string(optarg) == DRIFT_REPORT;
			break;
		case 'I':
			if (image_version_check(optarg) < 0)
				return -EINVAL;
			a->agent.image_version = optarg[0] ? optarg : NULL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("vrouterd %s\n", VROUTER_VERSION);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind < argc || a->agent.confdir[0] != '/')
		return -EINVAL;
	return 0;
}

static void notify_status(const char *line)
{
	sd_notifyf(0, "STATUS=%s", line);
}

static void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

/* The serial port: the one given, or the virtio port (which may appear later); NULL for
 * none. */
static int open_serial(const char *arg, struct serial **ret)
{
	*ret = NULL;
	if (arg && !strcmp(arg, "none"))
		return 0;
	*ret = serial_new(arg ? arg : SERIAL_DEFAULT);
	return *ret ? 0 : -ENOMEM;
}

/* The wait for late links, with the kernel backend unless --link-wait 0. Subscribed before the
 * start's apply; NULL when no link is missing (or the wait cannot be set up: logged). */
static struct linkwait *open_linkwait(const struct args *a, struct agent *agent)
{
	struct linkwait *w = NULL;
	struct strbuf err = {0};

	if (!a->link_wait || strcmp(a->agent.backend, "kernel"))
		return NULL;
	if (linkwait_new(agent, a->payload, a->link_wait, &w, &err) < 0)
		log_warn("no wait for late links: %s",
			 err.len ? strbuf_str(&err) : "out of memory");
	strbuf_done(&err);
	return w;
}

/* SIGTERM, SIGINT, SIGHUP through a signalfd (read in the poll loop: never in the middle of
 * an apply); SIGPIPE ignored (a client that goes away is an error on its connection). */
static int setup_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char **argv)
{
	struct args a;
	struct agent *agent = NULL;
	struct server *server = NULL;
	struct serial *serial = NULL;
	struct linkwait *linkwait = NULL;
	struct strbuf err = {0};
	uint64_t watchdog_usec = 0;
	int sfd, r, ret = 1;

	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		return 64;
	}
	log_init();
	a.agent.notify_status = notify_status;
	sfd = setup_signals();
	if (sfd < 0) {
		log_err("cannot set up signals: %s", strerror(-sfd));
		return 1;
	}
	r = agent_new(&a.agent, &agent, &err);
	if (r >= 0)
		r = open_serial(a.serial, &serial);
	if (r >= 0)
		linkwait = open_linkwait(&a, agent);
	if (r >= 0) {
		struct server_config cfg = {
			.socket_path = a.socket,
			.serial = serial,
			.agent = agent,
			.signal_fd = sfd,
			.tick = notify_watchdog,
			.linkwait = linkwait,
		};

		if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
			cfg.tick_ms = watchdog_usec / 2000 ? watchdog_usec / 2000 : 1;
		r = server_new(&cfg, &server, &err);
	}
	if (r < 0) {
		log_err("%s", err.len ? strbuf_str(&err) : strerror(-r));
		sd_notifyf(0, "STATUS=%s", err.len ? strbuf_str(&err) : strerror(-r));
		goto out;
	}
	log_notice("vrouterd %s: backend %s, socket %s%s%s", VROUTER_VERSION, a.agent.backend,
		 a.socket, serial ? ", serial " : "", serial ? serial_path(serial) : "");
	agent_boot(agent, a.payload);
	linkwait_start(linkwait);
	sd_notify(0, "READY=1");
	ret = server_run(server) < 0 ? 1 : 0;
	sd_notify(0, "STOPPING=1");
out:
	server_free(server);
	linkwait_free(linkwait);
	serial_free(serial);
	agent_free(agent);
	strbuf_done(&err);
	close(sfd);
	return ret;
}
