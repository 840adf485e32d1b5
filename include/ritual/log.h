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

#include <time.h>

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

/*
 * A problem that repeats (a full disk refusing every write) is logged
 * once, then as "still: <problem> (N times since HH:MM)" at most once every
 * LOG_LIMIT_EVERY seconds, and once "cleared after N times: <problem>" when
 * it goes away. One struct log_limit per kind of problem (per call site),
 * owned by the caller, zero-initialised; a different text is a new problem.
 * Texts longer than LOG_LIMIT_KEY - 1 bytes are compared on that prefix.
 */
#define LOG_LIMIT_EVERY 60
#define LOG_LIMIT_KEY 512

struct log_limit {
	char key[LOG_LIMIT_KEY];  /* the problem while it lasts; "" when clear */
	long count;               /* times seen since it began */
	time_t since;             /* wall clock when it began */
	double said_at;           /* monotonic seconds of the last line */
};

enum log_limit_verdict {
	LOG_LIMIT_QUIET = 0,      /* say nothing */
	LOG_LIMIT_NEW,            /* say the problem itself */
	LOG_LIMIT_STILL           /* say "still: ..." with the count */
};

/* Pure (no clock, no output): counts one more occurrence of problem at
 * monotonic time mono and wall time wall, and says what to log. */
enum log_limit_verdict log_limit_check(struct log_limit *l, const char *problem,
				       double mono, time_t wall);
/* Pure: the problem went away. Returns how many times it was seen (0 when
 * there was none) and clears l; the text stays in l->key until the next
 * log_limit_check. */
long log_limit_clear(struct log_limit *l);

/* log_limit_check with the clocks, then the line at lvl (if any). */
void log_limited(struct log_limit *l, enum log_level lvl, const char *problem);
/* log_limit_clear, then "cleared after N times: <problem>" (info) if there
 * was a problem. */
void log_limited_clear(struct log_limit *l);

#endif
