/*
 * test_window.c - where a read-back looks for a post whose answer was
 * lost (pub_window_start): from the delivery's first commit mark, on the
 * platform's clock, less a margin; never by the server's clock alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <string.h>

#include "ritual/http.h"
#include "ritual/publisher.h"

static struct account acct = {
	.name = (char *)"facebook", .network = NET_FACEBOOK,
	.page_id = (char *)"1", .token_file = (char *)"/nonexistent",
	/* nothing listens on port 1: the clock probe gets no Date */
	.api = (char *)"http://127.0.0.1:1/v25.0",
};
static struct config cfg;

static time_t window(const struct pub_job *job, time_t fallback)
{
	struct http_options ho = {.connect_timeout = 2, .timeout = 2,
				  .max_response = 4096};
	struct http_client *http = NULL;
	struct err err;
	assert_int_equal(http_client_new(&ho, &http, &err), 0);
	struct pub_ctx ctx = {.cfg = &cfg, .account = &acct, .http = http};
	time_t w = pub_window_start(&ctx, job, fallback);
	http_client_free(http);
	return w;
}

static void test_platform_clock_behind_ours(void **state)
{
	(void)state;
	/* rituald's clock is 10 minutes ahead: the post was created at
	 * 1000000 - 600 on the platform's clock. */
	struct pub_job job = {.commit_at = 1000000, .first_commit_at = 1000000,
			      .commit_clock = -600, .commit_clock_known = 1};
	assert_int_equal(window(&job, 0), 1000000 - 600 - 300);
}

static void test_platform_clock_ahead_of_ours(void **state)
{
	(void)state;
	struct pub_job job = {.commit_at = 1000000, .commit_clock = 7200,
			      .commit_clock_known = 1};
	assert_int_equal(window(&job, 0), 1000000 + 7200 - 300);
}

static void test_first_commit_mark_wins(void **state)
{
	(void)state;
	/* A retry an hour later still looks back to the first attempt. */
	struct pub_job job = {.commit_at = 1003600, .first_commit_at = 1000000,
			      .commit_clock = 0, .commit_clock_known = 1};
	assert_int_equal(window(&job, 0), 1000000 - 300);
}

static void test_fallback_without_any_mark(void **state)
{
	(void)state;
	struct pub_job job = {.commit_clock_known = 1};
	assert_int_equal(window(&job, 500000), 500000 - 300);
}

static void test_unknown_clock_widens_the_margin(void **state)
{
	(void)state;
	/* No Date from the platform (the probe is refused): an hour. */
	struct pub_job job = {.commit_at = 1000000};
	assert_int_equal(window(&job, 0), 1000000 - 3600);
}

static void test_absurd_offset_is_not_trusted(void **state)
{
	(void)state;
	struct pub_job job = {.commit_at = 1000000, .commit_clock = 400L * 86400,
			      .commit_clock_known = 1};
	assert_int_equal(window(&job, 0), 1000000 - 3600);
	job.commit_clock = -400L * 86400;
	assert_int_equal(window(&job, 0), 1000000 - 3600);
}

static void test_extremes_do_not_overflow(void **state)
{
	(void)state;
	struct pub_job job = {.commit_at = 100, .commit_clock = -1000,
			      .commit_clock_known = 1};
	assert_int_equal(window(&job, 0), 0);
	job.commit_at = (time_t)LLONG_MAX;
	assert_true(window(&job, 0) > 0);
	job.commit_at = -5;
	assert_int_equal(window(&job, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_clock_behind_ours),
		cmocka_unit_test(test_platform_clock_ahead_of_ours),
		cmocka_unit_test(test_first_commit_mark_wins),
		cmocka_unit_test(test_fallback_without_any_mark),
		cmocka_unit_test(test_unknown_clock_widens_the_margin),
		cmocka_unit_test(test_absurd_offset_is_not_trusted),
		cmocka_unit_test(test_extremes_do_not_overflow),
	};
	http_global_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
