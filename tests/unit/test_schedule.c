/*
 * test_schedule.c - the schedule part: zone selection, wall <-> UTC with the
 * DST policy in four zones (both hemispheres, a 30-minute DST), the owner's
 * time syntax, cron parsing and slot search.
 *
 * Every test selects its zone explicitly and builds instants with timegm,
 * so nothing depends on the machine's TZ or on today's date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ritual/schedule.h"

/* ---- helpers ---- */

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static void use(const char *zone)
{
	struct err e;
	if (sched_tz_use(zone, &e) < 0)
		fail_msg("sched_tz_use(%s): %s", zone, e.msg);
	assert_string_equal(sched_tz_current(), zone);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in: %s", needle, hay);
}

static struct wall wall_of(int y, int mo, int d, int h, int mi)
{
	struct wall w = { y, mo, d, h, mi, 0 };
	return w;
}

/* Convert and check kind and instant. */
static void expect_wall(int y, int mo, int d, int h, int mi,
			enum wall_kind kind, time_t want)
{
	struct wall w = wall_of(y, mo, d, h, mi);
	struct err e;
	time_t t = 0;
	enum wall_kind k = WALL_OK;
	if (sched_wall_to_utc(&w, &t, &k, &e) < 0)
		fail_msg("wall_to_utc: %s", e.msg);
	assert_int_equal(k, kind);
	assert_int_equal(t, want);
}

static time_t next_of(const char *expr, time_t t)
{
	struct cron *c = NULL;
	struct err e;
	if (sched_cron_parse(expr, &c, &e) < 0)
		fail_msg("cron parse \"%s\": %s", expr, e.msg);
	time_t n = 0;
	int rc = sched_cron_next(c, t, &n);
	sched_cron_free(c);
	return rc < 0 ? (time_t)-1 : n;
}

