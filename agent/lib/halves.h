/* SPDX-License-Identifier: MIT */
/*
 * Work on a long list in two halves at once: the second half on the worker thread (worker.h)
 * while the caller's thread does the first. For work whose items are independent (each reads
 * only what the other half does not write) and whose results the caller then takes in order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* How long a list of independent items is worth splitting (an item being a rule, a rule's
 * object or its map elements: about a microsecond of work each; handing the half over and
 * waiting for it costs some tens of microseconds). */
#define HALVES_MIN 2048

/* Items [from, to) of the list, with the half's own data. */
typedef void (*halves_fn)(void *data, size_t from, size_t to);

/* fn(first, 0, n / 2) here and fn(second, n / 2, n) on the worker when n >= min and the
 * worker is free; else fn(first, 0, n) alone. Returns whether it split (second then ran). */
bool halves_run(size_t n, size_t min, halves_fn fn, void *first, void *second);
