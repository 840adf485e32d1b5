/*
 * store.h - the queue: every SQL statement of ritual lives in store.c.
 *
 * One SQLite file holds posts, their images (bytes, not paths), one
 * delivery per (post, account) carrying the publishing state, the ids the
 * APIs returned, per-account pauses, and an event log. The database is
 * opened in WAL mode with foreign keys on, a busy timeout, and
 * synchronous=FULL, so that a state change that guards an irreversible
 * call (store_mark_commit) is on disk before the call is made. Writes use
 * BEGIN IMMEDIATE. The CLI and the daemon may use the file at the same time.
 *
 * Schema versions are tracked in PRAGMA user_version; migrations run in one
 * transaction at open. A database newer than this program is refused.
 *
 * Delivery states: pending, sending, published, failed, unknown, canceled,
 * missed. Phases (while sending): "prepare" (nothing visible yet; safe to
 * redo) and "commit" (the request that makes the post visible may have
 * been sent: reconcile before any retry).
 *
 * Strings returned in structs are owned by those structs and released by
 * the matching *_free function. This part knows nothing of HTTP or text
 * formats.
 */
#ifndef RITUAL_STORE_H
#define RITUAL_STORE_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "ritual/util.h"

/* 2: the daemon's heartbeat, media.pruned; 3: media_variants (issue 13);
 * 4: deliveries.content_hash (issue 9, duplicate refusal); 5: notices and
 * notice_outbox (issue 10); 6: marks, what rituald told ahead (issue 10);
 * 7: the queue's per-account partial indexes (issue 11). */
#define STORE_SCHEMA_VERSION 7

struct store;

enum store_open_flags {
	STORE_CREATE = 1,   /* create the file (and run migrations) if missing */
	STORE_READONLY = 2, /* open read-only (list/show/preview/status/backup) */
	/* with STORE_READONLY: a database at an older schema is opened as it
	 * is (not migrated, not refused); the caller reads only what that
	 * schema has (`ritual events`: store_notices_recorded) */
	STORE_OLD_SCHEMA_OK = 4
};

/*
 * Files: a new database is created with mode 0666 & ~umask (its -wal and
 * -shm files take the database's mode), so a service with UMask=0007 in a
 * setgid folder gives its group read and write access.
 *
 * STORE_READONLY opens with SQLITE_OPEN_READONLY and never writes (no
 * journal_mode change, no migration): it works on a file and folder this
 * user cannot write. When the database is in WAL mode and no writer has
 * it open (no -wal file) and the -shm file cannot be created, it is
 * opened as immutable (nothing else is writing it at that moment).
 */

/* Open (and migrate) the database at path. *out owned by the caller
 * (store_close). Messages name the file and, for a read-only file or
 * folder or a full disk, what to do. */
int store_open(const char *path, int flags, struct store **out, struct err *err);
void store_close(struct store *st);

/* Let go of the memory kept for speed: the prepared statements the store
 * keeps between calls (each of its queries is parsed once, then reused)
 * and SQLite's page cache. For a long idle spell (rituald calls it before
 * a sleep with nothing in flight); the next calls parse again. Never
 * fails. */
void store_trim(struct store *st);

/* Let the daemon's potentially long reads (store_claim's search,
 * store_next_wake, store_pending_due_count) be abandoned when *flag becomes
 * non-zero, e.g. from a SIGTERM handler: SQLite's progress handler checks it
 * every 1,000 steps, and such a call then fails (-1, "interrupted"), having
 * changed nothing. Writes that record outcomes never are. flag NULL turns
 * it off; the flag must outlive the store. */
void store_set_interrupt(struct store *st, const volatile sig_atomic_t *flag);
/* Whether that flag is set (a failure was the interrupt, not the disk). */
int store_interrupted(const struct store *st);
/* 1 when another connection (a `ritual` command) committed a change since
 * the last call (the first call answers 1; so does any failure to tell),
 * 0 when only this connection wrote: SQLite's PRAGMA data_version. */
int store_changed_elsewhere(struct store *st);
const char *store_path(const struct store *st);

/* The device and inode of the file store_open opened (stat of the path
 * right after opening). The daemon compares them with the path later to
 * notice the file deleted or replaced under it. -1 if unknown. */
int store_file_identity(const struct store *st, dev_t *dev, ino_t *ino);

