/* SPDX-License-Identifier: MIT */
/* charon's data path (svc-charon.c). */
#pragma once

#include "lib/strbuf.h"

/* Writes the file charon's plugins section includes: kernel-libipsec where the kernel has no
 * ESP. 0 or a negative errno with the reason in err. */
int charon_prepare(struct strbuf *err);
/* The data path the running charon was started with: "kernel", "libipsec", or NULL (none). */
const char *charon_data_path(void);
