/*
 * schedule.c - the owner's time zone, wall-clock <-> UTC conversion with a
 * written DST policy, the owner's time syntax, and cron-style slots.
 *
 * Owns the process's TZ setting (sched_tz_use is the only place that sets
 * it) and the meaning of every wall-clock time ritual accepts. Never knows
 * about posts, the queue or the network, and never trusts the TZ the
 * process was started with.
 *
 * How conversion works. glibc's localtime_r, fed the zone's TZif file, is
 * the only source of UTC offsets. A wall time w (counted in seconds as if
 * it were UTC) maps to the instants t with t + offset(t) == w. The offsets
 * that can matter are those in force within a day and a half of w (no zone
 * is more than 26 hours from UTC); they are sampled every 6 hours, which
 * sees every offset period of the tz database from 1970 to 2100 (no two
 * transitions are less than 7 hours apart). Each sampled offset o gives a
 * candidate t = w - o, kept if localtime_r(t) really has offset o. Two
 * survivors: the wall time occurs twice (fall back), the earlier wins. None:
 * w is in a spring-forward gap; a binary search finds the transition and w
 * is moved forward by the gap (it is read with the offset in force before
 * the gap). mktime's tm_isdst guessing is never used.
 *
 * Single-threaded by design, like the rest of ritual: the zone is process
 * state.
 */
#include "ritual/schedule.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MINUTE 60LL
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
/* Offsets are sampled every SAMPLE_STEP within SAMPLE_REACH of a wall time;
 * SAMPLE_REACH exceeds the largest UTC offset (26 h, historic LMT included)
 * plus one step. */
#define SAMPLE_STEP (6 * HOUR)
#define SAMPLE_REACH (36 * HOUR)
/* "none within 5 years" for cron: five years of days, plus the day before
 * the start that is also scanned. */
#define CRON_MAX_DAYS (5 * 366 + 2)
#define ZONE_NAME_MAX 255

static char zone_name[ZONE_NAME_MAX + 1];
static int zone_set;

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const month_long[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};
static const char *const day_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
};
static const char *const day_human[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

/* ---- calendar arithmetic (proleptic Gregorian, no time zone) ---- */

static int is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long long y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = mm;
	*d = dd;
}

/* 0 = Sunday. 1970-01-01 was a Thursday. */
static int weekday_of_days(long long days)
{
	long long r = (days + 4) % 7;
	return (int)(r < 0 ? r + 7 : r);
}

int sched_wall_weekday(const struct wall *w)
{
	return (weekday_of_days(days_from_civil(w->year, w->mon, w->day)) + 6) % 7;
}

/* A wall time as seconds since 1970-01-01 00:00 "as if UTC". */
static long long wall_seconds(const struct wall *w)
{
	return days_from_civil(w->year, w->mon, w->day) * DAY +
	       w->hour * HOUR + w->min * MINUTE + w->sec;
}

static int wall_check(const struct wall *w, struct err *err)
{
	if (w->year < 1 || w->year > 9999)
		return err_set(err, "year %d is out of range (1-9999)", w->year);
	if (w->mon < 1 || w->mon > 12)
		return err_set(err, "month %d does not exist; months are 1-12",
			       w->mon);
	if (w->day < 1 || w->day > days_in_month(w->year, w->mon))
		return err_set(err, "%04d-%02d-%02d is not a date: %s %d has %d days",
			       w->year, w->mon, w->day, month_long[w->mon - 1],
			       w->year, days_in_month(w->year, w->mon));
	if (w->hour < 0 || w->hour > 23)
		return err_set(err, "hour %d is not a time of day; hours are 0-23 "
			       "(midnight is 00:00 of the next day)", w->hour);
	if (w->min < 0 || w->min > 59)
		return err_set(err, "minute %d is out of range; minutes are 0-59",
			       w->min);
	if (w->sec < 0 || w->sec > 59)
		return err_set(err, "second %d is out of range; seconds are 0-59",
			       w->sec);
	return 0;
}

/* ---- the zone ---- */