static void expect_iso(time_t t, const char *want)
{
	char buf[26];
	assert_int_equal(sched_format_iso(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void expect_human(time_t t, const char *want)
{
	char buf[32];
	assert_int_equal(sched_format_human(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void expect_cron_error(const char *expr, const char *n1, const char *n2)
{
	struct cron *c = NULL;
	struct err e;
	e.msg[0] = '\0';
	if (sched_cron_parse(expr, &c, &e) == 0)
		fail_msg("cron \"%s\" was accepted", expr);
	assert_null(c);
	assert_contains(e.msg, expr);
	assert_contains(e.msg, n1);
	if (n2)
		assert_contains(e.msg, n2);
}

/* ---- zone selection ---- */

static void test_zone_refused(void **state)
{
	(void)state;
	struct err e;
	use("Europe/Berlin");

	assert_int_equal(sched_tz_use("Mars/Olympus", &e), -1);
	assert_contains(e.msg, "Mars/Olympus");
	assert_contains(e.msg, "tzdata");

	assert_int_equal(sched_tz_use("../etc/passwd", &e), -1);
	assert_contains(e.msg, "../etc/passwd");
	assert_int_equal(sched_tz_use("America/../../../etc/passwd", &e), -1);
	assert_int_equal(sched_tz_use("/etc/passwd", &e), -1);
	assert_int_equal(sched_tz_use("", &e), -1);
	assert_int_equal(sched_tz_use(NULL, &e), -1);
	assert_int_equal(sched_tz_use("America", &e), -1);   /* a folder */
	assert_int_equal(sched_tz_use("Europe/Berlin ", &e), -1);

	/* A refused name leaves the previous zone in force. */
	assert_string_equal(sched_tz_current(), "Europe/Berlin");
	expect_iso(utc(2026, 6, 1, 10, 0), "2026-06-01T12:00:00+02:00");
}

/* TZDIR is honoured, and a file that is not TZif is refused even there. */
static void test_zone_tzdir(void **state)
{
	(void)state;
	char dir[] = "/tmp/ritual-tzdir-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64], bad[96], good[96];
	snprintf(sub, sizeof(sub), "%s/Test", dir);
	snprintf(bad, sizeof(bad), "%s/Test/Bogus", dir);
	snprintf(good, sizeof(good), "%s/Test/Kolkata", dir);
	assert_int_equal(mkdir(sub, 0700), 0);

	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("UTC0\n", f);
	fclose(f);

	unsigned char *data;
	size_t len;
	struct err e;
	assert_int_equal(read_file("/usr/share/zoneinfo/Asia/Kolkata", &data,
				   &len, 1 << 20, &e), 0);
	assert_int_equal(write_file_atomic(good, data, len, 0644, &e), 0);
	free(data);

	setenv("TZDIR", dir, 1);
	int bad_rc = sched_tz_use("Test/Bogus", &e);
	int good_rc = sched_tz_use("Test/Kolkata", &e);
	int ny_rc = sched_tz_use("America/New_York", &e);   /* not in TZDIR */
	char iso[26] = "";
	if (good_rc == 0)
		sched_format_iso(utc(2026, 3, 9, 9, 0), iso, sizeof(iso));
	unsetenv("TZDIR");
	/* Selected by absolute path: unsetting TZDIR changes nothing. */
	char iso2[26] = "";
	sched_format_iso(utc(2026, 3, 9, 9, 0), iso2, sizeof(iso2));

	unlink(bad);
	unlink(good);
	rmdir(sub);
	rmdir(dir);

	assert_int_equal(bad_rc, -1);
	assert_int_equal(good_rc, 0);
	assert_int_equal(ny_rc, -1);
	assert_string_equal(iso, "2026-03-09T14:30:00+05:30");
	assert_string_equal(iso2, "2026-03-09T14:30:00+05:30");
	use("UTC");
}

/* Whatever TZ the process was started with, the selected zone rules. */
static void test_zone_ignores_process_tz(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	use("Europe/Berlin");
	expect_wall(2026, 6, 1, 12, 0, WALL_OK, utc(2026, 6, 1, 10, 0));
	struct wall w;
	long off;
	sched_utc_to_wall(utc(2026, 1, 15, 23, 30), &w, &off);
	assert_int_equal(w.day, 16);
	assert_int_equal(w.hour, 0);
	assert_int_equal(w.min, 30);
	assert_int_equal(off, 3600);
}

/* ---- wall <-> UTC around transitions ---- */

static void test_new_york_transitions(void **state)
{
	(void)state;
	use("America/New_York");
	/* Spring forward 2026-03-08 02:00 EST -> 03:00 EDT. */
	expect_wall(2026, 3, 8, 1, 59, WALL_OK, utc(2026, 3, 8, 6, 59));
	expect_wall(2026, 3, 8, 2, 0, WALL_GAP, utc(2026, 3, 8, 7, 0));
	expect_wall(2026, 3, 8, 2, 30, WALL_GAP, utc(2026, 3, 8, 7, 30));
	expect_wall(2026, 3, 8, 3, 0, WALL_OK, utc(2026, 3, 8, 7, 0));
	/* Fall back 2026-11-01 02:00 EDT -> 01:00 EST: first occurrence. */
	expect_wall(2026, 11, 1, 0, 59, WALL_OK, utc(2026, 11, 1, 4, 59));
	expect_wall(2026, 11, 1, 1, 0, WALL_AMBIGUOUS, utc(2026, 11, 1, 5, 0));
	expect_wall(2026, 11, 1, 1, 30, WALL_AMBIGUOUS, utc(2026, 11, 1, 5, 30));
	expect_wall(2026, 11, 1, 1, 59, WALL_AMBIGUOUS, utc(2026, 11, 1, 5, 59));
	expect_wall(2026, 11, 1, 2, 0, WALL_OK, utc(2026, 11, 1, 7, 0));

	struct wall w;
	long off;
	sched_utc_to_wall(utc(2026, 11, 1, 5, 30), &w, &off);
	assert_int_equal(w.hour, 1);
	assert_int_equal(w.min, 30);
	assert_int_equal(off, -4 * 3600);
	sched_utc_to_wall(utc(2026, 11, 1, 6, 30), &w, &off);
	assert_int_equal(w.hour, 1);
	assert_int_equal(w.min, 30);
	assert_int_equal(off, -5 * 3600);
}

static void test_berlin_transitions(void **state)
{
	(void)state;
	use("Europe/Berlin");
	/* 2026-03-29 02:00 CET -> 03:00 CEST */
	expect_wall(2026, 3, 29, 2, 30, WALL_GAP, utc(2026, 3, 29, 1, 30));
	expect_wall(2026, 3, 29, 3, 30, WALL_OK, utc(2026, 3, 29, 1, 30));
	expect_wall(2026, 3, 29, 1, 30, WALL_OK, utc(2026, 3, 29, 0, 30));
	/* 2026-10-25 03:00 CEST -> 02:00 CET */
	expect_wall(2026, 10, 25, 2, 30, WALL_AMBIGUOUS, utc(2026, 10, 25, 0, 30));
	expect_wall(2026, 10, 25, 3, 0, WALL_OK, utc(2026, 10, 25, 2, 0));
	expect_iso(utc(2026, 10, 25, 0, 30), "2026-10-25T02:30:00+02:00");
	expect_iso(utc(2026, 10, 25, 1, 30), "2026-10-25T02:30:00+01:00");
}

static void test_sydney_transitions(void **state)
{
	(void)state;
	use("Australia/Sydney");
	/* Southern autumn: 2026-04-05 03:00 AEDT -> 02:00 AEST. */
	expect_wall(2026, 4, 5, 2, 30, WALL_AMBIGUOUS, utc(2026, 4, 4, 15, 30));
	expect_wall(2026, 4, 5, 3, 0, WALL_OK, utc(2026, 4, 4, 17, 0));
	/* Southern spring: 2026-10-04 02:00 AEST -> 03:00 AEDT. */
	expect_wall(2026, 10, 4, 2, 30, WALL_GAP, utc(2026, 10, 3, 16, 30));
	expect_wall(2026, 10, 4, 1, 59, WALL_OK, utc(2026, 10, 3, 15, 59));
	expect_iso(utc(2026, 10, 3, 16, 30), "2026-10-04T03:30:00+11:00");
	expect_iso(utc(2026, 7, 1, 0, 0), "2026-07-01T10:00:00+10:00");
}

/* Lord Howe Island moves its clocks by 30 minutes. */
static void test_lord_howe_half_hour_dst(void **state)
{
	(void)state;
	use("Australia/Lord_Howe");
	/* 2026-10-04 02:00 +10:30 -> 02:30 +11: 02:15 moves to 02:45. */
	expect_wall(2026, 10, 4, 2, 15, WALL_GAP, utc(2026, 10, 3, 15, 45));
	expect_wall(2026, 10, 4, 2, 30, WALL_OK, utc(2026, 10, 3, 15, 30));
	expect_iso(utc(2026, 10, 3, 15, 45), "2026-10-04T02:45:00+11:00");
	time_t before, after;
	struct wall w = wall_of(2026, 10, 4, 2, 15);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), 0);
	expect_iso(before, "2026-10-04T01:59:00+10:30");
	expect_iso(after, "2026-10-04T02:30:00+11:00");
	/* 2026-04-05 02:00 +11 -> 01:30 +10:30: 01:45 happens twice. */
	expect_wall(2026, 4, 5, 1, 45, WALL_AMBIGUOUS, utc(2026, 4, 4, 14, 45));
	expect_wall(2026, 4, 5, 1, 15, WALL_OK, utc(2026, 4, 4, 14, 15));
	/* A slot in the half-hour gap moves forward by half an hour. */
	assert_int_equal(next_of("15 2 * * *", utc(2026, 10, 3, 0, 0)),
			 utc(2026, 10, 3, 15, 45));
}

/* Every half hour of 2026 in New York converts back to itself, except the
 * one gap hour (moved forward by exactly one hour) and the one repeated
 * hour (first occurrence). */
static void test_new_york_whole_year(void **state)
{
	(void)state;
	use("America/New_York");
	int gaps = 0, ambiguous = 0;
	for (int day = 0; day < 365; day++) {
		time_t noon = utc(2026, 1, 1, 17, 0) + (time_t)day * 86400;
		struct wall d;
		sched_utc_to_wall(noon, &d, NULL);
		for (int half = 0; half < 48; half++) {
			struct wall w = wall_of(d.year, d.mon, d.day, half / 2,
						half % 2 * 30);
			time_t t;
			enum wall_kind k;
			struct err e;
			assert_int_equal(sched_wall_to_utc(&w, &t, &k, &e), 0);
			struct wall back;
			long off;
			sched_utc_to_wall(t, &back, &off);
			assert_int_equal(back.day, w.day);
			assert_int_equal(back.min, w.min);
			if (k == WALL_GAP) {
				gaps++;
				assert_int_equal(back.hour, w.hour + 1);
			} else {
				assert_int_equal(back.hour, w.hour);
			}
			if (k == WALL_AMBIGUOUS) {
				ambiguous++;
				assert_int_equal(off, -4 * 3600);   /* EDT first */
			}
		}
	}
	assert_int_equal(gaps, 2);        /* 02:00 and 02:30 on March 8 */
	assert_int_equal(ambiguous, 2);   /* 01:00 and 01:30 on November 1 */
}

static void test_gap_bounds(void **state)
{
	(void)state;
	time_t before, after;
	use("America/New_York");
	struct wall w = wall_of(2026, 3, 8, 2, 30);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), 0);
	assert_int_equal(before, utc(2026, 3, 8, 6, 59));
	assert_int_equal(after, utc(2026, 3, 8, 7, 0));
	expect_human(before, "Sun 2026-03-08 01:59 EST");
	expect_human(after, "Sun 2026-03-08 03:00 EDT");

	/* Not in a gap: an ordinary time and a repeated one. */
	w = wall_of(2026, 3, 8, 3, 30);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), -1);
	w = wall_of(2026, 11, 1, 1, 30);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), -1);

	use("Europe/Berlin");
	w = wall_of(2026, 3, 29, 2, 0);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), 0);
	expect_iso(before, "2026-03-29T01:59:00+01:00");
	expect_iso(after, "2026-03-29T03:00:00+02:00");

	use("Australia/Sydney");
	w = wall_of(2026, 10, 4, 2, 59);
	assert_int_equal(sched_gap_bounds(&w, &before, &after), 0);
	expect_iso(before, "2026-10-04T01:59:00+10:00");
	expect_iso(after, "2026-10-04T03:00:00+11:00");
}

