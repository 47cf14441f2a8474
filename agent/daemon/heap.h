/* SPDX-License-Identifier: MIT */
/*
 * The memory each of vrouterd's two threads keeps ready on its heap (--heap MIB, default
 * HEAP_DEFAULT_MIB): how far a heap grows past what an allocation needs and how much free
 * memory it keeps on top when it shrinks (M_TOP_PAD; glibc's default is 128 KiB), touched at
 * start. A full apply of 10,000 rules peaks at about 50 MiB: grown by what each allocation
 * lacked, the heaps took some 3,000 system calls for it (brk; mprotect on the worker's heap),
 * about 10 ms of the apply, and a page fault for each new page, another 15 ms on this
 * project's test machine. Touched at start, the pages serve the first apply (the boot
 * payload's, or the intent a replacement router is given) and, kept on top, the next ones
 * (docs/architecture.md, "Heaps kept ready").
 */
#ifndef VROUTER_HEAP_H
#define VROUTER_HEAP_H

#define HEAP_DEFAULT_MIB 16
#define HEAP_MAX_MIB 1024

/* M_TOP_PAD set to mib MiB (0: nothing changed) and that much of the main thread's and the
 * worker's heaps touched, both at once when the worker runs; after worker_init(). A malloc
 * that refuses M_TOP_PAD (a sanitizer's) is left as it is, with a warning. */
void heap_setup(unsigned mib);

#endif