static int zone_name_ok(const char *zone)
{
	if (!zone || !*zone || zone[0] == '/' || strstr(zone, "..") ||
	    strlen(zone) > ZONE_NAME_MAX)
		return 0;
	for (const char *p = zone; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!isalnum(c) && !strchr("/_+-.", c))
			return 0;
	}
	return 1;
}

static int tzif_file_ok(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char magic[4];
	ssize_t r;
	do
		r = read(fd, magic, sizeof(magic));
	while (r < 0 && errno == EINTR);
	close(fd);
	return r == (ssize_t)sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

/* "Europe/Berln" -> "Europe/Berlin": the closest zone file's name (the
 * region first, then the place in it); NULL if nothing is close. */
static char *zone_suggest(const char *dir, const char *zone)
{
	const char *slash = strrchr(zone, '/');
	char *region = slash ? xstrndup(zone, (size_t)(slash - zone)) : NULL;
	const char *place = slash ? slash + 1 : zone;
	char **names = NULL, *found = NULL;
	size_t n = 0;
	if (region) {
		char *rdir = xasprintf("%s/%s", dir, region);
		if (list_dir_names(rdir, &names, &n) < 0) {
			if (list_dir_names(dir, &names, &n) == 0) {
				const char *r = str_closest(region,
							    (const char *const *)names, n);
				char *fixed = r ? xstrdup(r) : NULL;
				strv_free(names);
				names = NULL;
				free(region);
				region = fixed;
				free(rdir);
				rdir = region ? xasprintf("%s/%s", dir, region) : NULL;
				if (!rdir || list_dir_names(rdir, &names, &n) < 0)
					n = 0;
			}
		}
		free(rdir);
	} else if (list_dir_names(dir, &names, &n) < 0) {
		n = 0;
	}
	if (n) {
		const char *p = NULL;
		for (size_t i = 0; i < n && !p; i++)
			if (strcmp(names[i], place) == 0)
				p = names[i];
		if (!p)
			p = str_closest(place, (const char *const *)names, n);
		if (p)
			found = region ? xasprintf("%s/%s", region, p) : xstrdup(p);
	}
	strv_free(names);
	free(region);
	return found;
}

int sched_tz_use(const char *zone, struct err *err)
{
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if (!zone_name_ok(zone))
		return err_set(err, "time zone \"%.100s\" is not a zone name; use an "
			       "IANA name like \"Europe/Berlin\" or "
			       "\"America/New_York\"", zone ? zone : "");
	char *path = xasprintf("%s/%s", dir, zone);
	char *tz = NULL;
	int rc = -1;
	if (!tzif_file_ok(path)) {
		char *near = zone_suggest(dir, zone);
		if (near)
			err_set(err, "unknown time zone \"%s\": did you mean \"%s\"?",
				zone, near);
		else
			err_set(err, "unknown time zone \"%s\": %s is not a zone file "
				"of the tz database; use an IANA name like "
				"\"Europe/Berlin\" or \"America/New_York\" (if no zone "
				"works, install the tzdata package)", zone, path);
		free(near);
		goto out;
	}
	/* An absolute path after ':' makes glibc read exactly the file that
	 * was checked, whatever TZDIR says later. */
	tz = xasprintf(":%s", path);
	if (setenv("TZ", tz, 1) < 0) {
		err_set(err, "cannot select time zone %s: %s", zone, strerror(errno));
		goto out;
	}
	tzset();
	memcpy(zone_name, zone, strlen(zone) + 1);
	zone_set = 1;
	rc = 0;
out:
	free(tz);
	free(path);
	return rc;
}

const char *sched_tz_current(void)
{
	return zone_set ? zone_name : NULL;
}

/* Local time of t. Before any zone is selected, UTC: never the TZ the
 * process happened to inherit. */
static int local_tm(time_t t, struct tm *tm)
{
	if (zone_set)
		return localtime_r(&t, tm) ? 0 : -1;
	return gmtime_r(&t, tm) ? 0 : -1;
}

static int zone_offset(time_t t, long *off)
{
	struct tm tm;
	if (local_tm(t, &tm) < 0)
		return -1;
	*off = tm.tm_gmtoff;
	return 0;
}

/* ---- wall time -> instant ---- */

struct conv {
	time_t t;
	enum wall_kind kind;
	time_t gap_start;       /* WALL_GAP: first instant after the gap */
};

/* The core conversion; see the file-top comment. */
static int convert(long long w, struct conv *cv)
{
	long offs[(2 * SAMPLE_REACH) / SAMPLE_STEP + 1];
	size_t n = 0;
	for (long long s = w - SAMPLE_REACH; s <= w + SAMPLE_REACH; s += SAMPLE_STEP) {
		long o;
		if (zone_offset((time_t)s, &o) < 0)
			return -1;
		size_t i;
		for (i = 0; i < n && offs[i] != o; i++)
			;
		if (i == n)
			offs[n++] = o;
	}
	int found = 0;
	time_t best = 0;
	for (size_t i = 0; i < n; i++) {
		time_t t = (time_t)(w - offs[i]);
		long o;
		if (zone_offset(t, &o) < 0)
			return -1;
		if (o != offs[i])
			continue;
		if (!found || t < best)
			best = t;
		found++;
	}
	if (found) {
		cv->t = best;
		cv->kind = found > 1 ? WALL_AMBIGUOUS : WALL_OK;
		cv->gap_start = 0;
		return 0;
	}
	/* A gap. Local(t) = t + offset(t) is below w at lo and above it at hi
	 * (offsets are smaller than SAMPLE_REACH); narrow down to the second
	 * where it jumps over w: the transition. */
	time_t lo = (time_t)(w - SAMPLE_REACH), hi = (time_t)(w + SAMPLE_REACH);
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		long o;
		if (zone_offset(mid, &o) < 0)
			return -1;
		if (mid + o == w) {
			/* An offset the sampling missed: w does exist. */
			cv->t = mid;
			cv->kind = WALL_OK;
			cv->gap_start = 0;
			return 0;
		}
		if (mid + o < w)
			lo = mid;
		else
			hi = mid;
	}
	long before;
	if (zone_offset(lo, &before) < 0)
		return -1;
	cv->t = (time_t)(w - before);
	cv->kind = WALL_GAP;
	cv->gap_start = hi;
	return 0;
}

