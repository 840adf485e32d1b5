/*
 * log.h - one logging module for both programs.
 *
 * Lines go to stderr (rituald runs in the foreground under systemd, which
 * keeps stderr in the journal). When stderr is the journal (JOURNAL_STREAM
 * is set) each line carries a "<N>" priority prefix that journald reads;
 * otherwise a local timestamp and the level. Messages must never contain a
 * token: callers log redacted URLs only (http.c redacts).
 */
#ifndef RITUAL_LOG_H
#define RITUAL_LOG_H

#include "ritual/util.h"

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* ident: "rituald"; verbosity: messages above this level are dropped. */
void log_init(const char *ident, enum log_level verbosity);
void log_set_level(enum log_level verbosity);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) RT_PRINTF(1, 2);
void log_warn(const char *fmt, ...) RT_PRINTF(1, 2);   /* adds ": strerror(errno)" */
void log_warnx(const char *fmt, ...) RT_PRINTF(1, 2);
void log_info(const char *fmt, ...) RT_PRINTF(1, 2);
void log_debug(const char *fmt, ...) RT_PRINTF(1, 2);

#endif
