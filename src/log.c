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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "ritual";
static enum log_level log_level = LOG_LVL_INFO;
static int log_journal = -1;

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stdout/stderr; stderr is the journal only when it is still that
 * stream (not redirected by a shell in between). */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;
	if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, enum log_level verbosity)
{
	log_ident = ident;
	log_level = verbosity;
	log_journal = stderr_is_journal();
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
		     va_list ap) RT_PRINTF(3, 0);
static void log_emit(enum log_level lvl, const char *suffix, const char *fmt,
		     va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	static const int prio[] = {3, 4, 6, 7};
	char msg[2048];

	if (lvl > log_level)
		return;
	if (log_journal < 0)
		log_journal = stderr_is_journal();
	vsnprintf(msg, sizeof(msg), fmt, ap);
	secret_scrub(msg, sizeof(msg));   /* no secret in any log line */
	/* One line per message: a newline inside would forge a log line,
	 * and platform messages may hold terminal escapes: every control
	 * character is shown escaped ("\x1b"). */
	char safe[4 * sizeof(msg)], safe_suffix[512];
	str_escape_to(safe, sizeof(safe), msg, NULL, 0);
	str_escape_to(safe_suffix, sizeof(safe_suffix), suffix, NULL, 0);
	if (log_journal) {
		fprintf(stderr, "<%d>%s%s%s\n", prio[lvl], safe, suffix ? ": " : "",
			suffix ? safe_suffix : "");
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s[%s] %s%s%s\n", ts, log_ident, names[lvl],
			safe, suffix ? ": " : "", suffix ? safe_suffix : "");
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

/* ---- repeated problems ---- */

enum log_limit_verdict log_limit_check(struct log_limit *l, const char *problem,
				       double mono, time_t wall)
{
	if (l->count > 0 && strncmp(l->key, problem, sizeof(l->key) - 1) == 0) {
		l->count++;
		if (mono - l->said_at < LOG_LIMIT_EVERY)
			return LOG_LIMIT_QUIET;
		l->said_at = mono;
		return LOG_LIMIT_STILL;
	}
	snprintf(l->key, sizeof(l->key), "%s", problem);
	l->count = 1;
	l->since = wall;
	l->said_at = mono;
	return LOG_LIMIT_NEW;
}

long log_limit_clear(struct log_limit *l)
{
	long n = l->count;
	l->count = 0;
	l->said_at = 0;
	return n;
}

static void log_at(enum log_level lvl, const char *fmt, ...) RT_PRINTF(2, 3);
static void log_at(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(lvl, NULL, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *l, enum log_level lvl, const char *problem)
{
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	switch (log_limit_check(l, problem, (double)mono.tv_sec + mono.tv_nsec / 1e9,
				wall_now())) {
	case LOG_LIMIT_NEW:
		log_at(lvl, "%s", problem);
		break;
	case LOG_LIMIT_STILL: {
		char since[16];
		struct tm tm;
		localtime_r(&l->since, &tm);
		strftime(since, sizeof(since), "%H:%M", &tm);
		log_at(lvl, "still: %s (%ld times since %s)", problem, l->count, since);
		break;
	}
	case LOG_LIMIT_QUIET:
		break;
	}
}

void log_limited_clear(struct log_limit *l)
{
	long n = log_limit_clear(l);
	if (n > 0)
		log_at(LOG_LVL_INFO, "cleared after %ld time%s: %s", n,
		       n == 1 ? "" : "s", l->key);
}