/* How many deliveries still pending are due in [from, to] (*n). */
int store_pending_due_count(struct store *st, time_t from, time_t to,
			    long *n, struct err *err);

/* Transactions for multi-statement work (the CLI's all-or-nothing import).
 * store_begin is BEGIN IMMEDIATE. Inside a transaction, store_begin opens
 * a savepoint: store_commit then folds its work into the outer
 * transaction (written at the outer commit) and store_rollback undoes
 * only what came after it. So the functions below that say "atomic" (they
 * run their own transaction) may be called inside one, and are then part
 * of it. */
int store_begin(struct store *st, struct err *err);
/* A read transaction (BEGIN DEFERRED): one consistent snapshot for several
 * reads, no write lock, works on a STORE_READONLY store; end it with
 * store_rollback. */
int store_begin_read(struct store *st, struct err *err);
int store_commit(struct store *st, struct err *err);
void store_rollback(struct store *st);

/* PRAGMA data_version: changes when another connection commits. */
int store_data_version(struct store *st, int64_t *out, struct err *err);

enum dl_state {
	DL_PENDING = 0,
	DL_SENDING,
	DL_PUBLISHED,
	DL_FAILED,
	DL_UNKNOWN,
	DL_CANCELED,
	DL_MISSED
};

enum dl_phase {
	PHASE_PREPARE = 0,   /* nothing visible yet: safe to redo */
	PHASE_COMMIT         /* the commit call may have gone out */
};

/* "pending", "sending", ...; "prepare", "commit". */
const char *dl_state_name(enum dl_state s);
const char *dl_phase_name(enum dl_phase p);
/* 0 with *out set, -1 for a name that is not a state/phase. */
int dl_state_parse(const char *name, enum dl_state *out);
int dl_phase_parse(const char *name, enum dl_phase *out);

struct store_delivery {
	int64_t id, post_id;
	char *account, *network;
	char *text;               /* exact wire text */
	enum dl_state state;
	enum dl_phase phase;
	time_t due, next_attempt;
	long attempts;
	time_t claimed_at, commit_at, published_at;   /* 0 = never */
	char *remote_id, *permalink, *error;          /* NULL when absent */
};

struct store_post {
	int64_t id;
	char *kind, *title, *body, *link, *alt, *tags, *source;  /* title.. may be NULL */
	int64_t media_id;         /* 0 = no image */
	time_t due, expires;      /* expires 0 = none */
	int from_slot;
	time_t created;
	struct store_delivery *deliveries;
	size_t ndeliveries;
};

struct store_media {
	int64_t id;
	char *mime, *name;
	long width, height;
	unsigned char *data;
	size_t len;
	char *network, *notes;  /* a variant's network and what was done to
				 * it; both NULL for the original */
};

/* --- queueing (call inside store_begin/store_commit) --- */

/* Insert image bytes; *id set. */
int store_media_put(struct store *st, const char *mime, long width,
		    long height, const char *name, const void *data, size_t len,
		    int64_t *id, struct err *err);
/* Insert (or replace) the variant of image media_id rendered for network:
 * exactly the bytes that network is sent; notes say what was done. */
int store_variant_put(struct store *st, int64_t media_id, const char *network,
		      const char *mime, long width, long height,
		      const char *notes, const void *data, size_t len,
		      struct err *err);
/* Insert a post (deliveries ignored); *id set. */
int store_post_insert(struct store *st, const struct store_post *p,
		      int64_t *id, struct err *err);
/* Insert a pending delivery; next_attempt = due; content_hash = hash, the
 * caller's store_content_hash of text and the post's image bytes
 * (STORE_HASH_LEN hex digits; computed before the write transaction, so
 * that the transaction only inserts). */
int store_delivery_insert(struct store *st, int64_t post_id,
			  const char *account, const char *network,
			  const char *text, const char *hash, time_t due,
			  int64_t *id, struct err *err);
/* The live deliveries (pending, sending, unknown, published) of account
 * due at or after from, by due time: one query for a whole batch's slot
 * search. *out owned by the caller (free()). */
struct store_taken {
	time_t due;
	int64_t post_id;
};
int store_taken_list(struct store *st, const char *account, time_t from,
		     struct store_taken **out, size_t *n, struct err *err);
