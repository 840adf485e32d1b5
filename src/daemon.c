/*
 * daemon.c - rituald's loop.
 *
 * Owns the process's life: signals, the single-instance lock, the sleep
 * until the next due delivery, recovery at start, and turning each
 * publisher result into the delivery's next state. Publishers do the HTTP;
 * the store does the SQL; this file decides. It never formats post text.
 */
#include "ritual/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ritual/clockjump.h"
#include "ritual/config.h"
#include "ritual/decide.h"
#include "ritual/http.h"
#include "ritual/log.h"
#include "ritual/mediahost.h"
#include "ritual/notify.h"
#include "ritual/publisher.h"
#include "ritual/schedule.h"
#include "ritual/service.h"
#include "ritual/store.h"
#include "ritual/task.h"
#include "ritual/tell.h"

#define IDLE_TRIM 60   /* s of sleep ahead worth giving memory back for */
#define MAX_SLEEP 60            /* seconds: cap every sleep */
#define STOP_GRACE 8            /* seconds a request may run after TERM */
#define WAIT_DEFAULT 5          /* seconds before a PUB_WAIT step resumes */
#define RECONCILE_MAX 10        /* read-backs before giving up to `unknown` */
#define MAINTAIN_EVERY 3600     /* seconds between publishers' housekeeping */
#define TROUBLE_RETRY 5         /* seconds before retrying a refused database write */
#define TROUBLE_MAX 60          /* seconds: the longest of those waits */
#define MAX_JUMPS 8             /* clock jumps remembered */

static volatile sig_atomic_t sig_stop, sig_hup, sig_int_count;
static int sig_pipe[2] = {-1, -1};

struct daemon {
	const struct daemon_options *opt;
	struct config *cfg;
	struct store *st;
	struct http_client *http;
	struct mediahost *media;   /* NULL without a media group */
	time_t maintained_at;      /* last run of the publishers' maintain() */
	int lock_fd;
	int inotify_fd;
	int timer_fd;              /* absolute wake-up (CLOCK_REALTIME); -1: none */
	int heap_trimmed;          /* malloc_trim done in this idle spell */
	char *db_name;             /* base name of the database file */
	struct timespec stop_at;   /* when the stop was requested (monotonic) */
	int64_t *waiting;          /* --once: deliveries mid-way (PUB_WAIT) */
	int unrecorded;            /* an outcome could not be written */
	size_t nwaiting;
	long trouble_sleep;        /* seconds of the current back-off; 0: none */
	struct log_limit lim_claim, lim_wake, lim_recover;
	struct clock_sample clk;   /* the clocks at the last turn of the loop */
	struct clock_window jumps[MAX_JUMPS];  /* wall-clock jumps while running */
	size_t njumps;
	struct svc svc;            /* sd_notify state and the heartbeat */
	time_t media_pruned_at;    /* last sweep of old images (media.keep_days) */
	struct notifier *notifier; /* notices to the owner (issue 10) */
	int told_trouble;          /* a NOTICE_DAEMON for refused writes is open */
	struct tell_env tell;      /* token/queue warnings, digest, pre-flight */
	struct flight **flights;   /* deliveries in progress (issue 11) */
	size_t nflights, capflights;
	struct pollfd *pfd;        /* the poll set: ours, then curl's sockets */
	size_t cappfd;
	/* Whether the queue may have changed since the last claim round came
	 * back short (a flight ended, the timer or a signal fired, another
	 * connection committed): only then are the claim and next-wake
	 * queries asked again, not at every answer of a request in flight. */
	int recheck;
	int woke;                  /* ... for a reason other than a flight */
	time_t q_when;             /* the last next-wake answer */
	int q_any;
};

/* One delivery in progress: the task that runs process() for it, on an
 * HTTP client of its own (its commit status) sharing the daemon's multi
 * handle, so that other accounts' deliveries go on while it waits. */
struct flight {
	struct daemon *d;
	struct store_delivery *dl;
	struct http_client *http;
	struct task *task;
	/* Its commit mark, waiting for marks_flush (see cb_committing). */
	struct {
		int waiting, known, rc;
		time_t now;
		long clock;
		struct err err;
	} mark;
};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGINT && ++sig_int_count >= 2)
		_exit(130);
	if (sig == SIGTERM || sig == SIGINT)
		sig_stop = 1;
	else if (sig == SIGHUP)
		sig_hup = 1;
	if (sig_pipe[1] >= 0) {
		ssize_t r = write(sig_pipe[1], "x", 1);
		(void)r;
	}
	errno = saved;
}

