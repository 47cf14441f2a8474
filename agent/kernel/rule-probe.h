/* SPDX-License-Identifier: MIT */
/*
 * Whether the kernel has a routing rule for a firewall mark, for the WireGuard tunnels of a
 * VRRP pair (agent/services/wireguard.c): keepalived makes the rules that route their marked
 * packets (render-keepalived.c) a moment after it starts, and a tunnel must not have its peers
 * before, or a backup's first handshake would leave from its own address. Read only.
 */
#pragma once

#include <stdint.h>

#include "lib/strbuf.h"

/* 1 once an IPv4 rule with fwmark mark exists, looked for every 10 ms on one netlink socket;
 * 0 if none after timeout_ms; or a negative errno with the reason in err. */
int rule_probe_wait_fwmark(uint32_t mark, int timeout_ms, struct strbuf *err);
