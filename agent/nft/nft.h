/* SPDX-License-Identifier: MIT */
/*
 * The nftables backend: the firewall and NAT as the agent's own table `inet vrouter`
 * (agent/nft/). It implements the backend interface of plan/backend.h for OBJ_FW_SET,
 * OBJ_FW_ELEMENT, OBJ_FW_CHAIN, OBJ_FW_RULE and OBJ_NAT_RULE, and touches nothing else.
 *
 * prepare compiles the intent (nft-compile.h) into the description of the whole table.
 * apply_op only queues. commit sends one transaction: only element additions and removals
 * when the table's structure (chains, set declarations, rules: the fingerprint) is as the
 * intent wants it and every operation is a set element, a port forward or a one-to-one NAT
 * (map contents); otherwise the table deleted and recreated whole. The element changes are
 * the queued fw-element operations plus, for the table's other named sets (NAT maps,
 * access-list maps, ...), the difference between the elements observed and the description's.
 * Nothing is sent when there is nothing to change. A message the kernel refuses is reported as
 * "POINTER: kernel message", the pointer of the intent element behind it; the kernel then
 * drops the whole batch, so abort has nothing to undo.
 *
 * observe reads the table back: plan objects from the records' files (nft-records.h; each kept
 * only if the table has the fingerprint it was written for and the chain, set, rule or element
 * it tagged is still there) and the intent's set elements from the kernel's sets. After a commit the backend keeps what the table then holds (its
 * description) with the ruleset's generation number; while the generation has not moved (no
 * transaction since, of the agent or anybody), observe takes that instead of reading the
 * table again. Every batch carries the generation its plan was made against, so the kernel
 * refuses it (ERESTART) if another transaction came in between.
 *
 * counters: what each intent rule (a firewall rule, a source NAT rule) matched, summed over
 * the kernel rules compiled from it, in chain and rule order, each always-on rule (builtin)
 * and drop policy, then each port forward's and one-to-one entry's connections, named by
 * content (none without a table; nft-counters.h).
 *
 * Put it last in the engine's list: its transaction commits after every other step
 * succeeded.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/strbuf.h"
#include "plan/backend.h"

/* NULL on OOM. The nfnetlink socket is opened on first use. records, records_fw: the files of
 * the records of the table's plan objects, the firewall section's in the second (in the state
 * directory: NFT_RECORDS_FILE, NFT_RECORDS_FILE_FW), or NULL for none (observe then finds no
 * plan objects in a table this backend did not commit itself, and the first apply replaces it
 * whole). */
struct backend *backend_nft_new(const char *records, const char *records_fw);

/* What the last commit sent, for tests and logs. */
struct nft_commit_stats {
	size_t batches;	  /* 0 (nothing to change) or 1 */
	size_t messages;  /* in the batch, BEGIN and END excluded */
	size_t elem_msgs; /* NEWSETELEM/DELSETELEM among them */
	bool full;	  /* the table was replaced whole */
};
void backend_nft_last_commit(struct backend *b, struct nft_commit_stats *ret);
/* Whether the last observe took the table from what the last commit left (no transaction
 * since, by the ruleset's generation) instead of reading it back. */
bool backend_nft_last_observe_cached(struct backend *b);
