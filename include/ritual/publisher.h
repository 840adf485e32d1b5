/*
 * publisher.h - the interface every network implements (net/<name>.c).
 *
 * A publisher turns one claimed delivery into API requests and classifies
 * what came back. It never touches SQL or the schedule: the daemon hands it
 * a context whose callbacks persist ids the moment they arrive (save) and
 * durably mark the commit call before it is sent (committing). A publisher
 * MUST call committing() right before the request that makes the post
 * visible, and must not send that request if committing() fails.
 *
 * Multi-step publishers (Instagram's container, LinkedIn's upload) keep
 * their intermediate ids through save/load, and may return PUB_WAIT to be
 * called again later instead of sleeping; publish() is then called again
 * with the same job and picks up from the saved ids.
 *
 * Adding a network: one net/<name>.c defining a struct publisher, plus one
 * line in publisher_for() (net/registry.c).
 */
#ifndef RITUAL_PUBLISHER_H
#define RITUAL_PUBLISHER_H

#include <stdint.h>
#include <time.h>
#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/mediahost.h"
#include "ritual/util.h"

enum pub_class {
	PUB_OK = 0,     /* published: remote_id (and permalink) set */
	PUB_WAIT,       /* in progress, nothing wrong: call again at retry_at */
	PUB_TRANSIENT,  /* nothing went out; retry with backoff */
	PUB_RATE,       /* rate-limited: not before retry_at; not an attempt */
	PUB_AUTH,       /* token expired/revoked/lacking permission: pause the
			 * account until the owner reconnects it */
	PUB_OWNER,      /* the owner must act on the platform: pause */
	PUB_PERMANENT,  /* this post cannot go out as it is: failed */
	PUB_DUPLICATE,  /* the platform says it has this post already */
	PUB_CONFIG,     /* configuration or API version problem: pause */
	PUB_UNKNOWN     /* the commit call may have gone out: reconcile */
};

/* "ok", "wait", "transient", ... */
const char *pub_class_name(enum pub_class c);

struct pub_result {
	enum pub_class cls;
	time_t retry_at;          /* PUB_WAIT/PUB_RATE: earliest next call; 0 =
				   * the daemon's own backoff */
	char remote_id[160];
	char permalink[512];
	char message[1024];       /* for the owner: what happened (with the
				   * platform's own words) and what to do */
	time_t account_hold_until; /* any class: make no calls for this account
				    * before then (usage near the limit) */
};

/* Fill res (cls and a formatted message, every registered secret
 * scrubbed: util.h secret_scrub). Returns 0. */
int pub_result_set(struct pub_result *res, enum pub_class cls,
		   const char *fmt, ...) RT_PRINTF(3, 4);
/* Append a formatted text to res->message (cut at its size), then scrub
 * the whole message as pub_result_set does. Returns 0. */
int pub_result_append(struct pub_result *res, const char *fmt, ...)
	RT_PRINTF(2, 3);
/* Copy a platform's text src (NULL: "") into dst of n bytes, every
 * registered secret scrubbed from the full text before it is cut to n
 * (so no start of a secret survives at the cut). Allocates a scratch copy
 * (wiped); aborts only where every x* allocator does. */
void pub_copy_scrubbed(char *dst, size_t n, const char *src);


/* One delivery as the publisher sees it; everything borrowed. */
struct pub_job {
	int64_t delivery_id;
	int64_t post_id;
	const char *text;             /* exact wire text */
	const char *title;            /* may be NULL */
	const char *link;             /* may be NULL */
	const char *alt;              /* may be NULL */
	const unsigned char *image;   /* NULL for a text post */
	size_t image_len;
	const char *image_mime;
	const char *image_name;       /* original file name */
	long image_width, image_height;
	time_t claimed_at;            /* this attempt */
	time_t commit_at;             /* when the commit call was marked (0 = never) */
	time_t first_commit_at;       /* the first such mark of this delivery (0 = never) */
	long commit_clock;            /* the platform's clock less ours at that mark */
	int commit_clock_known;       /* commit_clock is set */
};