/* The same, due in [from, to] only (to = 0: no end): a batch with only
 * explicit times reads the neighbourhood of its times, not the account's
 * whole future (a million queued). */
int store_taken_between(struct store *st, const char *account, time_t from,
			time_t to, struct store_taken **out, size_t *n,
			struct err *err);

/* The identity of what a delivery sends: SHA-256 (hex) over the exact wire
 * text and the SHA-256 of the image bytes (image NULL: no image). Stored
 * per delivery (deliveries.content_hash) and compared at queue time. */
#define STORE_HASH_LEN 64
void store_content_hash(const char *text, const void *image, size_t image_len,
			char out[STORE_HASH_LEN + 1]);

/* A live delivery (pending, sending, unknown or published) of account with
 * that content hash whose time (published_at, else due) is less than
 * window seconds from when: *found = 1 and *out filled (the nearest; free
 * out->source). Indexed on (account, content_hash). */
struct store_dup {
	int64_t post_id;
	char *source;             /* the post file it was queued from */
	time_t when;
};
int store_duplicate_find(struct store *st, const char *account,
			 const char *hash, time_t when, long window,
			 struct store_dup *out, int *found, struct err *err);

/* --- reading --- */

/* One post with its deliveries. Returns -1 with "no post N" if absent. */
int store_post_get(struct store *st, int64_t id, struct store_post **out,
		   struct err *err);
/* Every reader below costs the rows it returns, not the queue: each walks
 * an index over its range (a test holds their query plans). Posts come
 * with their deliveries, ordered by due, then id; *out owned by the caller
 * (store_posts_free / store_deliveries_free); -1 with a message on a
 * database error. */

/* Posts whose own due time is in [from, to) (the week, the calendar), the
 * first limit of them (0: all); *more = 1 when more follow in the range. */
int store_posts_due_in(struct store *st, time_t from, time_t to,
		       size_t limit, struct store_post ***out, size_t *n,
		       int *more, struct err *err);
/* Posts with a delivery due in [from, to), in any state, or only pending
 * ones (pending_only: the pre-flight's look ahead). */
int store_posts_delivering(struct store *st, int pending_only, time_t from,
			   time_t to, struct store_post ***out, size_t *n,
			   struct err *err);
/* What goes out next: every delivery being sent, then the pending ones by
 * their next attempt; at most limit in all. */
int store_deliveries_next(struct store *st, size_t limit,
			  struct store_delivery **out, size_t *n,
			  struct err *err);
/* The open problems at now: deliveries whose outcome is unknown, and those
 * that failed or were missed within STORE_PROBLEM_DAYS before it (the
 * window of the default `ritual list`); the newest limit of them, and in
 * *total how many there are. STORE_PROBLEMS_SHOWN: how many status and
 * week list. */
#define STORE_PROBLEM_DAYS 7
#define STORE_PROBLEMS_SHOWN 20
int store_problems(struct store *st, time_t now, size_t limit,
		   struct store_delivery **out, size_t *n, size_t *total,
		   struct err *err);
/* The ids of the posts with a delivery pending or unknown on account, in
 * order (`ritual cancel --account`). *ids owned by the caller (free). */
int store_account_live(struct store *st, const char *account, int64_t **ids,
		       size_t *n, struct err *err);
/* One page of `ritual list`, ordered by due, then id:
 * at most limit posts after post `after` (0: from the start; a post that
 * does not exist is an error). all = 0: posts with a delivery pending,
 * sending or unknown, or due or over (published, failed, missed) within
 * the 7 days before now. *more = 1 when posts follow the page. Walks the
 * posts_due index from the oldest live delivery or a week ago, whichever
 * is earlier: a page costs its own rows, not the history. */
int store_posts_page(struct store *st, int all, time_t now, int64_t after,
		     size_t limit, struct store_post ***out, size_t *n,
		     int *more, struct err *err);
void store_post_free(struct store_post *p);
void store_posts_free(struct store_post **v, size_t n);
int store_media_get(struct store *st, int64_t id, struct store_media **out,
		    struct err *err);
void store_media_free(struct store_media *m);
/* The image network is sent: its variant when one was stored (network and
 * notes set), else the original (a post queued before variants existed). */
int store_media_for(struct store *st, int64_t id, const char *network,
		    struct store_media **out, struct err *err);
/* Every variant of image id, ordered by network (caller frees with
 * store_variants_free). */
