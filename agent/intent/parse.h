/* SPDX-License-Identifier: MIT */
/* Reading an intent document into the model, and validating it. */
#pragma once

#include <stddef.h>

#include "intent.h"
#include "lib/errlist.h"

/*
 * Parse and validate a whole intent document. Two passes: the structure (JSON syntax, types,
 * ranges, syntax of every value, unknown and missing keys), then, when the structure is
 * valid, the references and cross-field rules. Errors are appended to errs in document
 * order. Returns 0 and the model, or -EINVAL (nothing returned).
 */
int intent_load(const char *buf, size_t len, struct intent **ret, struct errlist *errs);

/* The same for a document already parsed (with jansson's JSON_REJECT_DUPLICATES, within
 * JR_DOCUMENT_MAX and JR_VALUES_MAX, as jr_load does): the agent parses a request once. */
struct json_t;
int intent_load_tree(const struct json_t *root, struct intent **ret, struct errlist *errs);

/*
 * The same, read against prev, the intent of prev_root: a section whose value in root is
 * prev_root's own (the same address: the daemon's request reader shares the values of the
 * members whose text did not change) and whose reading depends on nothing else is prev's,
 * shared instead of read again (a reference to it: routes, firewall, NAT, DHCP); every check
 * still runs on the whole intent. The result does not depend on prev once returned.
 */
int intent_load_tree_from(const struct json_t *root, const struct json_t *prev_root,
			  const struct intent *prev, struct intent **ret, struct errlist *errs);
