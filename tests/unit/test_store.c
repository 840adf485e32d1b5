/*
 * test_store.c - the queue's state machine against a real SQLite file:
 * claims are durable and exclusive, the commit phase survives a "crash"
 * (closing without recording), paused and held accounts are skipped,
 * min_gap spaces an account's posts, owner actions change only what they
 * should, and a database from a newer ritual is refused.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ritual/store.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ritual-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/q.db", f->dir);
	struct err err;
	assert_int_equal(store_open(f->path, STORE_CREATE, &f->st, &err), 0);
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
	free(f);
	return 0;
}

/* One post due at due for each account in accts (NULL-terminated). */
static int64_t add_post(struct store *st, time_t due, const char *const *accts)
{
	struct err err;
	int64_t id;
	char kind[] = "tip", body[] = "Body", src[] = "/p/a.post";
	struct store_post p = {.kind = kind, .body = body, .source = src,
			       .due = due, .created = due - 100};
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_post_insert(st, &p, &id, &err), 0);
	char h[STORE_HASH_LEN + 1];
	store_content_hash("text", NULL, 0, h);
	for (; *accts; accts++)
		assert_int_equal(store_delivery_insert(st, id, *accts, "facebook",
						       "text", h, due, NULL, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	return id;
}

static const char *const FB[] = {"facebook", NULL};
static const char *const BOTH[] = {"facebook", "linkedin", NULL};

static void test_claim_takes_due_ones_in_order_once(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	add_post(f->st, 2000, FB);
	int64_t first = add_post(f->st, 1000, FB);
	assert_int_equal(store_claim(f->st, 999, 0, &d, &err), 0);
	assert_null(d);
	assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_non_null(d);
	assert_int_equal(d->post_id, first);
	assert_int_equal(d->state, DL_SENDING);
	assert_int_equal(d->phase, PHASE_PREPARE);
	assert_int_equal(d->attempts, 1);
	int64_t id = d->id;
	store_deliveries_free(d, 1);
	/* The same account has one sending: the next is not claimed. */
	assert_int_equal(store_claim(f->st, 5000, 0, &d, &err), 0);
	assert_null(d);
	assert_int_equal(store_finish_published(f->st, id, "1_2", "https://x/1_2",
						1500, &err), 0);
	assert_int_equal(store_claim(f->st, 5000, 0, &d, &err), 0);
	assert_non_null(d);
	store_deliveries_free(d, 1);
}

static void test_commit_phase_survives_a_crash(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d, *v;
	size_t n;
	add_post(f->st, 1000, FB);
	assert_int_equal(store_claim(f->st, 1000, 0, &d, &err), 0);
	assert_int_equal(store_mark_commit(f->st, d->id, 1001, NULL, &err), 0);
	assert_int_equal(store_progress_set(f->st, d->id, "container_id", "178", &err), 0);
	int64_t id = d->id;
	store_deliveries_free(d, 1);
	/* "Crash": close without recording; reopen. */
	store_close(f->st);
	assert_int_equal(store_open(f->path, STORE_CREATE, &f->st, &err), 0);
	assert_int_equal(store_sending_list(f->st, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].phase, PHASE_COMMIT);
	assert_int_equal(v[0].commit_at, 1001);
	store_deliveries_free(v, n);
	char *val;
	assert_int_equal(store_progress_get(f->st, id, "container_id", &val, &err), 0);
	assert_string_equal(val, "178");
	free(val);
	/* Reconcile later keeps the phase; claiming it is not a new attempt. */
	assert_int_equal(store_finish_reconcile_later(f->st, id, 1002, "lost", &err), 0);
	assert_int_equal(store_claim(f->st, 1002, 0, &d, &err), 0);
	assert_int_equal(d->phase, PHASE_COMMIT);
	assert_int_equal(d->attempts, 1);
	/* Absent for sure: back to prepare, due now. */
	assert_int_equal(store_finish_retry(f->st, id, 1003, "absent", 0, &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 1003, 0, &d, &err), 0);
	assert_int_equal(d->phase, PHASE_PREPARE);
	assert_int_equal(d->attempts, 1);
	store_deliveries_free(d, 1);
}

static void test_paused_and_held_accounts_are_skipped(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	time_t when;
	int any;
	add_post(f->st, 1000, BOTH);
	assert_int_equal(store_account_pause(f->st, "facebook", "expired", "s", 900, &err), 0);
	assert_int_equal(store_account_hold(f->st, "linkedin", 3000, "429", &err), 0);
	assert_int_equal(store_claim(f->st, 2000, 0, &d, &err), 0);
	assert_null(d);
	assert_int_equal(store_next_wake(f->st, 2000, 0, &when, &any, &err), 0);
	assert_true(any);
	assert_int_equal(when, 3000);
	assert_int_equal(store_claim(f->st, 3000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_string_equal(d->account, "linkedin");
	store_deliveries_free(d, 1);
	assert_int_equal(store_account_resume(f->st, "facebook", &err), 0);
	assert_int_equal(store_claim(f->st, 3000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_string_equal(d->account, "facebook");
	store_deliveries_free(d, 1);
}

static void test_min_gap_spaces_an_accounts_posts(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	time_t when;
	int any;
	add_post(f->st, 1000, FB);
	add_post(f->st, 1000, FB);
	assert_int_equal(store_claim(f->st, 1000, 300, &d, &err), 0);
	assert_int_equal(store_finish_published(f->st, d->id, "x", NULL, 1010, &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 1100, 300, &d, &err), 0);
	assert_null(d);
	assert_int_equal(store_next_wake(f->st, 1100, 300, &when, &any, &err), 0);
	assert_int_equal(when, 1310);
	assert_int_equal(store_claim(f->st, 1311, 300, &d, &err), 0);
	assert_non_null(d);
	store_deliveries_free(d, 1);
}

/* One delivery in flight per account, the others' go on: with three
 * accounts, the one sending is skipped and the most overdue of the rest is
 * claimed; its next wake ignores nothing that is pending elsewhere. */
static void test_one_in_flight_per_account_among_many(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d, *busy;
	static const char *const A[] = {"a", NULL}, *const B[] = {"b", NULL},
		*const C[] = {"c", NULL};
	add_post(f->st, 1000, A);
	add_post(f->st, 1001, A);
	add_post(f->st, 1500, B);
	int64_t c = add_post(f->st, 1200, C);
	assert_int_equal(store_claim(f->st, 2000, 0, &busy, &err), 0);
	assert_string_equal(busy->account, "a");
	assert_int_equal(store_claim(f->st, 2000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_string_equal(d->account, "c");
	assert_int_equal(d->post_id, c);
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 2000, 0, &d, &err), 0);
	assert_string_equal(d->account, "b");
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 2000, 0, &d, &err), 0);
	assert_null(d);   /* a's second waits for its first */
	assert_int_equal(store_finish_retry(f->st, busy->id, 2500, "x", 1, &err), 0);
	time_t when;
	int any;
	assert_int_equal(store_next_wake(f->st, 2000, 0, &when, &any, &err), 0);
	assert_true(any);
	assert_int_equal(when, 1001);   /* a's second is due already */
	assert_int_equal(store_claim(f->st, 2000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_int_equal(d->due, 1001);
	store_deliveries_free(d, 1);
	store_deliveries_free(busy, 1);
}

/* The next step of a plan from store_explain ("ID PARENT DETAIL" lines):
 * its DETAIL, with *parent set; NULL after the last. text: the plan's copy
 * on the first call, then NULL (strtok_r, *save its state). */
static const char *plan_step(char *text, char **save, int *parent)
{
	char *line = strtok_r(text, "\n", save);
	int id, off = 0;
	if (!line)
		return NULL;
	assert_int_equal(sscanf(line, "%d %d %n", &id, parent, &off), 2);
	return line + off;
}

/*
 * The plan loops over accounts, never over deliveries (issue 11: the old
 * wake walked every pending delivery and, for each, every delivery of its
 * account: quadratic, though every step was an indexed SEARCH). So: no
 * SCAN of a table; no top-level step over deliveries or posts; and every
 * lookup in deliveries goes through one of the per-account partial indexes
 * (pending by next attempt, in flight, published by time), whose MIN/MAX or
 * LIMIT 1 touches a row or two whatever the size of the queue.
 */
static void assert_indexed_plan(const char *plan)
{
	static const char *const per_account[] = {
		"USING INDEX deliveries_pending_account",
		"USING COVERING INDEX deliveries_pending_account",
		"USING INDEX deliveries_sending_account",
		"USING COVERING INDEX deliveries_sending_account",
		"USING INDEX deliveries_published_account",
		"USING COVERING INDEX deliveries_published_account",
	};
	char *copy = xstrdup(plan), *save = NULL;
	int lookups = 0, parent;
	for (const char *p = plan_step(copy, &save, &parent); p;
	     p = plan_step(NULL, &save, &parent)) {
		int is_table = strncmp(p, "SEARCH ", 7) == 0 || strncmp(p, "SCAN ", 5) == 0;
		if (strncmp(p, "SCAN ", 5) == 0 && strcmp(p, "SCAN acc") != 0 &&
		    strcmp(p, "SCAN cand") != 0 && strcmp(p, "SCAN CONSTANT ROW") != 0) {
			print_error("a table scan in the plan: %s\n%s", p, plan);
			fail();
		}
		int deliveries = is_table && (strncmp(p + 7, "deliveries", 10) == 0 ||
			strncmp(p + 7, "d ", 2) == 0 || strncmp(p + 7, "e ", 2) == 0 ||
			strstr(p, "posts") != NULL);
		if (!deliveries)
			continue;
		if (parent == 0) {
			print_error("an outer loop over deliveries: %s\n%s", p, plan);
			fail();
		}
		int ok = 0;
		for (size_t i = 0; i < sizeof(per_account) / sizeof(*per_account); i++)
			ok |= strstr(p, per_account[i]) != NULL;
		if (!ok) {
			print_error("a lookup not per account: %s\n%s", p, plan);
			fail();
		}
		lookups++;
	}
	free(copy);
	assert_true(lookups > 0);
}

static void test_claim_and_wake_are_index_lookups(void **state)
{
	struct fx *f = *state;
	struct err err;
	char *plan;
	add_post(f->st, 1000, BOTH);
	assert_int_equal(store_explain(f->st, "claim", &plan, &err), 0);
	assert_indexed_plan(plan);
	free(plan);
	assert_int_equal(store_explain(f->st, "next_wake", &plan, &err), 0);
	assert_indexed_plan(plan);
	free(plan);
	assert_int_equal(store_explain(f->st, "nothing", &plan, &err), -1);
}

/*
 * The readers behind list, status, week, calendar, cancel --account and the
 * daemon's digest and pre-flight cost the rows they return (issue 11: each
 * read every post of the queue, 3 s at 100,000 queued): every step on posts
 * or deliveries is an index SEARCH over a range, or the primary key; no
 * SCAN of either table, whatever its size.
 */
static void assert_range_plan(const char *name, const char *plan)
{
	char *copy = xstrdup(plan), *save = NULL;
	int searches = 0, parent;
	for (const char *p = plan_step(copy, &save, &parent); p;
	     p = plan_step(NULL, &save, &parent)) {
		if (strncmp(p, "SCAN ", 5) == 0 && strcmp(p, "SCAN CONSTANT ROW") != 0) {
			print_error("%s: a table scan in the plan: %s\n%s", name, p, plan);
			fail();
		}
		searches += strncmp(p, "SEARCH ", 7) == 0;
	}
	free(copy);
	if (searches == 0) {
		print_error("%s: no index search in the plan\n%s", name, plan);
		fail();
	}
}

static void test_readers_walk_ranges_not_the_queue(void **state)
{
	struct fx *f = *state;
	struct err err;
	static const char *const names[] = {
		"posts_due_in", "deliveries_due_in", "posts_pending_in", "posts_delivering",
		"next_sending", "next_pending", "problems_count", "problems",
		"account_live", "list_page",
	};
	for (int i = 0; i < 50; i++)
		add_post(f->st, 1000 + i * 60, BOTH);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *plan;
		assert_int_equal(store_explain(f->st, names[i], &plan, &err), 0);
		assert_range_plan(names[i], plan);
		free(plan);
	}
	/* A post's deliveries are found by its id, not among every pending
	 * one (the plan chose deliveries_state_due (state=?) before). */
	char *plan;
	assert_int_equal(store_explain(f->st, "reschedule", &plan, &err), 0);
	if (!strstr(plan, "(post_id=?)")) {
		print_error("reschedule: not by the post's id\n%s", plan);
		fail();
	}
	free(plan);
	/* The taken slots around a time: both ends of the range in the index
	 * search (only the lower one before: `ritual add` walked the rest of
	 * the account's queue). */
	assert_int_equal(store_explain(f->st, "taken_between", &plan, &err), 0);
	if (!strstr(plan, "(account=? AND due>? AND due<?)")) {
		print_error("taken_between: not a bounded range\n%s", plan);
		fail();
	}
	free(plan);
}

/* What each reader returns: its range, its order, its limit and count. */
static void test_readers_return_their_ranges(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_post **v;
	struct store_delivery *d;
	size_t n, total;
	int64_t p1 = add_post(f->st, 1000, FB), p2 = add_post(f->st, 2000, FB);
	int64_t p3 = add_post(f->st, 3000, FB), p4 = add_post(f->st, 4000, BOTH);

	int more = -1;
	assert_int_equal(store_posts_due_in(f->st, 1500, 3500, 0, &v, &n, &more,
					    &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 0);
	assert_int_equal(v[0]->id, p2);
	assert_int_equal(v[1]->id, p3);
	assert_int_equal(v[0]->ndeliveries, 1);
	store_posts_free(v, n);
	/* A limit: the first ones, each with all its deliveries, and more. */
	assert_int_equal(store_posts_due_in(f->st, 0, 5000, 3, &v, &n, &more,
					    &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(more, 1);
	assert_int_equal(v[2]->id, p3);
	assert_int_equal(v[2]->ndeliveries, 1);
	store_posts_free(v, n);
	assert_int_equal(store_posts_due_in(f->st, 3500, 5000, 1, &v, &n, &more,
					    &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_int_equal(v[0]->id, p4);
	assert_int_equal(v[0]->ndeliveries, 2);
	store_posts_free(v, n);
	assert_int_equal(store_posts_delivering(f->st, 1, 0, 2500, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0]->id, p1);
	assert_int_equal(v[1]->id, p2);
	store_posts_free(v, n);

	/* p1 and then p2 fail on facebook at 10000; then p3 is being sent. */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
		assert_non_null(d);
		assert_int_equal(d->post_id, k ? p2 : p1);
		assert_int_equal(store_finish_final(f->st, d->id, DL_FAILED, "refused",
						    &err), 0);
		store_deliveries_free(d, 1);
	}
	assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
	assert_non_null(d);
	int64_t sending = d->id;
	store_deliveries_free(d, 1);
	/* any state, by the deliveries' due time: p1 and p2 have failed */
	assert_int_equal(store_posts_delivering(f->st, 0, 0, 2500, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	store_posts_free(v, n);
	assert_int_equal(store_posts_delivering(f->st, 1, 0, 2500, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	store_posts_free(v, n);

	assert_int_equal(store_problems(f->st, 10000, 1, &d, &n, &total, &err), 0);
	assert_int_equal(total, 2);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].post_id, p2);   /* the newest first */
	assert_string_equal(d[0].error, "refused");
	store_deliveries_free(d, n);
	/* a week and a day later they are no longer open problems */
	assert_int_equal(store_problems(f->st, 10000 + 8 * 86400, 5, &d, &n, &total,
					&err), 0);
	assert_int_equal(total, 0);
	assert_int_equal(n, 0);
	store_deliveries_free(d, n);

	/* next: the one being sent, then the pending by their next attempt */
	assert_int_equal(store_deliveries_next(f->st, 2, &d, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].id, sending);
	assert_int_equal(d[0].post_id, p3);
	assert_int_equal(d[0].state, DL_SENDING);
	assert_int_equal(d[1].post_id, p4);
	assert_int_equal(d[1].state, DL_PENDING);
	store_deliveries_free(d, n);

	/* live on an account: pending or unknown, not the one being sent */
	int64_t *ids;
	assert_int_equal(store_account_live(f->st, "facebook", &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], p4);
	free(ids);
	assert_int_equal(store_account_live(f->st, "linkedin", &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], p4);
	free(ids);
	assert_int_equal(store_account_live(f->st, "nobody", &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
}

/* A transaction begun inside another is a savepoint: an inner rollback
 * undoes only the inner writes, an inner commit waits for the outer one,
 * and an outer rollback undoes both (the daemon records an outcome, its
 * event and a notice under one commit). */
static long mark(struct store *st, const char *name)
{
	struct err err;
	time_t at;
	long v = -1;
	int found = 0;
	assert_int_equal(store_mark_get(st, name, &at, &v, &found, &err), 0);
	return found ? v : -1;
}

static void test_nested_transactions_are_savepoints(void **state)
{
	struct fx *f = *state;
	struct err err;
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_mark_set(f->st, "outer", 1, 1, &err), 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_mark_set(f->st, "undone", 1, 2, &err), 0);
	store_rollback(f->st);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_mark_set(f->st, "inner", 1, 3, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	/* still inside the outer transaction: a second connection sees nothing */
	struct store *other;
	assert_int_equal(store_open(f->path, STORE_READONLY, &other, &err), 0);
	assert_int_equal(mark(other, "inner"), -1);
	assert_int_equal(store_commit(f->st, &err), 0);
	assert_int_equal(mark(other, "outer"), 1);
	assert_int_equal(mark(other, "inner"), 3);
	assert_int_equal(mark(other, "undone"), -1);
	store_close(other);
	/* an outer rollback takes the committed inner part with it */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_mark_set(f->st, "gone", 1, 4, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	store_rollback(f->st);
	assert_int_equal(mark(f->st, "gone"), -1);
	/* and the levels are back to none: a plain transaction works */
	assert_int_equal(store_begin(f->st, &err), 0);
	assert_int_equal(store_mark_set(f->st, "after", 1, 5, &err), 0);
	assert_int_equal(store_commit(f->st, &err), 0);
	assert_int_equal(mark(f->st, "after"), 5);
}

/* With the interrupt flag set (SIGTERM), the daemon's long reads give up
 * with an error and change nothing; cleared, they work again. A queue of
 * many accounts makes the query long enough for the progress handler to
 * run (every 1,000 steps). */
static void test_interrupt_flag_ends_long_reads(void **state)
{
	struct fx *f = *state;
	struct err err;
	static volatile sig_atomic_t stop;
	char kind[] = "tip", body[] = "Body", src[] = "/p/a.post";
	char h[STORE_HASH_LEN + 1];
	store_content_hash("text", NULL, 0, h);
	assert_int_equal(store_begin(f->st, &err), 0);
	for (int i = 0; i < 2000; i++) {
		struct store_post p = {.kind = kind, .body = body, .source = src,
				       .due = 5000 + i, .created = 1};
		int64_t id;
		char acct[32];
		snprintf(acct, sizeof(acct), "acct%04d", i);
		assert_int_equal(store_post_insert(f->st, &p, &id, &err), 0);
		assert_int_equal(store_delivery_insert(f->st, id, acct, "facebook",
						       "text", h, 5000 + i, NULL, &err), 0);
	}
	assert_int_equal(store_commit(f->st, &err), 0);
	store_set_interrupt(f->st, &stop);
	time_t when;
	int any;
	struct store_delivery *d;
	stop = 1;
	assert_true(store_interrupted(f->st));
	assert_int_equal(store_next_wake(f->st, 1000, 0, &when, &any, &err), -1);
	assert_non_null(strstr(err.msg, "interrupt"));
	assert_int_equal(store_claim(f->st, 9000, 0, &d, &err), -1);
	assert_null(d);
	/* writes that record outcomes are not interrupted */
	assert_int_equal(store_account_hold(f->st, "acct0000", 100, "x", &err), 0);
	stop = 0;
	assert_int_equal(store_next_wake(f->st, 1000, 0, &when, &any, &err), 0);
	assert_true(any);
	assert_int_equal(when, 5000);
	assert_int_equal(store_claim(f->st, 9000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_int_equal(d->due, 5000);   /* nothing was claimed before */
	store_deliveries_free(d, 1);
	store_set_interrupt(f->st, NULL);
}

static void test_owner_actions(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	int changed;
	int64_t a = add_post(f->st, 1000, BOTH);
	int64_t b = add_post(f->st, 1000, FB);
	/* retry: only failed/unknown/missed come back. */
	assert_int_equal(store_post_retry(f->st, a, 5000, &changed, &err), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(store_claim(f->st, 1000, 0, &d, &err), 0);
	assert_int_equal(d->post_id, a);
	/* cancel refuses while sending. */
	assert_int_equal(store_post_cancel(f->st, a, &changed, &err), -1);
	assert_non_null(strstr(err.msg, "being published"));
	assert_int_equal(store_finish_final(f->st, d->id, DL_FAILED, "boom", &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_post_retry(f->st, a, 5000, &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_post_reschedule(f->st, b, 9000, &changed, &err), 0);
	assert_int_equal(changed, 1);
	struct store_post *p;
	assert_int_equal(store_post_get(f->st, b, &p, &err), 0);
	assert_int_equal(p->due, 9000);
	assert_int_equal(p->deliveries[0].next_attempt, 9000);
	store_post_free(p);
	assert_int_equal(store_post_cancel(f->st, b, &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(store_post_get(f->st, 424242, &p, &err), -1);
	assert_non_null(strstr(err.msg, "no post 424242"));
}

static void test_finish_requires_the_expected_state(void **state)
{
	struct fx *f = *state;
	struct err err;
	int64_t id = add_post(f->st, 1000, FB);
	struct store_post *p;
	assert_int_equal(store_post_get(f->st, id, &p, &err), 0);
	/* Not claimed: cannot be published or marked for commit. */
	assert_int_equal(store_mark_commit(f->st, p->deliveries[0].id, 1, NULL, &err), -1);
	assert_int_equal(store_finish_published(f->st, p->deliveries[0].id, "x",
						NULL, 1, &err), -1);
	store_post_free(p);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store *st2;
	store_close(f->st);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA user_version=99' 2>/dev/null || "
		 "python3 -c \"import sqlite3; c=sqlite3.connect('%s'); "
		 "c.execute('PRAGMA user_version=99'); c.commit()\"", f->path, f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_open(f->path, STORE_CREATE, &st2, &err), -1);
	assert_non_null(strstr(err.msg, "newer ritual"));
	assert_int_equal(store_open(f->path, STORE_CREATE, &f->st, &err), -1);
	f->st = NULL;
}

static void test_missing_database_read_only(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store *st2;
	char path[200];
	snprintf(path, sizeof(path), "%s/none.db", f->dir);
	assert_int_equal(store_open(path, STORE_READONLY, &st2, &err), -1);
	assert_non_null(strstr(err.msg, "none.db"));
	assert_int_equal(access(path, F_OK), -1);
}

/* One post with an image, due at due, for facebook; *media set. */
static int64_t add_image_post(struct store *st, time_t due, int64_t *media)
{
	struct err err;
	int64_t id;
	char kind[] = "tip", body[] = "Body", src[] = "/p/i.post";
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_media_put(st, "image/jpeg", 10, 10, "i.jpg", "JPEGDATA",
					 8, media, &err), 0);
	struct store_post p = {.kind = kind, .body = body, .source = src,
			       .media_id = *media, .due = due, .created = due - 100};
	assert_int_equal(store_post_insert(st, &p, &id, &err), 0);
	char h[STORE_HASH_LEN + 1];
	store_content_hash("text", "JPEGDATA", 8, h);
	assert_int_equal(store_delivery_insert(st, id, "facebook", "facebook", "text",
					       h, due, NULL, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	return id;
}

static size_t media_len(struct store *st, int64_t id)
{
	struct err err;
	struct store_media *m;
	assert_int_equal(store_media_get(st, id, &m, &err), 0);
	size_t n = m->len;
	store_media_free(m);
	return n;
}

static void test_media_prune_drops_only_old_published_images(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	int64_t m_old, m_new, m_pending, m_failed;
	long n;
	add_image_post(f->st, 1000, &m_old);
	add_image_post(f->st, 1001, &m_new);
	add_image_post(f->st, 1002, &m_failed);
	add_image_post(f->st, 999999, &m_pending);  /* not due at 10000 */
	/* published at 2000 and 5000 (as recorded); the third fails */
	assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_int_equal(store_finish_published(f->st, d->id, "r1", NULL, 2000, &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_int_equal(store_finish_published(f->st, d->id, "r2", NULL, 5000, &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_claim(f->st, 10000, 0, &d, &err), 0);
	assert_non_null(d);
	assert_int_equal(store_finish_final(f->st, d->id, DL_FAILED, "no", &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_media_prune(f->st, 3000, 6000, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(media_len(f->st, m_old), 0);
	assert_int_equal(media_len(f->st, m_new), 8);
	assert_int_equal(media_len(f->st, m_failed), 8);
	assert_int_equal(media_len(f->st, m_pending), 8);
	/* again: nothing more */
	assert_int_equal(store_media_prune(f->st, 3000, 6000, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_daemon_heartbeat_round_trip(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_daemon *b;
	assert_int_equal(store_daemon_get(f->st, &b, &err), 0);
	assert_null(b);
	struct store_daemon w = {.pid = 42, .version = "9.9", .started = 100,
				 .beat = 160, .running = 1, .next_wake = 500,
				 .status = "next: post 1 to facebook"};
	assert_int_equal(store_daemon_beat(f->st, &w, &err), 0);
	w.beat = 220;
	w.running = 0;
	w.status = NULL;
	assert_int_equal(store_daemon_beat(f->st, &w, &err), 0);
	assert_int_equal(store_daemon_get(f->st, &b, &err), 0);
	assert_non_null(b);
	assert_int_equal(b->pid, 42);
	assert_string_equal(b->version, "9.9");
	assert_int_equal(b->beat, 220);
	assert_int_equal(b->running, 0);
	assert_null(b->status);
	store_daemon_free(b);
}

static void test_new_database_takes_the_umask(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store *st2;
	char path[200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/shared.db", f->dir);
	mode_t old = umask(007);
	int rc = store_open(path, STORE_CREATE, &st2, &err);
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);
	store_close(st2);
}

/* Run python3's sqlite3 on the file (the sqlite3 shell may be absent). */
static void py_sql(const char *path, const char *sql)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 -c \"import sqlite3; c=sqlite3.connect('%s'); "
		 "c.executescript('%s'); c.commit()\"", path, sql);
	assert_int_equal(system(cmd), 0);
}

static void test_content_hash_covers_text_and_image(void **state)
{
	(void)state;
	char a[STORE_HASH_LEN + 1], b[STORE_HASH_LEN + 1], c[STORE_HASH_LEN + 1],
		d[STORE_HASH_LEN + 1], e[STORE_HASH_LEN + 1];
	store_content_hash("Hello", NULL, 0, a);
	store_content_hash("Hello", NULL, 0, b);
	store_content_hash("Hello!", NULL, 0, c);
	store_content_hash("Hello", "img1", 4, d);
	store_content_hash("Hello", "img2", 4, e);
	assert_int_equal(strlen(a), STORE_HASH_LEN);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_string_not_equal(d, e);
}

static void test_duplicate_found_within_the_window_only(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_dup d;
	int found = -1;
	int64_t id = add_post(f->st, 100000, FB);
	char h[STORE_HASH_LEN + 1], other[STORE_HASH_LEN + 1];
	store_content_hash("text", NULL, 0, h);
	store_content_hash("other text", NULL, 0, other);
	assert_int_equal(store_duplicate_find(f->st, "facebook", h, 100000 + 86400,
					      30 * 86400, &d, &found, &err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(d.post_id, id);
	assert_string_equal(d.source, "/p/a.post");
	assert_int_equal(d.when, 100000);
	free(d.source);
	/* outside the window, another account, another text: none */
	assert_int_equal(store_duplicate_find(f->st, "facebook", h, 100000 + 31 * 86400,
					      30 * 86400, &d, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_duplicate_find(f->st, "linkedin", h, 100000,
					      30 * 86400, &d, &found, &err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_duplicate_find(f->st, "facebook", other, 100000,
					      30 * 86400, &d, &found, &err), 0);
	assert_int_equal(found, 0);
	/* a canceled post is not a copy that went out */
	int changed;
	assert_int_equal(store_post_cancel(f->st, id, &changed, &err), 0);
	assert_int_equal(store_duplicate_find(f->st, "facebook", h, 100000,
					      30 * 86400, &d, &found, &err), 0);
	assert_int_equal(found, 0);
}

static void test_taken_list_is_the_live_future_of_one_account(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_taken *v;
	size_t n;
	add_post(f->st, 500, FB);
	int64_t b = add_post(f->st, 3000, BOTH);
	int64_t a = add_post(f->st, 2000, FB);
	int64_t c = add_post(f->st, 4000, FB);
	int changed;
	assert_int_equal(store_post_cancel(f->st, c, &changed, &err), 0);
	assert_int_equal(store_taken_list(f->st, "facebook", 1000, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].due, 2000);
	assert_int_equal(v[0].post_id, a);
	assert_int_equal(v[1].due, 3000);
	assert_int_equal(v[1].post_id, b);
	free(v);
	assert_int_equal(store_taken_list(f->st, "linkedin", 0, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	free(v);
}

/* A schema-3 database (no content_hash) is migrated and its rows hashed. */
static void test_hash_migration_hashes_existing_rows(void **state)
{
	struct fx *f = *state;
	struct err err;
	add_post(f->st, 1000, FB);
	store_close(f->st);
	f->st = NULL;
	py_sql(f->path, "DROP INDEX deliveries_pending_account; "      /* schema 7 */
	       "DROP INDEX deliveries_sending_account; "
	       "DROP INDEX deliveries_published_account; "
	       "DROP INDEX posts_due; DROP INDEX deliveries_state_due; "
	       "DROP INDEX deliveries_account_hash; "
	       "ALTER TABLE deliveries DROP COLUMN content_hash; "
	       "DROP TABLE notice_outbox; DROP TABLE notices; "  /* schema 5 */
	       "DROP TABLE marks; "                               /* schema 6 */
	       "PRAGMA user_version=3;");
	assert_int_equal(store_open(f->path, STORE_CREATE, &f->st, &err), 0);
	char h[STORE_HASH_LEN + 1];
	store_content_hash("text", NULL, 0, h);
	struct store_dup d;
	int found = 0;
	assert_int_equal(store_duplicate_find(f->st, "facebook", h, 1000, 60, &d,
					      &found, &err), 0);
	assert_int_equal(found, 1);
	free(d.source);
}

/* The first commit mark records where a read-back starts; later marks
 * (a re-send after a confirmed absence) keep it. */
static void test_first_commit_mark_and_clock_kept(void **state)
{
	struct fx *f = *state;
	struct err err;
	struct store_delivery *d;
	char *v;
	long behind = -600, other = 42;
	add_post(f->st, 1000, FB);
	assert_int_equal(store_claim(f->st, 1000, 0, &d, &err), 0);
	int64_t id = d->id;
	store_deliveries_free(d, 1);
	assert_int_equal(store_mark_commit(f->st, id, 1001, &behind, &err), 0);
	assert_int_equal(store_finish_retry(f->st, id, 1002, "absent", 1, &err), 0);
	assert_int_equal(store_claim(f->st, 1002, 0, &d, &err), 0);
	store_deliveries_free(d, 1);
	assert_int_equal(store_mark_commit(f->st, id, 1900, &other, &err), 0);
	assert_int_equal(store_progress_get(f->st, id, "first_commit_at", &v, &err), 0);
	assert_string_equal(v, "1001");
	free(v);
	assert_int_equal(store_progress_get(f->st, id, "commit_clock", &v, &err), 0);
	assert_string_equal(v, "-600");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claim_takes_due_ones_in_order_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_phase_survives_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_commit_mark_and_clock_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_and_held_accounts_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_gap_spaces_an_accounts_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_in_flight_per_account_among_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_and_wake_are_index_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_walk_ranges_not_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions_are_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_return_their_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_flag_ends_long_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_requires_the_expected_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_database_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_media_prune_drops_only_old_published_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_heartbeat_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_database_takes_the_umask, setup, teardown),
		cmocka_unit_test(test_content_hash_covers_text_and_image),
		cmocka_unit_test_setup_teardown(test_duplicate_found_within_the_window_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taken_list_is_the_live_future_of_one_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_migration_hashes_existing_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
