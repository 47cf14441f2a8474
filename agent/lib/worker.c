/* SPDX-License-Identifier: MIT */
/* The process's second thread (worker.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "worker.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	pid_t owner; /* the process that started it (not a child forked since) */
	bool started, failed, stop, at_exit;
	bool busy; /* a job handed over and not yet waited for */
	bool done; /* ... and it ran */
	void (*fn)(void *data);
	void *data;
} w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *unused)
{
	pthread_mutex_lock(&w.lock);
	for (;;) {
		void (*fn)(void *data);

		while (!w.stop && !w.fn)
			pthread_cond_wait(&w.cond, &w.lock);
		if (w.stop)
			break;
		fn = w.fn;
		w.fn = NULL;
		pthread_mutex_unlock(&w.lock);
		fn(w.data);
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_broadcast(&w.cond);
	}
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

/* With the lock held. */
static int start_locked(void)
{
	int r;

	if (w.started)
		return 0;
	if (w.failed)
		return -EAGAIN;
	r = pthread_create(&w.thread, NULL, worker_main, NULL);
	if (r) {
		w.failed = true;
		return -r;
	}
	w.started = true;
	w.owner = getpid();
	/* Joined at exit too, for whoever does not stop it (tests): nothing left running. */
	if (!w.at_exit)
		w.at_exit = atexit(worker_stop) == 0;
	return 0;
}

int worker_init(void)
{
	int r;

	pthread_mutex_lock(&w.lock);
	r = start_locked();
	pthread_mutex_unlock(&w.lock);
	return r;
}

bool worker_submit(void (*fn)(void *data), void *data)
{
	bool ok;

	pthread_mutex_lock(&w.lock);
	ok = !w.busy && !w.stop && start_locked() == 0;
	if (ok) {
		w.busy = true;
		w.done = false;
		w.fn = fn;
		w.data = data;
		pthread_cond_broadcast(&w.cond);
	}
	pthread_mutex_unlock(&w.lock);
	return ok;
}

void worker_wait(void)
{
	pthread_mutex_lock(&w.lock);
	while (w.busy && !w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	w.busy = false;
	pthread_mutex_unlock(&w.lock);
}

void worker_stop(void)
{
	bool join;

	pthread_mutex_lock(&w.lock);
	join = w.started && w.owner == getpid();
	w.started = false;
	w.stop = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	if (join)
		pthread_join(w.thread, NULL);
}
