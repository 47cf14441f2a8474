/* SPDX-License-Identifier: MIT */
/* Whole writes to a blocking descriptor. */
#pragma once

#include <stddef.h>

/* Writes all len bytes of buf to fd (a blocking descriptor), again after EINTR and short
 * writes. 0, or negative errno. */
int fd_write_all(int fd, const char *buf, size_t len);
