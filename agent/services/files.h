/* SPDX-License-Identifier: MIT */
/*
 * The services' files under the configuration directory: written atomically (a temporary
 * sibling ".NAME.vrtmp", then a rename), and read back as file objects for observe. Not
 * synced to disk: they are derived from the persisted intent (the store, which is synced).
 * After a crash of the machine no daemon runs, and the agent's first apply at start reads
 * every file, compares it with the rendering and rewrites what the crash left short before
 * it starts a daemon; a restart of the agent alone loses nothing that the kernel holds. Paths are relative to the configuration directory ("dnsmasq/x.conf").
 * A name that starts with '.' is never a service's file: dnsmasq skips such names in the
 * directories it reads, so a temporary file is never read half written.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/strbuf.h"
#include "plan/objset.h"

/* The temporary sibling of rel: "CONFDIR/dir/.name.vrtmp". */
int svcfile_tmp_path(const char *confdir, const char *rel, struct strbuf *ret);
/* Writes content to rel's temporary sibling with mode (parent directories made 0755). 0 or a
 * negative errno, with the reason in err. */
int svcfile_stage(const char *confdir, const char *rel, const char *content, size_t size,
		  unsigned mode, struct strbuf *err);
/* Renames the staged temporary file into place. */
int svcfile_install(const char *confdir, const char *rel, struct strbuf *err);
/* Removes rel (absent already is fine). */
int svcfile_remove(const char *confdir, const char *rel, struct strbuf *err);
/* Removes rel's temporary sibling, if any. */
void svcfile_drop_tmp(const char *confdir, const char *rel);
/* Writes rel atomically (stage and install). */
int svcfile_write(const char *confdir, const char *rel, const char *content, size_t size,
		  unsigned mode, struct strbuf *err);

/* Adds the regular files under CONFDIR/dir (its subdirectories one level down; names
 * starting with '.' skipped) to out as file objects with content and mode, service set to
 * service. A missing directory adds nothing. 0 or a negative errno (err says which file). */
int svcfile_read_tree(const char *confdir, const char *dir, const char *service,
		      struct objset *out, struct strbuf *err);
/* The modification times of CONFDIR/dir and its subdirectories, as one number to compare
 * (0: it does not exist): every rename or removal in them changes it. */
uint64_t svcfile_tree_stamp(const char *confdir, const char *dir);