int sched_wall_to_utc(const struct wall *w, time_t *out, enum wall_kind *kind,
		      struct err *err)
{
	if (wall_check(w, err) < 0)
		return -1;
	struct conv cv;
	if (convert(wall_seconds(w), &cv) < 0)
		return err_set(err, "cannot convert %04d-%02d-%02d %02d:%02d in "
			       "time zone %s", w->year, w->mon, w->day, w->hour,
			       w->min, zone_set ? zone_name : "UTC");
	*out = cv.t;
	if (kind)
		*kind = cv.kind;
	return 0;
}

int sched_gap_bounds(const struct wall *w, time_t *before, time_t *after)
{
	if (wall_check(w, NULL) < 0)
		return -1;
	struct conv cv;
	if (convert(wall_seconds(w), &cv) < 0 || cv.kind != WALL_GAP)
		return -1;
	/* Whole minutes, since that is how the owner writes times: the minute
	 * before the transition (01:59) and the transition itself (03:00). */
	long long b = (long long)cv.gap_start - MINUTE;
	long long r = b % MINUTE;
	if (r < 0)
		r += MINUTE;
	*before = (time_t)(b - r);
	*after = cv.gap_start;
	return 0;
}

void sched_utc_to_wall(time_t t, struct wall *w, long *gmtoff)
{
	struct tm tm;
	if (local_tm(t, &tm) < 0) {
		memset(w, 0, sizeof(*w));
		if (gmtoff)
			*gmtoff = 0;
		return;
	}
	w->year = tm.tm_year + 1900;
	w->mon = tm.tm_mon + 1;
	w->day = tm.tm_mday;
	w->hour = tm.tm_hour;
	w->min = tm.tm_min;
	w->sec = tm.tm_sec;
	if (gmtoff)
		*gmtoff = tm.tm_gmtoff;
}

