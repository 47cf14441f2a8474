/* SPDX-License-Identifier: MIT */
/*
 * Whether the kernel does ESP in XFRM (CONFIG_INET_ESP), for the choice of strongSwan's data
 * path (agent/services/svc-charon.c): the kernel's, or kernel-libipsec's userspace ESP.
 *
 * The probe asks the kernel for an ESP state it must refuse either way (a 1-byte AES key):
 * without ESP it refuses the protocol (EPROTONOSUPPORT, after trying to load the module);
 * with ESP it refuses the key. Nothing is installed.
 */
#pragma once

#include "lib/strbuf.h"

/* 1: the kernel has ESP; 0: it has not; or a negative errno (no XFRM netlink) with the reason
 * in err. */
int xfrm_probe_esp(struct strbuf *err);
