/* SPDX-License-Identifier: MIT */
/*
 * wireguard-go: WireGuard in userspace over a TUN link, for a kernel without the WireGuard
 * module. It serves one link, named at its start; it is found again by the UAPI socket it
 * listens on (WGU_SOCK_DIR/NAME.sock, which wg(8) also uses before generic netlink), and it
 * exits once its link is deleted.
 */
#pragma once

#include <stdbool.h>

#include "lib/strbuf.h"

#define WGU_PROGRAM "/usr/bin/wireguard-go"
#define WGU_SOCK_DIR "/var/run/wireguard"

/* Whether wireguard-go is installed. */
bool wgu_available(void);
/* Runs wireguard-go NAME in a session of its own (runner.h), so that it outlives the agent;
 * its first process exits 0 once the TUN link NAME exists. 0, or a negative errno with
 * wireguard-go's own message in err. */
int wgu_start(const char *name, struct strbuf *err);
/* Whether a wireguard-go serves link NAME (its UAPI socket answers). */
bool wgu_serves(const char *name);
/* A pidfd of the wireguard-go serving NAME (the peer of its UAPI socket), or a negative
 * errno (-ENOENT: none). */
int wgu_pidfd(const char *name);
/* After its link was deleted: waits up to wait_ms for it to exit, then ends it. Closes pidfd
 * (accepts -1). 0, or a negative errno. */
int wgu_reap(int pidfd, int wait_ms);
