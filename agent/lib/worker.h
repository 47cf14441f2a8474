/* SPDX-License-Identifier: MIT */
/*
 * The process's second thread: started once, then asleep until handed a job. A thread made
 * for each job starts late here (a new thread is placed on its parent's CPU and waits there,
 * 1-4 ms on a 2-vCPU guest, until it is moved); a sleeping one wakes on the other CPU within
 * some 20 us. One job at a time: who finds it busy does the work itself.
 */
#pragma once

#include <stdbool.h>

/* Starts the thread (worker_submit starts it too, the first time). 0 or negative errno. */
int worker_init(void);
/* Hands fn(data) to the thread: false when it is busy or cannot start (the caller then
 * runs fn itself). After true, worker_wait() before the next submit and before using what
 * fn writes. */
bool worker_submit(void (*fn)(void *data), void *data);
/* Waits for the job worker_submit() handed over. */
void worker_wait(void);
/* Stops and joins the thread: at exit (registered with atexit() when it starts, and safe to
 * call before), after which no job is taken. */
void worker_stop(void);
