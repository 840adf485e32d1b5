/*
 * test_tell.c - what rituald tells ahead (tell.h): the token warning
 * steps, the queue running dry, when the digest/pre-flight is next due
 * (DST days in Europe/Berlin included), the digest's and pre-flight's
 * exact text, and tell_turn over a real store with a recording notifier
 * (a warning told once, not again after a restart, then at 3 days).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ritual/schedule.h"
#include "ritual/store.h"
#include "ritual/tell.h"
#include "ritual/util.h"

#define DAYS 86400LL

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void use(const char *zone)
{
	struct err e;
	if (sched_tz_use(zone, &e) < 0)
		fail_msg("sched_tz_use(%s): %s", zone, e.msg);
}

/* ---- token steps ---- */

static void test_token_steps(void **state)
{
	(void)state;
	static const struct {
		long long left;
		long warn;
		enum tell_token_level told, want;
	} t[] = {
		{20 * DAYS, 14, TELL_TOKEN_NONE, TELL_TOKEN_NONE},
		{14 * DAYS + 1, 14, TELL_TOKEN_NONE, TELL_TOKEN_NONE},
		{14 * DAYS, 14, TELL_TOKEN_NONE, TELL_TOKEN_AHEAD},
		{10 * DAYS, 14, TELL_TOKEN_NONE, TELL_TOKEN_AHEAD},
		{10 * DAYS, 14, TELL_TOKEN_AHEAD, TELL_TOKEN_NONE},
		{3 * DAYS + 1, 14, TELL_TOKEN_AHEAD, TELL_TOKEN_NONE},
		{3 * DAYS, 14, TELL_TOKEN_AHEAD, TELL_TOKEN_3DAYS},
		{2 * DAYS, 14, TELL_TOKEN_NONE, TELL_TOKEN_3DAYS},
		{2 * DAYS, 14, TELL_TOKEN_3DAYS, TELL_TOKEN_NONE},
		{23 * 3600, 14, TELL_TOKEN_3DAYS, TELL_TOKEN_1DAY},
		{23 * 3600, 14, TELL_TOKEN_1DAY, TELL_TOKEN_NONE},
		{10 * DAYS, 14, TELL_TOKEN_NONE, TELL_TOKEN_AHEAD},
		{0, 14, TELL_TOKEN_1DAY, TELL_TOKEN_EXPIRED},
		{-5, 14, TELL_TOKEN_EXPIRED, TELL_TOKEN_NONE},
		{-5, 14, TELL_TOKEN_NONE, TELL_TOKEN_EXPIRED},
		{1 * DAYS, 0, TELL_TOKEN_NONE, TELL_TOKEN_NONE},   /* off */
		{-5, 0, TELL_TOKEN_NONE, TELL_TOKEN_NONE},
		{2 * DAYS + 1, 2, TELL_TOKEN_NONE, TELL_TOKEN_NONE},
		{2 * DAYS, 2, TELL_TOKEN_NONE, TELL_TOKEN_3DAYS},
		{1 * DAYS, 1, TELL_TOKEN_NONE, TELL_TOKEN_1DAY},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum tell_token_level got = tell_token_step(t[i].left, t[i].warn,
							    t[i].told);
		if (got != t[i].want)
			fail_msg("row %zu: left %lld warn %ld told %d: got %d, want %d",
				 i, t[i].left, t[i].warn, t[i].told, got, t[i].want);
	}
}

static void test_token_text(void **state)
{
	(void)state;
	use("Europe/Berlin");
	char msg[512], fix[768];
	struct account a = {.name = "studio", .network = NET_INSTAGRAM,
			    .login = IG_LOGIN_INSTAGRAM,
			    .token_file = "/etc/ritual/ig.token"};
	time_t now = utc(2026, 12, 2, 6, 30, 0);
	tell_token_text(&a, 3 * DAYS, now + 3 * DAYS, msg, sizeof(msg), fix,
			sizeof(fix));
	assert_string_equal(msg, "the instagram token of account 'studio' expires "
			    "in 3 days (Sat 2026-12-05 07:30 CET)");
	assert_string_equal(fix, "renew it: run `ritual connect instagram --account "
			    "studio --login instagram` on a machine with a browser, "
			    "log in as an admin of the page, and allow what it asks; "
			    "it writes /etc/ritual/ig.token and its expiry, and "
			    "rituald uses the new token at once (check with `ritual "
			    "check --online`)");
	struct account l = {.name = "me", .network = NET_LINKEDIN,
			    .author = "urn:li:person:abc",
			    .token_file = "/t/li.token"};
	tell_token_text(&l, 5 * 3600, now + 5 * 3600, msg, sizeof(msg), fix,
			sizeof(fix));
	assert_string_equal(msg, "the linkedin token of account 'me' expires in "
			    "5 hours (Wed 2026-12-02 12:30 CET)");
	assert_non_null(strstr(fix, "`ritual connect linkedin --account me --member`"));
	assert_non_null(strstr(fix, "admin of the member's profile"));
	struct account f = {.name = "fb", .network = NET_FACEBOOK,
			    .token_file = "/t/fb.token"};
	tell_token_text(&f, -60, now - 60, msg, sizeof(msg), fix, sizeof(fix));
	assert_string_equal(msg, "the facebook token of account 'fb' expired on "
			    "Wed 2026-12-02 07:29 CET; nothing is published to it "
			    "until it is renewed");
	assert_non_null(strstr(fix, "`ritual connect facebook --account fb` "));
}

