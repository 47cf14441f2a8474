/* SPDX-License-Identifier: MIT */
/*
 * The kernel backend: the hostname, links, addresses and the main routing table of the
 * running system, over rtnetlink (agent/kernel/). It implements the backend interface of
 * plan/backend.h for OBJ_HOSTNAME, OBJ_LINK, OBJ_ADDRESS and OBJ_ROUTE.
 *
 * observe fills its parts of the observed state (the others stay as they are): the hostname
 * (uname), the links (name, MAC, MTU, up; WireGuard tunnels by name), their addresses and the
 * routes of the main table, IPv4 and IPv6, each with its owner. The agent's carry the
 * protocol number 86 ("vrouter": rtm_protocol of routes, IFA_PROTO of addresses, device group
 * of tunnels); anything else is foreign, named by its protocol ("kernel", "static", "dhcp",
 * "unspec", ...; "foreign" for a tunnel). Left out, as the agent never manages them: the
 * loopback and links without a MAC other than WireGuard (and what is on them), IPv6
 * link-local addresses the kernel made and their fe80::/10 routes, tables other than main,
 * cached routes.
 *
 * apply_op makes each operation exactly, or leaves the system as it was and returns a
 * negative errno with the kernel's extended ACK message in err. Every operation is undone
 * exactly by its inverse (op_inverse) applied through the same backend before commit or
 * abort: what an operation displaced (a foreign address or route taken over, or one in the
 * way of a create) is kept and put back by the inverse. begin, commit and abort have no
 * transaction to manage (rtnetlink has none): they only forget what was kept.
 *
 * counters: the traffic of every link but the loopback (IFLA_STATS64), for `status`.
 */
#pragma once

#include "plan/backend.h"

/* NULL on OOM. The netlink socket is opened on first use. */
struct backend *backend_kernel_new(void);
