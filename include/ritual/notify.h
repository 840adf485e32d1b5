/*
 * notify.h - telling the owner: notices (the rows `ritual events` lists),
 * mail through libcurl's SMTP, and the optional event command (issue 10).
 *
 * A notice is one thing the owner must know: a post failed, an account was
 * paused, a token is about to expire, the queue runs dry, the daily digest.
 * rituald raises notices at the points where it decides; the notifier
 * records each one (a row and a log line) and coalesces them per kind and
 * account, so that ten posts failing on one paused account make one mail,
 * a problem that lasts is repeated at most once a day, and its end is told
 * once ("resolved").
 *
 * Sending never blocks or delays publishing: a mail or the command runs in
 * a child process that the daemon's poll() watches (notifier_fd); a send
 * that fails is retried with back-off; the outcome of a post never depends
 * on it. No secret (token, SMTP password) ever reaches a notice, a mail,
 * the command's input or a log line: every text goes through secret_scrub.
 */
#ifndef RITUAL_NOTIFY_H
#define RITUAL_NOTIFY_H

#include <stdint.h>
#include <time.h>

struct config;
struct store;
struct err;

enum notice_kind {
	NOTICE_FAILED,          /* a delivery failed for good */
	NOTICE_PAUSED,          /* an account paused: token revoked/expired,
				 * permission lost, API version retired */
	NOTICE_UNKNOWN,         /* a delivery's outcome unknown: a human must look */
	NOTICE_MISSED,          /* a post's slot passed without publishing */
	NOTICE_TOKEN_EXPIRING,  /* a token expires within notify.token_warn_days */
	NOTICE_QUEUE_DRY,       /* nothing queued notify.dry_days ahead */
	NOTICE_MEDIA_HOST,      /* images cannot be hosted */
	NOTICE_DAEMON,          /* rituald cannot write its database, or was
				 * restarted after a crash */
	NOTICE_DIGEST,          /* the daily digest (notify.digest_at) */
	NOTICE_PREFLIGHT,       /* the evening check found problems */
	NOTICE_TEST,            /* `ritual check --notify` */
	NOTICE_KINDS
};

/* "failed", "paused", "unknown", "missed", "token-expiring", "queue-dry",
 * "media-host", "daemon", "digest", "preflight", "test": the event names
 * the command gets as argv[1] and `ritual events` shows. */
const char *notice_kind_name(enum notice_kind k);
/* 0 and *out set, or -1 for a name that is none of those. */
int notice_kind_parse(const char *name, enum notice_kind *out);

/*
 * What is raised. Every string is borrowed for the call (copied as
 * needed). account/network: NULL when the notice is not about one
 * account (daemon, digest). post_id 0: no post. message: what happened,
 * with the platform's own words; fix: exactly what to do. body: for
 * digest and preflight, the whole text of the mail (NULL otherwise: the
 * notifier writes the text from the fields).
 */
struct notice {
	enum notice_kind kind;
	const char *account;
	const char *network;
	int64_t post_id;
	const char *post_title;
	const char *post_file;
	const char *message;
	const char *fix;
	const char *body;
};

struct notifier;

/*
 * A notifier for rituald over its open store (borrowed, must outlive it)
 * and cfg->notify (borrowed; notifier_reconfigure after a reload). Works
 * without any mail or command configured: notices are still recorded and
 * logged. 0, or -1 with err.
 */
int notifier_new(const struct config *cfg, struct store *st,
		 struct notifier **out, struct err *err);
void notifier_reconfigure(struct notifier *n, const struct config *cfg);
/* Kills and reaps a sender still running. NULL is a no-op. */
void notifier_free(struct notifier *n);

/*
 * Record ev at now: a row for `ritual events`, a log line, and - unless
 * coalesced with an open notice of the same kind and account told less
 * than a day ago - a message queued for the mail and the command. Never
 * sends here. 0, or -1 with err (the store refused the row).
 */
int notifier_raise(struct notifier *n, const struct notice *ev, time_t now,
		   struct err *err);
/*
 * The problem of that kind on that account (NULL: none) has cleared: when
 * one was open, close it and queue one "resolved" message. 0 (also when
 * nothing was open), or -1 with err.
 */
