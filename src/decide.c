/*
 * decide.c - the delivery state machine as one pure function (decide.h).
 * No I/O, no clock, no SQL: the table in tests/unit/test_decide.c is its
 * specification.
 */
#include "ritual/decide.h"

#include <string.h>

const char *decide_act_name(enum decide_act a)
{
	static const char *const names[] = {
		[ACT_PUBLISHED] = "published",   [ACT_WAIT] = "wait",
		[ACT_RATE] = "rate",             [ACT_RETRY] = "retry",
		[ACT_REPUBLISH] = "republish",   [ACT_PAUSE] = "pause",
		[ACT_HOLD] = "hold",             [ACT_READBACK_NOW] = "readback-now",
		[ACT_READBACK_LATER] = "readback-later",
		[ACT_FAILED] = "failed",         [ACT_GAVE_UP] = "gave-up",
		[ACT_UNKNOWN] = "unknown",
	};
	return (size_t)a < RT_ARRAY_LEN(names) ? names[a] : "?";
}

int decide_refused(enum pub_class cls, long commit_status)
{
	if (commit_status < 0)
		return 1;   /* the commit request never left this machine */
	if (commit_status < 400 || commit_status > 499)
		return 0;
	switch (cls) {
	case PUB_PERMANENT:
	case PUB_AUTH:
	case PUB_OWNER:
	case PUB_CONFIG:
	case PUB_DUPLICATE:
	case PUB_RATE:
	case PUB_WAIT:
		return 1;
	default:
		return 0;   /* transient codes, unreadable answers: may be out */
	}
}

/* A result that proves nothing went out (or that came before any commit). */
static void decide_nothing_out(const struct decide_in *in, struct decision *out)
{
	switch (in->cls) {
	case PUB_OK:
		out->act = ACT_PUBLISHED;
		break;
	case PUB_WAIT:
		out->act = ACT_WAIT;
		break;
	case PUB_RATE:
		out->act = ACT_RATE;
		break;
	case PUB_AUTH:
	case PUB_OWNER:
	case PUB_CONFIG:
		out->act = ACT_PAUSE;
		break;
	case PUB_PERMANENT:
	case PUB_DUPLICATE:
		out->act = ACT_FAILED;
		break;
	case PUB_TRANSIENT:
	case PUB_UNKNOWN:
		out->count_attempt = 1;
		out->act = in->attempts >= in->max_attempts ? ACT_GAVE_UP : ACT_RETRY;
		break;
	}
}

static void decide_publish(const struct decide_in *in, struct decision *out)
{
	if (in->cls == PUB_OK) {
		out->act = ACT_PUBLISHED;
		out->forget_readbacks = 1;
		return;
	}
	if (in->phase == PHASE_COMMIT) {
		if (in->cls == PUB_DUPLICATE && in->commit_status >= 0) {
			/* Refused as a duplicate: of ours (an earlier attempt whose
			 * answer was lost) or of another post? Read back. */
			out->act = ACT_READBACK_NOW;
			out->cause = CAUSE_DUPLICATE;
			out->keep_commit = 1;
			return;
		}
		if (!decide_refused(in->cls, in->commit_status)) {
			out->act = ACT_READBACK_NOW;
			out->cause = CAUSE_LOST;
			out->keep_commit = 1;
			return;
		}
	}
	decide_nothing_out(in, out);
}

static void decide_readback(const struct decide_in *in, struct decision *out)
{
	out->keep_commit = 1;
	switch (in->cls) {
	case PUB_OK:
		out->act = ACT_PUBLISHED;
		out->forget_readbacks = 1;
		return;
	case PUB_TRANSIENT:   /* read back: certainly not on the account */
		if (in->cause == CAUSE_DUPLICATE) {
			/* The platform holds another post with this text. */
			out->act = ACT_FAILED;
			out->forget_readbacks = 1;
		} else if (!in->absent_before) {
			/* The platform's list may lag a write: look once more. */
			out->act = ACT_READBACK_LATER;
			out->mark_absent = 1;
		} else if (in->attempts >= in->max_attempts) {
			out->act = ACT_GAVE_UP;
			out->forget_readbacks = 1;
			out->count_attempt = 1;
		} else {
			out->act = ACT_REPUBLISH;
			out->keep_commit = 0;
			out->forget_readbacks = 1;
			out->count_attempt = 1;
		}
		return;
	case PUB_WAIT:
	case PUB_RATE:
		out->act = in->readbacks + 1 >= in->readback_max ? ACT_UNKNOWN
								 : ACT_READBACK_LATER;
		return;
	case PUB_AUTH:
	case PUB_OWNER:
	case PUB_CONFIG:
		out->act = ACT_PAUSE;
		return;
	case PUB_PERMANENT:
	case PUB_DUPLICATE:
	case PUB_UNKNOWN:
		out->act = ACT_UNKNOWN;
		return;
	}
	out->act = ACT_UNKNOWN;
}

void decide(const struct decide_in *in, struct decision *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->step) {
	case STEP_BLOCKED:
		out->keep_commit = in->phase == PHASE_COMMIT;
		out->act = in->blocked == BLOCK_TOKEN ? ACT_PAUSE : ACT_HOLD;
		return;
	case STEP_PUBLISH:
		decide_publish(in, out);
		return;
	case STEP_READBACK:
		decide_readback(in, out);
		return;
	}
	out->act = ACT_UNKNOWN;
}

time_t decide_readback_at(time_t now, time_t retry_at, long pause)
{
	if (retry_at > now)
		return retry_at;
	return now + (pause > 0 ? pause : 0) + 1;
}