/* ---- formatting ---- */

int sched_format_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!buf || len == 0 || local_tm(t, &tm) < 0)
		return -1;
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	int n;
	if (off % 60)   /* historic local mean time: keep the seconds exact */
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld:%02ld",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600,
			     off / 60 % 60, off % 60);
	else
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600,
			     off / 60 % 60);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

int sched_format_human(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!buf || len == 0 || local_tm(t, &tm) < 0)
		return -1;
	const char *abbr = tm.tm_zone && *tm.tm_zone ? tm.tm_zone : "UTC";
	int n = snprintf(buf, len, "%s %04d-%02d-%02d %02d:%02d %s",
			 day_human[tm.tm_wday % 7], tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, abbr);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* ---- the owner's time syntax ---- */

/* Exactly n digits. */
static int take_digits(const char **p, int n, int *val)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*val = v;
	return 0;
}

static int take_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int parse_fail(struct err *err, const char *s, int date_only_ok,
		      const char *why)
{
	return err_set(err, "\"%.64s\"%s%s: write a local time as "
		       "2026-12-01 09:00, 2026-12-01 09:00:30 or 2026-12-01T09:00%s, "
		       "or an instant with its UTC offset as "
		       "2026-12-01T09:00:00-05:00 (or ...Z for UTC)",
		       s, why ? " " : " is not a time I understand", why ? why : "",
		       date_only_ok ? ", a date alone as 2026-12-01 (midnight)" : "");
}

int sched_parse_time(const char *s, int date_only_ok, struct parsed_time *out,
		     struct err *err)
{
	struct parsed_time pt;
	long off = 0;
	memset(&pt, 0, sizeof(pt));
	if (!s)
		return parse_fail(err, "", date_only_ok, NULL);
	const char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (take_digits(&p, 4, &pt.wall.year) < 0 || take_char(&p, '-') < 0 ||
	    take_digits(&p, 2, &pt.wall.mon) < 0 || take_char(&p, '-') < 0 ||
	    take_digits(&p, 2, &pt.wall.day) < 0)
		return parse_fail(err, s, date_only_ok, NULL);
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (take_digits(&p, 2, &pt.wall.hour) < 0 ||
		    take_char(&p, ':') < 0 ||
		    take_digits(&p, 2, &pt.wall.min) < 0)
			return parse_fail(err, s, date_only_ok, NULL);
		if (*p == ':') {
			p++;
			if (take_digits(&p, 2, &pt.wall.sec) < 0)
				return parse_fail(err, s, date_only_ok, NULL);
		}
		pt.has_time = 1;
		if (*p == 'Z' || *p == 'z') {
			p++;
			pt.has_offset = 1;
		} else if (*p == '+' || *p == '-') {
			int neg = *p == '-', oh, om;
			p++;
			if (take_digits(&p, 2, &oh) < 0 || take_char(&p, ':') < 0 ||
			    take_digits(&p, 2, &om) < 0)
				return parse_fail(err, s, date_only_ok, NULL);
			if (oh > 23 || om > 59)
				return parse_fail(err, s, date_only_ok,
						  "has a UTC offset out of range");
			off = (oh * 3600L + om * 60L) * (neg ? -1 : 1);
			pt.has_offset = 1;
		}
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != '\0')
		return parse_fail(err, s, date_only_ok, NULL);
	if (!pt.has_time && !date_only_ok)
		return parse_fail(err, s, date_only_ok,
				  "has no time of day (e.g. 09:00)");
	struct err e;
	if (wall_check(&pt.wall, &e) < 0) {
		char why[sizeof(e.msg) + 32];
		snprintf(why, sizeof(why), "is not valid (%s)", e.msg);
		return parse_fail(err, s, date_only_ok, why);
	}
	if (pt.has_offset)
		pt.instant = (time_t)(wall_seconds(&pt.wall) - off);
	*out = pt;
	return 0;
}

