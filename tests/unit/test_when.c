/*
 * test_when.c - command-line times as owners write them (when.c, issue 13).
 * "now" is fixed: Tuesday 2026-12-01 10:00 in Europe/Berlin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ritual/schedule.h"
#include "ritual/when.h"

static time_t now;

static int setup(void **state)
{
	struct err err;
	(void)state;
	if (sched_tz_use("Europe/Berlin", &err) < 0)
		return -1;
	struct wall w = {2026, 12, 1, 10, 0, 0};
	return sched_wall_to_utc(&w, &now, NULL, &err);
}

static void is(const char *s, const char *zone, int y, int mo, int d, int h,
	       int mi)
{
	struct parsed_time pt;
	struct err err;
	if (when_parse(s, now, zone, &pt, &err) != 0)
		fail_msg("%s: %s", s, err.msg);
	if (pt.wall.year != y || pt.wall.mon != mo || pt.wall.day != d ||
	    pt.wall.hour != h || pt.wall.min != mi)
		fail_msg("%s: got %04d-%02d-%02d %02d:%02d", s, pt.wall.year,
			 pt.wall.mon, pt.wall.day, pt.wall.hour, pt.wall.min);
}

static void test_forms(void **state)
{
	(void)state;
	const char *z = "Europe/Berlin";
	is("9am", z, 2026, 12, 2, 9, 0);           /* 9am today is past */
	is("5:30pm", z, 2026, 12, 1, 17, 30);
	is("17:30", z, 2026, 12, 1, 17, 30);
	is("12am", z, 2026, 12, 2, 0, 0);
	is("tomorrow 09:00", z, 2026, 12, 2, 9, 0);
	is("today 17:30", z, 2026, 12, 1, 17, 30);
	is("Mon 09:00", z, 2026, 12, 7, 9, 0);
	is("tue 9am", z, 2026, 12, 8, 9, 0);        /* today's 9am is past */
	is("Tuesday 11:00", z, 2026, 12, 1, 11, 0);
	is("next Tue 09:00", z, 2026, 12, 8, 9, 0);
	is("next Mon", z, 2026, 12, 7, 0, 0);
	is("03.12.2026 09:00", z, 2026, 12, 3, 9, 0);
	is("03/12/2026 09:00", z, 2026, 12, 3, 9, 0);
	is("12/03/2026 09:00", "America/New_York", 2026, 12, 3, 9, 0);
	is("13/12/2026 09:00", "UTC", 2026, 12, 13, 9, 0);
	is("2026-12-24 18:00", z, 2026, 12, 24, 18, 0);
}

static void test_refused(void **state)
{
	(void)state;
	struct parsed_time pt;
	struct err err;
	assert_int_equal(when_parse("03/12/2026 09:00", now, "UTC", &pt, &err), -1);
	assert_non_null(strstr(err.msg, "2026-12-03"));
	assert_non_null(strstr(err.msg, "2026-03-12"));
	assert_int_equal(when_parse("9", now, "Europe/Berlin", &pt, &err), -1);
	assert_int_equal(when_parse("13pm", now, "Europe/Berlin", &pt, &err), -1);
	assert_int_equal(when_parse("someday", now, "Europe/Berlin", &pt, &err), -1);
	assert_non_null(strstr(err.msg, "tomorrow 09:00"));
	assert_int_equal(when_parse("31.13.2026", now, "Europe/Berlin", &pt, &err), -1);
}

/* A typed ISO date gets schedule.c's own error, not the list of forms. */
static void test_iso_error_kept(void **state)
{
	(void)state;
	struct parsed_time pt;
	struct err err, want;
	struct parsed_time pt2;
	const char *bad[] = {"2026-13-01 09:00", "2026-02-30", "2026-12-24 25:00",
			     "2026-12-24T09:00+99:00", "2026-1-5 09:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sched_parse_time(bad[i], 1, &pt2, &want), -1);
		assert_int_equal(when_parse(bad[i], now, "Europe/Berlin", &pt, &err), -1);
		if (strcmp(err.msg, want.msg) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i], err.msg, want.msg);
	}
	assert_int_equal(when_parse("2026-13-01 09:00", now, "UTC", &pt, &err), -1);
	assert_non_null(strstr(err.msg, "13"));
	assert_null(strstr(err.msg, "tomorrow 09:00"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_iso_error_kept),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