int notifier_resolve(struct notifier *n, enum notice_kind kind,
		     const char *account, time_t now, struct err *err);

/* The descriptor to poll for POLLIN while a sender runs (a pidfd), or -1. */
int notifier_fd(const struct notifier *n);
/*
 * The loop's turn: reap a finished sender and record its outcome (sent,
 * or a retry with back-off); start the next queued message when none
 * runs and one is due. Never waits. *next: when a queued message is next
 * due (0: nothing queued but what runs). 0, or -1 with err.
 */
int notifier_work(struct notifier *n, time_t now, time_t *next,
		  struct err *err);

/* ---- added with the implementation (src/notify.c) ---- */

/*
 * Record ev at now and queue it, never coalesced and never left open (a
 * restart after a crash: told once, nothing to resolve). Digest,
 * preflight and test notices given to notifier_raise go this way too.
 * 0, or -1 with err.
 */
int notifier_raise_once(struct notifier *n, const struct notice *ev,
			time_t now, struct err *err);

/* Whether notices of kind k are coalesced (all but digest, preflight and
 * test). */
int notice_kind_coalesced(enum notice_kind k);

/* What to do with a new notice of kind, given the open one of the same
 * kind and account (open 1, told_at: when it was last told) - pure, for
 * tests. A repeat is told at most once a day (NOTICE_REPEAT_AFTER). */
enum notice_action {
	NOTICE_ACT_TELL,        /* a new notice: record it open and tell */
	NOTICE_ACT_COUNT,       /* the same problem, told recently: count only */
	NOTICE_ACT_REPEAT       /* still there a day later: count and tell again */
};
#define NOTICE_REPEAT_AFTER 86400
enum notice_action notice_coalesce(enum notice_kind kind, int open,
				   time_t told_at, time_t now);

/* Seconds to wait before the next try of a message after attempts
 * failed ones (1 minute, doubling, at most 1 hour). */
long notice_backoff(long attempts);
/* Tries before a message is given up (logged, kept with its error). */
#define NOTICE_MAX_ATTEMPTS 48

/*
 * One RFC 5322 message (CRLF lines): Date (date, local time with its
 * offset), Message-ID <unique@domain of from>, From, To, Subject (RFC
 * 2047 UTF-8 encoded-words, folded, when not plain ASCII or too long;
 * controls become spaces), MIME-Version, Content-Type text/plain;
 * charset=UTF-8, Content-Transfer-Encoding base64 of body with CRLF line
 * ends. Pure. Owned by the caller (free).
 */
struct notice_mail {
	const char *from;
	char *const *to;
	size_t nto;
	const char *subject;
	const char *body;
	time_t date;
	const char *unique;     /* the left part of the Message-ID */
};
char *notice_mail_build(const struct notice_mail *m);

/* A notice as the owner reads it: subject, body and the command's JSON
 * (event, account, network, post {id,title,file} or null, message, fix,
 * at (ISO 8601), resolved, count). Every text scrubbed of secrets. Pure
 * but for the scrub. Owned by the caller (free each). */
void notice_render(const struct notice *ev, time_t at, int resolved,
		   long count, char **subject, char **body, char **json);

/* One channel's outcome of notify_send. */
struct notify_outcome {
	int tried;              /* the channel is configured */
	int ok;
	char error[512];        /* why not, scrubbed */
};
/*
 * Send one message through every configured channel now, in this
 * process (the notifier's child; `ritual check --notify`): the mail, then
 * the command (killed after cfg->http.timeout). 0 when every tried
 * channel worked, else -1.
 */
int notify_send(const struct config *cfg, const char *event,
		const char *subject, const char *body, const char *json,
		struct notify_outcome *mail, struct notify_outcome *cmd);
/* notify_send without the channels skip_mail / skip_cmd (delivered on an
 * earlier attempt: the retry of a message sends only what failed); a
 * skipped channel's outcome is left untried. */
int notify_send_some(const struct config *cfg, int skip_mail, int skip_cmd,
		     const char *event, const char *subject, const char *body,
		     const char *json, struct notify_outcome *mail,
		     struct notify_outcome *cmd);

#endif