int store_variants_list(struct store *st, int64_t id, struct store_media ***out,
			size_t *n, struct err *err);
void store_variants_free(struct store_media **v, size_t n);
/* Deliveries in state sending (for recovery at start). */
int store_sending_list(struct store *st, struct store_delivery **out,
		       size_t *n, struct err *err);
void store_deliveries_free(struct store_delivery *v, size_t n);
/* The pending delivery with the earliest next attempt (*out, one element,
 * store_deliveries_free(*out, 1)), or *out = NULL when none is pending. */
int store_next_due(struct store *st, struct store_delivery **out,
		   struct err *err);

/* --- owner actions (atomic) --- */

/* pending/unknown deliveries -> canceled. *changed = how many. A post with
 * a delivery being sent, or one whose commit call's answer was lost and
 * that awaits its read-back (pending in phase commit), is refused: -1 with
 * a message saying why (rescheduling too). An `unknown` delivery may be
 * canceled: the owner looked and keeps it as it is. */
int store_post_cancel(struct store *st, int64_t id, int *changed,
		      struct err *err);
/* The same, for account's delivery of the post only. */
int store_post_cancel_account(struct store *st, int64_t id,
			      const char *account, int *changed, struct err *err);
/* Set the post's due time and that of its pending deliveries. */
int store_post_reschedule(struct store *st, int64_t id, time_t due,
			  int *changed, struct err *err);
/* failed/missed deliveries -> pending, due now (attempts reset); unknown
 * ones -> pending too, but keeping their commit mark, so that rituald
 * reads the account back before it sends anything again. */
int store_post_retry(struct store *st, int64_t id, time_t now, int *changed,
		     struct err *err);

/* --- the daemon --- */

/*
 * Claim the most overdue delivery that is due (next_attempt <= now), whose
 * account is neither paused nor on hold, and whose account published
 * nothing within min_gap seconds: state -> sending, claimed_at = now, and
 * attempts + 1 unless the phase is "commit" (a pending delivery in phase
 * commit awaits reconciliation, not a new attempt). *out = NULL when
 * nothing is due.
 */
int store_claim(struct store *st, time_t now, long min_gap,
		struct store_delivery **out, struct err *err);
/* The same for up to max deliveries at once, each of a different account
 * (the most overdue first), in one transaction: *out (n of them, caller
 * frees with store_deliveries_free) is NULL with *n = 0 when nothing is
 * due. Fewer than max means no other delivery can be claimed now.
 * Both commit the claim without waiting for the disk (synchronous=NORMAL
 * for that one commit, FULL again after, or -1): a process crash keeps it,
 * a power cut may undo it until the next synchronous commit, which the
 * commit mark (store_mark_commit) is, before any call that can publish. */
int store_claim_many(struct store *st, time_t now, long min_gap, size_t max,
		     struct store_delivery **out, size_t *n, struct err *err);
/* When the next claim could succeed (min over pending deliveries of their
 * next attempt, the account's hold and min_gap), *any = 0 if never. */
int store_next_wake(struct store *st, time_t now, long min_gap, time_t *when,
		    int *any, struct err *err);
/* Both queries above cost one index search per account with pending
 * deliveries, whatever the number of deliveries. store_explain puts in
 * *plan (caller frees) the EXPLAIN QUERY PLAN of which ("claim" or
 * "next_wake"), one line per plan step, "ID PARENT DETAIL" (SQLite's
 * columns: PARENT 0 is the top level), so that a test can check that no
 * step loops over the deliveries. -1 for another name. */
int store_explain(struct store *st, const char *which, char **plan,
		  struct err *err);
/* Phase -> commit, commit_at = now; on disk (synchronous=FULL) on return.
 * At the delivery's first mark it also records, in the same transaction,
 * the progress keys "first_commit_at" (now) and, when clock is not NULL,
 * "commit_clock" (*clock: the platform's clock less ours), where a
 * read-back after a lost answer starts looking. */
int store_mark_commit(struct store *st, int64_t id, time_t now,
		      const long *clock, struct err *err);
/* sending -> published with the API's ids. */
int store_finish_published(struct store *st, int64_t id, const char *remote_id,
			   const char *permalink, time_t now, struct err *err);
/* sending -> pending for another try at next_attempt (phase prepare);
 * count = 0 gives the attempt back (rate limits, paused accounts). */
