/* SPDX-License-Identifier: MIT */
/*
 * strongSwan algorithm proposals ("aes256gcm16-prfsha256-ecp256"): keywords joined by '-',
 * checked against the keywords strongSwan documents (docs/intent.md lists them) and the rules
 * it applies when it loads a configuration, so that a bad proposal is an invalid intent rather
 * than a failed apply. Pure.
 */
#pragma once

#include "lib/strbuf.h"

enum proposal_kind { PROPOSAL_IKE, PROPOSAL_ESP };

/* Returns 0 when s is a valid proposal of that kind; otherwise -EINVAL with one message
 * (lowercase, naming the proposal) appended to err. */
int proposal_check(const char *s, enum proposal_kind kind, struct strbuf *err);