/* A one-off "At:" in the gap: parse, see the gap, name the neighbours. */
static void test_one_off_in_gap(void **state)
{
	(void)state;
	use("America/New_York");
	struct parsed_time pt;
	struct err e;
	assert_int_equal(sched_parse_time("2026-03-08 02:30", 0, &pt, &e), 0);
	time_t t;
	enum wall_kind k;
	assert_int_equal(sched_wall_to_utc(&pt.wall, &t, &k, &e), 0);
	assert_int_equal(k, WALL_GAP);
	time_t before, after;
	assert_int_equal(sched_gap_bounds(&pt.wall, &before, &after), 0);
	assert_true(before < t && after <= t);
	expect_iso(before, "2026-03-08T01:59:00-05:00");
	expect_iso(after, "2026-03-08T03:00:00-04:00");
}

static void test_wall_invalid(void **state)
{
	(void)state;
	use("UTC");
	struct err e;
	time_t t;
	struct wall w = wall_of(2026, 2, 30, 9, 0);
	assert_int_equal(sched_wall_to_utc(&w, &t, NULL, &e), -1);
	assert_contains(e.msg, "2026-02-30");
	assert_contains(e.msg, "28 days");
	w = wall_of(2028, 2, 29, 9, 0);
	assert_int_equal(sched_wall_to_utc(&w, &t, NULL, &e), 0);
	assert_int_equal(t, utc(2028, 2, 29, 9, 0));
	w = wall_of(2026, 6, 1, 24, 0);
	assert_int_equal(sched_wall_to_utc(&w, &t, NULL, &e), -1);
	assert_contains(e.msg, "hour 24");
	w = wall_of(2026, 13, 1, 0, 0);
	assert_int_equal(sched_wall_to_utc(&w, &t, NULL, &e), -1);
	w = wall_of(2026, 4, 31, 0, 0);
	assert_int_equal(sched_wall_to_utc(&w, &t, NULL, &e), -1);
	assert_int_equal(sched_gap_bounds(&w, &t, &t), -1);
}

