/* SPDX-License-Identifier: MIT */
/*
 * charon, strongSwan's IKE daemon, as the services backend runs it, with the files rendered by
 * agent/render/render-swanctl.c. It has no daemon mode: the agent starts it detached
 * (daemon.h: foreground) with STRONGSWAN_CONF naming its strongswan.conf, and with that path
 * as an argument too, which charon ignores, so that an agent started again knows it. It is
 * ready once its VICI socket answers and swanctl --load-all has loaded the tunnels. A change
 * of the tunnels is the same load: charon replaces the connections that changed, unloads the
 * removed ones and keeps the others as they are, with their SAs.
 *
 * Before it starts, the file its plugins section includes is written: kernel-libipsec
 * (userspace ESP over a TUN device) where the kernel has no ESP (xfrm-probe.h), nothing
 * otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "kernel/xfrm-probe.h"
#include "lib/cleanup.h"
#include "render/render.h"
#include "runner.h"
#include "svc-charon.h"

#define SWANCTL "/usr/sbin/swanctl"
#define CHARON_LOAD_TIMEOUT_MS 10000
#define LIBIPSEC_LINE "kernel-libipsec {\n\tload = yes\n}\n"

static int charon_start_argv(const char *conf, const char *pid_path, const char *state_dir,
			     char *argv[16], char *buf, size_t size)
{
	argv[0] = (char *)svcd_charon.program;
	argv[1] = svcd_arg(&buf, &size, "", conf, "");
	argv[2] = NULL;
	return argv[1] ? 0 : -ENAMETOOLONG;
}

int charon_prepare(struct strbuf *err)
{
	int esp = xfrm_probe_esp(err), fd;
	const char *s = esp ? "" : LIBIPSEC_LINE;
	ssize_t n;

	if (esp < 0)
		return esp;
	fd = open(RENDER_CHARON_PLUGINS ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		strbuf_printf(err, "cannot write %s: %s", RENDER_CHARON_PLUGINS, strerror(errno));
		return -errno;
	}
	n = write(fd, s, strlen(s));
	close(fd);
	if (n != (ssize_t)strlen(s) || rename(RENDER_CHARON_PLUGINS ".tmp", RENDER_CHARON_PLUGINS)) {
		strbuf_printf(err, "cannot write %s", RENDER_CHARON_PLUGINS);
		unlink(RENDER_CHARON_PLUGINS ".tmp");
		return -EIO;
	}
	return 0;
}

const char *charon_data_path(void)
{
	char buf[128] = "";
	_cleanup_close_ int fd = open(RENDER_CHARON_PLUGINS, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		return NULL;
	return strstr(buf, "kernel-libipsec") ? "libipsec" : "kernel";
}

/* What swanctl's output says went wrong, into err: each refused connection with the intent's
 * pointer of its tunnel; otherwise the lines that say "failed" (not the missing directories of
 * certificates, which a router with pre-shared keys has none of); otherwise all of it. */
static void load_errors(const char *out, struct strbuf *err)
{
	const char *line, *end;
	size_t before = err->len;
	char name[256], why[512];

	for (line = out; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (sscanf(line, "loading connection '%255[^']' failed: %511[^\n]", name, why) == 2)
			strbuf_printf(err, "%s/vpn/ipsec/%s: charon refuses the tunnel: %s",
				      err->len > before ? "; " : "", name, why);
	}
	for (line = out; err->len == before && *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (memmem(line, (size_t)(end - line), "failed", 6) &&
		    strncmp(line, "opening directory", 17))
			strbuf_printf(err, "%s%.*s", err->len > before ? "; " : "", (int)(end - line),
				      line);
	}
	if (err->len == before)
		strbuf_append(err, out);
}

/* swanctl --load-all: the connections and their keys, from swanctl.conf beside the main file
 * (no secret on a command line: they are in the files). */
static int charon_load(struct svcd *d, struct strbuf *err)
{
	char file[4200], env[4200], *argv[] = {(char *)SWANCTL, (char *)"--load-all",
					       (char *)"--noprompt", (char *)"--file", file,
					       (char *)"--uri", (char *)"unix://" RENDER_CHARON_VICI,
					       NULL};
	struct strbuf out = {0};
	int r;

	if (snprintf(file, sizeof(file), "%s/strongswan/swanctl.conf", d->confdir) >=
	    (int)sizeof(file))
		return -ENAMETOOLONG;
	r = runner_run_ex(argv, svcd_env(d, env, sizeof(env)), CHARON_LOAD_TIMEOUT_MS, NULL,
			  RUNNER_OUTPUT_MAX, &out);
	if (r != 0 && out.len)
		load_errors(strbuf_str(&out), err);
	else if (r != 0)
		strbuf_printf(err, "swanctl --load-all: %s", r < 0 ? strerror(-r) : "failed");
	strbuf_done(&out);
	return r == 0 ? 0 : r < 0 ? r : -EIO;
}

static bool vici_answers(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = RENDER_CHARON_VICI};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

static int charon_ready(struct svcd *d, struct strbuf *err)
{
	uint64_t deadline = svcd_now_ms() + SVCD_START_TIMEOUT_MS;

	while (!vici_answers()) {
		if (!svcd_running(d)) {
			strbuf_printf(err, "exited");
			return -EIO;
		}
		if (svcd_now_ms() > deadline) {
			strbuf_printf(err, "its VICI socket %s did not answer within %d ms",
				      RENDER_CHARON_VICI, SVCD_START_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	/* The socket is its own: another charon's would not be at this path, and this one lives. */
	if (!svcd_running(d)) {
		strbuf_printf(err, "exited");
		return -EIO;
	}
	return charon_load(d, err);
}

static const char *const charon_dirs[] = {RENDER_RUN_DIR, NULL};

const struct svcd_def svcd_charon = {
	.name = "strongswan",
	.dir = "strongswan",
	.main = "strongswan/strongswan.conf",
	.program = "/usr/lib/ipsec/charon",
	.dirs = charon_dirs,
	.reload = charon_load,
	.foreground = true,
	.ready = charon_ready,
	.conf_env = "STRONGSWAN_CONF",
	.start_argv = charon_start_argv,
	.prepare = charon_prepare,
};
