/* SPDX-License-Identifier: MIT */
/* Scope-bound cleanup helpers, in systemd's style. */
#pragma once

#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand the object to the caller: the cleanup then sees NULL. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p_ = (p);                                                           \
		(p) = NULL;                                                                        \
		_p_;                                                                               \
	})

/* Define fooptr_free(struct foo **) for a destructor foo_free() returning NULL. */
#define DEFINE_PTR_CLEANUP(type, func)                                                             \
	static inline void func##p(type **p)                                                       \
	{                                                                                          \
		if (*p)                                                                            \
			*p = func(*p);                                                             \
	}

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
