/* SPDX-License-Identifier: MIT */
/*
 * vrouterctl edit [--state-dir DIR]: the intent in effect in the operator's editor, with the
 * next generation already set, then checked as `vrouterctl check` does and applied through the
 * agent as `vrouterctl apply` does (the same answer and exit codes).
 *
 * On the router, as root: show redacts the secrets, so the text to edit is the persisted
 * intent, DIR/intent.json (DIR: the agent's --state-dir, /var/lib/vrouter by default; root
 * only), read through its checksum line (lib/seal.h; a damaged file is refused), taken only
 * when it is the intent show answers once its secrets are redacted. No
 * secret leaves the agent through its socket or serial port; the secrets are in the editor's
 * private file (editor.h) while it runs and in the apply request, as with `vrouterctl apply`.
 *
 * Exit: 0 applied, or no change; 1 nothing applied (an invalid edit, the editor failed,
 * nothing to edit, the secrets out of reach), else the apply's 1-4; 128 + N after signal N.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "editor.h"
#include "lib/cleanup.h"
#include "lib/jread.h"
#include "lib/seal.h"

#define STATE_DIR_DEFAULT "/var/lib/vrouter"

/* The text to edit: the persisted intent, when it is the one in effect, with the next
 * generation. 0, or the exit code (the reason printed). */
static int edit_source(const char *state_dir, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL, *doc = NULL;
	struct proto_reply reply;
	int64_t next;
	size_t len, body = 0;
	int ret_code, r;

	ret_code = cli_simple_request(PROTO_SHOW, &reply);
	if (ret_code)
		return ret_code;
	ret_code = cli_reply_exit(&reply);
	if (ret_code) {
		cli_print_reply_errors(&reply);
		goto out;
	}
	ret_code = APPLY_INVALID;
	if (!reply.intent || !strcmp(reply.intent, "null")) {
		fprintf(stderr, "vrouterctl: nothing is applied yet, so there is nothing to edit: "
				"write an intent (intent.md) and `vrouterctl apply` it\n");
		goto out;
	}
	if (asprintf(&path, "%s/intent.json", state_dir) < 0) {
		path = NULL;
		goto out;
	}
	r = cli_read_input(path, JR_DOCUMENT_MAX + SEAL_HEADER_MAX, &doc, &len);
	if (r == 0) {
		/* Read as the agent reads it: through its checksum line (an older agent's file
		 * has none), never a damaged one. */
		struct strbuf detail = {0};
		enum seal_problem p = seal_open(doc, len, &body, &detail);

		if (p != SEAL_OK && p != SEAL_UNSEALED) {
			fprintf(stderr,
				"vrouterctl: %s is damaged (%s: %s%s%s), so the intent's "
				"secrets cannot be taken from it; the agent sets it aside at its "
				"next start\n",
				path, seal_problem_to_string(p), seal_problem_describe(p),
				detail.len ? ": " : "", strbuf_str(&detail));
			strbuf_done(&detail);
			goto out;
		}
		strbuf_done(&detail);
	}
	if (r == 0 && proto_edit_is_shown(doc + body, len - body, reply.intent)) {
		r = proto_edit_text(doc + body, len - body, ret, ret_len, &next);
	} else if (reply.persist_error) {
		/* The intent in effect may be in the agent's memory only. */
		fprintf(stderr,
			"vrouterctl: the agent's state directory does not work (%s): %s "
			"is not the intent in effect, so its secrets cannot be read\n",
			reply.persist_error, path);
		goto out;
	} else if (r < 0) {
		fprintf(stderr,
			"vrouterctl: edit takes the intent's secrets from the agent's state "
			"directory: run it as root on the router (--state-dir: the agent's)\n");
		goto out;
	} else {
		fprintf(stderr,
			"vrouterctl: %s is not the intent in effect (another apply "
			"meanwhile, or not the agent's state directory), so its secrets "
			"cannot be taken from it\n",
			path);
		goto out;
	}
	if (r == -ERANGE)
		fprintf(stderr, "vrouterctl: the generation in effect is the largest there is\n");
	else if (r < 0)
		fprintf(stderr, "vrouterctl: %s: %s\n", path, strerror(-r));
	else
		ret_code = 0;
out:
	proto_reply_done(&reply);
	return ret_code;
}