static int setup_signals(void)
{
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* Seconds between two read-backs after a lost answer: the platform's list
 * of posts may lag a write by a minute. */
static long reconcile_delay(const struct daemon *d)
{
	return d->cfg->retry.reconcile_delay > 0 ? d->cfg->retry.reconcile_delay : 60;
}

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double stop_requested_at;

/* libcurl asks this at least once a second during a transfer. */
static int abort_transfer(void *ud)
{
	(void)ud;
	if (!sig_stop)
		return 0;
	if (stop_requested_at == 0)
		stop_requested_at = mono_now();
	return mono_now() - stop_requested_at > STOP_GRACE;
}

/* The identity of a file, to notice when the owner replaces it. */
static char *file_stamp(const char *path)
{
	struct stat sb;
	if (!path)
		return xstrdup("-");
	if (stat(path, &sb) < 0)
		return xstrdup("missing");
	return xasprintf("%llu:%llu:%lld:%lld.%09ld", (unsigned long long)sb.st_dev,
			 (unsigned long long)sb.st_ino, (long long)sb.st_size,
			 (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
}

/* The identity of an account's secret files (token, app secret, read
 * token): a paused account resumes when the owner replaces any of them. */
static char *token_stamp(const struct account *a)
{
	char *t = file_stamp(a->token_file);
	if (!a->app_secret_file && !a->read_token_file)
		return t;   /* as before: a stamp stored by an older rituald holds */
	char *s = file_stamp(a->app_secret_file);
	char *r = file_stamp(a->read_token_file);
	char *all = xasprintf("%s;%s;%s", t, s, r);
	free(t);
	free(s);
	free(r);
	return all;
}

static int make_http(struct daemon *d, struct err *err)
{
	struct http_options ho = {
		.connect_timeout = d->cfg->http.connect_timeout,
		.timeout = d->cfg->http.timeout,
		.max_response = d->cfg->http.max_response,
		.user_agent = "rituald/" RITUAL_VERSION,
		.abort_cb = abort_transfer,
	};
	mediahost_free(d->media);
	d->media = NULL;
	http_client_free(d->http);
	d->http = NULL;
	if (http_client_new(&ho, &d->http, err) < 0 ||
	    http_multi_enable(d->http, d->cfg->http.max_in_flight,
			      d->cfg->http.max_per_host, err) < 0)
		return -1;
	return mediahost_new(d->cfg, d->http, &d->media, err);
}

/* ---- callbacks given to publishers ---- */

struct job_ud {
	struct daemon *d;
	int64_t id;
	time_t *commit_at;
};

static int cb_save(struct pub_ctx *ctx, const char *key, const char *value,
		   struct err *err)
{
	struct job_ud *u = ctx->ud;
	if (store_progress_set(u->d->st, u->id, key, value, err) < 0)
		return -1;
	char point[80];
	snprintf(point, sizeof(point), "saved:%s", key);
	crash_point(point);
	return 0;
}

static char *cb_load(struct pub_ctx *ctx, const char *key)
{
	struct job_ud *u = ctx->ud;
	char *v = NULL;
	struct err err;
	if (store_progress_get(u->d->st, u->id, key, &v, &err) < 0)
		log_warnx("%s", err.msg);
	return v;
}

static struct flight *flight_of(struct daemon *d, const struct task *t)
{
	for (size_t i = 0; t && i < d->nflights; i++)
		if (d->flights[i]->task == t)
			return d->flights[i];
	return NULL;
}

/* The commit mark is synced before the publish call leaves. A flight
 * does not sync its own: it hands the mark to the loop and waits, and the
 * loop syncs every mark handed over in that turn in one transaction (one
 * fsync for all the flights started together, marks_flush), then lets
 * each go on to its request. Outside a flight (a delivery published
 * without a task) the mark is synced here. */
static int cb_committing(struct pub_ctx *ctx, struct err *err)
{
	struct job_ud *u = ctx->ud;
	time_t now = wall_now();
	long clock;
	int known = http_clock_offset(ctx->http, ctx->account->api, &clock);
	struct flight *f = flight_of(u->d, task_current());
	if (f) {
		f->mark.waiting = 1;
		f->mark.known = known;
		f->mark.now = now;
		f->mark.clock = clock;
		task_yield();
		if (f->mark.rc < 0) {
			*err = f->mark.err;
			return -1;
		}
	} else if (store_mark_commit(u->d->st, u->id, now, known ? &clock : NULL,
				     err) < 0) {
		return -1;
	}
	*u->commit_at = now;
	crash_point("committing");
	return 0;
}

/* A refreshed token replaces the file atomically, mode 0600. */
static int cb_token_update(struct pub_ctx *ctx, const char *token,
			   time_t expires, struct err *err)
{
	size_t len = strlen(token);
	char *data = xasprintf("%s\n", token);
	int rc = write_file_atomic(ctx->account->token_file, data, len + 1, 0600, err);
	explicit_bzero(data, len + 1);
	free(data);
	struct err e2;
	if (rc == 0 && token_expiry_write(ctx->account->token_file, expires, &e2) < 0)
		log_warnx("account %s: %s", ctx->account->name, e2.msg);
	if (rc == 0) {
		char when[40] = "?";
		if (expires)
			sched_format_human(expires, when, sizeof(when));
		log_info("account %s: token refreshed; valid until %s",
			 ctx->account->name, when);
	}
	return rc;
}

/* ---- outcomes ---- */

static long backoff_delay(const struct config *cfg, long attempts)
{
	double delay = (double)cfg->retry.base_delay;
	for (long i = 1; i < attempts && delay < (double)cfg->retry.max_delay; i++)
		delay *= 2;
	uint32_t r = 0;
	random_bytes(&r, sizeof(r));
	delay *= 0.8 + 0.4 * ((double)r / 4294967295.0);  /* +-20% jitter */
	if (delay > (double)cfg->retry.max_delay)
		delay = (double)cfg->retry.max_delay;
	long out = lround(delay);
	return out < 1 ? 1 : out;
}

static void waiting_set(struct daemon *d, int64_t id, int on)
{
	for (size_t i = 0; i < d->nwaiting; i++) {
		if (d->waiting[i] == id) {
			if (!on)
				d->waiting[i] = d->waiting[--d->nwaiting];
			return;
		}
	}
	if (on) {
		d->waiting = xrealloc(d->waiting, (d->nwaiting + 1) * sizeof(*d->waiting));
		d->waiting[d->nwaiting++] = id;
	}
}

static void event(struct daemon *d, int64_t id, const char *level,
		  const char *msg)
{
	struct err err;
	if (store_event_add(d->st, id, level, msg, wall_now(), &err) < 0)
		log_warnx("%s", err.msg);
}

static void pause_account(struct daemon *d, const struct account *a,
			  const char *reason)
{
	struct err err;
	char *stamp = token_stamp(a);
	if (store_account_pause(d->st, a->name, reason, stamp, wall_now(), &err) < 0)
		log_error("%s", err.msg);
	free(stamp);
	log_error("account %s paused: %s account=%s state=paused", a->name,
		  reason, a->name);
}

/* Tell the owner about delivery dl (issue 10): its post's title and file,
 * the account and network, the platform's words and the fix. Never
 * changes the delivery's outcome. */
static void notice_post(struct daemon *d, enum notice_kind kind,
			const struct store_delivery *dl, const char *message,
			const char *fix)
{
	struct store_post *p = NULL;
	struct err err;
	if (!d->notifier)
		return;
	if (store_post_get(d->st, dl->post_id, &p, &err) < 0)
		p = NULL;
	struct notice ev = {
		.kind = kind, .account = dl->account, .network = dl->network,
		.post_id = dl->post_id, .post_title = p ? p->title : NULL,
		.post_file = p ? p->source : NULL, .message = message, .fix = fix,
	};
	if (notifier_raise(d->notifier, &ev, wall_now(), &err) < 0)
		log_warnx("%s", err.msg);
	store_post_free(p);
}

/* The media host's failures, as instagram.c words them. */
static int media_host_problem(const char *msg)
{
	return strstr(msg, "media host is not usable") ||
	       strstr(msg, "image storage refused") ||
	       strstr(msg, "could not be put where Instagram fetches");
}

static void notice_resolve(struct daemon *d, enum notice_kind kind,
			   const char *account)
{
	struct err err;
	if (d->notifier &&
	    notifier_resolve(d->notifier, kind, account, wall_now(), &err) < 0)
		log_warnx("%s", err.msg);
}

#define MEDIA_FIX "Check media.dir or media.s3 and media.url in the " \
	"configuration and the web server that serves them (`ritual check " \
	"--online` tries a round trip); the post is tried again by itself"
#define PAUSE_FIX "Do what the message says (renew the token with `ritual " \
	"connect`, restore the permission, or update the API version), then " \
	"the account resumes by itself when its token file changes, or after " \
	"`systemctl reload rituald`"

/* Read-back bookkeeping kept in the delivery's progress. */
static long progress_long(struct pub_ctx *ctx, const char *key)
{
	char *v = ctx->load(ctx, key);
	long n = v ? strtol(v, NULL, 10) : 0;
	free(v);
	return n;
}

static void progress_put(struct daemon *d, int64_t id, const char *key,
			 const char *value)
{
	struct err err;
	if (store_progress_set(d->st, id, key, value, &err) < 0)
		log_warnx("%s", err.msg);
}

static void progress_drop(struct daemon *d, int64_t id, const char *key)
{
	struct err err;
	if (store_progress_delete(d->st, id, key, &err) < 0)
		log_warnx("%s", err.msg);
}

/* What the owner can do about an unknown outcome (ritual retry reads the
 * account back before it sends anything: store_post_retry). */
#define UNKNOWN_FIX "Check the account; `ritual retry` reads it back once " \
	"more and publishes the post only if it is not there, `ritual cancel` " \
	"keeps it as it is"

/* How long a blocked delivery waits before it is claimed again. */
static long hold_delay(enum decide_block b, enum dl_phase phase)
{
	switch (b) {
	case BLOCK_ACCOUNT:
		return 3600;
	case BLOCK_BOOKKEEPING:
		return phase == PHASE_COMMIT ? 5 : 60;
	default:
		return 60;
	}
}

/*
 * Carry out decision dec for delivery dl (state sending) against the
 * store and the log. res is the step's result (its message is the
 * platform's words and the fix). The decision was made by decide(); this
 * function only writes it down.
 */
static void apply(struct daemon *d, const struct store_delivery *dl,
		  const struct account *a, const struct decide_in *in,
		  const struct decision *dec, const struct pub_result *res)
{
	struct err err = {{0}};
	time_t now = wall_now();
	int rc = 0;
	long id = (long)dl->post_id;
	const char *who = dl->account;
	char *msg = NULL;
	/* Everything an answer changes (the delivery, its progress, its
	 * event, the account's hold, a notice) under one commit: one fsync
	 * per answer, not four, and never an outcome without its event. */
	int tx = store_begin(d->st, &err) == 0;
	if (!tx)
		log_warnx("%s", err.msg);

	if (a && res->account_hold_until > now &&
	    store_account_hold(d->st, a->name, res->account_hold_until,
			       "close to the API's rate limit", &err) < 0)
		log_warnx("%s", err.msg);
	waiting_set(d, dl->id, dec->act == ACT_WAIT ||
			       dec->act == ACT_READBACK_LATER);
	if (dec->mark_absent)
		progress_put(d, dl->id, "reconcile_absent", "1");
	if (dec->forget_readbacks) {
		progress_drop(d, dl->id, "reconcile_absent");
		progress_drop(d, dl->id, "reconcile_tries");
	}

	switch (dec->act) {
	case ACT_PUBLISHED:
		rc = store_finish_published(d->st, dl->id, res->remote_id,
					    res->permalink[0] ? res->permalink : NULL,
					    now, &err);
		if (rc == 0) {
			log_info("published post %ld to %s (account %s): id %s %s "
				 "post=%ld account=%s state=published remote_id=%s",
				 id, dl->network, who, res->remote_id,
				 res->permalink, id, who, res->remote_id);
			msg = xasprintf("published: %s %s", res->remote_id,
					res->permalink);
			event(d, dl->id, "info", msg);
			if (strcmp(dl->network, "instagram") == 0)
				notice_resolve(d, NOTICE_MEDIA_HOST, who);
		}
		break;
	case ACT_WAIT:
		rc = store_finish_retry(d->st, dl->id,
					res->retry_at > now ? res->retry_at
							    : now + WAIT_DEFAULT,
					res->message[0] ? res->message : NULL, 0, &err);
		log_debug("post %ld on %s: waiting (%s)", id, who, res->message);
		break;
	case ACT_RATE:
		rc = store_finish_retry(d->st, dl->id,
					res->retry_at > now ? res->retry_at : now + 3600,
					res->message, 0, &err);
		log_warnx("post %ld on %s: %s", id, who, res->message);
		event(d, dl->id, "warning", res->message);
		break;
	case ACT_RETRY: {
		long wait = backoff_delay(d->cfg, dl->attempts);
		rc = store_finish_retry(d->st, dl->id, now + wait, res->message, 1,
					&err);
		log_warnx("post %ld on %s: attempt %ld failed, retrying in %lds: %s "
			  "post=%ld account=%s state=pending attempt=%ld retry_in=%ld",
			  id, who, dl->attempts, wait, res->message, id, who,
			  dl->attempts, wait);
		event(d, dl->id, "warning", res->message);
		if (media_host_problem(res->message))
			notice_post(d, NOTICE_MEDIA_HOST, dl, res->message, MEDIA_FIX);
		break;
	}
	case ACT_REPUBLISH:
		log_warnx("post %ld on %s: not published (read back twice); "
			  "publishing again", id, who);
		event(d, dl->id, "warning", "the lost publish did not go out; "
		      "publishing again");
		rc = store_finish_retry(d->st, dl->id, now, res->message, 1, &err);
		break;
	case ACT_PAUSE:
	case ACT_HOLD: {
		long delay = dec->act == ACT_HOLD ? hold_delay(in->blocked, in->phase) : 0;
		if (dec->act == ACT_PAUSE && a)
			pause_account(d, a, res->message);
		else
			log_error("post %ld on %s: %s", id, who, res->message);
		if (dec->keep_commit)
			rc = store_finish_reconcile_later(d->st, dl->id, now + delay,
							  res->message, &err);
		else
			rc = store_finish_retry(d->st, dl->id, now + delay,
						res->message, 0, &err);
		if (dec->act == ACT_PAUSE)
			event(d, dl->id, "error", res->message);
		if (media_host_problem(res->message))
			notice_post(d, NOTICE_MEDIA_HOST, dl, res->message, MEDIA_FIX);
		else if (dec->act == ACT_PAUSE && a)
			notice_post(d, NOTICE_PAUSED, dl, res->message, PAUSE_FIX);
		break;
	}
	case ACT_READBACK_NOW:   /* handled by process(); never applied */
	case ACT_READBACK_LATER: {
		time_t next = decide_readback_at(now, res->retry_at,
						 reconcile_delay(d));
		rc = store_finish_reconcile_later(d->st, dl->id, next, res->message,
						  &err);
		if (dec->mark_absent)
			log_info("post %ld on %s: not found yet after the lost "
				 "answer; checking again in %lds", id, who,
				 (long)(next - now));
		else
			log_warnx("post %ld on %s: could not read %s back (%s); "
				  "checking again in %lds", id, who, dl->network,
				  res->message, (long)(next - now));
		break;
	}
	case ACT_FAILED:
		rc = store_finish_final(d->st, dl->id, DL_FAILED, res->message, &err);
		log_error("post %ld on %s failed: %s post=%ld account=%s state=failed",
			  id, who, res->message, id, who);
		event(d, dl->id, "error", res->message);
		msg = xasprintf("Fix what the message says, then run `ritual retry "
				"%ld` to publish it", id);
		notice_post(d, NOTICE_FAILED, dl, res->message, msg);
		break;
	case ACT_GAVE_UP:
		if (in->step == STEP_READBACK)
			msg = xasprintf("gave up after %ld attempts whose answers were "
					"lost; the post is not on %s; last error: %s. "
					"Run `ritual retry %ld` to try again",
					dl->attempts, dl->network, res->message, id);
		else
			msg = xasprintf("gave up after %ld attempts; last error: %s. "
					"Run `ritual retry %ld` to try again",
					dl->attempts, res->message, id);
		rc = store_finish_final(d->st, dl->id, DL_FAILED, msg, &err);
		log_error("post %ld on %s failed: %s post=%ld account=%s state=failed",
			  id, who, msg, id, who);
		event(d, dl->id, "error", msg);
		notice_post(d, NOTICE_FAILED, dl, msg, "Run `ritual retry` on the "
			    "post once the cause is fixed");
		break;
	case ACT_UNKNOWN:
		if (in->step == STEP_READBACK &&
		    (in->cls == PUB_WAIT || in->cls == PUB_RATE))
			msg = xasprintf("could not confirm whether post %ld went out "
					"to %s after %ld checks (%s). %s", id, who,
					in->readbacks + 1, res->message, UNKNOWN_FIX);
		else
			msg = xasprintf("%s. %s", res->message, UNKNOWN_FIX);
		rc = store_finish_final(d->st, dl->id, DL_UNKNOWN, msg, &err);
		log_error("post %ld on %s: outcome unknown: %s post=%ld account=%s "
			  "state=unknown", id, who, msg, id, who);
		event(d, dl->id, "error", msg);
		notice_post(d, NOTICE_UNKNOWN, dl, msg, UNKNOWN_FIX);
		break;
	}
	if (tx && rc == 0)
		rc = store_commit(d->st, &err);
	else if (tx)
		store_rollback(d->st);
	if (rc < 0) {
		log_error("post %ld on %s: could not record the outcome: %s post=%ld "
			  "account=%s", id, who, err.msg, id, who);
		d->unrecorded = 1;
	}
	free(msg);
}

/* A step that could not be made (no call went out). */
static void blocked(struct daemon *d, const struct store_delivery *dl,
		    const struct account *a, enum decide_block why,
		    const char *message)
{
	struct decide_in in = {.step = STEP_BLOCKED, .phase = dl->phase,
			       .blocked = why, .attempts = dl->attempts,
			       .max_attempts = d->cfg->retry.max_attempts};
	struct decision dec;
	struct pub_result res;
	memset(&res, 0, sizeof(res));
	snprintf(res.message, sizeof(res.message), "%s", message);
	decide(&in, &dec);
	apply(d, dl, a, &in, &dec, &res);
}

static int missed(struct daemon *d, const struct store_delivery *dl,
		  const struct store_post *p, time_t now)
{
	struct err err;
	char *msg = NULL;
	char when[40];
	if (dl->phase == PHASE_COMMIT)
		return 0;
	if (p->expires && now >= p->expires) {
		sched_format_human(p->expires, when, sizeof(when));
		msg = xasprintf("not published: the post expired at %s", when);
	} else if (d->cfg->missed_after > 0 && now > dl->due + d->cfg->missed_after &&
		   !clock_jump_covers(d->jumps, d->njumps, dl->due)) {
		sched_format_human(dl->due, when, sizeof(when));
		msg = xasprintf("not published: it was due at %s, more than %ld "
				"minutes ago (schedule.missed_after); run `ritual "
				"retry %ld` to publish it now",
				when, d->cfg->missed_after / 60, (long)p->id);
	}
	if (!msg)
		return 0;
	if (store_finish_final(d->st, dl->id, DL_MISSED, msg, &err) < 0) {
		log_error("%s", err.msg);
		d->unrecorded = 1;  /* still `sending`: recover() moves it on */
	}
	log_warnx("post %ld on %s: %s post=%ld account=%s state=missed",
		  (long)p->id, dl->account, msg, (long)p->id, dl->account);
	event(d, dl->id, "warning", msg);
	{
		char *fix = xasprintf("Run `ritual retry %ld` to publish it now, "
				      "or `ritual cancel %ld`", (long)p->id,
				      (long)p->id);
		notice_post(d, NOTICE_MISSED, dl, msg, fix);
		free(fix);
	}
	free(msg);
	return 1;
}

/* The job's read-back window facts, kept in its progress by cb_committing. */
static void job_commit_clock(struct pub_ctx *ctx, struct pub_job *job)
{
	char *v = ctx->load(ctx, "first_commit_at");
	if (v)
		job->first_commit_at = (time_t)strtoll(v, NULL, 10);
	free(v);
	v = ctx->load(ctx, "commit_clock");
	if (v) {
		job->commit_clock = strtol(v, NULL, 10);
		job->commit_clock_known = 1;
	}
	free(v);
}

/* Read the account back (reconcile) and decide again. */
static void readback(struct daemon *d, const struct store_delivery *dl,
		     const struct account *a, const struct publisher *pub,
		     struct pub_ctx *ctx, struct pub_job *job,
		     enum decide_cause cause, const struct pub_result *first)
{
	struct pub_result res;
	memset(&res, 0, sizeof(res));
	long tries = progress_long(ctx, "reconcile_tries");
	char buf[32];
	snprintf(buf, sizeof(buf), "%ld", tries + 1);
	progress_put(d, dl->id, "reconcile_tries", buf);
	job_commit_clock(ctx, job);
	ctx->now = wall_now();
	pub->reconcile(ctx, job, &res);

	char *absent = ctx->load(ctx, "reconcile_absent");
	struct decide_in in = {
		.step = STEP_READBACK, .phase = PHASE_COMMIT, .cls = res.cls,
		.cause = cause, .attempts = dl->attempts,
		.max_attempts = d->cfg->retry.max_attempts, .readbacks = tries,
		.readback_max = RECONCILE_MAX, .absent_before = absent && *absent,
	};
	free(absent);
	struct decision dec;
	decide(&in, &dec);
	if (cause == CAUSE_DUPLICATE && dec.act == ACT_FAILED && first) {
		/* The platform holds another post with this text: its words. */
		struct pub_result dup = *first;
		dup.account_hold_until = res.account_hold_until;
		apply(d, dl, a, &in, &dec, &dup);
		return;
	}
	apply(d, dl, a, &in, &dec, &res);
}

/* Publish (or read back) one claimed delivery and record what came of
 * it; http is the delivery's own client (its commit status). */
static void process(struct daemon *d, struct store_delivery *dl,
		    struct http_client *http)
{
	struct err err = {{0}};
	struct store_post *p = NULL;
	struct store_media *m = NULL;
	char *token = NULL, *app_secret = NULL, *read_token = NULL;
	time_t now = wall_now();
	const struct account *a = config_account(d->cfg, dl->account);

	if (!a) {
		char *msg = xasprintf("account %s is not in %s any more; add it "
				      "back or cancel the post", dl->account,
				      d->cfg->path);
		blocked(d, dl, NULL, BLOCK_ACCOUNT, msg);
		free(msg);
		return;
	}
	if (store_post_get(d->st, dl->post_id, &p, &err) < 0 ||
	    (p->media_id && store_media_for(d->st, p->media_id, dl->network, &m,
					    &err) < 0)) {
		blocked(d, dl, a, BLOCK_POST, err.msg);
		goto out;
	}
	if (missed(d, dl, p, now))
		goto out;
	if (read_secret_file(a->token_file, &token, &err) < 0) {
		blocked(d, dl, a, BLOCK_TOKEN, err.msg);
		goto out;
	}
	/* The account's other secrets, once per delivery; one that cannot be
	 * read stays NULL: the publisher reads its file and says why. */
	if (a->app_secret_file &&
	    read_secret_file(a->app_secret_file, &app_secret, &err) < 0)
		app_secret = NULL;
	if (a->read_token_file &&
	    read_secret_file(a->read_token_file, &read_token, &err) < 0)
		read_token = NULL;

	time_t commit_at = dl->commit_at;
	struct job_ud ud = {.d = d, .id = dl->id, .commit_at = &commit_at};
	struct pub_ctx ctx = {
		.cfg = d->cfg, .account = a, .token = token, .http = http,
		.app_secret = app_secret, .read_token = read_token,
		.media = d->media, .now = now, .save = cb_save, .load = cb_load,
		.committing = cb_committing, .token_update = cb_token_update,
		.ud = &ud,
	};
	struct pub_job job = {
		.delivery_id = dl->id, .post_id = dl->post_id, .text = dl->text,
		.title = p->title, .link = p->link, .alt = p->alt,
		.claimed_at = dl->claimed_at, .commit_at = dl->commit_at,
	};
	if (m) {
		job.image = m->data;
		job.image_len = m->len;
		job.image_mime = m->mime;
		job.image_name = m->name;
		job.image_width = m->width;
		job.image_height = m->height;
	}
	const struct publisher *pub = publisher_for(a->network);
	struct pub_result res;
	memset(&res, 0, sizeof(res));
	if (!pub) {
		char *msg = xasprintf("no publisher for network %s",
				      network_name(a->network));
		blocked(d, dl, a, BLOCK_ACCOUNT, msg);
		free(msg);
		goto out;
	}
	if (dl->phase == PHASE_COMMIT) {
		log_info("post %ld on %s: the last publish call's answer was lost; "
			 "checking %s", (long)dl->post_id, a->name, dl->network);
		readback(d, dl, a, pub, &ctx, &job, CAUSE_LOST, NULL);
		goto out;
	}
	log_debug("post %ld on %s: publishing (attempt %ld)", (long)dl->post_id,
		  a->name, dl->attempts);
	http_commit_reset(http);
	int rc = pub->publish(&ctx, &job, &res);
	job.commit_at = commit_at;
	crash_point("response");
	if (rc < 0) {
		/* Our own bookkeeping failed; nothing was sent after that. */
		struct store_delivery cur = *dl;
		cur.phase = commit_at ? PHASE_COMMIT : PHASE_PREPARE;
		blocked(d, &cur, a, BLOCK_BOOKKEEPING, res.message);
		goto out;
	}
	struct decide_in in = {
		.step = STEP_PUBLISH,
		.phase = commit_at ? PHASE_COMMIT : PHASE_PREPARE,
		.cls = res.cls, .commit_status = http_commit_status(http),
		.attempts = dl->attempts,
		.max_attempts = d->cfg->retry.max_attempts,
	};
	struct decision dec;
	decide(&in, &dec);
	if (dec.act == ACT_READBACK_NOW) {
		/* Ask the platform right away whether it has the post. */
		log_warnx("post %ld on %s: %s; reading %s back before anything is "
			  "sent again", (long)dl->post_id, a->name, res.message,
			  dl->network);
		event(d, dl->id, "warning", res.message);
		if (res.account_hold_until > now &&
		    store_account_hold(d->st, a->name, res.account_hold_until,
				       "close to the API's rate limit", &err) < 0)
			log_warnx("%s", err.msg);
		readback(d, dl, a, pub, &ctx, &job, dec.cause, &res);
		goto out;
	}
	apply(d, dl, a, &in, &dec, &res);
out:
	secret_free(token);
	secret_free(app_secret);
	secret_free(read_token);
	store_post_free(p);
	store_media_free(m);
}

/* ---- deliveries in flight ---- */

static void flight_main(void *arg)
{
	struct flight *f = arg;
	process(f->d, f->dl, f->http);
}

static void flight_free(struct flight *f)
{
	task_free(f->task);
	http_client_free(f->http);
	store_deliveries_free(f->dl, 1);
	free(f);
}

static void flight_end(struct daemon *d, size_t i)
{
	struct flight *f = d->flights[i];
	d->flights[i] = d->flights[--d->nflights];
	flight_free(f);
}

/* Run a flight until it waits for an answer (or is done: then end it).
 * Returns 1 when it ended. */
static int flight_step(struct daemon *d, size_t i)
{
	if (!task_resume(d->flights[i]->task))
		return 0;
	flight_end(d, i);
	return 1;
}

/* Start publishing a claimed delivery (dl: the flight takes it). */
static void flight_start(struct daemon *d, struct store_delivery *dl)
{
	struct flight *f = xcalloc(1, sizeof(*f));
	struct err err;
	f->d = d;
	f->dl = dl;
	if (http_client_child(d->http, &f->http, &err) < 0 ||
	    task_new(flight_main, f, 0, &f->task, &err) < 0) {
		/* No task (no memory for its stack): publish it the old way,
		 * the loop waiting for its answers. */
		log_warnx("%s; publishing post %ld without other deliveries "
			  "meanwhile", err.msg, (long)dl->post_id);
		process(d, dl, f->http ? f->http : d->http);
		flight_free(f);
		return;
	}
	if (d->nflights == d->capflights) {
		d->capflights = d->capflights ? d->capflights * 2 : 8;
		d->flights = xrealloc(d->flights, d->capflights * sizeof(*d->flights));
	}
	d->flights[d->nflights++] = f;
	flight_step(d, d->nflights - 1);
}

/* Resume every flight that task_woken says is ready. Returns how many
 * ended. */
static size_t flights_resume(struct daemon *d)
{
	size_t ended = 0;
	for (size_t i = 0; i < d->nflights;) {
		if (task_woken(d->flights[i]->task) && flight_step(d, i)) {
			ended++;
			continue;   /* i now holds the last flight */
		}
		i++;
	}
	return ended;
}

/* Sync the commit marks the flights handed over (cb_committing) in one
 * transaction, then let those flights send their requests; repeated while
 * a resumed flight hands over another. Each mark is a savepoint of its
 * own, so one that cannot be written fails its flight alone; a commit
 * that fails fails them all (none of their requests leaves). Returns how
 * many flights ended. */
static size_t marks_flush(struct daemon *d)
{
	size_t ended = 0;
	for (;;) {
		size_t n = 0;
		for (size_t i = 0; i < d->nflights; i++)
			n += d->flights[i]->mark.waiting;
		if (n == 0)
			return ended;
		struct err err;
		int tx = store_begin(d->st, &err);
		for (size_t i = 0; i < d->nflights; i++) {
			struct flight *f = d->flights[i];
			if (!f->mark.waiting)
				continue;
			f->mark.rc = tx < 0 ? -1
				     : store_mark_commit(d->st, f->dl->id, f->mark.now,
							 f->mark.known ? &f->mark.clock : NULL,
							 &f->mark.err);
			if (tx < 0)
				f->mark.err = err;
		}
		if (tx == 0 && store_commit(d->st, &err) < 0) {
			for (size_t i = 0; i < d->nflights; i++)
				if (d->flights[i]->mark.waiting) {
					d->flights[i]->mark.rc = -1;
					d->flights[i]->mark.err = err;
				}
		}
		for (size_t i = 0; i < d->nflights; i++) {
			if (d->flights[i]->mark.waiting) {
				d->flights[i]->mark.waiting = 0;
				task_wake(d->flights[i]->task);
			}
		}
		ended += flights_resume(d);
	}
}

/* After poll: drive curl, then resume every flight whose answer came.
 * Returns how many flights ended. */
static size_t flights_run(struct daemon *d, const struct pollfd *curl_fds,
			  size_t n)
{
	http_multi_run(d->http, curl_fds, n);
	/* The answers that came in this turn are recorded under one commit
	 * (each apply() is a savepoint of it): one fsync for all of them.
	 * It ends before marks_flush, whose commit must be synced on its own
	 * before any request leaves; a flight that reaches its commit call
	 * here only hands its mark over (cb_committing). */
	size_t woken = 0;
	for (size_t i = 0; i < d->nflights; i++)
		woken += task_woken(d->flights[i]->task) != 0;
	struct err err;
	int tx = woken > 1 && store_begin(d->st, &err) == 0;
	size_t ended = flights_resume(d);
	if (tx && store_commit(d->st, &err) < 0) {
		/* Every outcome of the turn is lost with it: the deliveries
		 * are still `sending`, which recover() moves on (those past
		 * their commit mark are read back, never sent again). */
		log_error("could not record the answers of %zu deliveries: %s",
			  woken, err.msg);
		d->unrecorded = 1;
	}
	return ended + marks_flush(d);
}

/* The poll set: our descriptors in these slots, then curl's sockets. */
enum { PFD_SIGNAL, PFD_TIMER, PFD_INOTIFY, PFD_NOTIFIER, PFD_CURL };

static struct pollfd *poll_set(struct daemon *d, size_t *n)
{
	size_t ncurl = 0;
	const struct pollfd *curl = http_multi_fds(d->http, &ncurl);
	if (PFD_CURL + ncurl > d->cappfd) {
		d->cappfd = PFD_CURL + ncurl + 16;
		d->pfd = xrealloc(d->pfd, d->cappfd * sizeof(*d->pfd));
	}
	d->pfd[PFD_SIGNAL] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
	d->pfd[PFD_TIMER] = (struct pollfd){.fd = d->timer_fd, .events = POLLIN};
	d->pfd[PFD_INOTIFY] = (struct pollfd){.fd = d->inotify_fd, .events = POLLIN};
	d->pfd[PFD_NOTIFIER] = (struct pollfd){.fd = notifier_fd(d->notifier),
					       .events = POLLIN};
	if (ncurl)
		memcpy(d->pfd + PFD_CURL, curl, ncurl * sizeof(*curl));
	*n = PFD_CURL + ncurl;
	return d->pfd;
}

/* ---- start-up and the loop ---- */

/*
 * Deliveries left in `sending`: at start (rituald stopped mid-way), and
 * whenever the database refused to record an outcome (a full disk). Those
 * in the commit phase are reconciled before anything is sent again; the
 * others simply resume. Returns 0 when every one was moved on.
 */
static int recover(struct daemon *d, const char *why)
{
	struct store_delivery *v = NULL;
	size_t n = 0;
	struct err err;
	int bad = 0;
	if (store_sending_list(d->st, &v, &n, &err) < 0) {
		log_limited(&d->lim_recover, LOG_LVL_ERROR, err.msg);
		return -1;
	}
	time_t now = wall_now();
	for (size_t i = 0; i < n; i++) {
		int rc;
		/* Said once the write took: a refused one is retried, and
		 * said again, until the disk has room. */
		if (v[i].phase == PHASE_COMMIT) {
			rc = store_finish_reconcile_later(d->st, v[i].id, now,
							  "interrupted while "
							  "publishing", &err);
			if (rc == 0)
				log_warnx("post %ld on %s was being published when "
					  "%s; checking %s before anything else",
					  (long)v[i].post_id, v[i].account, why,
					  v[i].network);
		} else {
			rc = store_finish_retry(d->st, v[i].id, now,
						"interrupted before publishing", 0,
						&err);
			if (rc == 0)
				log_info("post %ld on %s was interrupted before "
					 "publishing (%s); resuming",
					 (long)v[i].post_id, v[i].account, why);
		}
		if (rc < 0) {
			log_limited(&d->lim_recover, LOG_LVL_ERROR, err.msg);
			bad = 1;
		}
	}
	store_deliveries_free(v, n);
	if (!bad)
		log_limited_clear(&d->lim_recover);
	return bad ? -1 : 0;
}

/* Resume accounts whose token file changed since they were paused. */
static void check_paused(struct daemon *d)
{
	struct store_account *v = NULL;
	size_t n = 0;
	struct err err;
	if (store_accounts_list(d->st, &v, &n, &err) < 0) {
		log_error("%s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct account *a = config_account(d->cfg, v[i].name);
		if (!v[i].paused || !a)
			continue;
		char *stamp = token_stamp(a);
		if (!v[i].token_stamp || strcmp(stamp, v[i].token_stamp) != 0) {
			log_info("account %s: a secret file changed; resuming",
				 a->name);
			if (store_account_resume(d->st, a->name, &err) < 0)
				log_error("%s", err.msg);
			else
				notice_resolve(d, NOTICE_PAUSED, a->name);
		}
		free(stamp);
	}
	store_accounts_free(v, n);
}

/* Delete hosted images of deliveries that are over (after retention). */
static void sweep_hosted(struct daemon *d)
{
	struct store_hosted *v = NULL;
	size_t n = 0;
	struct err err;
	if (!d->media)
		return;
	if (store_hosted_due(d->st, wall_now(), d->cfg->media.retention, &v, &n,
			     &err) < 0) {
		log_error("%s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (mediahost_remove(d->media, v[i].name, &err) < 0) {
			log_warnx("could not remove hosted image %s: %s", v[i].name,
				  err.msg);
			continue;
		}
		log_debug("removed hosted image %s", v[i].name);
		if (store_progress_delete(d->st, v[i].delivery_id, "hosted_name",
					  &err) < 0)
			log_error("%s", err.msg);
	}
	store_hosted_free(v, n);
}

/* The publishers' housekeeping (token refresh, expiry warnings): at start,
 * then about once an hour. */
static void maintain(struct daemon *d)
{
	time_t now = wall_now();
	if (d->maintained_at && now - d->maintained_at < MAINTAIN_EVERY &&
	    now >= d->maintained_at)
		return;
	d->maintained_at = now;
	for (size_t i = 0; i < d->cfg->naccounts; i++) {
		const struct account *a = &d->cfg->accounts[i];
		const struct publisher *pub = publisher_for(a->network);
		char *token = NULL;
		struct err err;
		if (!pub || !pub->maintain)
			continue;
		if (read_secret_file(a->token_file, &token, &err) < 0) {
			log_error("account %s: %s", a->name, err.msg);
			continue;
		}
		struct job_ud ud = {.d = d, .id = 0, .commit_at = NULL};
		struct pub_ctx ctx = {
			.cfg = d->cfg, .account = a, .token = token, .http = d->http,
			.media = d->media, .now = now, .token_update = cb_token_update,
			.ud = &ud,
		};
		struct pub_result res;
		memset(&res, 0, sizeof(res));
		pub->maintain(&ctx, &res);
		if (res.cls != PUB_OK)
			log_error("account %s: %s", a->name, res.message);
		else if (res.message[0])
			log_info("account %s: %s", a->name, res.message);
		secret_free(token);
	}
}

static int tell_raise_cb(void *ud, const struct notice *ev, time_t now,
			 struct err *err)
{
	struct daemon *d = ud;
	return notifier_raise(d->notifier, ev, now, err);
}

static int tell_resolve_cb(void *ud, enum notice_kind kind, const char *account,
			   time_t now, struct err *err)
{
	struct daemon *d = ud;
	return notifier_resolve(d->notifier, kind, account, now, err);
}

/* Token and queue warnings, the digest and the pre-flight (tell.h), once
 * per turn of the loop; the pre-flight's requests only when no delivery
 * is due within TELL_QUIET seconds (when/any: the next wake). Returns
 * when it next wants a turn (0: no wish). */
static time_t tell(struct daemon *d, time_t now, time_t when, int any)
{
	time_t wake = 0;
	d->tell.cfg = d->cfg;
	d->tell.st = d->st;
	d->tell.http = d->http;
	d->tell.media = d->media;
	d->tell.quiet = !any || when > now + TELL_QUIET;
	d->tell.raise = tell_raise_cb;
	d->tell.resolve = tell_resolve_cb;
	d->tell.ud = d;
	tell_turn(&d->tell, now, &wake);
	return wake;
}

static void reload(struct daemon *d)
{
	struct config *cfg = NULL;
	struct diag diag = {0};
	struct err err;
	svc_reloading();
	if (config_load(d->opt->config_path, &cfg, &diag) < 0) {
		log_error("reload refused, keeping the running configuration: "
			  "problems=%zu", diag.n);
		for (size_t i = 0; i < diag.n; i++)
			log_error("  %s", diag.msgs[i]);
		svc_reloaded(&d->svc, diag.n ? diag.msgs[0] : "the configuration "
			     "does not load");
		diag_free(&diag);
		sched_tz_use(d->cfg->timezone, &err);
		return;
	}
	diag_free(&diag);
	if (strcmp(cfg->database, d->cfg->database) != 0)
		log_warnx("reload: database changed to %s; restart rituald to use "
			  "it (still using %s)", cfg->database, d->cfg->database);
	config_free(d->cfg);
	d->cfg = cfg;
	notifier_reconfigure(d->notifier, cfg);
	if (sched_tz_use(cfg->timezone, &err) < 0)
		log_error("%s", err.msg);
	if (make_http(d, &err) < 0)
		log_error("%s", err.msg);
	log_info("configuration reloaded from %s", cfg->path);
	svc_reloaded(&d->svc, NULL);
	/* The owner may have fixed what paused an account (an API version, an
	 * id): let each paused account try again; one refused call pauses it
	 * again if not. */
	struct store_account *v = NULL;
	size_t n = 0;
	if (store_accounts_list(d->st, &v, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!v[i].paused)
				continue;
			if (store_account_resume(d->st, v[i].name, &err) < 0) {
				log_error("%s", err.msg);
			} else {
				log_info("account %s: resumed after the reload",
					 v[i].name);
				notice_resolve(d, NOTICE_PAUSED, v[i].name);
			}
		}
		store_accounts_free(v, n);
	}
}

static int watch_db(struct daemon *d)
{
	char *dir = path_dirname(store_path(d->st));
	d->db_name = xstrdup(path_basename(store_path(d->st)));
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd >= 0 &&
	    inotify_add_watch(d->inotify_fd, dir,
			      IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
			      IN_DELETE | IN_MOVED_FROM) < 0) {
		log_warn("cannot watch %s; changes by `ritual` are noticed within "
			 "%d s", dir, MAX_SLEEP);
		close(d->inotify_fd);
		d->inotify_fd = -1;
	}
	free(dir);
	return 0;
}

#define CHANGED_DB 1      /* the database or its WAL */
#define CHANGED_OTHER 2   /* another file of its folder (a token file) */

/* Drain inotify; which of the CHANGED_* kinds of file changed. */
static int db_changed(struct daemon *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	size_t nl = strlen(d->db_name);
	for (;;) {
		ssize_t len = read(d->inotify_fd, buf, sizeof(buf));
		if (len <= 0)
			break;
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			if (ev->len && strncmp(ev->name, d->db_name, nl) == 0 &&
			    (ev->name[nl] == '\0' || strcmp(ev->name + nl, "-wal") == 0))
				changed |= CHANGED_DB;
			else if (ev->len && strncmp(ev->name, d->db_name, nl) != 0)
				changed |= CHANGED_OTHER;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}

static int lock_database(struct daemon *d, struct err *err)
{
	char *path = xasprintf("%s.lock", d->cfg->database);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		err_set(err, "cannot create %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err_set(err, "another rituald is already running on %s (lock %s "
			"is held); stop it first", d->cfg->database, path);
		free(path);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) == 0 && write(d->lock_fd, pid, (size_t)n) < 0)
		log_warn("cannot write %s", path);
	free(path);
	return 0;
}

static void log_next(struct daemon *d, time_t when, int any)
{
	if (!any) {
		log_info("nothing queued; sleeping until `ritual` queues a post");
		return;
	}
	char buf[40];
	sched_format_human(when, buf, sizeof(buf));
	log_info("next delivery due %s next=%lld", buf, (long long)when);
}

/* Once a day: drop the image bytes of posts published more than
 * media.keep_days ago (the database would grow by every image forever). */
static void sweep_media(struct daemon *d, time_t now)
{
	struct err err;
	long n = 0;
	if (d->cfg->media.keep_days <= 0 || now - d->media_pruned_at < 86400)
		return;
	d->media_pruned_at = now;
	if (store_media_prune(d->st, now - d->cfg->media.keep_days * 86400L, now,
			      &n, &err) < 0) {
		log_error("%s", err.msg);
		return;
	}
	if (n > 0)
		log_info("dropped the images of %ld post%s published over %ld "
			 "days ago images=%ld keep_days=%ld", n, n == 1 ? "" : "s",
			 d->cfg->media.keep_days, n, d->cfg->media.keep_days);
}

/*
 * 1 when the database path no longer names the file rituald opened: it was
 * deleted, or replaced (a restored copy moved over it). Writing on would go
 * to an unlinked file that nobody reads, and posts queued in the new file
 * would never go out; the caller exits so that a restart opens the new one.
 */
static int db_gone(struct daemon *d)
{
	dev_t dev;
	ino_t ino;
	struct stat sb;
	const char *path = store_path(d->st);
	if (store_file_identity(d->st, &dev, &ino) < 0)
		return 0;
	int missing = stat(path, &sb) < 0;
	if (missing && errno != ENOENT)
		return 0;  /* cannot tell (a permission): carry on */
	if (!missing && sb.st_dev == dev && sb.st_ino == ino)
		return 0;
	log_error("database %s was %s while rituald ran; exiting (status %d) so "
		  "that it restarts on the new file", path,
		  missing ? "deleted" : "replaced", EX_NOINPUT);
	return 1;
}

static void clock_read(struct clock_sample *c)
{
	struct timespec r, b;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b);
	c->real_ms = (int64_t)r.tv_sec * 1000 + r.tv_nsec / 1000000;
	c->boot_ms = (int64_t)b.tv_sec * 1000 + b.tv_nsec / 1000000;
	c->set = 1;
}

/* A wall clock that jumped forward while rituald ran (an NTP correction)
 * skipped over due times that did not really pass by: remember the window
 * so that missed() publishes those posts instead. */
static void clock_watch(struct daemon *d)
{
	struct clock_sample cur;
	struct clock_window w;
	clock_read(&cur);
	if (clock_jump_detect(&d->clk, &cur, CLOCK_JUMP_MIN, &w)) {
		char size[48];
		long n = 0;
		struct err err;
		long jump = (long)(((cur.real_ms - d->clk.real_ms) -
				    (cur.boot_ms - d->clk.boot_ms) + 500) / 1000);
		d->njumps = clock_jump_add(d->jumps, d->njumps, MAX_JUMPS, &w);
		if (store_pending_due_count(d->st, w.from, w.to, &n, &err) < 0)
			log_warnx("%s", err.msg);
		clock_jump_format(jump, size, sizeof(size));
		log_warnx("the clock jumped forward by %s while rituald ran; "
			  "publishing the %ld post%s due in the jump instead of "
			  "marking them missed", size, n, n == 1 ? "" : "s");
	}
	d->clk = cur;
}

/*
 * The database refused a write (a full disk): wait d->trouble_sleep seconds
 * whatever else happens, waking early only for a signal or the database
 * file going away. inotify events are drained, not obeyed: most are the
 * failed writes' own. Returns 1 when the database is gone.
 */
static int trouble_wait(struct daemon *d)
{
	double until = mono_now() + (double)d->trouble_sleep;
	for (;;) {
		double left = until - mono_now();
		if (left <= 0 || sig_stop || sig_hup)
			return 0;
		svc_watchdog();
		long wd_ms = svc_watchdog_ms();
		if (wd_ms > 0 && left * 1000 > (double)wd_ms)
			left = (double)wd_ms / 1000;
		struct pollfd pfd[2] = {
			{.fd = sig_pipe[0], .events = POLLIN},
			{.fd = d->inotify_fd, .events = POLLIN},
		};
		int r = poll(pfd, d->inotify_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR) {
			log_warn("poll");
			return 0;
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			char drain[64];
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
			return 0;  /* SIGUSR1 too: "look at the queue now" */
		}
		if (r > 0 && d->inotify_fd >= 0 && (pfd[1].revents & POLLIN) &&
		    (db_changed(d) & CHANGED_DB) && db_gone(d))
			return 1;
	}
}

/* The heartbeat still says "running" at start: the last rituald did not
 * stop cleanly (a crash, a kill, a power cut). Told once. */
static void crash_notice(struct daemon *d)
{
	struct store_daemon *b = NULL;
	struct err err;
	char when[40];
	if (store_daemon_get(d->st, &b, &err) < 0) {
		log_warnx("%s", err.msg);
		return;
	}
	if (b && b->running && b->pid != getpid()) {
		sched_format_human(b->beat, when, sizeof(when));
		char *msg = xasprintf("rituald was restarted after it stopped without "
				      "shutting down (pid %ld, its last loop at %s)",
				      (long)b->pid, when);
		struct notice ev = {
			.kind = NOTICE_DAEMON, .message = msg,
			.fix = "Look at the journal for why it stopped "
			       "(journalctl -u rituald); posts that were being "
			       "sent are checked before anything is sent again",
		};
		if (notifier_raise_once(d->notifier, &ev, wall_now(), &err) < 0)
			log_warnx("%s", err.msg);
		free(msg);
	}
	store_daemon_free(b);
}

/* The database refused a write (trouble) or takes writes again. */
static void trouble_notice(struct daemon *d, int trouble, const char *why)
{
	struct err err;
	if (trouble && !d->told_trouble) {
		char *msg = xasprintf("rituald could not write its database%s%s; "
				      "nothing is published until it can",
				      why && *why ? ": " : "", why ? why : "");
		struct notice ev = {
			.kind = NOTICE_DAEMON, .message = msg,
			.fix = "Free disk space or give the service user write "
			       "access to the database and its folder; rituald "
			       "tries again by itself",
		};
		/* recorded in memory when the store refuses it: still told */
		if (notifier_raise(d->notifier, &ev, wall_now(), &err) < 0)
			log_debug("notice kept in memory: %s", err.msg);
		free(msg);
		d->told_trouble = 1;
	} else if (!trouble && d->told_trouble) {
		if (notifier_resolve(d->notifier, NOTICE_DAEMON, NULL, wall_now(),
				     &err) < 0)
			log_warnx("%s", err.msg);
		else
			d->told_trouble = 0;
	}
}

/*
 * Arm the absolute timer for the next due instant (any: when), or, with
 * nothing due, for MAX_SLEEP from now, so that a wall-clock change still
 * wakes us (TFD_TIMER_CANCEL_ON_SET). Returns 1 when the timer is armed
 * for when, the caller's poll timeout then only a safety net.
 */
static int arm_timer(struct daemon *d, int any, time_t when)
{
	if (d->timer_fd < 0)
		return 0;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = any ? when : now.tv_sec + MAX_SLEEP;
	if (its.it_value.tv_sec <= 0)
		its.it_value.tv_nsec = 1;   /* 0/0 would disarm it */
	if (timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			    &its, NULL) < 0) {
		log_warn("timerfd_settime");
		return 0;
	}
	return any;
}

