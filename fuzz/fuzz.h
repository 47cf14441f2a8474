/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "intent/intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Plan in against an empty observed state, then again (the same intent, read another way)
 * against the state in describes. */
void fuzz_plan(const struct intent *in, const struct intent *again);