static void test_queue_dry(void **state)
{
	(void)state;
	time_t now = 1800000000;
	static const struct {
		long long ahead;   /* horizon - now; -1: nothing queued */
		long dry;
		int want;
	} t[] = {
		{-1, 3, 1}, {2 * DAYS, 3, 1}, {3 * DAYS - 1, 3, 1},
		{3 * DAYS, 3, 0}, {10 * DAYS, 3, 0}, {-1, 0, 0}, {60, 0, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		time_t h = t[i].ahead < 0 ? 0 : now + (time_t)t[i].ahead;
		if (tell_queue_dry(h, now, t[i].dry) != t[i].want)
			fail_msg("row %zu: want %d", i, t[i].want);
	}
}

/* ---- when ---- */

static void test_next_at(void **state)
{
	(void)state;
	use("Europe/Berlin");
	static const struct {
		const char *hhmm;
		int now[6], last[6];   /* UTC; year 0 = never */
		int want[6];           /* UTC; year 0 = -1 expected */
	} t[] = {
		/* 07:29:50 CET: today's 07:30 is ahead */
		{"07:30", {2026, 12, 2, 6, 29, 50}, {0}, {2026, 12, 2, 6, 30, 0}},
		/* at 07:30 itself: due now */
		{"07:30", {2026, 12, 2, 6, 30, 0}, {2026, 12, 1, 6, 30, 1},
		 {2026, 12, 2, 6, 30, 0}},
		/* sent today: tomorrow's */
		{"07:30", {2026, 12, 2, 6, 31, 0}, {2026, 12, 2, 6, 30, 0},
		 {2026, 12, 3, 6, 30, 0}},
		/* a restart 11.5 h late still sends today's */
		{"07:30", {2026, 12, 2, 18, 0, 0}, {2026, 12, 1, 6, 30, 0},
		 {2026, 12, 2, 6, 30, 0}},
		/* 12.5 h late: skipped for tomorrow's */
		{"07:30", {2026, 12, 2, 19, 0, 0}, {2026, 12, 1, 6, 30, 0},
		 {2026, 12, 3, 6, 30, 0}},
		/* 23:00 missed by a restart after midnight: yesterday's, late */
		{"23:00", {2026, 12, 2, 23, 30, 0}, {2026, 12, 1, 22, 0, 0},
		 {2026, 12, 2, 22, 0, 0}},
		{"23:00", {2026, 12, 2, 23, 30, 0}, {2026, 12, 2, 22, 0, 5},
		 {2026, 12, 3, 22, 0, 0}},
		/* spring forward (29 March 2026, 02:00 -> 03:00): 02:30 is in
		 * the gap and moves to 03:30 CEST = 01:30 UTC */
		{"02:30", {2026, 3, 29, 0, 0, 0}, {0}, {2026, 3, 29, 1, 30, 0}},
		/* 07:30 across the short day: 05:30 UTC (CEST) after 06:30 (CET) */
		{"07:30", {2026, 3, 28, 7, 0, 0}, {2026, 3, 28, 6, 30, 0},
		 {2026, 3, 29, 5, 30, 0}},
		/* fall back (25 October 2026, 03:00 -> 02:00): 02:30 happens
		 * twice; the first (00:30 UTC) is taken ... */
		{"02:30", {2026, 10, 24, 22, 0, 0}, {0}, {2026, 10, 25, 0, 30, 0}},
		/* ... and the second (01:30 UTC) does not send again */
		{"02:30", {2026, 10, 25, 1, 30, 0}, {2026, 10, 25, 0, 30, 0},
		 {2026, 10, 26, 1, 30, 0}},
		/* 07:30 after the long day: 06:30 UTC (CET) */
		{"07:30", {2026, 10, 24, 6, 0, 0}, {2026, 10, 23, 5, 30, 0},
		 {2026, 10, 24, 5, 30, 0}},
		{"07:30", {2026, 10, 24, 6, 0, 0}, {2026, 10, 24, 5, 30, 0},
		 {2026, 10, 25, 6, 30, 0}},
		{"", {2026, 12, 2, 6, 0, 0}, {0}, {0}},
		{"7:30", {2026, 12, 2, 6, 0, 0}, {0}, {0}},
		{"24:00", {2026, 12, 2, 6, 0, 0}, {0}, {0}},
		{"07:60", {2026, 12, 2, 6, 0, 0}, {0}, {0}},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const int *n = t[i].now, *l = t[i].last, *w = t[i].want;
		time_t now = utc(n[0], n[1], n[2], n[3], n[4], n[5]);
		time_t last = l[0] ? utc(l[0], l[1], l[2], l[3], l[4], l[5]) : 0;
		time_t at = 0;
		int rc = tell_next_at(t[i].hhmm, now, last, &at);
		if (!w[0]) {
			if (rc != -1)
				fail_msg("row %zu: \"%s\" accepted", i, t[i].hhmm);
			continue;
		}
		time_t want = utc(w[0], w[1], w[2], w[3], w[4], w[5]);
		if (rc != 0 || at != want)
			fail_msg("row %zu: rc %d, at %lld, want %lld", i, rc,
				 (long long)at, (long long)want);
	}
	assert_int_equal(tell_next_at(NULL, 0, 0, &(time_t){0}), -1);
}

/* ---- texts ---- */

static void test_digest_text(void **state)
{
	(void)state;
	use("Europe/Berlin");
	time_t now = utc(2026, 12, 2, 6, 30, 0);   /* Wed 07:30 CET */
	struct tell_item items[] = {
		{.post_id = 6, .account = "li", .network = "linkedin",
		 .state = DL_PENDING, .due = utc(2026, 12, 3, 9, 0, 0),
		 .text = "Hello \\(world\\)"},
		{.post_id = 5, .title = "Offer", .account = "ig",
		 .network = "instagram", .state = DL_PENDING,
		 .due = utc(2026, 12, 2, 8, 0, 0), .text = "Line one\nLine two",
		 .image = "offer.jpg"},
		{.post_id = 3, .title = "Morning stretch", .account = "fb",
		 .network = "facebook", .state = DL_PUBLISHED,
		 .due = utc(2026, 12, 1, 8, 0, 0),
		 .published_at = utc(2026, 12, 1, 8, 0, 5), .text = "Stretch",
		 .permalink = "https://facebook.com/1_2"},
		{.post_id = 4, .title = "Tea", .account = "ig", .network = "instagram",
		 .state = DL_FAILED, .due = utc(2026, 12, 1, 11, 0, 0), .text = "Tea",
		 .error = "(#9004) The media could not be fetched"},
		{.post_id = 5, .title = "Offer", .account = "fb",
		 .network = "facebook", .state = DL_PENDING,
		 .due = utc(2026, 12, 2, 8, 0, 0), .text = "Line one\nLine two #spa",
		 .image = "offer.jpg"},
		{.post_id = 2, .title = "Old", .account = "fb", .network = "facebook",
		 .state = DL_MISSED, .due = utc(2026, 11, 20, 8, 0, 0), .text = "x"},
	};
	struct tell_account acc[] = {
		{.name = "fb", .network = "facebook",
		 .horizon = utc(2026, 12, 11, 8, 0, 0), .token_days = -1},
		{.name = "ig", .network = "instagram",
		 .horizon = utc(2026, 12, 2, 8, 0, 0), .paused = 1,
		 .reason = "token revoked", .token_days = 40},
		{.name = "li", .network = "linkedin", .horizon = 0, .token_days = 1},
	};
	struct tell_digest d = {.now = now, .business = "Wellness Rituals",
				.items = items, .nitems = 6, .accounts = acc,
				.naccounts = 3};
	char *got = tell_digest_compose(&d);
	const char *want =
		"ritual's digest for Wed 2026-12-02 (Wellness Rituals)\n"
		"\n"
		"Yesterday, Tue 2026-12-01:\n"
		"  post 3 \"Morning stretch\" on facebook (account fb): published at "
		"09:00, https://facebook.com/1_2\n"
		"  post 4 \"Tea\" on instagram (account ig): failed: (#9004) The media "
		"could not be fetched\n"
		"\n"
		"Today, Wed 2026-12-02:\n"
		"  09:00 post 5 \"Offer\" on facebook (account fb), image offer.jpg\n"
		"      | Line one\n"
		"      | Line two #spa\n"
		"  09:00 post 5 \"Offer\" on instagram (account ig), image offer.jpg\n"
		"      | Line one\n"
		"      | Line two\n"
		"\n"
		"Tomorrow, Thu 2026-12-03:\n"
		"  10:00 post 6 on linkedin (account li)\n"
		"      | Hello (world)\n"
		"\n"
		"Needs you:\n"
		"  account ig (instagram) is paused: token revoked\n"
		"  post 4 \"Tea\" on instagram (account ig), due Tue 2026-12-01 12:00 "
		"CET: failed: (#9004) The media could not be fetched; see `ritual "
		"show 4`\n"
		"\n"
		"Queue horizon:\n"
		"  fb (facebook): last post queued for Fri 2026-12-11 09:00 CET\n"
		"  ig (instagram): last post queued for Wed 2026-12-02 09:00 CET; "
		"token: 40 days left\n"
		"  li (linkedin): nothing queued; token: 1 day left\n";
	assert_string_equal(got, want);
	free(got);

	struct tell_digest empty = {.now = now};
	got = tell_digest_compose(&empty);
	assert_string_equal(got,
		"ritual's digest for Wed 2026-12-02\n\n"
		"Yesterday, Tue 2026-12-01:\n  nothing was due\n\n"
		"Today, Wed 2026-12-02:\n  nothing queued\n\n"
		"Tomorrow, Thu 2026-12-03:\n  nothing queued\n\n"
		"Needs you:\n  nothing\n\n"
		"Queue horizon:\n  no accounts\n");
	free(got);
}

static void test_preflight_text(void **state)
{
	(void)state;
	use("Europe/Berlin");
	time_t now = utc(2026, 12, 2, 17, 0, 0);
	assert_null(tell_preflight_compose(NULL, 0, now));
	struct tell_problem p[] = {
		{.post_id = 7, .title = "Yoga", .account = "fb", .network = "facebook",
		 .due = utc(2026, 12, 3, 8, 0, 0),
		 .problem = "Facebook refused the token (code 190)",
		 .fix = "get a new Page access token"},
		{.post_id = 8, .account = "li", .network = "linkedin",
		 .due = utc(2026, 12, 3, 9, 0, 0), .problem = "too long", .fix = NULL},
	};
	char *got = tell_preflight_compose(p, 2, now);
	assert_string_equal(got,
		"ritual's pre-flight at Wed 2026-12-02 18:00 CET found 2 problems "
		"with the posts of the next 36 hours:\n"
		"\n"
		"1. post 7 \"Yoga\" on facebook (account fb), due Thu 2026-12-03 "
		"09:00 CET\n"
		"   problem: Facebook refused the token (code 190)\n"
		"   fix: get a new Page access token\n"
		"\n"
		"2. post 8 on linkedin (account li), due Thu 2026-12-03 10:00 CET\n"
		"   problem: too long\n"
		"   fix: see the problem\n");
	free(got);
}

/* ---- tell_turn over a real store, with a recording notifier ---- */

struct rec {
	int raised[NOTICE_KINDS], resolved[NOTICE_KINDS];
	char last_msg[512];
	char *last_body;
};

static int rec_raise(void *ud, const struct notice *ev, time_t now,
		     struct err *err)
{
	(void)now;
	(void)err;
	struct rec *r = ud;
	r->raised[ev->kind]++;
	snprintf(r->last_msg, sizeof(r->last_msg), "%s", ev->message ? ev->message : "");
	free(r->last_body);
	r->last_body = xstrdup(ev->body);
	return 0;
}

static int rec_resolve(void *ud, enum notice_kind kind, const char *account,
		       time_t now, struct err *err)
{
	(void)account;
	(void)now;
	(void)err;
	struct rec *r = ud;
	r->resolved[kind]++;
	return 0;
}

struct fx {
	char dir[64], db[128], token[128];
	struct store *st;
	struct account acc;
	struct config cfg;
	struct rec rec;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ritual-test-tell-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/q.db", f->dir);
	snprintf(f->token, sizeof(f->token), "%s/fb.token", f->dir);
	struct err err;
	assert_int_equal(write_file_atomic(f->token, "tok\n", 4, 0600, &err), 0);
	assert_int_equal(store_open(f->db, STORE_CREATE, &f->st, &err), 0);
	f->acc = (struct account){.name = "fb", .network = NET_FACEBOOK,
				  .page_id = "1", .token_file = f->token};
	f->cfg.accounts = &f->acc;
	f->cfg.naccounts = 1;
	f->cfg.notify.token_warn_days = 14;
	f->cfg.notify.dry_days = 3;
	use("Europe/Berlin");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f->rec.last_body);
	free(f);
	return 0;
}

