/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log: one line per event on stderr. Under systemd (JOURNAL_STREAM set) each
 * line starts with its syslog priority ("<3>"), which journald reads as the priority;
 * otherwise with "vrouterd: ". Never log intent content (secrets): generations, counts,
 * pointers and the system's own messages only.
 */
#pragma once

#include <syslog.h>

void log_init(void);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
