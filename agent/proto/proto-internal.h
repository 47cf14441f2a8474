/* SPDX-License-Identifier: MIT */
/* What the files of agent/proto/ share: jansson's cleanup and the building of answers
 * (proto.c), for the answers written elsewhere (proto-history.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "lib/cleanup.h"

static inline void proto_json_unrefp(json_t **v)
{
	json_decref(*v);
}
#define _cleanup_json_ _cleanup_(proto_json_unrefp)

/* Reals (duration_ms) at 10 significant digits: 4.2, not 4.2000000000000002. */
#define DUMP_FLAGS (JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))

/* Sets key (a new reference to v); a failure clears *ok: one check at the end. */
void proto_put(json_t *o, const char *key, json_t *v, bool *ok);
/* A string of an answer, its bytes that are not UTF-8 escaped as \xHH; NULL: out of memory. */
json_t *proto_answer_string(const char *s);
/* {"exit": exit_code} */
json_t *proto_answer_new(int exit_code, bool *ok);
/* The answer's line: the id last, a newline. Frees o; NULL when !ok or out of memory. */
char *proto_answer_finish(json_t *o, const char *id, bool ok);
/* Milliseconds rounded to the microsecond. */
double proto_round_ms(double ms);
