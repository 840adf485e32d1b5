/*
 * test_instagram.c - the Instagram publisher's pure helpers: reading the
 * loose status text of an ERROR container, the meaning of each 2207xxx
 * subcode, the polling pace, Graph timestamps, the refresh URL's origin
 * and the token's days left. The requests themselves are tested end to end
 * (tests/e2e/test_instagram.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/net/instagram_internal.h"
#include "../../src/net/meta.h"

static void test_status_subcode(void **state)
{
	(void)state;
	assert_int_equal(ig_status_subcode("Error: 2207052"), 2207052);
	assert_int_equal(ig_status_subcode("Error: 2207052 Media could not be "
					   "fetched from URI"), 2207052);
	assert_int_equal(ig_status_subcode("2207026: unsupported"), 2207026);
	assert_int_equal(ig_status_subcode("Error (subcode=2207004)."), 2207004);
	/* No code, but the words say the media could not be fetched. */
	assert_int_equal(ig_status_subcode("Error: Media could not be fetched "
					   "from this URI"), 2207052);
	/* Not 7 digits, or part of a longer number: no code. */
	assert_int_equal(ig_status_subcode("Error: 22070521"), 0);
	assert_int_equal(ig_status_subcode("Error: 12207052"), 0);
	assert_int_equal(ig_status_subcode("Error: 220705"), 0);
	assert_int_equal(ig_status_subcode("Error: 1234567 then 2207001"), 2207001);
	assert_int_equal(ig_status_subcode("In Progress"), 0);
	assert_int_equal(ig_status_subcode(""), 0);
	assert_int_equal(ig_status_subcode(NULL), 0);
}

static void test_subcode_classes(void **state)
{
	(void)state;
	static const struct {
		long sub;
		enum pub_class cls;
	} want[] = {
		{2207052, PUB_PERMANENT}, {2207004, PUB_PERMANENT},
		{2207005, PUB_PERMANENT}, {2207009, PUB_PERMANENT},
		{2207010, PUB_PERMANENT}, {2207040, PUB_PERMANENT},
		{2207003, PUB_TRANSIENT}, {2207020, PUB_TRANSIENT},
		{2207001, PUB_TRANSIENT}, {2207032, PUB_TRANSIENT},
		{2207053, PUB_TRANSIENT}, {2207008, PUB_TRANSIENT},
		{2207042, PUB_RATE}, {2207051, PUB_OWNER}, {2207050, PUB_OWNER},
		{2207027, PUB_WAIT},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ig_subcode_info *info = ig_subcode_info(want[i].sub);
		assert_non_null(info);
		assert_int_equal(info->cls, want[i].cls);
		assert_true(info->what[0] != '\0');
		assert_true(info->fix[0] != '\0');
	}
	assert_null(ig_subcode_info(0));
	assert_null(ig_subcode_info(1366051));
	/* The fix for an unreachable image names the setting to check. */
	assert_non_null(strstr(ig_subcode_info(2207052)->fix, "media.url"));
}

static void test_poll_delay(void **state)
{
	(void)state;
	assert_int_equal(ig_poll_delay(0), 5);
	assert_int_equal(ig_poll_delay(1), 10);
	assert_int_equal(ig_poll_delay(2), 20);
	assert_int_equal(ig_poll_delay(3), 30);
	assert_int_equal(ig_poll_delay(4), 60);
	assert_int_equal(ig_poll_delay(40), 60);
	assert_int_equal(ig_poll_delay(-3), 5);
}

