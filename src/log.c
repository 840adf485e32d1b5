/*
 * log.c - levelled lines on stderr, journald-aware.
 *
 * Owns the log format and verbosity. Never formats secrets itself; never
 * allocates (a failing malloc must still be loggable).
 */
#include "ritual/log.h"
#include "ritual/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_ident = "ritual";
static enum log_level log_level = LOG_LVL_INFO;
static int log_journal = -1;

void log_init(const char *ident, enum log_level verbosity)
{
	log_ident = ident;
	log_level = verbosity;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(enum log_level verbosity)
{
	log_level = verbosity;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static void log_emit(enum log_level lvl, const char *suffix, const char *fmt,
		     va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {3, 4, 6, 7};
	char msg[2048];

	if (lvl > log_level)
		return;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	secret_scrub(msg, sizeof(msg));   /* no secret in any log line */
	/* One line per message: a newline inside would forge a log line. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_journal) {
		fprintf(stderr, "<%d>%s%s%s\n", prio[lvl], msg, suffix ? ": " : "",
			suffix ? suffix : "");
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s[%s] %s%s%s\n", ts, log_ident, names[lvl],
			msg, suffix ? ": " : "", suffix ? suffix : "");
	}
	fflush(stderr);
}

#define LOG_FN(name, lvl)                                   \
	void name(const char *fmt, ...)                     \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		log_emit(lvl, NULL, fmt, ap);               \
		va_end(ap);                                 \
	}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void log_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, strerror(e), fmt, ap);
	va_end(ap);
}