struct pub_ctx {
	const struct config *cfg;
	const struct account *account;
	const char *token;            /* the account's token; never logged */
	const char *app_secret;       /* the account's app_secret_file, read once
				       * for the delivery; NULL when not configured
				       * or not read (the publisher then reads the
				       * file itself, and reports its error) */
	const char *read_token;       /* the same for read_token_file */
	struct http_client *http;
	struct mediahost *media;      /* where Instagram's images go; NULL when
				       * the config has no media group */
	time_t now;
	/* Persist key=value for this delivery at once. */
	int (*save)(struct pub_ctx *ctx, const char *key, const char *value,
		    struct err *err);
	/* A saved value (caller frees) or NULL. */
	char *(*load)(struct pub_ctx *ctx, const char *key);
	/* Durably record that the commit call is about to be sent. */
	int (*committing)(struct pub_ctx *ctx, struct err *err);
	/* Replace the account's token (a refreshed token), written atomically
	 * to its token file with mode 0600. May be NULL (CLI). */
	int (*token_update)(struct pub_ctx *ctx, const char *token, time_t expires,
			    struct err *err);
	void *ud;
};

/*
 * Start of a read-back window, on the platform's clock: a post of the
 * account created before it is not ours. It is the first commit mark of
 * the delivery (else the last, else fallback: a publisher's own start
 * time), moved to the platform's clock by the offset of the platform's
 * Date headers (as known at the mark, else as known now, else learnt from
 * one GET of the API's base URL without the token), less five minutes; an
 * hour when the platform's clock cannot be learnt. Never below 0, any
 * input is safe. Publishers still match by the exact text (and image where
 * the API shows it), never by time alone.
 */
time_t pub_window_start(struct pub_ctx *ctx, const struct pub_job *job,
			time_t fallback);

/* Result of `ritual check --online` for one account. */
struct pub_check {
	int ok;
	char detail[512];     /* "token valid, page Wellness Rituals" or the problem */
	char fix[512];        /* what to do; empty when ok */
	long days_left;       /* token expiry in days; -1 = unknown */
	int never_expires;    /* the token has no expiry date (Page tokens) */
	long quota_left;      /* posts the 24-hour publishing quota still
			       * allows (Instagram); -1 = no such quota */
};

/* Scrub every registered secret from out->detail and out->fix (both may
 * quote the platform). Every check function returns through it. Returns 0. */
int pub_check_done(struct pub_check *out);

struct publisher {
	const char *network;
	/* Publish (or continue publishing) job. Returns 0 with res filled; -1
	 * only when the daemon's own bookkeeping failed (committing/save),
	 * with res->message set and nothing sent after the failure. */
	int (*publish)(struct pub_ctx *ctx, const struct pub_job *job,
		       struct pub_result *res);
	/* After the commit call's outcome was lost: PUB_OK (found; ids set),
	 * PUB_TRANSIENT (certainly absent: safe to publish again), PUB_UNKNOWN
	 * (cannot tell; a human decides), or PUB_RATE/PUB_AUTH/PUB_WAIT to
	 * reconcile again later. */
	int (*reconcile)(struct pub_ctx *ctx, const struct pub_job *job,
			 struct pub_result *res);
	/* Live token/permission check. */
	int (*check)(struct pub_ctx *ctx, struct pub_check *out);
	/* Optional housekeeping, called about once an hour per account by the
	 * daemon (e.g. refreshing a 60-day token after 24 h, warning before a
	 * token expires). res->cls PUB_OK when nothing needs the owner;
	 * PUB_AUTH with a message when the owner must act soon. May be NULL. */
	int (*maintain)(struct pub_ctx *ctx, struct pub_result *res);
};

/* The publisher for a network; never NULL for a valid network. */
const struct publisher *publisher_for(enum network n);

#endif
