/* SPDX-License-Identifier: MIT */
/*
 * The memory each of vrouterd's two threads keeps ready on its heap (--heap MIB, default
 * HEAP_DEFAULT_MIB): how far a heap grows past what an allocation needs and how much free
 * memory it keeps on top when it shrinks (M_TOP_PAD; glibc's default is 128 KiB), and how
 * much of it is touched once the start's apply is done. A full apply of 10,000 rules peaks at
 * about 50 MiB: grown by what each allocation lacked, the heaps took some 3,000 system calls
 * for it (brk; mprotect on the worker's heap), about 10 ms of the apply, and a page fault for
 * each new page, another 15 ms on this project's test machine. Touched while the agent waits
 * for its first request, and kept on top, the pages serve the applies that come (an
 * orchestrator's first push to a new router included). Touching them before the start's own
 * apply would only move its page faults earlier (docs/architecture.md, "Heaps kept ready").
 */
#ifndef VROUTER_HEAP_H
#define VROUTER_HEAP_H

#define HEAP_DEFAULT_MIB 16
#define HEAP_MAX_MIB 1024

/* M_TOP_PAD set to mib MiB (0: nothing changed), before the worker's first allocation (so
 * before worker_init()). 0, or -ENOTSUP when the malloc refuses it (a sanitizer's), with a
 * warning: then there is nothing to warm either. */
int heap_setup(unsigned mib);
/* mib MiB of the main thread's and the worker's heaps touched, both at once when the worker
 * runs. */
void heap_warm(unsigned mib);

#endif