/* Claim deliveries until room are in flight or none is claimable now,
 * starting each as a flight. Returns -1 with err set when the database
 * refused (not when a stop interrupted the query). */
static int claim_round(struct daemon *d, size_t room, struct err *err)
{
	while (!sig_stop && d->nflights < room) {
		struct store_delivery *v = NULL;
		size_t want = room - d->nflights, got = 0;
		clock_watch(d);
		svc_watchdog();
		if (store_claim_many(d->st, wall_now(), d->cfg->min_gap, want, &v,
				     &got, err) < 0) {
			if (store_interrupted(d->st))
				return 0;
			log_limited(&d->lim_claim, LOG_LVL_ERROR, err->msg);
			return -1;
		}
		log_limited_clear(&d->lim_claim);
		if (got)
			crash_point("claimed");
		for (size_t i = 0; i < got; i++) {
			/* Each flight owns its delivery. */
			struct store_delivery *dl = xmalloc(sizeof(*dl));
			*dl = v[i];
			flight_start(d, dl);
		}
		free(v);   /* its rows moved into the flights */
		marks_flush(d);
		if (got < want)
			break;     /* nothing else can be claimed now */
	}
	return 0;
}

/* When the next claim could succeed: asked of the queue only when it may
 * have changed (d->recheck), else the last answer. trouble: this turn
 * already failed to write, so ask again next turn. Returns -1 with err
 * set when the database refused. */
