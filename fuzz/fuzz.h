/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "intent/intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Plan the intent against an empty observed state and against the state it describes. */
void fuzz_plan(const struct intent *in);
