/*
 * test_decide.c - the delivery state machine (decide.h) as a table.
 *
 * Each row: the step, the phase after it, the publisher's class, the HTTP
 * status of the commit call's answer, and the bookkeeping counters; then
 * the action and its flags. The commit rule (only a proven refusal after
 * the commit mark may lead to a re-send or a failure) is the block of rows
 * marked "commit rule".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "ritual/decide.h"

struct row {
	const char *name;
	struct decide_in in;
	enum decide_act act;
	int keep_commit, count_attempt, mark_absent, forget;
	enum decide_cause cause;
};

#define PUB(ph, c, st, att) \
	{.step = STEP_PUBLISH, .phase = (ph), .cls = (c), .commit_status = (st), \
	 .attempts = (att), .max_attempts = 5, .readback_max = 10}
#define RB(c, cause_, att, tries, absent) \
	{.step = STEP_READBACK, .phase = PHASE_COMMIT, .cls = (c), \
	 .cause = (cause_), .attempts = (att), .max_attempts = 5, \
	 .readbacks = (tries), .readback_max = 10, .absent_before = (absent)}
#define BLK(ph, why) \
	{.step = STEP_BLOCKED, .phase = (ph), .blocked = (why), .attempts = 1, \
	 .max_attempts = 5}

static const struct row rows[] = {
	/* before any commit mark: nothing visible went out */
	{"prepare ok", PUB(PHASE_PREPARE, PUB_OK, -1, 1), ACT_PUBLISHED, 0, 0, 0, 1, 0},
	{"prepare wait", PUB(PHASE_PREPARE, PUB_WAIT, -1, 1), ACT_WAIT, 0, 0, 0, 0, 0},
	{"prepare rate", PUB(PHASE_PREPARE, PUB_RATE, -1, 1), ACT_RATE, 0, 0, 0, 0, 0},
	{"prepare transient", PUB(PHASE_PREPARE, PUB_TRANSIENT, -1, 1), ACT_RETRY, 0, 1, 0, 0, 0},
	{"prepare transient, last attempt", PUB(PHASE_PREPARE, PUB_TRANSIENT, -1, 5), ACT_GAVE_UP, 0, 1, 0, 0, 0},
	{"prepare unknown is a retry", PUB(PHASE_PREPARE, PUB_UNKNOWN, -1, 2), ACT_RETRY, 0, 1, 0, 0, 0},
	{"prepare auth", PUB(PHASE_PREPARE, PUB_AUTH, -1, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"prepare owner", PUB(PHASE_PREPARE, PUB_OWNER, -1, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"prepare config", PUB(PHASE_PREPARE, PUB_CONFIG, -1, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"prepare permanent", PUB(PHASE_PREPARE, PUB_PERMANENT, -1, 1), ACT_FAILED, 0, 0, 0, 0, 0},
	{"prepare duplicate", PUB(PHASE_PREPARE, PUB_DUPLICATE, -1, 1), ACT_FAILED, 0, 0, 0, 0, 0},

	/* commit rule: answers that may mean the post went out */
	{"commit ok", PUB(PHASE_COMMIT, PUB_OK, 200, 1), ACT_PUBLISHED, 0, 0, 0, 1, 0},
	{"commit 500 Graph code 1 (koala#699)", PUB(PHASE_COMMIT, PUB_TRANSIENT, 500, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 500 Graph code 2", PUB(PHASE_COMMIT, PUB_TRANSIENT, 500, 5), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 400 is_transient", PUB(PHASE_COMMIT, PUB_TRANSIENT, 400, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 502 proxy page", PUB(PHASE_COMMIT, PUB_UNKNOWN, 502, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 200 without id", PUB(PHASE_COMMIT, PUB_UNKNOWN, 200, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit timeout", PUB(PHASE_COMMIT, PUB_UNKNOWN, 0, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 503 auth-looking", PUB(PHASE_COMMIT, PUB_AUTH, 503, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 500 permanent-looking", PUB(PHASE_COMMIT, PUB_PERMANENT, 500, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 302 redirect", PUB(PHASE_COMMIT, PUB_CONFIG, 302, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	{"commit 200 rate-looking", PUB(PHASE_COMMIT, PUB_RATE, 200, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_LOST},
	/* commit rule: proven refusals */
	{"commit 400 permanent", PUB(PHASE_COMMIT, PUB_PERMANENT, 400, 1), ACT_FAILED, 0, 0, 0, 0, 0},
	{"commit 401 auth", PUB(PHASE_COMMIT, PUB_AUTH, 401, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"commit 403 owner", PUB(PHASE_COMMIT, PUB_OWNER, 403, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"commit 426 config", PUB(PHASE_COMMIT, PUB_CONFIG, 426, 1), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"commit 429 rate", PUB(PHASE_COMMIT, PUB_RATE, 429, 1), ACT_RATE, 0, 0, 0, 0, 0},
	{"commit 400 not ready (9007)", PUB(PHASE_COMMIT, PUB_WAIT, 400, 1), ACT_WAIT, 0, 0, 0, 0, 0},
	{"commit never left", PUB(PHASE_COMMIT, PUB_TRANSIENT, -1, 1), ACT_RETRY, 0, 1, 0, 0, 0},
	{"commit never left, last", PUB(PHASE_COMMIT, PUB_TRANSIENT, -1, 5), ACT_GAVE_UP, 0, 1, 0, 0, 0},
	{"commit 400 duplicate", PUB(PHASE_COMMIT, PUB_DUPLICATE, 400, 1), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_DUPLICATE},
	{"commit 422 duplicate", PUB(PHASE_COMMIT, PUB_DUPLICATE, 422, 2), ACT_READBACK_NOW, 1, 0, 0, 0, CAUSE_DUPLICATE},

	/* read-backs after a lost answer */
	{"readback found", RB(PUB_OK, CAUSE_LOST, 1, 0, 0), ACT_PUBLISHED, 1, 0, 0, 1, 0},
	{"readback absent once", RB(PUB_TRANSIENT, CAUSE_LOST, 1, 0, 0), ACT_READBACK_LATER, 1, 0, 1, 0, 0},
	{"readback absent twice", RB(PUB_TRANSIENT, CAUSE_LOST, 1, 1, 1), ACT_REPUBLISH, 0, 1, 0, 1, 0},
	{"readback absent twice, last", RB(PUB_TRANSIENT, CAUSE_LOST, 5, 1, 1), ACT_GAVE_UP, 1, 1, 0, 1, 0},
	{"readback unreadable", RB(PUB_WAIT, CAUSE_LOST, 1, 3, 0), ACT_READBACK_LATER, 1, 0, 0, 0, 0},
	{"readback rate", RB(PUB_RATE, CAUSE_LOST, 1, 3, 1), ACT_READBACK_LATER, 1, 0, 0, 0, 0},
	{"readback unreadable, last", RB(PUB_WAIT, CAUSE_LOST, 1, 9, 0), ACT_UNKNOWN, 1, 0, 0, 0, 0},
	{"readback auth", RB(PUB_AUTH, CAUSE_LOST, 1, 0, 0), ACT_PAUSE, 1, 0, 0, 0, 0},
	{"readback config", RB(PUB_CONFIG, CAUSE_LOST, 1, 0, 0), ACT_PAUSE, 1, 0, 0, 0, 0},
	{"readback cannot tell", RB(PUB_UNKNOWN, CAUSE_LOST, 1, 0, 0), ACT_UNKNOWN, 1, 0, 0, 0, 0},
	{"readback permanent", RB(PUB_PERMANENT, CAUSE_LOST, 1, 0, 0), ACT_UNKNOWN, 1, 0, 0, 0, 0},
	/* read-backs after a duplicate refusal */
	{"duplicate of ours", RB(PUB_OK, CAUSE_DUPLICATE, 2, 0, 0), ACT_PUBLISHED, 1, 0, 0, 1, 0},
	{"duplicate of another post", RB(PUB_TRANSIENT, CAUSE_DUPLICATE, 1, 0, 0), ACT_FAILED, 1, 0, 0, 1, 0},
	{"duplicate, unreadable", RB(PUB_WAIT, CAUSE_DUPLICATE, 1, 0, 0), ACT_READBACK_LATER, 1, 0, 0, 0, 0},

	/* no call made: the commit mark survives every one of these */
	{"account missing, prepare", BLK(PHASE_PREPARE, BLOCK_ACCOUNT), ACT_HOLD, 0, 0, 0, 0, 0},
	{"account missing, commit", BLK(PHASE_COMMIT, BLOCK_ACCOUNT), ACT_HOLD, 1, 0, 0, 0, 0},
	{"token unreadable, prepare", BLK(PHASE_PREPARE, BLOCK_TOKEN), ACT_PAUSE, 0, 0, 0, 0, 0},
	{"token unreadable, commit", BLK(PHASE_COMMIT, BLOCK_TOKEN), ACT_PAUSE, 1, 0, 0, 0, 0},
	{"post unreadable, commit", BLK(PHASE_COMMIT, BLOCK_POST), ACT_HOLD, 1, 0, 0, 0, 0},
	{"bookkeeping failed, commit", BLK(PHASE_COMMIT, BLOCK_BOOKKEEPING), ACT_HOLD, 1, 0, 0, 0, 0},
	{"bookkeeping failed, prepare", BLK(PHASE_PREPARE, BLOCK_BOOKKEEPING), ACT_HOLD, 0, 0, 0, 0, 0},
};

static void test_table(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct decision d;
		decide(&r->in, &d);
		int ok = d.act == r->act && d.keep_commit == r->keep_commit &&
			 d.count_attempt == r->count_attempt &&
			 d.mark_absent == r->mark_absent &&
			 d.forget_readbacks == r->forget &&
			 (r->act != ACT_READBACK_NOW || d.cause == r->cause);
		if (!ok) {
			print_error("row \"%s\": got %s keep=%d count=%d absent=%d "
				    "forget=%d cause=%d; want %s keep=%d count=%d "
				    "absent=%d forget=%d cause=%d\n", r->name,
				    decide_act_name(d.act), d.keep_commit,
				    d.count_attempt, d.mark_absent,
				    d.forget_readbacks, d.cause,
				    decide_act_name(r->act), r->keep_commit,
				    r->count_attempt, r->mark_absent, r->forget,
				    r->cause);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Every commit-phase answer that is not a proven 4xx refusal reads back,
 * whatever the class: the rule holds for the whole product of classes and
 * statuses, not only for the rows above. */
static void test_commit_rule_exhaustive(void **state)
{
	(void)state;
	static const long statuses[] = {0, 200, 201, 204, 301, 302, 400, 401, 403,
					404, 409, 422, 426, 429, 499, 500, 502,
					503, 504, 599};
	for (int c = PUB_OK; c <= PUB_UNKNOWN; c++) {
		for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
			struct decide_in in = PUB(PHASE_COMMIT, (enum pub_class)c,
						  statuses[k], 1);
			struct decision d;
			decide(&in, &d);
			int refusal = statuses[k] >= 400 && statuses[k] <= 499 &&
				      c != PUB_TRANSIENT && c != PUB_UNKNOWN;
			if (c == PUB_OK)
				assert_int_equal(d.act, ACT_PUBLISHED);
			else if (!refusal)
				assert_int_equal(d.act, ACT_READBACK_NOW);
			else
				assert_int_not_equal(d.act, ACT_RETRY);
			/* A re-send without a read-back only after a refusal. */
			if (d.act == ACT_RETRY || d.act == ACT_REPUBLISH ||
			    d.act == ACT_FAILED || d.act == ACT_GAVE_UP)
				assert_true(refusal);
		}
	}
}

static void test_names_round_trip(void **state)
{
	(void)state;
	for (int s = DL_PENDING; s <= DL_MISSED; s++) {
		enum dl_state out;
		assert_int_equal(dl_state_parse(dl_state_name((enum dl_state)s), &out), 0);
		assert_int_equal(out, s);
	}
	enum dl_phase ph;
	assert_int_equal(dl_phase_parse("commit", &ph), 0);
	assert_int_equal(ph, PHASE_COMMIT);
	assert_int_equal(dl_phase_parse("prepare", &ph), 0);
	assert_int_equal(ph, PHASE_PREPARE);
	enum dl_state st;
	assert_int_equal(dl_state_parse("bogus", &st), -1);
	assert_int_equal(dl_state_parse(NULL, &st), -1);
	assert_int_equal(dl_phase_parse("", &ph), -1);
	assert_string_equal(dl_state_name((enum dl_state)99), "?");
}

/* The second look must come a full pause after the first: "now + 1" on a
 * whole-second clock was a few ms away (a duplicate in the kill tests). */
static void test_readback_at(void **state)
{
	(void)state;
	static const struct { time_t now, retry_at; long pause; time_t want; } t[] = {
		{10, 0, 1, 12},     /* read at 10.999: at 12.000, >= 1 s later */
		{10, 0, 60, 71},
		{10, 30, 1, 30},    /* the platform's own instant */
		{10, 10, 5, 16},    /* not later than now: the pause */
		{10, 0, 0, 11},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(decide_readback_at(t[i].now, t[i].retry_at,
						    t[i].pause), t[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_commit_rule_exhaustive),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_readback_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
