/* SPDX-License-Identifier: MIT */
/*
 * The serial port the agent answers on, besides its socket: the virtio port
 * /dev/virtio-ports/org.vrouter.agent.0 of the appliance (the host reaches it through a QEMU
 * chardev socket), or any tty or pty given with --serial. A tty is put in raw mode (no echo,
 * no line editing, no CR/LF translation).
 *
 * The port comes and goes: a virtio port reports a hang-up while no host side is connected
 * (the daemon then waits a little before polling it again, keeping it open so that nothing
 * the host sends is lost, and keeping the answer it has not yet written); a pty whose other side closed fails with EIO (the daemon closes it
 * and opens the path again every second; the path may name a new pty by then). A port that
 * does not exist (a VM without it, or not yet) is looked for again after 1 s, 2 s, 4 s, ...
 * up to every 30 s. SIGHUP reopens it at once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct serial;

struct serial *serial_new(const char *path);
struct serial *serial_free(struct serial *s);
const char *serial_path(const struct serial *s);

/* The open descriptor, or -1. */
int serial_fd(const struct serial *s);
/* Opens the port if it is closed and its retry time has come. Whether it is open. */
bool serial_try_open(struct serial *s, uint64_t now_ms);
/* The peer hung up (virtio: no host): keep the port, do not poll it before now + a while. */
void serial_hangup(struct serial *s, uint64_t now_ms);
/* The port failed with errno error (EIO: the pty's other side is gone): close it, retry
 * later. */
void serial_lost(struct serial *s, uint64_t now_ms, int error);
/* SIGHUP: close and open again now. */
void serial_reopen(struct serial *s);
/* Whether the port is open and may be polled now. */
bool serial_pollable(const struct serial *s, uint64_t now_ms);
/* The next time (ms) something is due (retry or end of a hang-up pause), or UINT64_MAX. */
uint64_t serial_next_event(const struct serial *s, uint64_t now_ms);
