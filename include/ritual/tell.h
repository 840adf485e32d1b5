/*
 * tell.h - what rituald tells the owner ahead of time (issue 10, parts 2
 * and 3): token expiry warnings, a queue running dry, the daily digest at
 * notify.digest_at and the pre-flight check at notify.preflight_at.
 *
 * The decisions and the texts are pure functions (table-tested): when to
 * warn about a token, whether a queue is dry, when the next digest or
 * pre-flight is due (wall time in the zone selected by sched_tz_use, DST
 * days included), and the digest's and pre-flight's text from plain data.
 * tell_turn does the I/O around them for rituald: it reads the store,
 * runs the publishers' checks for the pre-flight, and raises notices
 * through the callbacks of struct tell_env (rituald wires them to
 * notify.h's notifier_raise/notifier_resolve). What was told is kept in
 * the store (store_mark_*), so that a restart neither repeats nor skips.
 */
#ifndef RITUAL_TELL_H
#define RITUAL_TELL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "ritual/config.h"
#include "ritual/notify.h"
#include "ritual/store.h"

/* ---- token expiry ---- */

/* The warnings told about one expiry, in order: notify.token_warn_days
 * before, 3 days before, 1 day before, and once it has passed. */
enum tell_token_level {
	TELL_TOKEN_NONE = 0,
	TELL_TOKEN_AHEAD,     /* token_warn_days before */
	TELL_TOKEN_3DAYS,     /* 3 days before (or token_warn_days if fewer) */
	TELL_TOKEN_1DAY,      /* 1 day before (or token_warn_days if fewer) */
	TELL_TOKEN_EXPIRED    /* the expiry has passed */
};

/*
 * The warning to tell now for a token with secs_left seconds to live
 * (<= 0: expired), given notify.token_warn_days and the highest level
 * already told for this expiry: the highest level reached when it is above
 * told, else TELL_TOKEN_NONE (each level once; a token first seen 2 days
 * before its end gets the 3-day warning only, then the 1-day one).
 * warn_days <= 0: never warns.
 */
enum tell_token_level tell_token_step(long long secs_left, long warn_days,
				      enum tell_token_level told);

/*
 * The notice's message and fix for account a whose token expires at
 * expires (secs_left from now): "the facebook token of account 'fb'
 * expires in 3 days (Fri 2026-12-04 09:00 CET)" and the exact renewal
 * steps (`ritual connect NETWORK --account NAME ...` with the options this
 * account needs). Writes NUL-terminated texts, cut to their sizes.
 */
void tell_token_text(const struct account *a, long long secs_left,
		     time_t expires, char *msg, size_t msg_len, char *fix,
		     size_t fix_len);

/* 1 when an account whose last queued delivery is due at horizon (0:
 * nothing queued) has nothing queued dry_days ahead of now; 0 otherwise,
 * and always 0 for dry_days <= 0. */
int tell_queue_dry(time_t horizon, time_t now, long dry_days);

/* ---- when ---- */

#define TELL_LATE_MAX (12 * 3600)  /* a digest/pre-flight later than this
				    * after its time is skipped for the day */

/*
 * When the daily event at hhmm ("HH:MM", local time in the zone in use) is
 * next due, given the time it was last sent (0: never): today's
 * occurrence if it was not sent since and now is before it or at most
 * TELL_LATE_MAX after it (a restart neither skips nor repeats one), else
 * the next day's. A time in a spring-forward gap moves forward by the gap;
 * a repeated (fall-back) time is its first occurrence. *at <= now means
 * "send now". 0 with *at set; -1 when hhmm is NULL, "" or not HH:MM.
 */
int tell_next_at(const char *hhmm, time_t now, time_t last, time_t *at);

/* ---- the digest ---- */

/* One delivery as the digest and the pre-flight show it; all borrowed. */
struct tell_item {
	int64_t post_id;
	const char *title;          /* NULL: untitled */
	const char *account, *network;
	enum dl_state state;
	time_t due, published_at;   /* published_at 0: not published */
	const char *text;           /* the wire text */
	const char *image;          /* the image's file name; NULL: none */
	const char *permalink;      /* NULL when none */
	const char *error;          /* the last error; NULL when none */
};

/* One configured account; all borrowed. */
struct tell_account {
	const char *name, *network;
	time_t horizon;             /* due time of its last queued delivery; 0: none */
	int paused;
	const char *reason;         /* why paused; may be NULL */
	long token_days;            /* days left of its token; -1 unknown */
};

struct tell_digest {
	time_t now;
	const char *business;       /* may be NULL */
	const struct tell_item *items;   /* any order; the composer picks */
	size_t nitems;
	const struct tell_account *accounts;
	size_t naccounts;
};

/*
 * The digest's text (caller frees): yesterday's results (published with
 * the permalink, failed, missed, unknown), today's and tomorrow's posts
 * with their text per network and image name, what needs the owner
 * (failed/unknown/missed in the last 7 days, paused accounts), and each
 * account's horizon. Days are local days in the zone in use. Never NULL.
 */
char *tell_digest_compose(const struct tell_digest *d);

/* One problem the pre-flight found; all borrowed. post_id 0: the account. */
struct tell_problem {
	int64_t post_id;
	const char *title, *account, *network;
	time_t due;
	const char *problem, *fix;
};

/* The pre-flight's text (caller frees), one paragraph per problem; NULL
 * when n is 0 (nothing to tell). */
char *tell_preflight_compose(const struct tell_problem *p, size_t n,
			     time_t now);

/* ---- rituald's side ---- */

/* Marks kept in the store (store_mark_*). */
#define TELL_MARK_DIGEST "digest"
#define TELL_MARK_PREFLIGHT "preflight"

struct http_client;
struct mediahost;

struct tell_env {
	const struct config *cfg;
	struct store *st;
	struct http_client *http;
	struct mediahost *media;    /* may be NULL */
	/* Raise/resolve a notice (notify.h); 0 or -1 with err. Each is also
	 * logged by tell_turn itself ("... event=NAME"). May be NULL. */
	int (*raise)(void *ud, const struct notice *ev, time_t now,
		     struct err *err);
	int (*resolve)(void *ud, enum notice_kind kind, const char *account,
		       time_t now, struct err *err);
	void *ud;
	time_t checked_at;          /* last token/queue check (tell_turn's) */
	time_t sent[2];             /* digest, pre-flight last sent (also in
				     * the store; kept here when it refuses) */
	/* 1: the caller says no delivery is due within TELL_QUIET seconds,
	 * so the pre-flight's HTTP may run now. */
	int quiet;
};

#define TELL_CHECK_EVERY 3600   /* s between token and queue checks */
#define TELL_QUIET 90           /* s without a due post a pre-flight needs */

/*
 * One turn of rituald's loop: the token and queue checks (at start, then
 * every TELL_CHECK_EVERY), the digest and the pre-flight when due. Never
 * fails the loop: problems are logged. *wake: when it next wants a turn
 * (the daemon caps its sleep to it); 0 = no wish.
 */
void tell_turn(struct tell_env *e, time_t now, time_t *wake);

#endif