/* "edit again? [Y/n]" on a terminal: true for yes (the default). */
static bool ask_again(void)
{
	char line[16];
	size_t n = 0;

	fprintf(stderr, "edit again? [Y/n] ");
	for (;;) {
		char c;
		ssize_t k = read(STDIN_FILENO, &c, 1);

		if (k <= 0)
			return false; /* end of input, or a signal (the caller acts on it) */
		if (c == '\n')
			break;
		if (n < sizeof(line) - 1)
			line[n++] = c;
	}
	line[n] = '\0';
	return !n || !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

static void edit_kept(struct edit_dir *d, int apply_exit)
{
	if (apply_exit == APPLY_STALE)
		fprintf(stderr,
			"vrouterctl: the intent in effect changed while you edited (another "
			"apply): start again with `vrouterctl edit`; your edit is kept in %s\n",
			d->path);
	else
		fprintf(stderr,
			"vrouterctl: nothing applied; your edit is kept in %s: fix it and "
			"`vrouterctl apply %s`, or start again with `vrouterctl edit`\n",
			d->path, d->path);
	fprintf(stderr, "vrouterctl: it holds the intent's secrets: `rm -r %s` when done\n",
		d->dir);
	edit_dir_keep(d);
}

/* The editor until the file is valid (-1: apply it), unchanged (0) or given up (the exit
 * code). Except for -1, the directory is removed or kept (said so) on return. */
static int edit_loop(struct edit_dir *d, const char *editor, const char *text, size_t len)
{
	for (;;) {
		_cleanup_free_ char *buf = NULL;
		size_t buf_len, errors;
		int64_t gen;
		int r;

		if (edit_signal())
			break;
		r = editor_run(editor, d->path);
		if (edit_signal())
			break;
		if (r < 0) { /* not started: the file is as it was */
			edit_dir_remove(d);
			return APPLY_INVALID;
		}
		if (r != 0) {
			if (r > 128)
				fprintf(stderr,
					"vrouterctl: the editor (%s) was ended by signal %d\n",
					editor, r - 128);
			else
				fprintf(stderr,
					"vrouterctl: the editor (%s) exited with status %d\n",
					editor, r);
			edit_kept(d, APPLY_INVALID);
			return APPLY_INVALID;
		}
		if (cli_read_input(d->path, JR_DOCUMENT_MAX, &buf, &buf_len) < 0) {
			edit_dir_remove(d);
			return APPLY_INVALID;
		}
		if (buf_len == len && !memcmp(buf, text, len)) {
			fprintf(stderr, "vrouterctl: no change: nothing applied\n");
			edit_dir_remove(d);
			return 0;
		}
		if (cli_intent_valid(buf, buf_len, &gen, &errors))
			return -1;
		fprintf(stderr, "vrouterctl: %zu error%s in the edited intent\n", errors,
			errors == 1 ? "" : "s");
		if (isatty(STDIN_FILENO) && ask_again())
			continue;
		if (edit_signal())
			break;
		edit_kept(d, APPLY_INVALID);
		return APPLY_INVALID;
	}
	edit_dir_remove(d);
	return 128 + edit_signal();
}

int cmd_edit(int argc, char **argv)
{
	const char *state_dir = STATE_DIR_DEFAULT, *editor;
	_cleanup_free_ char *text = NULL;
	struct edit_dir d;
	size_t len;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--state-dir") && *argv[2]) {
		state_dir = argv[2];
	} else if (argc == 2 && !strncmp(argv[1], "--state-dir=", 12) && argv[1][12]) {
		state_dir = argv[1] + 12;
	} else if (argc != 1) {
		fprintf(stderr, "usage: vrouterctl [--socket PATH] edit [--state-dir DIR]\n");
		return EXIT_USAGE;
	}
	if (client_options.serial) {
		fprintf(stderr,
			"vrouterctl: edit runs on the router, beside the agent (it takes the "
			"intent's secrets from the agent's state directory); over the serial "
			"port, `apply` an intent kept on this side\n");
		return EXIT_USAGE;
	}
	editor = editor_command();
	if (!editor) {
		fprintf(stderr, "vrouterctl: no editor: set VISUAL or EDITOR\n");
		return APPLY_INVALID;
	}
	ret = edit_source(state_dir, &text, &len);
	if (ret)
		return ret;
	/* From the file's birth to its removal, a hang-up or a kill ends vrouterctl only once
	 * the file is gone. */
	edit_signals_catch();
	if (edit_dir_make(&d, text, len) < 0)
		return APPLY_INVALID;
	ret = edit_loop(&d, editor, text, len);
	if (ret >= 0)
		return ret;
	ret = cli_apply_file(d.path);
	if (ret == 0 || edit_signal())
		edit_dir_remove(&d);
	else
		edit_kept(&d, ret);
	return ret;
}