/* ---- cron ---- */

struct cron {
	uint64_t min;           /* bit n: minute n */
	uint32_t hour;          /* bit n: hour n */
	uint32_t dom;           /* bit n: day of month n, 1-31 */
	uint16_t mon;           /* bit n: month n, 1-12 */
	uint8_t dow;            /* bit n: weekday n, 0 = Sunday */
	int dom_star, dow_star; /* field text starts with '*' (Vixie's rule) */
};

struct field_def {
	const char *name;
	const char *accepts;
	int lo, hi;
	const char *const *names;   /* 3-letter names, or NULL */
	int names_first;            /* value of names[0] */
	int n_names;
	int sunday7;                /* day of week: 7 is 0 (Sunday) */
};

static const struct field_def fields[5] = {
	{ "minute", "minutes are 0-59", 0, 59, NULL, 0, 0, 0 },
	{ "hour", "hours are 0-23", 0, 23, NULL, 0, 0, 0 },
	{ "day-of-month", "days of the month are 1-31", 1, 31, NULL, 0, 0, 0 },
	{ "month", "months are 1-12 or JAN-DEC", 1, 12, month_names, 1, 12, 0 },
	{ "day-of-week", "days of the week are 0-7 (0 and 7 are Sunday) or SUN-SAT",
	  0, 7, day_names, 0, 7, 1 },
};

static const struct {
	const char *nick;
	const char *expr;
} nicknames[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* One value: a number or, where the field has them, a 3-letter name.
 * Returns 0, or -1 with a reason in why. */
static int field_value(const struct field_def *f, const char **p, int *val,
		       char *why, size_t whylen)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		int v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v < 1000)
				v = v * 10 + (*s - '0');
			s++;
		}
		if (v < f->lo || v > f->hi) {
			snprintf(why, whylen, "%s", f->accepts);
			return -1;
		}
		*val = v;
		*p = s;
		return 0;
	}
	if (isalpha((unsigned char)*s)) {
		size_t len = 0;
		while (isalpha((unsigned char)s[len]))
			len++;
		if (!f->names) {
			snprintf(why, whylen, "names like \"%.*s\" are allowed only "
				 "for months and days of the week; %s",
				 (int)(len > 20 ? 20 : len), s, f->accepts);
			return -1;
		}
		for (int i = 0; len == 3 && i < f->n_names; i++) {
			const char *nm = f->names[i];
			if (toupper((unsigned char)s[0]) == nm[0] &&
			    toupper((unsigned char)s[1]) == nm[1] &&
			    toupper((unsigned char)s[2]) == nm[2]) {
				*val = f->names_first + i;
				*p = s + 3;
				return 0;
			}
		}
		snprintf(why, whylen, "unknown name \"%.*s\"; %s",
			 (int)(len > 20 ? 20 : len), s, f->accepts);
		return -1;
	}
	snprintf(why, whylen, "expected a number, a range like 1-5, a list "
		 "like 1,15, a step like */2, or *; %s", f->accepts);
	return -1;
}

static int parse_step(const struct field_def *f, const char **p, int *step,
		      char *why, size_t whylen)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s)) {
		snprintf(why, whylen, "a step needs a number after '/' (e.g. */15)");
		return -1;
	}
	int v = 0;
	while (isdigit((unsigned char)*s)) {
		if (v < 1000)
			v = v * 10 + (*s - '0');
		s++;
	}
	if (v < 1) {
		snprintf(why, whylen, "a step must be at least 1");
		return -1;
	}
	if (v > f->hi - f->lo + 1) {
		snprintf(why, whylen, "the step %d is larger than the field; %s",
			 v, f->accepts);
		return -1;
	}
	*step = v;
	*p = s;
	return 0;
}