int store_finish_retry(struct store *st, int64_t id, time_t next_attempt,
		       const char *error, int count, struct err *err);
/* sending (phase commit) -> pending, phase kept: reconcile again at
 * next_attempt. */
int store_finish_reconcile_later(struct store *st, int64_t id,
				 time_t next_attempt, const char *error,
				 struct err *err);
/* sending|pending -> a final state: DL_FAILED, DL_UNKNOWN or DL_MISSED. */
int store_finish_final(struct store *st, int64_t id, enum dl_state state,
		       const char *error, struct err *err);
int store_set_permalink(struct store *st, int64_t id, const char *permalink,
			struct err *err);

/* Per-delivery progress ids (container id, image URN...), stored the
 * moment the API returns them. */
int store_progress_set(struct store *st, int64_t id, const char *key,
		       const char *value, struct err *err);
/* The value, or NULL if unset (caller frees). */
int store_progress_get(struct store *st, int64_t id, const char *key,
		       char **value, struct err *err);
int store_progress_clear(struct store *st, int64_t id, struct err *err);
int store_progress_delete(struct store *st, int64_t id, const char *key,
			  struct err *err);

/* Hosted image files (progress key "hosted_name") of deliveries that are
 * over (published, failed, missed, canceled) for at least retention
 * seconds: the daemon deletes them from the media host. */
struct store_hosted {
	int64_t delivery_id;
	char *name;
};
int store_hosted_due(struct store *st, time_t now, long retention,
		     struct store_hosted **out, size_t *n, struct err *err);
void store_hosted_free(struct store_hosted *v, size_t n);

struct store_account {
	char *name;
	int paused;
	char *reason;             /* why paused / on hold; NULL if neither */
	time_t paused_at;
	char *token_stamp;        /* identity of the token file when paused */
	time_t hold_until;        /* no calls before this (rate limit); 0 = none */
};
int store_account_pause(struct store *st, const char *name, const char *reason,
			const char *token_stamp, time_t now, struct err *err);
int store_account_resume(struct store *st, const char *name, struct err *err);
int store_account_hold(struct store *st, const char *name, time_t until,
		       const char *reason, struct err *err);
int store_accounts_list(struct store *st, struct store_account **out,
			size_t *n, struct err *err);
void store_accounts_free(struct store_account *v, size_t n);

/* Append to the delivery's history (shown by `ritual show`). */
int store_event_add(struct store *st, int64_t delivery_id, const char *level,
		    const char *message, time_t now, struct err *err);
struct store_event {
	time_t at;
	char *level, *message;
};
int store_events_list(struct store *st, int64_t delivery_id,
		      struct store_event **out, size_t *n, struct err *err);
void store_events_free(struct store_event *v, size_t n);

/* --- rituald's heartbeat (one row; `ritual status`) --- */

struct store_daemon {
	pid_t pid;
	char *version;
	time_t started;           /* when this rituald started */
	time_t beat;              /* its last loop (written at most once a minute) */
	int running;              /* 0 once it stopped cleanly */
	time_t next_wake;         /* next delivery due; 0 = none */
	char *status;             /* "next: post 12 to instagram, Mon 09:00"; may be NULL */
};
/* Write (insert or replace) the heartbeat row. */
int store_daemon_beat(struct store *st, const struct store_daemon *b,
		      struct err *err);
/* *out = NULL when rituald never ran against this database; else owned by
 * the caller (store_daemon_free). */
int store_daemon_get(struct store *st, struct store_daemon **out,
		     struct err *err);
void store_daemon_free(struct store_daemon *b);

/* --- notices (issue 10; notify.h decides, this only stores) --- */

/* One row of `ritual events`. Strings owned (store_notice_clear). state:
 * "open" (a problem that lasts; repeats are counted on it), "resolved",
 * or "told" (never coalesced). Times 0 = never. */
struct store_notice {
	int64_t id;
	time_t at;                /* when it was first raised */
	char *kind, *account, *network;   /* account, network may be NULL */
	int64_t post_id;          /* 0: none */
	char *post_title, *post_file, *message, *fix;
	char *state;
	long count;               /* how many times it was raised */
	time_t last_at;           /* the last time it was raised */
	time_t told_at;           /* the last time a message was queued */
	time_t resolved_at;
};
void store_notice_clear(struct store_notice *n);
void store_notices_free(struct store_notice *v, size_t n);
/* The open notice of kind on account (NULL: none): *found 1 and *out
 * filled (store_notice_clear), or *found 0. */