static void test_parse_time(void **state)
{
	(void)state;
	time_t t = 0;
	/* 2026-03-02T09:00:05Z = 1772442005 */
	assert_int_equal(ig_parse_time("2026-03-02T09:00:05+0000", &t), 0);
	assert_int_equal((long long)t, 1772442005LL);
	assert_int_equal(ig_parse_time("2026-03-02T09:00:05Z", &t), 0);
	assert_int_equal((long long)t, 1772442005LL);
	assert_int_equal(ig_parse_time("2026-03-02T10:00:05+01:00", &t), 0);
	assert_int_equal((long long)t, 1772442005LL);
	assert_int_equal(ig_parse_time("2026-03-02T04:00:05-0500", &t), 0);
	assert_int_equal((long long)t, 1772442005LL);
	assert_int_equal(ig_parse_time("2026-03-02T09:00:05.123+0000", &t), 0);
	assert_int_equal((long long)t, 1772442005LL);
	assert_int_equal(ig_parse_time("2026-03-02T09:00:05", &t), 0);
	assert_int_equal(ig_parse_time("2026-13-02T09:00:05+0000", &t), -1);
	assert_int_equal(ig_parse_time("2026-03-02 09:00", &t), -1);
	assert_int_equal(ig_parse_time("yesterday", &t), -1);
	assert_int_equal(ig_parse_time("2026-03-02T09:00:05+00", &t), -1);
	assert_int_equal(ig_parse_time(NULL, &t), -1);
}

static void test_origin(void **state)
{
	(void)state;
	char *o = ig_origin("https://graph.instagram.com/v25.0");
	assert_string_equal(o, "https://graph.instagram.com");
	free(o);
	o = ig_origin("http://127.0.0.1:8080/v25.0/");
	assert_string_equal(o, "http://127.0.0.1:8080");
	free(o);
	o = ig_origin("https://graph.instagram.com");
	assert_string_equal(o, "https://graph.instagram.com");
	free(o);
	assert_null(ig_origin("graph.instagram.com/v25.0"));
	assert_null(ig_origin("https:///v25.0"));
	assert_null(ig_origin(NULL));
}

static void test_days_left(void **state)
{
	(void)state;
	time_t now = 1772442005;
	assert_int_equal(ig_token_days_left(now, now), 60);
	assert_int_equal(ig_token_days_left(now - 5, now), 60);
	assert_int_equal(ig_token_days_left(now - 8 * 86400, now), 52);
	assert_int_equal(ig_token_days_left(now - 8 * 86400 - 5, now), 52);
	assert_int_equal(ig_token_days_left(now - 60 * 86400 + 1, now), 1);
	assert_int_equal(ig_token_days_left(now - 60 * 86400, now), -1);
	assert_int_equal(ig_token_days_left(now - 60 * 86400 - 1, now), -1);
	assert_int_equal(ig_token_days_left(now - 61 * 86400, now), -2);
}

/* Issue 8 item 4: which failed container reads are "unreadable" (read
 * again, then publish anyway) and which pause the account. */
static void test_unreadable_read(void **state)
{
	(void)state;
	struct meta_error e = {0};
	struct pub_result res = {0};
	e.code = 100, e.subcode = 33, res.cls = PUB_CONFIG;
	assert_true(ig_unreadable_read(&e, &res));
	e.code = 10, e.subcode = 0, res.cls = PUB_AUTH;
	assert_true(ig_unreadable_read(&e, &res));
	e.code = 100, e.subcode = 0, res.cls = PUB_PERMANENT;
	assert_true(ig_unreadable_read(&e, &res));
	e.code = 2, res.cls = PUB_TRANSIENT;
	assert_true(ig_unreadable_read(&e, &res));
	e.code = 190, e.subcode = 463, res.cls = PUB_AUTH;
	assert_false(ig_unreadable_read(&e, &res));
	e.code = 80002, e.subcode = 0, res.cls = PUB_RATE;
	assert_false(ig_unreadable_read(&e, &res));
	e.code = 4, e.subcode = 2207051, res.cls = PUB_OWNER;
	assert_false(ig_unreadable_read(&e, &res));
	e.code = 0, res.cls = PUB_TRANSIENT;   /* no error object: the network */
	assert_false(ig_unreadable_read(&e, &res));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_subcode),
		cmocka_unit_test(test_subcode_classes),
		cmocka_unit_test(test_poll_delay),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_days_left),
		cmocka_unit_test(test_unreadable_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