/* A fresh rituald's state (as after a restart) over the same store. */
static void turn(struct fx *f, time_t now)
{
	struct tell_env e = {.cfg = &f->cfg, .st = f->st, .raise = rec_raise,
			     .resolve = rec_resolve, .ud = &f->rec, .quiet = 1};
	time_t wake;
	tell_turn(&e, now, &wake);
}

static void test_turn_token_once_then_3_days(void **state)
{
	struct fx *f = *state;
	struct err err;
	time_t now = utc(2026, 12, 2, 6, 0, 0);
	time_t exp = now + 10 * DAYS;
	f->cfg.notify.dry_days = 0;
	assert_int_equal(token_expiry_write(f->token, exp, &err), 0);
	turn(f, now);
	assert_int_equal(f->rec.raised[NOTICE_TOKEN_EXPIRING], 1);
	assert_non_null(strstr(f->rec.last_msg, "expires in 10 days"));
	turn(f, now + 3600);          /* a restart: not told again */
	turn(f, now + 5 * DAYS);
	assert_int_equal(f->rec.raised[NOTICE_TOKEN_EXPIRING], 1);
	turn(f, exp - 3 * DAYS);      /* 3 days before */
	assert_int_equal(f->rec.raised[NOTICE_TOKEN_EXPIRING], 2);
	assert_non_null(strstr(f->rec.last_msg, "expires in 3 days"));
	turn(f, exp - 2 * DAYS);
	assert_int_equal(f->rec.raised[NOTICE_TOKEN_EXPIRING], 2);
	/* Renewed: 60 days again, the notice resolved once. */
	assert_int_equal(write_file_atomic(f->token, "new\n", 4, 0600, &err), 0);
	assert_int_equal(token_expiry_write(f->token, exp + 60 * DAYS, &err), 0);
	turn(f, exp - 2 * DAYS + 60);
	turn(f, exp - 2 * DAYS + 120);
	assert_int_equal(f->rec.resolved[NOTICE_TOKEN_EXPIRING], 1);
	assert_int_equal(f->rec.raised[NOTICE_TOKEN_EXPIRING], 2);
}

