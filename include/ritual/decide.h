/*
 * decide.h - what becomes of a delivery after each step: one pure function.
 *
 * The daemon claims a delivery, runs one step (a publish call, a read-back
 * of the account after a lost answer, or nothing at all when the account
 * or its token is missing) and asks decide() what the delivery's next state
 * is. decide() does no I/O and reads no clock: every fact it needs is in
 * struct decide_in, so its whole behaviour is a table (tests/unit/
 * test_decide.c). The daemon then carries the decision out against the
 * store and the log.
 *
 * The commit rule, in one place: once the commit mark is on disk (phase
 * commit), only an answer that proves the platform refused the post before
 * creating it -- a 4xx answer to the commit call classified as a refusal
 * (permanent, auth, owner action, configuration, duplicate, rate limit, not
 * ready yet), or a request that never left this machine -- may lead to a
 * re-send or a failure. Every other answer (any 5xx, a transient Graph code,
 * a proxy's page, a body without the id, a timeout, a reset) means "may have
 * gone out": the account is read back before anything is sent again, and a
 * delivery keeps its commit mark until a read-back settles it.
 *
 * States and phases are the enums of store.h; their names exist only at
 * the store boundary (store.c) and in what the owner reads.
 */
#ifndef RITUAL_DECIDE_H
#define RITUAL_DECIDE_H

#include "ritual/publisher.h"
#include "ritual/store.h"

/* The step whose outcome is being decided. */
enum decide_step {
	STEP_PUBLISH,        /* publisher->publish() returned */
	STEP_READBACK,       /* publisher->reconcile() returned */
	STEP_BLOCKED         /* no call was made: the account is not in the
			      * config, its token or the post could not be
			      * read, or bookkeeping failed (see blocked) */
};

enum decide_block {
	BLOCK_NONE = 0,
	BLOCK_ACCOUNT,       /* account missing from the config */
	BLOCK_TOKEN,         /* token file unreadable: pause the account */
	BLOCK_POST,          /* the post or its image unreadable */
	BLOCK_BOOKKEEPING    /* our own write (save/committing) failed */
};

/* Why a read-back is being made. */
enum decide_cause {
	CAUSE_LOST = 0,      /* the commit call's answer did not prove a refusal */
	CAUSE_DUPLICATE      /* the platform refused the post as a duplicate */
};

struct decide_in {
	enum decide_step step;
	enum dl_phase phase;      /* after the step: commit if the mark is on disk */
	enum pub_class cls;       /* the step's result (ignored for BLOCKED) */
	long commit_status;       /* STEP_PUBLISH in phase commit: the answer to the
				   * commit call (http_commit_status: -1 not sent,
				   * 0 no complete answer, else HTTP status) */
	enum decide_block blocked;
	enum decide_cause cause;  /* STEP_READBACK */
	long attempts;            /* attempts so far, this one included */
	long max_attempts;        /* retry.max_attempts */
	long readbacks;           /* read-backs made before this one */
	long readback_max;        /* read-backs before handing over as unknown */
	int absent_before;        /* an earlier read-back found nothing */
};

enum decide_act {
	ACT_PUBLISHED,       /* sending -> published with the ids */
	ACT_WAIT,            /* not an attempt: again at retry_at (or soon) */
	ACT_RATE,            /* not an attempt: again at retry_at (or in an hour) */
	ACT_RETRY,           /* an attempt failed, nothing out: again after backoff */
	ACT_REPUBLISH,       /* read back twice, absent: publish again now */
	ACT_PAUSE,           /* pause the account; the delivery waits for it */
	ACT_HOLD,            /* BLOCKED: try again later (phase kept) */
	ACT_READBACK_NOW,    /* read the account back at once (cause set) */
	ACT_READBACK_LATER,  /* phase commit kept: read back at the next attempt */
	ACT_FAILED,          /* final: failed with the result's message */
	ACT_GAVE_UP,         /* final: failed, max_attempts reached */
	ACT_UNKNOWN          /* final: unknown, a human must look */
};

struct decision {
	enum decide_act act;
	enum decide_cause cause;  /* ACT_READBACK_NOW */
	int keep_commit;          /* the commit mark stays (phase commit) */
	int count_attempt;        /* the attempt stays counted (retry paths) */
	int mark_absent;          /* remember that this read-back found nothing */
	int forget_readbacks;     /* clear the read-back bookkeeping */
};

/* The next step for a delivery; never fails. */
void decide(const struct decide_in *in, struct decision *out);

/* Whether answer cls to a commit call with HTTP status commit_status proves
 * the platform refused the post before creating it (see above). */
int decide_refused(enum pub_class cls, long commit_status);

const char *decide_act_name(enum decide_act a);

/* When to read an account back again after a look that did not settle
 * it: at retry_at when the platform named a later instant, else a full
 * pause seconds after now. Instants are whole seconds, so now + pause may
 * be almost a second too soon: the answer is now + pause + 1. */
time_t decide_readback_at(time_t now, time_t retry_at, long pause);

#endif
