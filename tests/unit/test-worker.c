/* SPDX-License-Identifier: MIT */
/* The worker thread and work in two halves (lib/worker.h, lib/halves.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/halves.h"
#include "lib/worker.h"

struct job {
	pthread_t ran_on;
	pthread_mutex_t *hold; /* the job waits for it, when set */
	int runs;
};

static void job_run(void *data)
{
	struct job *j = data;

	if (j->hold) {
		pthread_mutex_lock(j->hold);
		pthread_mutex_unlock(j->hold);
	}
	j->ran_on = pthread_self();
	j->runs++;
}

/* A job runs once, on another thread; a second one while it runs is refused (the caller
 * then does its work itself); after the wait, the worker takes jobs again. */
static void test_worker_jobs(void **state)
{
	pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
	struct job a = {.hold = &hold}, b = {0};
	int i;

	(void)state;
	assert_int_equal(worker_init(), 0);
	pthread_mutex_lock(&hold);
	assert_true(worker_submit(job_run, &a));
	assert_false(worker_submit(job_run, &b));
	pthread_mutex_unlock(&hold);
	worker_wait();
	assert_int_equal(a.runs, 1);
	assert_false(pthread_equal(a.ran_on, pthread_self()));
	assert_int_equal(b.runs, 0);
	for (i = 0; i < 100; i++) {
		assert_true(worker_submit(job_run, &b));
		worker_wait();
	}
	assert_int_equal(b.runs, 100);
}

struct marks {
	uint8_t *seen;
	pthread_t on;
	size_t from, to, calls;
};

static void mark(void *data, size_t from, size_t to)
{
	struct marks *m = data;
	size_t i;

	m->on = pthread_self();
	m->from = from;
	m->to = to;
	m->calls++;
	for (i = from; i < to; i++)
		m->seen[i]++;
}

/* A long list: the first half here, the second on the worker, every item once; a short one
 * (or a busy worker): all here. */
static void test_halves(void **state)
{
	uint8_t seen[1001] = {0};
	struct marks one = {.seen = seen}, two = {.seen = seen};
	pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
	struct job busy = {.hold = &hold};
	size_t i;

	(void)state;
	assert_true(halves_run(1001, 100, mark, &one, &two));
	assert_int_equal(one.from, 0);
	assert_int_equal(one.to, 500);
	assert_int_equal(two.from, 500);
	assert_int_equal(two.to, 1001);
	assert_true(pthread_equal(one.on, pthread_self()));
	assert_false(pthread_equal(two.on, pthread_self()));
	for (i = 0; i < 1001; i++)
		assert_int_equal(seen[i], 1);
	memset(seen, 0, sizeof(seen));
	one.calls = two.calls = 0;
	assert_false(halves_run(99, 100, mark, &one, &two));
	assert_int_equal(one.calls, 1);
	assert_int_equal(two.calls, 0);
	assert_int_equal(one.to, 99);
	pthread_mutex_lock(&hold);
	assert_true(worker_submit(job_run, &busy));
	assert_false(halves_run(1001, 100, mark, &one, &two));
	assert_int_equal(one.to, 1001);
	pthread_mutex_unlock(&hold);
	worker_wait();
	for (i = 0; i < 99; i++)
		assert_int_equal(seen[i], 2);
}

/* Stopped, the worker takes no job. */
static void test_worker_stop(void **state)
{
	struct job j = {0};

	(void)state;
	worker_stop();
	assert_false(worker_submit(job_run, &j));
	assert_int_equal(j.runs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_jobs),
		cmocka_unit_test(test_halves),
		cmocka_unit_test(test_worker_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
