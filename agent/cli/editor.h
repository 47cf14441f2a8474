/* SPDX-License-Identifier: MIT */
/*
 * The editor of `vrouterctl edit`: a private directory for the file to edit, the operator's
 * editor run on it, and the directory removed afterwards.
 *
 * The file holds the intent's secrets: it is DIR/intent.json, mode 0600, in a directory of
 * its own, DIR = $TMPDIR/vrouterctl-edit.XXXXXX (or /tmp/...), mode 0700, so that what an
 * editor writes beside the file (vim's swap file, a backup) is private too and goes with it.
 */
#pragma once

#include <stddef.h>

struct edit_dir {
	char *dir;  /* NULL: none made */
	char *path; /* dir/intent.json */
};

/* Makes the directory and writes text to its file (mode 0600 whatever the umask). 0 or a
 * negative errno (the reason printed). */
int edit_dir_make(struct edit_dir *d, const char *text, size_t len);
/* Removes the file, whatever else is left in the directory (the editor's copies of the file)
 * and the directory, then frees d. */
void edit_dir_remove(struct edit_dir *d);
/* Frees d, leaving its files (kept for the operator). */
void edit_dir_keep(struct edit_dir *d);

/* The editor: $VISUAL, else $EDITOR (empty counts as unset), else the first of `editor`
 * (Debian's alternative), `nano` and `vi` found in $PATH; NULL when there is none. */
const char *editor_command(void);

/*
 * Runs the editor on path as `/bin/sh -c 'CMD "$@"' CMD path`: CMD may carry arguments
 * (EDITOR="vim -n"), path is never part of the shell's text. Returns its exit status, 128 + N
 * when signal N ended it, or a negative errno when it could not be started. While it runs,
 * SIGINT and SIGQUIT are the editor's (the terminal sends them to vrouterctl as well), and
 * SIGHUP or SIGTERM to vrouterctl is passed on to it.
 */
int editor_run(const char *cmd, const char *path);

/* SIGHUP, SIGTERM, SIGINT and SIGQUIT are recorded rather than fatal from here on, so that the
 * directory is removed before vrouterctl exits (128 + N); edit_signal() is the first one
 * received, or 0. */
void edit_signals_catch(void);
int edit_signal(void);