static int queue_wake(struct daemon *d, time_t now, int trouble, time_t *when,
		      int *any, struct err *err)
{
	if (!d->recheck) {
		*when = d->q_when;
		*any = d->q_any;
		return 0;
	}
	if (store_next_wake(d->st, now, d->cfg->min_gap, when, any, err) < 0) {
		if (store_interrupted(d->st))
			return 0;
		log_limited(&d->lim_wake, LOG_LVL_ERROR, err->msg);
		return -1;
	}
	log_limited_clear(&d->lim_wake);
	d->q_when = *when;
	d->q_any = *any;
	d->recheck = trouble;
	return 0;
}

int daemon_main(const struct daemon_options *opt)
{
	struct daemon dd;
	struct daemon *d = &dd;
	struct diag diag = {0};
	struct err err = {{0}};
	int status = EX_OK;

	memset(d, 0, sizeof(*d));
	d->opt = opt;
	d->lock_fd = d->inotify_fd = d->timer_fd = -1;
	log_init("rituald", opt->verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);

	if (config_load(opt->config_path, &d->cfg, &diag) < 0) {
		for (size_t i = 0; i < diag.n; i++)
			log_error("%s", diag.msgs[i]);
		log_error("%zu problem%s in the configuration; rituald not started",
			  diag.n, diag.n == 1 ? "" : "s");
		diag_free(&diag);
		return EX_CONFIG;
	}
	if (sched_tz_use(d->cfg->timezone, &err) < 0) {
		log_error("%s", err.msg);
		status = EX_CONFIG;
		goto out;
	}
	if (setup_signals() < 0 || http_global_init(&err) < 0) {
		log_error("cannot set up: %s", err.msg[0] ? err.msg : strerror(errno));
		status = EX_OSERR;
		goto out;
	}
	if (lock_database(d, &err) < 0) {
		log_error("%s", err.msg);
		status = EX_TEMPFAIL;
		goto out;
	}
	if (store_open(d->cfg->database, STORE_CREATE, &d->st, &err) < 0) {
		log_error("%s", err.msg);
		status = EX_CANTCREAT;
		goto out;
	}
	/* SIGTERM ends a long claim or next-wake query within 1,000 steps. */
	store_set_interrupt(d->st, &sig_stop);
	if (make_http(d, &err) < 0) {
		log_error("%s", err.msg);
		status = EX_SOFTWARE;
		goto out;
	}
	if (notifier_new(d->cfg, d->st, &d->notifier, &err) < 0) {
		log_error("%s", err.msg);
		status = EX_SOFTWARE;
		goto out;
	}
	crash_notice(d);
	watch_db(d);
	/* Wake at the due instant itself: an absolute timer does not drift
	 * the way a relative poll timeout does (Linux may end it up to 0.1 %
	 * late), and TFD_TIMER_CANCEL_ON_SET wakes us when the wall clock is
	 * set, so that clock_watch sees a jump at once. Without it (an old
	 * kernel), the poll timeout alone wakes us, as before. */
	d->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0)
		log_warn("timerfd_create");
	log_info("rituald %s started: config %s, database %s, %zu account%s, "
		 "time zone %s pid=%ld version=%s", RITUAL_VERSION, d->cfg->path,
		 d->cfg->database, d->cfg->naccounts,
		 d->cfg->naccounts == 1 ? "" : "s", d->cfg->timezone,
		 (long)getpid(), RITUAL_VERSION);
	recover(d, "rituald stopped");
	svc_start(&d->svc, d->st);

	time_t last_logged = -1;
	d->recheck = d->woke = 1;
	clock_read(&d->clk);
	for (;;) {
		/* A stop (a signal, the database gone) claims nothing more and
		 * lets the deliveries in flight finish, for STOP_GRACE at most. */
		int stopping = sig_stop || status == EX_NOINPUT;
		if (!stopping && db_gone(d)) {
			status = EX_NOINPUT;
			stopping = 1;
		}
		if (stopping && d->nflights == 0)
			break;
		clock_watch(d);
		svc_watchdog();
		int idle = d->nflights == 0;
		int trouble = 0;  /* the database refused a write: try again soon */
		/* What replaces the config or the HTTP client, or walks every
		 * delivery in `sending`, waits until nothing is in flight. */
		if (!stopping && idle) {
			if (sig_hup) {
				sig_hup = 0;
				reload(d);
			}
			if (d->woke)
				check_paused(d);
			maintain(d);
			if (d->unrecorded) {
				/* The delivery is still `sending` on disk: move it
				 * on (reconciling what may have gone out) once
				 * the database takes writes again. */
				if (recover(d, "its outcome could not be recorded") == 0)
					d->unrecorded = 0;
				else
					trouble = 1;
			}
		}
		/* Claim while there is room: each claim is the most overdue
		 * delivery of an account with nothing in flight. */
		size_t room = (size_t)d->cfg->http.max_in_flight;
		int claiming = !stopping && !sig_hup && !d->unrecorded;
		if (claiming && d->recheck && claim_round(d, room, &err) < 0)
			trouble = 1;
		stopping = sig_stop || status == EX_NOINPUT;
		idle = d->nflights == 0;
		/* Room for another claim: only then is the next due time a
		 * reason to wake (else a finished flight wakes us). */
		claiming = claiming && !stopping && d->nflights < room;
		time_t now = wall_now(), when = 0, told_wake = 0;
		int any = 0;
		if (!stopping) {
			if (idle) {
				sweep_hosted(d);
				sweep_media(d, wall_now());
			}
			if (queue_wake(d, now, trouble, &when, &any, &err) < 0)
				trouble = 1;
			trouble |= d->unrecorded;
			trouble_notice(d, trouble, trouble ? err.msg : NULL);
			told_wake = trouble || !idle ? 0 : tell(d, now, when, any);
			time_t nnext = 0;
			if (notifier_work(d->notifier, wall_now(), &nnext, &err) < 0)
				log_warnx("%s", err.msg);
			if (nnext && (!any || nnext < when)) {
				when = nnext;
				any = 1;
			}
			/* While deliveries are in flight the status keeps its
			 * next wake (no write per turn) and the monitor's URL
			 * waits (no blocking request among theirs). */
			if (idle)
				svc_loop(&d->svc, d->st, d->http, d->cfg, when, any,
					 !trouble);
			else
				svc_loop(&d->svc, d->st, NULL, d->cfg,
					 d->svc.next_wake, d->svc.next_wake != 0,
					 !trouble);
			if (opt->once && idle && d->nwaiting == 0 && !d->unrecorded &&
			    (!any || when > now) && notifier_fd(d->notifier) < 0)
				break;
			if (idle && (when != last_logged || !any)) {
				if (!opt->once && (any ? when : 0) != last_logged)
					log_next(d, when, any);
				last_logged = any ? when : 0;
			}
			if (!claiming && !idle && nnext == 0)
				any = 0;   /* full: the next answer wakes us */
		}
		/* Sleep to the due second itself, not a whole second past it. */
		long long timeout_ms = MAX_SLEEP * 1000LL;
		if (any) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			long long now_ms = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
			long long left = (long long)when * 1000LL - now_ms;
			timeout_ms = left < 0 ? 0 : left < timeout_ms ? left : timeout_ms;
		}
		if (told_wake > 0) {  /* wake at the digest's/pre-flight's minute */
			long long left = ((long long)told_wake - (long long)wall_now()) * 1000LL;
			if (left < 0)
				left = 0;
			if (left < timeout_ms)
				timeout_ms = left;
		}
		long wd_ms = svc_watchdog_ms();  /* WATCHDOG=1 at least this often */
		if (wd_ms > 0 && timeout_ms > wd_ms)
			timeout_ms = wd_ms;
		if (trouble && idle) {
			/* A floor, not a ceiling: 5 s, doubling to a minute. */
			d->trouble_sleep = d->trouble_sleep == 0 ? TROUBLE_RETRY
					   : d->trouble_sleep * 2 > TROUBLE_MAX
						? TROUBLE_MAX : d->trouble_sleep * 2;
			if (trouble_wait(d))
				status = EX_NOINPUT;
			d->recheck = d->woke = 1;
			continue;
		}
		if (!trouble)
			d->trouble_sleep = 0;
		/* The absolute timer: the next delivery, or the digest's or
		 * pre-flight's minute when that comes first. */
		time_t wake_at = any ? when : 0;
		if (told_wake > 0 && (!wake_at || told_wake < wake_at))
			wake_at = told_wake;
		/* A long sleep ahead with nothing in flight: give back the
		 * store's parsed statements and page cache, and, once per
		 * idle spell (a minute's wake frees little, and trimming then
		 * cost 4 syscalls a minute), the heap's free pages to the
		 * kernel: idle heap 588 -> 372 KB dirty. rituald stays small
		 * while it waits; the next wake parses again. */
		if (idle && (!wake_at || wake_at - wall_now() >= IDLE_TRIM)) {
			store_trim(d->st);
			if (!d->heap_trimmed)
				malloc_trim(0);
			d->heap_trimmed = 1;
		} else if (!idle) {
			d->heap_trimmed = 0;
		}
		int timed = arm_timer(d, wake_at != 0, wake_at);
		if (timed && timeout_ms < MAX_SLEEP * 1000LL)
			timeout_ms = MAX_SLEEP * 1000LL;  /* the timer wakes us */
		if (wd_ms > 0 && timeout_ms > wd_ms)
			timeout_ms = wd_ms;
		int curl_timed = 0;   /* the timeout is curl's, not ours */
		if (!idle) {
			/* curl's own timer; when stopping, a look once a second
			 * at the grace left to the requests in flight. */
			long ct = http_multi_timeout(d->http);
			if (ct >= 0 && ct < timeout_ms) {
				timeout_ms = ct;
				curl_timed = 1;
			}
			if (stopping && timeout_ms > 1000) {
				timeout_ms = 1000;
				curl_timed = 0;
			}
		}
		size_t npfd = 0;
		struct pollfd *pfd = poll_set(d, &npfd);
		int r = poll(pfd, npfd, (int)timeout_ms);  /* fd -1 is skipped */
		if (r < 0 && errno != EINTR)
			log_warn("poll");
		if (r > 0 && (pfd[PFD_TIMER].revents & POLLIN)) {
			uint64_t ticks;   /* ECANCELED: the clock was set */
			while (read(d->timer_fd, &ticks, sizeof(ticks)) > 0)
				;
		}
		if (r > 0 && (pfd[PFD_SIGNAL].revents & POLLIN)) {
			char drain[64];
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		}
		/* A change of the file (a `ritual add`) shows in the next
		 * wake; the same wake is not logged twice. */
		int foreign = 0;   /* a `ritual` command changed the queue, or
				    * another file here (a token file) changed */
		if (r > 0 && d->inotify_fd >= 0 && (pfd[PFD_INOTIFY].revents & POLLIN)) {
			int what = db_changed(d);
			if (what & CHANGED_DB)
				foreign = store_changed_elsewhere(d->st);
			if (what & CHANGED_OTHER)
				foreign = 1;
		}
		if (sig_stop && d->nflights) {
			if (stop_requested_at == 0)
				stop_requested_at = mono_now();
			if (mono_now() - stop_requested_at > STOP_GRACE)
				http_multi_abort(d->http);
		}
		/* Our own writes touch the file too: inotify alone is no
		 * reason to ask the queue again. */
		int ours = r < 0 || (r == 0 && !curl_timed) || foreign;
		ours |= r > 0 && (pfd[PFD_SIGNAL].revents || pfd[PFD_TIMER].revents ||
				  pfd[PFD_NOTIFIER].revents);
		d->woke = ours;
		if (flights_run(d, pfd + PFD_CURL, r > 0 ? npfd - PFD_CURL : 0) > 0 || ours)
			d->recheck = 1;
	}
	if (sig_stop)
		log_info("stopping on signal");
	svc_stopping(&d->svc, status == EX_NOINPUT ? NULL : d->st);
out:
	notifier_free(d->notifier);
	mediahost_free(d->media);
	http_client_free(d->http);
	store_close(d->st);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	/* Only flights cut short by an exit that could not wait are left. */
	for (size_t i = 0; i < d->nflights; i++)
		flight_free(d->flights[i]);
	free(d->flights);
	free(d->pfd);
	free(d->db_name);
	free(d->waiting);
	config_free(d->cfg);
	http_global_cleanup();
	return status;
}