int store_notice_open(struct store *st, const char *kind, const char *account,
		      struct store_notice *out, int *found, struct err *err);
/* Insert n (id ignored; count 0 counts as 1; last_at 0 = at); *id set
 * when id is not NULL. */
int store_notice_add(struct store *st, const struct store_notice *n,
		     int64_t *id, struct err *err);
/* One more of an open notice: count + 1, last_at = now, told_at = now when
 * told; message and fix replaced when not NULL (the newest words). */
int store_notice_repeat(struct store *st, int64_t id, time_t now, int told,
			const char *message, const char *fix, struct err *err);
int store_notice_resolve(struct store *st, int64_t id, time_t now,
			 struct err *err);
/* *recorded 1 when the database has the notices table (schema 5); 0 when
 * no rituald of this version has opened (and migrated) it yet: a read-only
 * open with STORE_OLD_SCHEMA_OK. */
int store_notices_recorded(struct store *st, int *recorded, struct err *err);
/* Notices raised or resolved at or after since, and every open one,
 * oldest first. */
int store_notices_list(struct store *st, time_t since,
		       struct store_notice **out, size_t *n, struct err *err);

/* What the notifier still has to send. */
struct store_outbox {
	int64_t id;
	char *event, *subject, *body, *json;
	long attempts;
	int mail_sent;          /* the mail went out on an earlier attempt */
	int command_run;        /* the command ran (exit 0) on an earlier one */
};
void store_outbox_clear(struct store_outbox *o);
/* Queue a message (due now) for notice_id (0: none). */
int store_outbox_add(struct store *st, int64_t notice_id, const char *event,
		     const char *subject, const char *body, const char *json,
		     time_t now, struct err *err);
/* The unsent message due first: *found 1 and *out filled when it is due
 * at now; else *found 0 and *next its due time (0: nothing queued). */
int store_outbox_next(struct store *st, time_t now, struct store_outbox *out,
		      int *found, time_t *next, struct err *err);
/* An attempt's outcome: error NULL = sent at now; else attempts + 1, the
 * error kept (scrubbed by the caller) and the next try at next_try (0:
 * given up). mail_sent / command_run: that channel delivered it in this
 * attempt (kept: a later attempt never clears it), so that the next try
 * skips it. */
int store_outbox_done(struct store *st, int64_t id, time_t now,
		      int mail_sent, int command_run, const char *error,
		      time_t next_try, struct err *err);

/* The due time of the account's last pending or sending delivery (its
 * queue's horizon), or *due 0 when it has none. */
int store_account_horizon(struct store *st, const char *account, time_t *due,
			  struct err *err);

/* --- marks: what rituald told the owner (tell.h) --- */

/* The mark name (*found 0, and *at and *value 0, when there is none). */
int store_mark_get(struct store *st, const char *name, time_t *at,
		   long *value, int *found, struct err *err);
/* Insert or replace the mark name. */
int store_mark_set(struct store *st, const char *name, time_t at, long value,
		   struct err *err);
/* Remove it (no error when absent). */
int store_mark_delete(struct store *st, const char *name, struct err *err);
/* The original file name of image id (caller frees), or *name = NULL when
 * it has none or the image is gone. */
int store_media_name(struct store *st, int64_t id, char **name,
		     struct err *err);

/* --- housekeeping --- */

/* Drop the bytes of images whose posts are over for good (each delivery
 * published or canceled, at least one published, the last before
 * `before`); the media row stays (name, size) with pruned = now. Failed,
 * missed and unknown posts keep their images (a retry needs them).
 * *n = how many images were dropped. Atomic. */
int store_media_prune(struct store *st, time_t before, time_t now,
		      long *n, struct err *err);

/* A consistent copy of the whole database into the new file dest (SQLite's
 * online backup API, one read transaction: safe while rituald writes).
 * dest must not exist; the copy is a single file (journal mode DELETE),
 * created with 0666 & ~umask. Restore: stop rituald, move the copy over
 * the database file (removing any -wal/-shm beside it), start rituald. */
int store_backup(struct store *st, const char *dest, struct err *err);

#endif