/* One field into bits. On error, the message names the field. */
static int parse_field(const struct field_def *f, const char *text,
		       uint64_t *bits, struct err *err)
{
	char why[256];
	const char *p = text;
	*bits = 0;
	for (;;) {
		int a, b, step = 1;
		if (*p == '*') {
			p++;
			a = f->lo;
			b = f->hi;
			if (*p == '/') {
				p++;
				if (parse_step(f, &p, &step, why, sizeof(why)) < 0)
					goto fail;
			}
		} else {
			if (field_value(f, &p, &a, why, sizeof(why)) < 0)
				goto fail;
			b = a;
			if (*p == '-') {
				p++;
				if (field_value(f, &p, &b, why, sizeof(why)) < 0)
					goto fail;
				/* FRI-SUN: Sunday at the end of a range is 7. */
				if (f->sunday7 && b == 0 && a > 0)
					b = 7;
				if (b < a) {
					snprintf(why, sizeof(why), "the range %d-%d runs "
						 "backwards; write %d-%d,%d-%d",
						 a, b, a, f->hi, f->lo, b);
					goto fail;
				}
				if (*p == '/') {
					p++;
					if (parse_step(f, &p, &step, why,
						       sizeof(why)) < 0)
						goto fail;
				}
			} else if (*p == '/') {
				snprintf(why, sizeof(why), "a step needs a range or *; "
					 "write %d-%d/N or */N", a, f->hi);
				goto fail;
			}
		}
		for (int v = a; v <= b; v += step)
			*bits |= 1ULL << (f->sunday7 ? v % 7 : v);
		if (*p == '\0')
			return 0;
		if (*p != ',' || p[1] == '\0') {
			snprintf(why, sizeof(why), "expected a number, a range like "
				 "1-5, a list like 1,15, a step like */2, or *; %s",
				 f->accepts);
			goto fail;
		}
		p++;
	}
fail:
	return err_set(err, "%s field \"%.40s\": %s", f->name, text, why);
}

int sched_cron_parse(const char *expr, struct cron **out, struct err *err)
{
	struct cron *c = NULL;
	char **v = NULL;
	size_t n = 0;
	int rc = -1;
	struct err e;
	*out = NULL;
	if (!expr)
		expr = "";
	const char *body = expr;
	while (*body == ' ' || *body == '\t')
		body++;
	if (*body == '@') {
		size_t len = strcspn(body, " \t");
		const char *rest = body + len;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		const char *found = NULL;
		char *word = xstrndup(body, len);
		for (size_t i = 0; i < RT_ARRAY_LEN(nicknames); i++) {
			if (str_casecmp_ascii(nicknames[i].nick, word) == 0)
				found = nicknames[i].expr;
		}
		free(word);
		if (!found || *rest) {
			err_set(err, "cron expression \"%.200s\": unknown nickname; "
				"use @hourly, @daily, @midnight, @weekly, @monthly, "
				"@yearly or @annually, or five fields "
				"(minute hour day-of-month month day-of-week)", expr);
			goto out;
		}
		body = found;
	}
	v = str_split(body, " \t", &n);
	if (n != 5) {
		err_set(err, "cron expression \"%.200s\": expected 5 fields "
			"(minute hour day-of-month month day-of-week), found %zu",
			expr, n);
		goto out;
	}
	c = xcalloc(1, sizeof(*c));
	uint64_t bits[5];
	for (size_t i = 0; i < 5; i++) {
		if (parse_field(&fields[i], v[i], &bits[i], &e) < 0) {
			err_set(err, "cron expression \"%.200s\": %s", expr, e.msg);
			goto out;
		}
	}
	c->min = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->mon = (uint16_t)bits[3];
	c->dow = (uint8_t)bits[4];
	c->dom_star = v[2][0] == '*';
	c->dow_star = v[4][0] == '*';
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(c);
	strv_free(v);
	return rc;
}

void sched_cron_free(struct cron *c)
{
	free(c);
}

