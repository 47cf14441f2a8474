/* SPDX-License-Identifier: MIT */
/*
 * The agent's records of the plan objects in its table, kept out of the kernel: the table
 * holds only what an operator expects to read in `nft list ruleset` (and can load again with
 * `nft -f`), and the text of each plan object (its kind, key and attrs) stays in two files
 * of the state directory: NFT_RECORDS_FILE_FW for the firewall section's objects (fw-set,
 * fw-chain, fw-rule), NFT_RECORDS_FILE for the others (nat-rule). Each:
 *
 *   vrouter-nft-records 1 FINGERPRINT
 *   KIND KEYLEN:KEYATTRSLEN:ATTRS       one line per plan object, the set elements aside
 *   ...                                 (observe reads those from the kernel's sets)
 *
 * FINGERPRINT is the table's (its comment, nft_desc_fingerprint()): observe uses the records
 * only when the table it reads has it, and keeps a record only when the chain, set, rule or
 * element it tagged is still in the table. A table made or changed by anybody else therefore
 * shows as objects missing, which the next apply makes again.
 *
 * The backend writes them after every commit that changed the table or its plan objects, in
 * the state directory's one format (state/statefile.h: a checksum line, then the text above;
 * a temporary file renamed over each; no fsync: the table does not outlive the machine, and
 * after a crash of the machine observe finds no table and reads no file, which the next commit
 * replaces); the firewall's only when its section or the fingerprint changed: ten thousand
 * rules need not be written again for one changed port forward.
 *
 * Read while the table exists, a file is checked: one whose checksum line disagrees with it
 * (damaged, cut short, edited by hand) is set aside and its records are unknown, so that the
 * plan makes every object again (the commit replaces the table whole, or, when the table's
 * fingerprint is already the intent's, writes the records alone). The records never decide
 * which kernel objects a commit sends: those come from the intent's description and from the
 * kernel's own sets. A file of an older agent (no checksum line) is read and written again at
 * the next commit.
 */
#pragma once

#include <stdbool.h>

#include "lib/strbuf.h"
#include "plan/objset.h"
#include "state/statefile.h"

#define NFT_RECORDS_FILE "nft-records"
#define NFT_RECORDS_FILE_FW "nft-records-fw"

/* One record: "KIND KEYLEN:KEYATTRSLEN:ATTRS" (lengths in bytes, so any text fits). */
int nft_records_put(const char *kind, const char *key, const char *attrs, struct strbuf *out);
/* Reads one record at *p (after any newlines), advancing it. 0, -ENOENT at the end, -EINVAL if
 * malformed, -ENOMEM. The strings returned are malloc'd. */
int nft_records_next(const char **p, char **ret_kind, char **ret_key, char **ret_attrs);

/* Whether a plan object's record goes to the firewall's file. */
bool nft_records_firewall(const struct object *o);
/* The text of a file for the plan objects objs (set elements left out) of the table of that
 * fingerprint: those of the firewall section (firewall true) or the others. 0 or -ENOMEM. */
int nft_records_format(const struct objset *objs, const char *fingerprint, bool firewall,
		       struct strbuf *out);
/* The records of a file's text when its first line names fingerprint, else NULL. */
const char *nft_records_body(const char *text, const char *fingerprint);

/* Writes the file's next text beside it (path.tmp, mode 0600), before the commit it describes:
 * a file that cannot be written fails the apply while nothing has changed yet. 0, or negative
 * errno with the reason in err. */
int nft_records_write(const char *path, const struct objset *objs, const char *fingerprint,
		      bool firewall, struct strbuf *err);
/* After the commit: the text written takes the file's place (publish true: renamed over it), or
 * is dropped. A rename that fails removes the file, whose records are no longer the table's.
 * 0, or negative errno with the reason in err. */
int nft_records_finish(const char *path, bool publish, struct strbuf *err);
/* Reads and checks the file: 0 with f filled (f->problem SEAL_OK, SEAL_UNSEALED for an older
 * agent's file, or what is wrong: a file without a checksum line that is not an older agent's
 * is SEAL_HEADER), -ENOENT when there is none, or negative errno with the reason in err. */
int nft_records_load(const char *path, struct statefile *f, struct strbuf *err);
