/* SPDX-License-Identifier: MIT */
/* wireguard-go, started, found and ended by its UAPI socket (wg-userspace.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runner.h"
#include "wg-userspace.h"

/* Its first process exits once the TUN exists and the UAPI socket listens. */
#define WGU_START_TIMEOUT_MS 5000

bool wgu_available(void)
{
	return access(WGU_PROGRAM, X_OK) == 0;
}

int wgu_start(const char *name, struct strbuf *err)
{
	char *argv[] = {(char *)WGU_PROGRAM, (char *)name, NULL};
	struct strbuf out = {0};
	int r;

	r = runner_run(argv, WGU_START_TIMEOUT_MS, NULL, &out);
	if (r != 0)
		strbuf_printf(err, "wireguard-go %s: %s", name,
			      r < 0	? strerror(-r)
			      : out.len ? strbuf_str(&out)
					: "failed");
	strbuf_done(&out);
	return r == 0 ? 0 : r < 0 ? r : -EIO;
}

/* A socket connected to NAME's UAPI socket, or a negative errno. */
static int wgu_connect(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s.sock", WGU_SOCK_DIR, name) >=
	    sizeof(a.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = errno == ECONNREFUSED ? -ENOENT : -errno;

		close(fd);
		return r;
	}
	return fd;
}

bool wgu_serves(const char *name)
{
	_cleanup_close_ int fd = wgu_connect(name);

	return fd >= 0;
}

int wgu_pidfd(const char *name)
{
	_cleanup_close_ int fd = wgu_connect(name);
	struct ucred c;
	socklen_t n = sizeof(c);

	if (fd < 0)
		return fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &n) < 0)
		return -errno;
	return runner_pidfd_open(c.pid);
}

int wgu_reap(int pidfd, int wait_ms)
{
	int r = 0;

	if (pidfd < 0)
		return 0;
	if (!runner_pidfd_exited(pidfd, wait_ms))
		r = runner_pidfd_stop(pidfd, 1000);
	close(pidfd);
	return r;
}