static int cron_day_matches(const struct cron *c, long long days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (!(c->mon & (1u << m)))
		return 0;
	int dom = (c->dom >> d) & 1;
	int dow = (c->dow >> weekday_of_days(days)) & 1;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The zone's offset if it is the same throughout the day starting at
 * midnight (wall seconds) and a day and a half either side; then every
 * wall time of that day exists exactly once. */
static int day_offset_constant(long long midnight, long *off)
{
	long first = 0;
	for (long long s = midnight - SAMPLE_REACH;
	     s <= midnight + DAY + SAMPLE_REACH; s += SAMPLE_STEP) {
		long o;
		if (zone_offset((time_t)s, &o) < 0)
			return -1;
		if (s == midnight - SAMPLE_REACH)
			first = o;
		else if (o != first)
			return 0;
	}
	*off = first;
	return 1;
}

/* Offer every slot of one local day; keep the earliest instant >= t. */
static int cron_scan_day(const struct cron *c, long long days, time_t t,
			 int *have, time_t *best)
{
	long long midnight = days * DAY;
	long off = 0;
	int constant = day_offset_constant(midnight, &off);
	if (constant < 0)
		return -1;
	for (int h = 0; h < 24; h++) {
		if (!(c->hour & (1u << h)))
			continue;
		for (int mi = 0; mi < 60; mi++) {
			if (!(c->min & (1ULL << mi)))
				continue;
			long long w = midnight + h * HOUR + mi * MINUTE;
			time_t inst;
			if (constant) {
				inst = (time_t)(w - off);
			} else {
				struct conv cv;
				if (convert(w, &cv) < 0)
					return -1;
				inst = cv.t;
			}
			if (inst >= t && (!*have || inst < *best)) {
				*best = inst;
				*have = 1;
			}
		}
	}
	return 0;
}

int sched_cron_next(const struct cron *c, time_t t, time_t *next)
{
	struct tm tm;
	if (!c || local_tm(t, &tm) < 0)
		return -1;
	/* Start the day before t's local day: a slot late that evening can be
	 * moved forward past midnight by a gap. Slots are not in time order
	 * within a transition day (02:30 moved to 03:30 comes after 03:10),
	 * nor always across days, so two more days are scanned after the
	 * first day that offers one. */
	long long start = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
					  tm.tm_mday) - 1;
	long long stop = start + CRON_MAX_DAYS;
	int have = 0;
	time_t best = 0;
	for (long long d = start; d <= stop; d++) {
		if (!cron_day_matches(c, d))
			continue;
		if (cron_scan_day(c, d, t, &have, &best) < 0)
			return -1;
		if (have && stop > d + 2)
			stop = d + 2;
	}
	if (!have)
		return -1;
	*next = best;
	return 0;
}

/* ---- slot sets ---- */

int sched_slots_parse(char *const *exprs, size_t n, struct slots *out,
		      struct err *err)
{
	out->crons = NULL;
	out->n = 0;
	if (n == 0)
		return 0;
	struct cron **v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		if (sched_cron_parse(exprs[i], &v[i], err) < 0) {
			for (size_t k = 0; k < i; k++)
				sched_cron_free(v[k]);
			free(v);
			return -1;
		}
	}
	out->crons = v;
	out->n = n;
	return 0;
}

void sched_slots_free(struct slots *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		sched_cron_free(s->crons[i]);
	free(s->crons);
	s->crons = NULL;
	s->n = 0;
}

int sched_slots_next(const struct slots *s, time_t t, time_t *next)
{
	int have = 0;
	time_t best = 0;
	for (size_t i = 0; s && i < s->n; i++) {
		time_t x;
		if (sched_cron_next(s->crons[i], t, &x) < 0)
			continue;
		if (!have || x < best) {
			best = x;
			have = 1;
		}
	}
	if (!have)
		return -1;
	*next = best;
	return 0;
}

struct wall sched_wall_add_days(const struct wall *w, int n)
{
	struct wall noon = *w, out;
	noon.hour = 12;
	noon.min = noon.sec = 0;
	time_t t;
	struct err err;
	if (sched_wall_to_utc(&noon, &t, NULL, &err) < 0)
		t = 0;
	sched_utc_to_wall(t + (time_t)n * 86400, &out, NULL);
	out.hour = out.min = out.sec = 0;
	return out;
}
