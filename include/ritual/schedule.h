/*
 * schedule.h - wall-clock time in the owner's IANA zone, and cron slots.
 *
 * Instants are UTC epoch seconds (time_t). Wall-clock values (a post's
 * "At:", a slot's "09:00") are evaluated in one configured zone, per
 * occurrence, using the system's tz database (/usr/share/zoneinfo via
 * glibc). The process's own TZ environment is never trusted: sched_tz_use
 * must be called first and selects the zone explicitly.
 *
 * DST policy (also in ritual.conf(5)):
 *  - a recurring slot whose wall time falls in a spring-forward gap moves
 *    forward by the gap (02:30 -> 03:30 on a night with a one-hour gap);
 *  - a wall time that occurs twice (fall back) is taken once, at its first
 *    occurrence;
 *  - a one-off time (a post's At:) inside a gap is refused; the caller gets
 *    the nearest valid times before and after it to name in the message.
 *
 * This part knows nothing of posts or the database.
 */
#ifndef RITUAL_SCHEDULE_H
#define RITUAL_SCHEDULE_H

#include <stddef.h>
#include <time.h>
#include "ritual/util.h"

/* A local calendar time. mon 1-12, day 1-31, hour 0-23, min 0-59, sec 0-59. */
struct wall {
	int year, mon, day, hour, min, sec;
};

enum wall_kind {
	WALL_OK = 0,      /* the wall time exists exactly once */
	WALL_GAP,         /* skipped by a forward transition */
	WALL_AMBIGUOUS    /* occurs twice; the first occurrence was chosen */
};

/*
 * Select the zone (e.g. "America/New_York") for every later call in this
 * process. Refuses a name with no TZif file in the tz database (glibc would
 * otherwise silently use UTC), naming the zone and suggesting the tzdata
 * package. Process-global; call again to switch (tests do). The database is
 * $TZDIR if set, else /usr/share/zoneinfo; names that are empty, absolute,
 * contain ".." or characters other than letters, digits and "/_+-." are
 * refused. On failure the previous zone stays selected. Until a zone is
 * selected, every function here works in UTC (never the inherited TZ).
 */
int sched_tz_use(const char *zone, struct err *err);
/* The zone selected, or NULL. */
const char *sched_tz_current(void);

/*
 * Convert a wall time in the selected zone to an instant. *kind tells what
 * happened (may be NULL). For WALL_GAP, *out is the wall time moved forward
 * by the gap; for WALL_AMBIGUOUS, the first occurrence. Returns -1 only for
 * an invalid calendar date (Feb 30, hour 24, ...), with a message.
 */
int sched_wall_to_utc(const struct wall *w, time_t *out, enum wall_kind *kind,
		      struct err *err);

/* For a wall time in a gap: the last valid instant before the gap and the
 * first after it (e.g. 01:59 and 03:00). Returns -1 if w is not in a gap.
 * Whole minutes, as the owner writes times: *before is the start of the
 * minute before the transition (01:59:00, not 01:59:59); *after is the
 * transition instant itself (03:00:00). */
int sched_gap_bounds(const struct wall *w, time_t *before, time_t *after);

/* The wall time of an instant in the selected zone; *gmtoff (may be NULL)
 * gets the UTC offset in seconds. */
void sched_utc_to_wall(time_t t, struct wall *w, long *gmtoff);
/* The date n days after w's date (through noon, clear of DST changes) in
 * the zone in use, at 00:00:00. */
struct wall sched_wall_add_days(const struct wall *w, int n);
/* The weekday of w's date (proleptic Gregorian): 0 = Monday ... 6 =
 * Sunday (for 0 = Sunday: (sched_wall_weekday(w) + 1) % 7). */
int sched_wall_weekday(const struct wall *w);

/* "2026-03-09T09:00:00-04:00" (RFC 3339 / ISO 8601 with offset) of t in
 * the selected zone; never "Z". buf needs 26 bytes (29 for a historic
 * local-mean-time offset with seconds, "-04:56:02"). Returns 0, or -1 if
 * too small (buf is then ""). */
int sched_format_iso(time_t t, char *buf, size_t len);
/* "Mon 2026-03-09 09:00 EDT" style, for humans (English day names, the
 * zone's abbreviation). buf needs 32 bytes. Returns 0, or -1 if too small. */
int sched_format_human(time_t t, char *buf, size_t len);

/*
 * Parse a local time as the owner writes it: "2026-12-01 09:00",
 * "2026-12-01 09:00:30", "2026-12-01T09:00" (T or space), or with
 * date_only allowed, "2026-12-01" (time 00:00, *has_time = 0).
 * Also accepts a full ISO 8601 instant with offset or "Z"
 * ("2026-12-01T09:00:00-05:00"): then *instant_out is set and *has_offset
 * = 1. Calendar validity is checked (no Feb 30). Returns -1 with a message
 * that shows the accepted forms. Fields are exactly two digits (four for
 * the year); surrounding blanks are ignored; an offset is "Z" or +HH:MM.
 */
struct parsed_time {
	struct wall wall;
	int has_time;      /* 0 for a bare date */
	int has_offset;    /* 1 when an explicit offset/Z was given */
	time_t instant;    /* valid when has_offset */
};
int sched_parse_time(const char *s, int date_only_ok, struct parsed_time *out,
		     struct err *err);

/*
 * Cron: 5 fields "min hour dom mon dow" with lists (1,2), ranges (1-5),
 * steps ("*" then "/15", or 1-30/5), month names (JAN-DEC) and weekday names (SUN-SAT,
 * 0 and 7 both Sunday; FRI-SUN works), case-insensitive. A step after a
 * single number ("5/15") is refused as ambiguous between crons. Vixie cron's rule: when both
 * day-of-month and day-of-week are restricted (neither starts with "*"),
 * a day matches if EITHER matches. "@daily"-style nicknames are accepted:
 * @yearly @annually @monthly @weekly @daily @midnight @hourly.
 */
struct cron;
/* Parse expr; *out owned by the caller (sched_cron_free). On error *out is
 * NULL and the message names the expression, the field and what it
 * accepts: cron expression "0 25 * * *": hour field "25": hours are 0-23 */
int sched_cron_parse(const char *expr, struct cron **out, struct err *err);
void sched_cron_free(struct cron *c);
/* Earliest slot instant >= t (in the selected zone, DST policy above).
 * Returns -1 if none within 5 years (e.g. "0 0 30 2 *"). */
int sched_cron_next(const struct cron *c, time_t t, time_t *next);

/* A set of cron expressions (the config's schedule.slots). */
struct slots {
	struct cron **crons;
	size_t n;
};
/* Parse every expression; on error the message names the expression and
 * nothing is left allocated. n == 0 gives an empty set. */
int sched_slots_parse(char *const *exprs, size_t n, struct slots *out,
		      struct err *err);
void sched_slots_free(struct slots *s);
/* Earliest instant >= t over all expressions; -1 if none. */
int sched_slots_next(const struct slots *s, time_t t, time_t *next);

#endif