/* ---- formatting ---- */

static void test_format(void **state)
{
	(void)state;
	use("America/New_York");
	expect_iso(utc(2026, 3, 9, 13, 0), "2026-03-09T09:00:00-04:00");
	expect_iso(utc(2026, 1, 9, 14, 0), "2026-01-09T09:00:00-05:00");
	expect_human(utc(2026, 3, 9, 13, 0), "Mon 2026-03-09 09:00 EDT");
	expect_human(utc(2026, 1, 9, 14, 0), "Fri 2026-01-09 09:00 EST");

	use("Asia/Kolkata");
	expect_iso(utc(2026, 3, 9, 9, 0), "2026-03-09T14:30:00+05:30");
	expect_human(utc(2026, 3, 9, 9, 0), "Mon 2026-03-09 14:30 IST");

	use("UTC");
	expect_iso(utc(2026, 3, 9, 9, 0), "2026-03-09T09:00:00+00:00");

	/* Exactly 26 bytes are needed; one less is refused, not truncated. */
	char small[25];
	assert_int_equal(sched_format_iso(0, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	char tiny[10];
	assert_int_equal(sched_format_human(0, tiny, sizeof(tiny)), -1);
}

/* ---- the owner's time syntax ---- */

static void expect_parse(const char *s, int date_ok, int y, int mo, int d,
			 int h, int mi, int sec, int has_time)
{
	struct parsed_time pt;
	struct err e;
	if (sched_parse_time(s, date_ok, &pt, &e) < 0)
		fail_msg("parse \"%s\": %s", s, e.msg);
	assert_int_equal(pt.wall.year, y);
	assert_int_equal(pt.wall.mon, mo);
	assert_int_equal(pt.wall.day, d);
	assert_int_equal(pt.wall.hour, h);
	assert_int_equal(pt.wall.min, mi);
	assert_int_equal(pt.wall.sec, sec);
	assert_int_equal(pt.has_time, has_time);
	assert_int_equal(pt.has_offset, 0);
}

static void expect_parse_error(const char *s, int date_ok, const char *why)
{
	struct parsed_time pt;
	struct err e;
	if (sched_parse_time(s, date_ok, &pt, &e) == 0)
		fail_msg("\"%s\" was accepted", s);
	/* Every refusal shows the accepted forms. */
	assert_contains(e.msg, "2026-12-01 09:00,");
	assert_contains(e.msg, "2026-12-01 09:00:30");
	assert_contains(e.msg, "2026-12-01T09:00");
	assert_contains(e.msg, "2026-12-01T09:00:00-05:00");
	if (why)
		assert_contains(e.msg, why);
}

static void test_parse_time_forms(void **state)
{
	(void)state;
	expect_parse("2026-12-01 09:00", 0, 2026, 12, 1, 9, 0, 0, 1);
	expect_parse("2026-12-01T09:00", 0, 2026, 12, 1, 9, 0, 0, 1);
	expect_parse("2026-12-01 09:00:30", 0, 2026, 12, 1, 9, 0, 30, 1);
	expect_parse("2026-12-01T23:59:59", 0, 2026, 12, 1, 23, 59, 59, 1);
	expect_parse("2026-12-01", 1, 2026, 12, 1, 0, 0, 0, 0);
	expect_parse("2028-02-29 00:00", 0, 2028, 2, 29, 0, 0, 0, 1);
	expect_parse("2000-02-29 12:00", 0, 2000, 2, 29, 12, 0, 0, 1);

	struct parsed_time pt;
	struct err e;
	assert_int_equal(sched_parse_time("2026-12-01T09:00:00-05:00", 0, &pt, &e), 0);
	assert_int_equal(pt.has_offset, 1);
	assert_int_equal(pt.instant, utc(2026, 12, 1, 14, 0));
	assert_int_equal(sched_parse_time("2026-12-01T09:00:00Z", 0, &pt, &e), 0);
	assert_int_equal(pt.has_offset, 1);
	assert_int_equal(pt.instant, utc(2026, 12, 1, 9, 0));
	assert_int_equal(sched_parse_time("2026-12-01T09:00+05:30", 0, &pt, &e), 0);
	assert_int_equal(pt.instant, utc(2026, 12, 1, 3, 30));
	assert_int_equal(pt.wall.hour, 9);
}

static void test_parse_time_refusals(void **state)
{
	(void)state;
	expect_parse_error("2026-02-29 09:00", 0, "28 days");
	expect_parse_error("1900-02-29 09:00", 0, "28 days");
	expect_parse_error("2026-04-31 09:00", 0, "30 days");
	expect_parse_error("2026-12-01 24:00", 0, "hour 24");
	expect_parse_error("2026-12-01 09:60", 0, NULL);
	expect_parse_error("2026-12-01 09:00:60", 0, NULL);
	expect_parse_error("2026-13-01 09:00", 0, NULL);
	expect_parse_error("2026-00-10 09:00", 0, NULL);
	expect_parse_error("2026-1-5 09:00", 0, "2026-1-5");
	expect_parse_error("2026-01-05 9:00", 0, NULL);
	expect_parse_error("2026-01-05 09:0", 0, NULL);
	expect_parse_error("2026/01/05 09:00", 0, NULL);
	expect_parse_error("tomorrow at nine", 0, "tomorrow at nine");
	expect_parse_error("", 0, NULL);
	expect_parse_error("2026-12-01 09:00 please", 0, NULL);
	expect_parse_error("2026-12-01T09:00:00+5:00", 0, NULL);
	expect_parse_error("2026-12-01T09:00:00+24:00", 0, "out of range");
	/* A bare date only where the caller allows it. */
	expect_parse_error("2026-12-01", 0, "no time of day");
	expect_parse_error("2026-02-30", 1, "28 days");
}

/* ---- cron ---- */

static void test_cron_lists_ranges_steps(void **state)
{
	(void)state;
	use("UTC");
	time_t t = utc(2026, 6, 1, 10, 0);   /* a Monday */
	assert_int_equal(next_of("0 9,17 * * *", t), utc(2026, 6, 1, 17, 0));
	assert_int_equal(next_of("0 9,17 * * *", utc(2026, 6, 1, 17, 1)),
			 utc(2026, 6, 2, 9, 0));
	assert_int_equal(next_of("0 9-11 * * *", t), t);   /* >= t: t itself */
	assert_int_equal(next_of("0 9-11 * * *", utc(2026, 6, 1, 11, 30)),
			 utc(2026, 6, 2, 9, 0));
	assert_int_equal(next_of("*/15 * * * *", utc(2026, 6, 1, 10, 1)),
			 utc(2026, 6, 1, 10, 15));
	assert_int_equal(next_of("10-50/20 * * * *", utc(2026, 6, 1, 10, 31)),
			 utc(2026, 6, 1, 10, 50));
	assert_int_equal(next_of("10-50/20 * * * *", utc(2026, 6, 1, 10, 51)),
			 utc(2026, 6, 1, 11, 10));
	assert_int_equal(next_of("0 */6 * * *", utc(2026, 6, 1, 1, 0)),
			 utc(2026, 6, 1, 6, 0));
	assert_int_equal(next_of("* * * * *", utc(2026, 6, 1, 10, 0) + 1),
			 utc(2026, 6, 1, 10, 1));
	assert_int_equal(next_of("0 9 15 * *", t), utc(2026, 6, 15, 9, 0));
	assert_int_equal(next_of("0 0 31 * *", t), utc(2026, 7, 31, 0, 0));
	assert_int_equal(next_of(" 30  8\t* * * ", t), utc(2026, 6, 2, 8, 30));
}

static void test_cron_names_and_sunday(void **state)
{
	(void)state;
	use("UTC");
	time_t mon = utc(2026, 6, 1, 10, 0);   /* Monday 2026-06-01 */
	assert_int_equal(next_of("0 9 * JUL mon-fri", mon), utc(2026, 7, 1, 9, 0));
	assert_int_equal(next_of("0 9 * jan-Mar,DEC *", mon), utc(2026, 12, 1, 9, 0));
	assert_int_equal(next_of("0 9 * * Wed", mon), utc(2026, 6, 3, 9, 0));
	/* 0, 7 and SUN are all Sunday. */
	time_t sun = utc(2026, 6, 7, 9, 0);
	assert_int_equal(next_of("0 9 * * 7", mon), sun);
	assert_int_equal(next_of("0 9 * * 0", mon), sun);
	assert_int_equal(next_of("0 9 * * sun", mon), sun);
	/* Ranges that end on Sunday. */
	time_t sat = utc(2026, 6, 6, 10, 0);
	assert_int_equal(next_of("0 9 * * 5-7", sat), sun);
	assert_int_equal(next_of("0 9 * * FRI-SUN", sat), sun);
	assert_int_equal(next_of("0 9 * * 1-5", sat), utc(2026, 6, 8, 9, 0));
}

/* Vixie cron: both day fields restricted -> either matches; one of them
 * starting with '*' -> both must match. */
static void test_cron_vixie_day_rule(void **state)
{
	(void)state;
	use("UTC");
	time_t tue = utc(2026, 6, 2, 0, 0);
	/* The 1st of the month OR a Monday. */
	assert_int_equal(next_of("0 9 1 * MON", tue), utc(2026, 6, 8, 9, 0));
	assert_int_equal(next_of("0 9 1 * MON", utc(2026, 6, 29, 10, 0)),
			 utc(2026, 7, 1, 9, 0));   /* a Wednesday, the 1st */
	/* Only Mondays. */
	assert_int_equal(next_of("0 9 * * MON", utc(2026, 6, 29, 10, 0)),
			 utc(2026, 7, 6, 9, 0));
	/* Only the 1st. */
	assert_int_equal(next_of("0 9 1 * *", tue), utc(2026, 7, 1, 9, 0));
	/* "*\/2" starts with '*': odd days that are also Mondays (1, 15, 29). */
	assert_int_equal(next_of("0 9 */2 * MON", tue), utc(2026, 6, 15, 9, 0));
}

static void test_cron_nicknames(void **state)
{
	(void)state;
	use("UTC");
	time_t t = utc(2026, 6, 1, 10, 30);   /* Monday */
	assert_int_equal(next_of("@hourly", t), utc(2026, 6, 1, 11, 0));
	assert_int_equal(next_of("@daily", t), utc(2026, 6, 2, 0, 0));
	assert_int_equal(next_of("@midnight", t), utc(2026, 6, 2, 0, 0));
	assert_int_equal(next_of("@DAILY", t), utc(2026, 6, 2, 0, 0));
	assert_int_equal(next_of("@weekly", t), utc(2026, 6, 7, 0, 0));
	assert_int_equal(next_of("@monthly", t), utc(2026, 7, 1, 0, 0));
	assert_int_equal(next_of("@yearly", t), utc(2027, 1, 1, 0, 0));
	assert_int_equal(next_of("@annually", t), utc(2027, 1, 1, 0, 0));
	expect_cron_error("@reboot", "nickname", "@daily");
	expect_cron_error("@daily 9", "nickname", NULL);
}

static void test_cron_never(void **state)
{
	(void)state;
	use("UTC");
	time_t t = utc(2026, 3, 1, 0, 0);
	assert_int_equal(next_of("0 0 30 2 *", t), -1);
	assert_int_equal(next_of("0 0 31 4,6,9,11 *", t), -1);
	/* A leap day is found, almost two years ahead. */
	assert_int_equal(next_of("0 0 29 2 *", t), utc(2028, 2, 29, 0, 0));
	assert_int_equal(sched_cron_next(NULL, t, &t), -1);
}

static void test_cron_errors(void **state)
{
	(void)state;
	expect_cron_error("60 * * * *", "minute field \"60\"", "minutes are 0-59");
	expect_cron_error("0 25 * * *", "hour field \"25\": hours are 0-23", NULL);
	expect_cron_error("0 1,25 * * *", "hour field \"1,25\"", "0-23");
	expect_cron_error("0 0 0 * *", "day-of-month field \"0\"", "1-31");
	expect_cron_error("0 0 32 * *", "day-of-month field", "1-31");
	expect_cron_error("0 0 * 13 *", "month field \"13\"", "JAN-DEC");
	expect_cron_error("0 0 * FOO *", "month field", "unknown name \"FOO\"");
	expect_cron_error("0 0 * * 8", "day-of-week field \"8\"", "SUN-SAT");
	expect_cron_error("0 0 * * MONDAY", "day-of-week field", "unknown name");
	expect_cron_error("0 MON * * *", "hour field", "only for months");
	expect_cron_error("*/0 * * * *", "minute field", "at least 1");
	expect_cron_error("*/61 * * * *", "minute field", "larger");
	expect_cron_error("5/15 * * * *", "minute field", "5-59/N");
	expect_cron_error("0 22-2 * * *", "hour field", "backwards");
	expect_cron_error("0 9,,10 * * *", "hour field", NULL);
	expect_cron_error("0 9, * * *", "hour field", NULL);
	expect_cron_error("0 9- * * *", "hour field", NULL);
	expect_cron_error("0 -9 * * *", "hour field", NULL);
	expect_cron_error("0 9 * *", "5 fields", "found 4");
	expect_cron_error("0 9 * * * *", "5 fields", "found 6");
	expect_cron_error("", "5 fields", "found 0");
}

/* ---- slots across DST ---- */

/* "30 2 * * *" on the spring night runs at 03:30; a repeated 01:30 runs
 * once, at its first occurrence. */
static void test_slots_new_york_dst(void **state)
{
	(void)state;
	use("America/New_York");
	time_t n = next_of("30 2 * * *", utc(2026, 3, 7, 17, 0));
	assert_int_equal(n, utc(2026, 3, 8, 7, 30));
	expect_iso(n, "2026-03-08T03:30:00-04:00");
	assert_int_equal(next_of("30 2 * * *", n + 1), utc(2026, 3, 9, 6, 30));

	n = next_of("30 1 * * *", utc(2026, 10, 31, 17, 0));
	assert_int_equal(n, utc(2026, 11, 1, 5, 30));
	expect_iso(n, "2026-11-01T01:30:00-04:00");
	/* Not again at 01:30 EST an hour later: the next day. */
	assert_int_equal(next_of("30 1 * * *", n + 1), utc(2026, 11, 2, 6, 30));
	/* Even when asked from inside the repeated hour. */
	assert_int_equal(next_of("30 1 * * *", utc(2026, 11, 1, 6, 10)),
			 utc(2026, 11, 2, 6, 30));
	/* Every minute of the repeated hour runs once: 01:00 EDT ... then
	 * straight to 02:00 EST. */
	assert_int_equal(next_of("* * * * *", utc(2026, 11, 1, 5, 59) + 1),
			 utc(2026, 11, 1, 7, 0));
}

/* A daily 09:00 keeps 09:00 local while the UTC offset changes. */
static void expect_daily_nine(const char *zone, time_t from, int days,
			      const long *offsets_h)
{
	use(zone);
	time_t t = from;
	for (int i = 0; i < days; i++) {
		time_t n = next_of("0 9 * * *", t);
		assert_true(n >= t);
		struct wall w;
		long off;
		sched_utc_to_wall(n, &w, &off);
		assert_int_equal(w.hour, 9);
		assert_int_equal(w.min, 0);
		assert_int_equal(off, offsets_h[i] * 3600);
		if (i > 0)
			assert_int_equal(n - t + 1, 86400 + (offsets_h[i - 1] -
							     offsets_h[i]) * 3600);
		t = n + 1;
	}
}

static void test_slots_daily_nine_keeps_local_time(void **state)
{
	(void)state;
	static const long ny_spring[] = { -5, -5, -4, -4 };
	static const long ny_fall[] = { -4, -4, -5, -5 };
	static const long be_spring[] = { 1, 1, 2, 2 };
	static const long be_fall[] = { 2, 2, 1, 1 };
	static const long sy_fall[] = { 11, 11, 10, 10 };
	static const long sy_spring[] = { 10, 10, 11, 11 };
	expect_daily_nine("America/New_York", utc(2026, 3, 6, 0, 0), 4, ny_spring);
	expect_daily_nine("America/New_York", utc(2026, 10, 30, 0, 0), 4, ny_fall);
	expect_daily_nine("Europe/Berlin", utc(2026, 3, 27, 0, 0), 4, be_spring);
	expect_daily_nine("Europe/Berlin", utc(2026, 10, 23, 0, 0), 4, be_fall);
	expect_daily_nine("Australia/Sydney", utc(2026, 4, 2, 12, 0), 4, sy_fall);
	expect_daily_nine("Australia/Sydney", utc(2026, 10, 1, 12, 0), 4, sy_spring);
}

static void test_slots_berlin_and_sydney_dst(void **state)
{
	(void)state;
	use("Europe/Berlin");
	assert_int_equal(next_of("30 2 * * *", utc(2026, 3, 28, 12, 0)),
			 utc(2026, 3, 29, 1, 30));   /* 03:30 CEST */
	assert_int_equal(next_of("30 2 * * *", utc(2026, 10, 24, 12, 0)),
			 utc(2026, 10, 25, 0, 30));  /* 02:30 CEST, first */
	assert_int_equal(next_of("30 2 * * *", utc(2026, 10, 25, 0, 31)),
			 utc(2026, 10, 26, 1, 30));

	use("Australia/Sydney");
	assert_int_equal(next_of("30 2 * * *", utc(2026, 10, 3, 0, 0)),
			 utc(2026, 10, 3, 16, 30));  /* 03:30 AEDT */
	assert_int_equal(next_of("30 2 * * *", utc(2026, 4, 4, 0, 0)),
			 utc(2026, 4, 4, 15, 30));   /* 02:30 AEDT, first */
	assert_int_equal(next_of("30 2 * * *", utc(2026, 4, 4, 15, 31)),
			 utc(2026, 4, 5, 16, 30));   /* 02:30 AEST next day */
}

/* On the spring night a slot moved out of the gap (02:30 -> 03:30) comes
 * after a later slot (03:10): instants, not wall order, decide. */
static void test_slots_gap_reorders(void **state)
{
	(void)state;
	use("America/New_York");
	char *exprs[] = { "30 2 * * *", "10 3 * * *" };
	struct slots s;
	struct err e;
	assert_int_equal(sched_slots_parse(exprs, 2, &s, &e), 0);
	time_t t = utc(2026, 3, 8, 5, 0);   /* 00:00 EST */
	time_t n;
	assert_int_equal(sched_slots_next(&s, t, &n), 0);
	assert_int_equal(n, utc(2026, 3, 8, 7, 10));   /* 03:10 EDT */
	assert_int_equal(sched_slots_next(&s, n + 1, &n), 0);
	assert_int_equal(n, utc(2026, 3, 8, 7, 30));   /* 02:30 moved */
	assert_int_equal(sched_slots_next(&s, n + 1, &n), 0);
	assert_int_equal(n, utc(2026, 3, 9, 6, 30));   /* 02:30 EDT */
	sched_slots_free(&s);

	/* The same inside one expression. */
	assert_int_equal(next_of("10,30 2,3 * * *", t), utc(2026, 3, 8, 7, 10));
	/* And two slots that land on the same instant give that instant. */
	assert_int_equal(next_of("30 2,3 * * *", utc(2026, 3, 8, 7, 0) + 1),
			 utc(2026, 3, 8, 7, 30));
}

/* Nuuk springs forward at 23:00 on a Saturday: a 23:30 slot moves past
 * midnight into Sunday, and is found when asked from early Sunday. */
static void test_slots_gap_across_midnight(void **state)
{
	(void)state;
	use("America/Nuuk");
	time_t n = next_of("30 23 * * *", utc(2026, 3, 28, 20, 0));
	assert_int_equal(n, utc(2026, 3, 29, 1, 30));
	expect_iso(n, "2026-03-29T00:30:00-01:00");
	/* 00:05 on Sunday: the moved Saturday slot is still ahead. */
	assert_int_equal(next_of("30 23 * * *", utc(2026, 3, 29, 1, 5)),
			 utc(2026, 3, 29, 1, 30));
	assert_int_equal(next_of("30 23 * * *", utc(2026, 3, 29, 1, 31)),
			 utc(2026, 3, 30, 0, 30));
}

static void test_slots_set(void **state)
{
	(void)state;
	use("UTC");
	char *exprs[] = { "0 9 * * MON-FRI", "30 17 * * SAT", "0 0 30 2 *" };
	struct slots s;
	struct err e;
	assert_int_equal(sched_slots_parse(exprs, 3, &s, &e), 0);
	assert_int_equal(s.n, 3);
	time_t n;
	assert_int_equal(sched_slots_next(&s, utc(2026, 6, 5, 10, 0), &n), 0);
	assert_int_equal(n, utc(2026, 6, 6, 17, 30));   /* Saturday */
	assert_int_equal(sched_slots_next(&s, n + 1, &n), 0);
	assert_int_equal(n, utc(2026, 6, 8, 9, 0));     /* Monday */
	sched_slots_free(&s);
	assert_int_equal(s.n, 0);
	sched_slots_free(&s);   /* twice is harmless */

	char *bad[] = { "0 9 * * *", "0 99 * * *" };
	assert_int_equal(sched_slots_parse(bad, 2, &s, &e), -1);
	assert_contains(e.msg, "0 99 * * *");
	assert_contains(e.msg, "hour field");

	struct slots none;
	assert_int_equal(sched_slots_parse(NULL, 0, &none, &e), 0);
	assert_int_equal(sched_slots_next(&none, 0, &n), -1);
	sched_slots_free(&none);
}

static void test_wall_weekday(void **state)
{
	(void)state;
	struct wall a = {1970, 1, 1, 12, 0, 0}, b = {2026, 12, 1, 0, 0, 0},
		    c = {2024, 2, 29, 0, 0, 0}, d = {2000, 1, 2, 0, 0, 0},
		    e = {1900, 3, 1, 0, 0, 0};
	assert_int_equal(sched_wall_weekday(&a), 3);   /* Thursday */
	assert_int_equal(sched_wall_weekday(&b), 1);   /* Tuesday */
	assert_int_equal(sched_wall_weekday(&c), 3);   /* Thursday */
	assert_int_equal(sched_wall_weekday(&d), 6);   /* Sunday */
	assert_int_equal(sched_wall_weekday(&e), 3);   /* Thursday */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_refused),
		cmocka_unit_test(test_zone_tzdir),
		cmocka_unit_test(test_zone_ignores_process_tz),
		cmocka_unit_test(test_new_york_transitions),
		cmocka_unit_test(test_berlin_transitions),
		cmocka_unit_test(test_sydney_transitions),
		cmocka_unit_test(test_lord_howe_half_hour_dst),
		cmocka_unit_test(test_new_york_whole_year),
		cmocka_unit_test(test_gap_bounds),
		cmocka_unit_test(test_one_off_in_gap),
		cmocka_unit_test(test_wall_invalid),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_time_forms),
		cmocka_unit_test(test_parse_time_refusals),
		cmocka_unit_test(test_cron_lists_ranges_steps),
		cmocka_unit_test(test_cron_names_and_sunday),
		cmocka_unit_test(test_cron_vixie_day_rule),
		cmocka_unit_test(test_cron_nicknames),
		cmocka_unit_test(test_cron_never),
		cmocka_unit_test(test_cron_errors),
		cmocka_unit_test(test_slots_new_york_dst),
		cmocka_unit_test(test_slots_daily_nine_keeps_local_time),
		cmocka_unit_test(test_slots_berlin_and_sydney_dst),
		cmocka_unit_test(test_slots_gap_reorders),
		cmocka_unit_test(test_slots_gap_across_midnight),
		cmocka_unit_test(test_slots_set),
		cmocka_unit_test(test_wall_weekday),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
