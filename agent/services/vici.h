/* SPDX-License-Identifier: MIT */
/*
 * charon's VICI socket, for status and the tunnels that follow VRRP: the one place that talks to it (lib/vicimsg.h reads what
 * it says). Every exchange has a deadline, so that status never hangs on a stuck charon.
 */
#pragma once

#include "lib/strbuf.h"
#include "lib/vicimsg.h"

/* How long each look at charon's SAs (status, the IPsec follow of VRRP) waits for its answer,
 * all of it. */
#define VICI_TIMEOUT_MS 1000

/* charon's IKE SAs through the VICI socket at path: list-sas (its list-sa events, until the
 * command's response) within timeout_ms. Into ret (the caller's to vici_sas_done) on success;
 * otherwise a negative errno with why in err. */
int vici_list_sas(const char *path, int timeout_ms, struct vici_sas *ret, struct strbuf *err);
/* One command over the VICI socket at path, with a message of text key-value pairs (kv: key,
 * value, ..., NULL), whose answer says "success" (initiate, terminate), within timeout_ms.
 * 0; -EIO when charon answers failure (its errmsg in err); another negative errno (why in
 * err). */
int vici_command(const char *path, const char *command, const char *const kv[], int timeout_ms,
		 struct strbuf *err);
