/* SPDX-License-Identifier: MIT */
/* vrouterctl subcommands: one file each, cmd-<name>.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "proto/proto.h"

/* vrouterctl exits with the exit codes of the spec ("The agent's answer"): 0-3 are an apply's
 * status (enum apply_status, APPLY_OK ... APPLY_STALE), the agent's answers carry them; these
 * are vrouterctl's own. */
enum {
	EXIT_UNREACHABLE = 4, /* the agent could not be reached or did not answer in time */
	EXIT_USAGE = 64,
};

int cmd_check(int argc, char **argv);
/* vrouterctl edit (cmd-edit.c): the intent in effect in the operator's editor, then applied. */
int cmd_edit(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_render(int argc, char **argv);
/* Through the agent (client.h, cmd-apply.c, cmd-show.c, cmd-status.c). */
int cmd_apply(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_handover(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* History, diff, rollback, commit-confirm (cmd-history.c, cmd-diff.c, cmd-rollback.c,
 * cmd-confirm.c). */
int cmd_history(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
/* An answer that is not the shape its request gets: printed as it is; APPLY_FAILED. */
int cli_unexpected(const struct proto_reply *r);
/* plan: through the agent without --observed, offline (cmd_plan) with it. */
int cmd_plan_any(int argc, char **argv);

/* Read FILE, or standard input for "-", up to limit bytes; one more byte is read so that
 * callers can tell an oversized document. Returns 0 or a negative errno (message printed). */
int cli_read_input(const char *path, size_t limit, char **ret, size_t *ret_len);
/* Validates an intent as `vrouterctl check` does: true with its generation, or false with its
 * errors printed on stderr ("POINTER: message" each) and counted in ret_errors. */
bool cli_intent_valid(const char *buf, size_t len, int64_t *ret_generation, size_t *ret_errors);
