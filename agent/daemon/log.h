/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log: one line per event on stderr. Under systemd (JOURNAL_STREAM set) each
 * line starts with its syslog priority ("<3>"), which journald reads as the priority;
 * otherwise with "vrouterd: ". Never log intent content (secrets): generations, counts,
 * pointers and the system's own messages only.
 *
 * The serial console shows notice and above (the image's journald drop-in): errors, warnings
 * and the router's own milestones (its start, the apply at boot, waits for links). What
 * answers a request (an apply pushed over the socket or the serial port, a refusal) is info:
 * its requester has the answer, and it stays in the journal, off a logged-in console.
 */
#pragma once

#include <syslog.h>

void log_init(void);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
