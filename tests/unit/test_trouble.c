/*
 * test_trouble.c - the daemon's helpers for trouble: the wall-clock jump
 * detector (a table: jump, real time, suspend, drift, backward step,
 * start-up), its windows, and the log rate limiter for repeated problems.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ritual/clockjump.h"
#include "ritual/log.h"

#define S 1000LL   /* ms per second */
#define DAY (86400 * S)
#define T0 1800000000LL

static void test_jump_table(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int64_t real0, boot0, real1, boot1;
		int prev_set;
		int jump;
		time_t from, to;
	} rows[] = {
		{"NTP steps the clock 2 days forward during a 60 s sleep",
		 T0 * S, 500 * S, T0 * S + 2 * DAY + 60 * S, 560 * S, 1, 1,
		 T0, T0 + 2 * 86400 + 60},
		{"60 s of real time", T0 * S, 500 * S, T0 * S + 60 * S, 560 * S, 1, 0, 0, 0},
		{"a laptop suspended for 2 days (boot time counts it)",
		 T0 * S, 500 * S, T0 * S + 2 * DAY, 500 * S + 2 * DAY, 1, 0, 0, 0},
		{"drift of 2 s", T0 * S, 500 * S, T0 * S + 62 * S, 560 * S, 1, 0, 0, 0},
		{"exactly the threshold is not a jump",
		 T0 * S, 500 * S, T0 * S + 120 * S, 560 * S, 1, 0, 0, 0},
		{"just over the threshold", T0 * S, 500 * S, T0 * S + 120 * S + 1,
		 560 * S, 1, 1, T0, T0 + 121},
		{"a backward step", T0 * S, 500 * S, T0 * S - DAY, 560 * S, 1, 0, 0, 0},
		{"start-up: no earlier sample (the machine was off)",
		 0, 0, T0 * S + 2 * DAY, 560 * S, 0, 0, 0, 0},
		{"a jump inside a suspend", T0 * S, 500 * S, T0 * S + 3 * DAY,
		 500 * S + DAY, 1, 1, T0, T0 + 3 * 86400},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct clock_sample a = {rows[i].real0, rows[i].boot0, rows[i].prev_set};
		struct clock_sample b = {rows[i].real1, rows[i].boot1, 1};
		struct clock_window w = {-1, -1};
		int got = clock_jump_detect(&a, &b, CLOCK_JUMP_MIN, &w);
		if (got != rows[i].jump)
			fail_msg("%s: got %d", rows[i].what, got);
		if (got && (w.from != rows[i].from || w.to != rows[i].to))
			fail_msg("%s: window [%lld, %lld]", rows[i].what,
				 (long long)w.from, (long long)w.to);
	}
	assert_int_equal(clock_jump_detect(NULL, NULL, CLOCK_JUMP_MIN, NULL), 0);
}

static void test_windows(void **state)
{
	(void)state;
	struct clock_window w[2] = {{0, 0}, {0, 0}};
	size_t n = 0;
	struct clock_window a = {100, 200}, b = {300, 400}, c = {500, 600};
	assert_false(clock_jump_covers(w, n, 150));
	n = clock_jump_add(w, n, 2, &a);
	n = clock_jump_add(w, n, 2, &b);
	assert_int_equal(n, 2);
	assert_true(clock_jump_covers(w, n, 100));
	assert_true(clock_jump_covers(w, n, 200));
	assert_true(clock_jump_covers(w, n, 350));
	assert_false(clock_jump_covers(w, n, 99));
	assert_false(clock_jump_covers(w, n, 250));
	n = clock_jump_add(w, n, 2, &c);    /* full: the oldest goes */
	assert_int_equal(n, 2);
	assert_false(clock_jump_covers(w, n, 150));
	assert_true(clock_jump_covers(w, n, 350));
	assert_true(clock_jump_covers(w, n, 550));
}

static void test_format(void **state)
{
	(void)state;
	char buf[48];
	clock_jump_format(2 * 86400 + 59, buf, sizeof(buf));
	assert_string_equal(buf, "2 days 0 h");
	clock_jump_format(86400 + 5 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "1 day 5 h");
	clock_jump_format(3 * 3600 + 5 * 60, buf, sizeof(buf));
	assert_string_equal(buf, "3 h 5 min");
	clock_jump_format(90, buf, sizeof(buf));
	assert_string_equal(buf, "1 min 30 s");
	/* The two clocks are read apart: a 2-day jump may measure a
	 * millisecond short of it, and must still read as 2 days. */
	clock_jump_format(2 * 86400 - 1, buf, sizeof(buf));
	assert_string_equal(buf, "2 days 0 h");
	clock_jump_format(86400 - 20, buf, sizeof(buf));
	assert_string_equal(buf, "1 day 0 h");
	clock_jump_format(3600 - 10, buf, sizeof(buf));
	assert_string_equal(buf, "1 h 0 min");
	clock_jump_format(2 * 3600 + 59 * 60 + 45, buf, sizeof(buf));
	assert_string_equal(buf, "3 h 0 min");
}

static void test_limit_once_then_once_a_minute(void **state)
{
	(void)state;
	struct log_limit l;
	memset(&l, 0, sizeof(l));
	const char *full = "queue.db: claiming a delivery: the disk is full";
	int lines = 0;
	/* 10 tries a second for 5 minutes: the spin of the issue. */
	for (int i = 0; i < 3000; i++) {
		enum log_limit_verdict v = log_limit_check(&l, full, 100.0 + i * 0.1,
							   1000 + i / 10);
		if (i == 0)
			assert_int_equal(v, LOG_LIMIT_NEW);
		if (v != LOG_LIMIT_QUIET)
			lines++;
	}
	assert_int_equal(lines, 5);   /* at 0, 60, 120, 180, 240 s */
	assert_int_equal(l.count, 3000);
	assert_int_equal(l.since, 1000);
	assert_int_equal(log_limit_clear(&l), 3000);
	assert_int_equal(log_limit_clear(&l), 0);    /* cleared once */
	/* After it cleared, the same problem is new again. */
	assert_int_equal(log_limit_check(&l, full, 1000.0, 2000), LOG_LIMIT_NEW);
	assert_int_equal(l.count, 1);
}

static void test_limit_new_text_is_a_new_problem(void **state)
{
	(void)state;
	struct log_limit l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(log_limit_check(&l, "disk full", 10.0, 100), LOG_LIMIT_NEW);
	assert_int_equal(log_limit_check(&l, "disk full", 11.0, 101), LOG_LIMIT_QUIET);
	assert_int_equal(log_limit_check(&l, "read-only", 12.0, 102), LOG_LIMIT_NEW);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.since, 102);
	assert_int_equal(log_limit_check(&l, "read-only", 72.0, 162), LOG_LIMIT_STILL);
	assert_int_equal(l.count, 2);
	/* A text longer than the key is compared on its prefix. */
	char big[LOG_LIMIT_KEY + 100];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(log_limit_check(&l, big, 80.0, 170), LOG_LIMIT_NEW);
	assert_int_equal(log_limit_check(&l, big, 81.0, 171), LOG_LIMIT_QUIET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jump_table),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_limit_once_then_once_a_minute),
		cmocka_unit_test(test_limit_new_text_is_a_new_problem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