static void test_turn_queue_dry_and_digest(void **state)
{
	struct fx *f = *state;
	struct err err;
	time_t now = utc(2026, 12, 2, 6, 29, 50);   /* 07:29:50 CET */
	f->cfg.notify.digest_at = "07:30";
	turn(f, now);
	assert_int_equal(f->rec.raised[NOTICE_QUEUE_DRY], 1);
	assert_int_equal(f->rec.raised[NOTICE_DIGEST], 0);
	turn(f, now + 5);
	assert_int_equal(f->rec.raised[NOTICE_QUEUE_DRY], 1);   /* once */

	/* Queue a post 5 days ahead: the dry notice resolves. */
	struct store_post p = {.kind = "tip", .title = "Stretch", .body = "b", .source = "s.md",
			       .due = now + 5 * DAYS, .created = now};
	int64_t id, did;
	char hash[STORE_HASH_LEN + 1];
	store_content_hash("Stretch!", NULL, 0, hash);
	assert_int_equal(store_begin(f->st, &err), 0);
	if (store_post_insert(f->st, &p, &id, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(store_delivery_insert(f->st, id, "fb", "facebook",
					       "Stretch!", hash, now + 5 * DAYS,
					       &did, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);

	turn(f, now + 10);            /* 07:30:00: the digest */
	assert_int_equal(f->rec.resolved[NOTICE_QUEUE_DRY], 1);
	assert_int_equal(f->rec.raised[NOTICE_DIGEST], 1);
	assert_non_null(f->rec.last_body);
	assert_non_null(strstr(f->rec.last_body, "fb (facebook): last post queued "
					   "for Mon 2026-12-07 07:29 CET"));
	turn(f, now + 70);            /* a restart: the digest is not sent twice */
	assert_int_equal(f->rec.raised[NOTICE_DIGEST], 1);
	turn(f, now + DAYS + 10);     /* the next morning */
	assert_int_equal(f->rec.raised[NOTICE_DIGEST], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_steps),
		cmocka_unit_test(test_token_text),
		cmocka_unit_test(test_queue_dry),
		cmocka_unit_test(test_next_at),
		cmocka_unit_test(test_digest_text),
		cmocka_unit_test(test_preflight_text),
		cmocka_unit_test_setup_teardown(test_turn_token_once_then_3_days,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_queue_dry_and_digest,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
