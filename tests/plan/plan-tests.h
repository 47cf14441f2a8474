/* SPDX-License-Identifier: MIT */
/* Unit tests of the plan engine: one runner per file, helpers in helpers.c. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "intent/intent.h"
#include "lib/strbuf.h"
#include "plan/backend.h"
#include "plan/observed.h"
#include "plan/plan.h"

int run_objset_tests(void);
int run_diff_tests(void);
int run_record_tests(void);
int run_observed_tests(void);
int run_desired_tests(void);
int run_engine_tests(void);

/*
 * Test texts (JSON documents, expected output) write ' for " : t_q() turns them into the
 * real text (a new string). The helpers below take such texts.
 */
char *t_q(const char *text);
/* An intent from JSON text; fails the test when it is invalid. */
struct intent *t_intent(const char *text);
/* An observed state from JSON text; fails the test when it is invalid. */
void t_observed(const char *text, struct observed *ret);
/* The plan's lines ("\n" after each) but those of files (the golden tests have them), or
 * its errors as "POINTER: message\n" lines. */
char *t_plan(const char *intent, const char *observed);
/* The observed state as JSON text. */
char *t_state_json(const struct observed *obs);
/* The same objects (links by key, sets in any order), with the same attrs. */
void t_assert_same_state(const struct observed *a, const struct observed *b);
/* Fails with both texts when got differs from the expected text. */
void t_assert_text(const char *what, const char *got, const char *text);
