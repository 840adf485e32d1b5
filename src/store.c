/*
 * store.c - the SQLite queue.
 *
 * Owns every SQL statement in ritual, the schema and its migrations, and
 * the transactions. Statements are prepared per call with bound
 * parameters only (the volumes here are tiny; clarity beats a statement
 * cache). Never knows HTTP, JSON or text formats.
 */
#include "ritual/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define STMT_CACHE 96  /* more than the store's distinct statements */

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	int old_schema_ok;  /* STORE_OLD_SCHEMA_OK: an older schema as it is */
	int have_id;        /* dev/ino below are known */
	dev_t dev;
	ino_t ino;
	const volatile sig_atomic_t *stop;  /* store_set_interrupt's flag */
	int interruptible;  /* inside a read that may be abandoned on *stop */
	/* The daemon's two hot queries, prepared once: parsing sql_claim at
	 * every claim was most of rituald's instructions per post. */
	sqlite3_stmt *claim_stmt, *wake_stmt;
	sqlite3_stmt *version_stmt;  /* PRAGMA data_version */
	int64_t version;             /* its last answer; -1 before the first */
	/* Every other statement prep() makes, kept for the next call of the
	 * same SQL (parsing it again was most of the instructions left per
	 * post, and per row of `ritual list`); see prep and done. */
	int depth;  /* transactions open: 1 BEGIN, then SAVEPOINTs */
	struct cached_stmt {
		sqlite3_stmt *s;
		uint32_t hash;  /* of its SQL text */
		int busy;       /* handed out by prep, not yet back through done */
	} cache[STMT_CACHE];
	size_t ncache;
};

/* Schema version 1. Later versions append to migrations[]. */
static const char *const migration_1 =
	"CREATE TABLE media("
	" id INTEGER PRIMARY KEY,"
	" mime TEXT NOT NULL,"
	" width INTEGER NOT NULL,"
	" height INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" data BLOB NOT NULL) STRICT;"
	"CREATE TABLE posts("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('tip','promo','note')),"
	" title TEXT, body TEXT NOT NULL, link TEXT, alt TEXT, tags TEXT,"
	" source TEXT NOT NULL,"
	" media_id INTEGER REFERENCES media(id),"
	" due INTEGER NOT NULL,"
	" expires INTEGER,"
	" from_slot INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL) STRICT;"
	"CREATE TABLE deliveries("
	" id INTEGER PRIMARY KEY,"
	" post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,"
	" account TEXT NOT NULL,"
	" network TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',"
	"  'sending','published','failed','unknown','canceled','missed')),"
	" phase TEXT NOT NULL DEFAULT 'prepare' CHECK (phase IN ('prepare','commit')),"
	" due INTEGER NOT NULL,"
	" next_attempt INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" claimed_at INTEGER, commit_at INTEGER, published_at INTEGER,"
	" remote_id TEXT, permalink TEXT, error TEXT,"
	" UNIQUE (post_id, account)) STRICT;"
	"CREATE INDEX deliveries_state_next ON deliveries(state, next_attempt);"
	"CREATE INDEX deliveries_account_due ON deliveries(account, due);"
	"CREATE TABLE progress("
	" delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
	" key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (delivery_id, key)) STRICT;"
	"CREATE TABLE accounts("
	" name TEXT PRIMARY KEY,"
	" paused INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT, paused_at INTEGER, token_stamp TEXT,"
	" hold_until INTEGER NOT NULL DEFAULT 0) STRICT;"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,"
	" level TEXT NOT NULL,"
	" message TEXT NOT NULL) STRICT;"
	"CREATE INDEX events_delivery ON events(delivery_id);";

/* Schema version 2: rituald's heartbeat (one row, `ritual status`), and
 * when an image's bytes were dropped after media.keep_days. */
static const char *const migration_2 =
	"CREATE TABLE daemon("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" pid INTEGER NOT NULL,"
	" version TEXT NOT NULL,"
	" started INTEGER NOT NULL,"
	" beat INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('running','stopped')),"
	" next_wake INTEGER,"
	" status TEXT) STRICT;"
	"ALTER TABLE media ADD COLUMN pruned INTEGER;";

/* Schema version 3 (issue 13): one rendered image per (original, network),
 * exactly the bytes that network is sent. A separate step, so that other
 * migrations can be ordered around it when branches are merged. */
static const char *const migration_variants =
	"CREATE TABLE media_variants("
	" media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,"
	" network TEXT NOT NULL,"
	" mime TEXT NOT NULL,"
	" width INTEGER NOT NULL,"
	" height INTEGER NOT NULL,"
	" notes TEXT NOT NULL,"
	" data BLOB NOT NULL,"
	" PRIMARY KEY (media_id, network)) STRICT;";

/*
 * Schema version 4: a content hash per delivery (store_content_hash: the
 * exact wire text and the image's bytes), indexed per account, so that
 * queueing can refuse the same post to the same account twice (issue 9).
 * Existing rows are hashed by the SQL function ritual_content_hash, which
 * store_open registers before migrating. Its own step, so that other
 * column additions take their own version number.
 */
static const char *const migration_hash =
	"ALTER TABLE deliveries ADD COLUMN content_hash TEXT;"
	"UPDATE deliveries SET content_hash = ritual_content_hash(text,"
	" (SELECT m.data FROM posts p JOIN media m ON m.id = p.media_id"
	"  WHERE p.id = deliveries.post_id));"
	"CREATE INDEX deliveries_account_hash ON deliveries(account, content_hash);";

/*
 * Schema version 5 (issue 10): the notices the owner is told (`ritual
 * events`), one row per notice, repeats of an open one counted on it;
 * state 'open' (a problem that lasts), 'resolved', or 'told' (a notice that
 * is never coalesced: digest, preflight, test, a restart after a crash).
 * notice_outbox: what the notifier still has to send (mail and command),
 * with its attempts and last error; mail_sent_at and command_run_at say
 * which channel already delivered it, so that a retry sends only what
 * failed (never a second mail because the command failed).
 */
static const char *const migration_notices =
	"CREATE TABLE notices("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" account TEXT,"
	" network TEXT,"
	" post_id INTEGER,"
	" post_title TEXT,"
	" post_file TEXT,"
	" message TEXT NOT NULL,"
	" fix TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('open','resolved','told')),"
	" count INTEGER NOT NULL DEFAULT 1,"
	" last_at INTEGER NOT NULL,"
	" told_at INTEGER,"
	" resolved_at INTEGER) STRICT;"
	"CREATE INDEX notices_open ON notices(kind, account) WHERE state = 'open';"
	"CREATE INDEX notices_at ON notices(last_at);"
	"CREATE TABLE notice_outbox("
	" id INTEGER PRIMARY KEY,"
	" notice_id INTEGER REFERENCES notices(id) ON DELETE SET NULL,"
	" created INTEGER NOT NULL,"
	" event TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" json TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER,"
	" sent_at INTEGER,"
	" mail_sent_at INTEGER,"
	" command_run_at INTEGER,"
	" last_error TEXT) STRICT;"
	"CREATE INDEX notice_outbox_due ON notice_outbox(next_try)"
	" WHERE sent_at IS NULL;";

/*
 * Schema version 6 (issue 10): what rituald told the owner ahead
 * (tell.h): the last digest and pre-flight sent, the token warnings told
 * per account and expiry, the queue-dry warnings open.
 */
static const char *const migration_marks =
	"CREATE TABLE marks("
	" name TEXT PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" value INTEGER NOT NULL DEFAULT 0) STRICT;";

/*
 * Schema version 7: the queue's indexes (issue 11): partial indexes per
 * account on the pending, in-flight and published deliveries, so that
 * claiming and the next wake are index lookups (see sql_claim).
 */
static const char *const migration_queue_indexes =
	"CREATE INDEX deliveries_pending_account ON"
	" deliveries(account, next_attempt) WHERE state = 'pending';"
	"CREATE INDEX deliveries_sending_account ON"
	" deliveries(account) WHERE state = 'sending';"
	"CREATE INDEX deliveries_published_account ON"
	" deliveries(account, published_at) WHERE state = 'published';"
	"CREATE INDEX posts_due ON posts(due);"
	"CREATE INDEX deliveries_state_due ON deliveries(state, due);";

static const char *const migrations[] = {migration_1, migration_2,
					    migration_variants, migration_hash,
					    migration_notices, migration_marks,
					    migration_queue_indexes};
_Static_assert(RT_ARRAY_LEN(migrations) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION (store.h) is the number of migrations");

/* Why the database's folder cannot be written, or NULL. */
static const char *const state_names[] = {
	[DL_PENDING] = "pending",     [DL_SENDING] = "sending",
	[DL_PUBLISHED] = "published", [DL_FAILED] = "failed",
	[DL_UNKNOWN] = "unknown",     [DL_CANCELED] = "canceled",
	[DL_MISSED] = "missed",
};

static const char *const phase_names[] = {
	[PHASE_PREPARE] = "prepare", [PHASE_COMMIT] = "commit",
};

const char *dl_state_name(enum dl_state s)
{
	return (size_t)s < RT_ARRAY_LEN(state_names) ? state_names[s] : "?";
}

const char *dl_phase_name(enum dl_phase p)
{
	return (size_t)p < RT_ARRAY_LEN(phase_names) ? phase_names[p] : "?";
}

int dl_state_parse(const char *name, enum dl_state *out)
{
	for (size_t i = 0; name && i < RT_ARRAY_LEN(state_names); i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum dl_state)i;
			return 0;
		}
	}
	return -1;
}

int dl_phase_parse(const char *name, enum dl_phase *out)
{
	for (size_t i = 0; name && i < RT_ARRAY_LEN(phase_names); i++) {
		if (strcmp(name, phase_names[i]) == 0) {
			*out = (enum dl_phase)i;
			return 0;
		}
	}
	return -1;
}

static const char *fs_problem(const char *path)
{
	char *dir = path_dirname(path);
	struct statvfs vfs;
	const char *why = NULL;
	int have = statvfs(dir, &vfs) == 0;
	if (have && (vfs.f_flag & ST_RDONLY))
		why = "; the file system holding the database is mounted read-only: "
		      "remount it read-write; nothing was lost";
	else if (have && vfs.f_bavail == 0)
		why = "; the disk is full: free some space, nothing was lost";
	else if (access(dir, W_OK) != 0)
		why = "; the database's folder is read-only for this user: the user "
		      "running ritual needs write access to the folder and the file";
	else if (access(path, F_OK) == 0 && access(path, W_OK) != 0)
		why = "; the database file is read-only for this user: the user "
		      "running ritual needs write access to it";
	free(dir);
	return why;
}

/* Turn an SQLite failure into a message the owner can act on. */
static int db_err(struct store *st, struct err *err, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);
	int primary = code & 0xff;
	const char *hint = "";
	const char *fs = NULL;
	if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN ||
	    primary == SQLITE_IOERR || primary == SQLITE_PERM ||
	    primary == SQLITE_FULL)
		fs = fs_problem(st->path);
	if (fs)
		hint = fs;
	else if (primary == SQLITE_FULL)
		hint = "; the disk is full: free some space, nothing was lost";
	else if (primary == SQLITE_READONLY)
		hint = "; the database is read-only: the user running ritual needs "
		       "write access to it and its folder";
	else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		hint = "; the database is busy: try again";
	else if (primary == SQLITE_CANTOPEN)
		hint = "; check that the folder exists and is writable";
	else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
		hint = "; the file is damaged or is not a ritual database";
	return err_set(err, "%s: %s: %s (sqlite %d)%s", st->path, what,
		       sqlite3_errmsg(st->db), code, hint);
}

/*
 * Prepare sql and bind arguments described by types:
 *   'i' int64_t, 't' const char * (NULL binds NULL), 'b' blob (ptr, size_t),
 *   'T' time_t (0 binds NULL).
 */
/* FNV-1a: the cache's key (a hit compares the whole text too). */
static uint32_t sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;
	for (; *sql; sql++)
		h = (h ^ (unsigned char)*sql) * 16777619u;
	return h;
}

/* A cached statement for sql that is not in use, else a new one (kept in
 * the cache while there is room). NULL with err set when SQLite refuses
 * the text. A statement in use is never handed out twice: a query may run
 * while another of the same text is still being stepped. */
static sqlite3_stmt *stmt_get(struct store *st, const char *sql,
			      struct err *err)
{
	uint32_t h = sql_hash(sql);
	for (size_t i = 0; i < st->ncache; i++) {
		struct cached_stmt *c = &st->cache[i];
		if (!c->busy && c->hash == h && strcmp(sqlite3_sql(c->s), sql) == 0) {
			c->busy = 1;
			return c->s;
		}
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
			       NULL) != SQLITE_OK) {
		db_err(st, err, "preparing a statement");
		sqlite3_finalize(s);
		return NULL;
	}
	if (st->ncache < STMT_CACHE)
		st->cache[st->ncache++] = (struct cached_stmt){s, h, 1};
	return s;
}

/* Give back a statement from prep (NULL is ignored): reset, its bound
 * values dropped (no copy of a text outlives the call), and kept for the
 * next prep of its SQL; one the cache had no room for is finalized. */
static void done(struct store *st, sqlite3_stmt *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < st->ncache; i++) {
		if (st->cache[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			st->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(s);
}

void store_trim(struct store *st)
{
	size_t kept = 0;
	for (size_t i = 0; i < st->ncache; i++) {
		if (st->cache[i].busy)
			st->cache[kept++] = st->cache[i];
		else
			sqlite3_finalize(st->cache[i].s);
	}
	st->ncache = kept;
	sqlite3_db_release_memory(st->db);
}

static sqlite3_stmt *prep(struct store *st, struct err *err, const char *sql,
			  const char *types, ...)
{
	sqlite3_stmt *s = stmt_get(st, sql, err);
	if (!s)
		return NULL;
	va_list ap;
	va_start(ap, types);
	int idx = 1, rc = SQLITE_OK;
	for (const char *t = types; *t && rc == SQLITE_OK; t++, idx++) {
		switch (*t) {
		case 'i':
			rc = sqlite3_bind_int64(s, idx, va_arg(ap, int64_t));
			break;
		case 'T': {
			time_t v = va_arg(ap, time_t);
			rc = v ? sqlite3_bind_int64(s, idx, (sqlite3_int64)v)
			       : sqlite3_bind_null(s, idx);
			break;
		}
		case 't': {
			const char *v = va_arg(ap, const char *);
			rc = v ? sqlite3_bind_text(s, idx, v, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(s, idx);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(s, idx, p, n, SQLITE_TRANSIENT);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		db_err(st, err, "binding a parameter");
		done(st, s);
		return NULL;
	}
	return s;
}

/* Step a statement that returns no rows, then finalize it. */
static int run(struct store *st, struct err *err, sqlite3_stmt *s,
	       const char *what)
{
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_err(st, err, what);
		done(st, s);
		return -1;
	}
	done(st, s);
	return 0;
}

static int exec_sql(struct store *st, const char *sql, struct err *err,
		    const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st, err, what);
	return 0;
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static time_t col_time(sqlite3_stmt *s, int i)
{
	return (time_t)sqlite3_column_int64(s, i);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		/* Cannot happen with OpenSSL's built-in SHA-256; an empty
		 * hash matches nothing rather than everything. */
		out[0] = '\0';
		return;
	}
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void store_content_hash(const char *text, const void *image, size_t image_len,
			char out[STORE_HASH_LEN + 1])
{
	char img[65] = "-";
	if (image)
		sha256_hex(image, image_len, img);
	struct buf b = {0};
	buf_printf(&b, "ritual-content-1\n%s\n%s", img, text ? text : "");
	sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

/* SQL: ritual_content_hash(text, image blob or NULL); only for the
 * migration to schema 4 (new rows get their hash from the caller). */
static void sql_content_hash(sqlite3_context *ctx, int argc,
			     sqlite3_value **argv)
{
	(void)argc;
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	const void *img = NULL;
	size_t len = 0;
	if (sqlite3_value_type(argv[1]) != SQLITE_NULL) {
		len = (size_t)sqlite3_value_bytes(argv[1]);
		img = sqlite3_value_blob(argv[1]);
		if (!img)
			img = "";
	}
	char out[STORE_HASH_LEN + 1];
	store_content_hash(text, img, len, out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* A transaction begun inside another is a savepoint of it: its commit
 * folds into the outer one, its rollback undoes only its own writes. So a
 * caller can put several writers' work (the daemon's outcome, its event
 * and a notice) under one commit, one fsync. st->depth counts the levels;
 * SQLite ends a transaction by itself on some errors (a full disk), which
 * sqlite3_get_autocommit shows: then every level is gone. */
static int tx_open(struct store *st, const char *outer, struct err *err,
		   const char *what)
{
	if (sqlite3_get_autocommit(st->db))
		st->depth = 0;
	if (run(st, err, prep(st, err, st->depth ? "SAVEPOINT tx" : outer, ""),
		what) < 0)
		return -1;
	st->depth++;
	return 0;
}

int store_begin(struct store *st, struct err *err)
{
	return tx_open(st, "BEGIN IMMEDIATE", err, "starting a transaction");
}

int store_begin_read(struct store *st, struct err *err)
{
	return tx_open(st, "BEGIN DEFERRED", err, "starting a read");
}

int store_commit(struct store *st, struct err *err)
{
	if (sqlite3_get_autocommit(st->db)) {
		st->depth = 0;
		return err_set(err, "%s: committing: the transaction was already "
			       "rolled back", st->path);
	}
	if (st->depth > 1) {
		if (run(st, err, prep(st, err, "RELEASE tx", ""), "committing") < 0) {
			store_rollback(st);
			return -1;
		}
		st->depth--;
		return 0;
	}
	if (run(st, err, prep(st, err, "COMMIT", ""), "committing") < 0) {
		store_rollback(st);
		return -1;
	}
	st->depth = 0;
	return 0;
}

void store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db)) {
		st->depth = 0;
	} else if (st->depth > 1) {
		sqlite3_exec(st->db, "ROLLBACK TO tx; RELEASE tx", NULL, NULL, NULL);
		st->depth--;
	} else {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->depth = 0;
	}
}

static int migrate(struct store *st, struct err *err)
{
	int64_t version = 0;
	sqlite3_stmt *s = prep(st, err, "PRAGMA user_version", "");
	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	done(st, s);

	int64_t target = STORE_SCHEMA_VERSION;
	if (version > target)
		return err_set(err,
			       "%s: the database has schema version %lld but this "
			       "ritual knows only up to %lld; install the newer "
			       "ritual that wrote it",
			       st->path, (long long)version, (long long)target);
	if (version == target)
		return 0;
	if (st->readonly && st->old_schema_ok)
		return 0;  /* read as it is; the caller checks what it has */
	if (st->readonly)
		return err_set(err,
			       "%s: the database needs an upgrade (schema %lld -> "
			       "%lld); run any ritual command that writes, or start "
			       "rituald", st->path, (long long)version,
			       (long long)target);
	if (store_begin(st, err) < 0)
		return -1;
	/* Re-read inside the write lock: another process may have migrated. */
	s = prep(st, err, "PRAGMA user_version", "");
	if (!s)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	done(st, s);
	for (int64_t v = version; v < target; v++) {
		if (exec_sql(st, migrations[v], err, "upgrading the schema") < 0)
			goto fail;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%lld",
		 (long long)target);
	if (exec_sql(st, pragma, err, "upgrading the schema") < 0)
		goto fail;
	crash_point("migration");
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

/*
 * A read-only connection to a WAL database needs the -shm file: SQLite
 * opens an existing one read-only, but cannot create a missing one (the
 * last writer deletes it on close) in a folder this user cannot write,
 * and reports SQLITE_CANTOPEN. Then no process has the database open for
 * writing (a writer keeps -wal and -shm while it runs), so the file alone
 * is the whole database: open it once more as immutable, which needs no
 * -shm. Anything else is reported as it is.
 */
static int open_db(struct store *st, const char *path, int oflags,
		   struct err *err)
{
	int rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc == SQLITE_OK && (oflags & SQLITE_OPEN_READONLY)) {
		/* the -shm problem shows only on the first read */
		sqlite3_extended_result_codes(st->db, 1);
		rc = sqlite3_exec(st->db, "SELECT count(*) FROM sqlite_schema",
				  NULL, NULL, NULL);
		if (rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_READONLY_CANTINIT ||
		    (rc & 0xff) == SQLITE_CANTOPEN) {
			char *wal = xasprintf("%s-wal", path);
			int have_wal = access(wal, F_OK) == 0;
			free(wal);
			if (!have_wal) {
				store_trim(st);
				sqlite3_close(st->db);
				st->db = NULL;
				struct buf u = {0};
				buf_puts(&u, "file:");
				for (const char *p = path; *p; p++) {
					if (*p == '%' || *p == '?' || *p == '#')
						buf_printf(&u, "%%%02X", (unsigned char)*p);
					else
						buf_printf(&u, "%c", *p);
				}
				buf_puts(&u, "?immutable=1");
				char *uri = buf_steal(&u);
				rc = sqlite3_open_v2(uri, &st->db,
						     oflags | SQLITE_OPEN_URI, NULL);
				free(uri);
			}
		}
	}
	if (rc == SQLITE_OK)
		return 0;
	if (!st->db)
		return err_set(err, "%s: cannot open the database", path);
	return db_err(st, err, "opening the database");
}

int store_open(const char *path, int flags, struct store **out,
	       struct err *err)
{
	*out = NULL;
	struct store *st = xcalloc(1, sizeof(*st));
	st->version = -1;
	st->path = xstrdup(path);
	st->readonly = (flags & STORE_READONLY) != 0;
	st->old_schema_ok = st->readonly && (flags & STORE_OLD_SCHEMA_OK);

	struct stat sb;
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT || !(flags & STORE_CREATE) || st->readonly) {
			err_set(err,
				"%s: %s; queue a post with `ritual add` or "
				"`ritual import` to create it, or check "
				"`database` in the config",
				path, strerror(errno));
			goto fail_nodb;
		}
	}
	/* SQLite creates a new file with 0644 & ~umask; create it first with
	 * 0666 & ~umask, so that a group-writable umask (0007, for the ritual
	 * group) gives a 0660 file. The -wal and -shm files take the mode of
	 * the database file. */
	if (!st->readonly && access(path, F_OK) != 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			close(fd);
	}
	int oflags = st->readonly ? SQLITE_OPEN_READONLY
				  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	oflags |= SQLITE_OPEN_NOMUTEX;
	if (open_db(st, path, oflags, err) < 0) {
		if (!st->db)
			goto fail_nodb;
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (stat(path, &sb) == 0) {
		st->have_id = 1;
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (!st->readonly &&
	    exec_sql(st, "PRAGMA journal_mode=WAL", err, "setting WAL mode") < 0)
		goto fail;
	if (exec_sql(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;",
		     err, "configuring the database") < 0)
		goto fail;
	if (sqlite3_create_function(st->db, "ritual_content_hash", 2,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				    sql_content_hash, NULL, NULL) != SQLITE_OK) {
		db_err(st, err, "registering a function");
		goto fail;
	}
	if (migrate(st, err) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	store_trim(st);
	sqlite3_close(st->db);
fail_nodb:
	free(st->path);
	free(st);
	return -1;
}

/* SQLite's progress handler, every PROGRESS_OPS virtual-machine steps:
 * non-zero ends the running statement with SQLITE_INTERRUPT. Only the
 * queries marked interruptible (the daemon's claim, next wake and count;
 * never a write that records an outcome) honour the flag. */
#define PROGRESS_OPS 1000

static int on_progress(void *arg)
{
	const struct store *st = arg;
	return st->interruptible && st->stop && *st->stop;
}

void store_set_interrupt(struct store *st, const volatile sig_atomic_t *flag)
{
	st->stop = flag;
	sqlite3_progress_handler(st->db, flag ? PROGRESS_OPS : 0,
				 flag ? on_progress : NULL, st);
}

int store_interrupted(const struct store *st)
{
	return st->stop && *st->stop;
}

int store_changed_elsewhere(struct store *st)
{
	if (!st->version_stmt &&
	    sqlite3_prepare_v3(st->db, "PRAGMA data_version", -1,
			       SQLITE_PREPARE_PERSISTENT, &st->version_stmt,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(st->version_stmt);
		st->version_stmt = NULL;
		return 1;
	}
	sqlite3_reset(st->version_stmt);
	if (sqlite3_step(st->version_stmt) != SQLITE_ROW) {
		sqlite3_reset(st->version_stmt);
		return 1;
	}
	int64_t v = sqlite3_column_int64(st->version_stmt, 0);
	sqlite3_reset(st->version_stmt);
	int changed = v != st->version;
	st->version = v;
	return changed;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->claim_stmt);
	sqlite3_finalize(st->wake_stmt);
	sqlite3_finalize(st->version_stmt);
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].s);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

int store_file_identity(const struct store *st, dev_t *dev, ino_t *ino)
{
	if (!st->have_id)
		return -1;
	*dev = st->dev;
	*ino = st->ino;
	return 0;
}

int store_data_version(struct store *st, int64_t *out, struct err *err)
{
	sqlite3_stmt *s = prep(st, err, "PRAGMA data_version", "");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		done(st, s);
		return db_err(st, err, "reading data_version");
	}
	*out = sqlite3_column_int64(s, 0);
	done(st, s);
	return 0;
}

/* ---- queueing ---- */

int store_media_put(struct store *st, const char *mime, long width,
		    long height, const char *name, const void *data, size_t len,
		    int64_t *id, struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"INSERT INTO media(mime, width, height, name, data) "
		"VALUES (?,?,?,?,?)",
		"tiitb", mime, (int64_t)width, (int64_t)height, name, data, len);
	if (run(st, err, s, "saving an image") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_post_insert(struct store *st, const struct store_post *p,
		      int64_t *id, struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"INSERT INTO posts(kind, title, body, link, alt, tags, source, "
		"media_id, due, expires, from_slot, created) "
		"VALUES (?,?,?,?,?,?,?,NULLIF(?,0),?,?,?,?)",
		"tttttttiiTii", p->kind, p->title, p->body, p->link, p->alt,
		p->tags, p->source, p->media_id, (int64_t)p->due, p->expires,
		(int64_t)p->from_slot, (int64_t)p->created);
	if (run(st, err, s, "saving a post") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_delivery_insert(struct store *st, int64_t post_id,
			  const char *account, const char *network,
			  const char *text, const char *hash, time_t due,
			  int64_t *id, struct err *err)
{
	if (!hash || strlen(hash) != STORE_HASH_LEN)
		return err_set(err, "saving a delivery: no content hash");
	sqlite3_stmt *s = prep(st, err,
		"INSERT INTO deliveries(post_id, account, network, text, due, "
		"next_attempt, content_hash) VALUES (?,?,?,?,?,?,?)",
		"itttiit", post_id, account, network, text, (int64_t)due,
		(int64_t)due, hash);
	if (run(st, err, s, "saving a delivery") < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_taken_list(struct store *st, const char *account, time_t from,
		     struct store_taken **out, size_t *n, struct err *err)
{
	return store_taken_between(st, account, from, 0, out, n, err);
}

/* Both bounds plain, so that deliveries_account_due serves the range: an
 * open end written "(? IS NULL OR due <= ?)" left SQLite the lower bound
 * only, and `ritual add` of a post due mid-queue walked the account's every
 * later delivery (80 ms at a million queued). */
static const char sql_taken_between[] =
	"SELECT due, post_id FROM deliveries WHERE account = ? AND "
	"due >= ? AND due <= ? AND "
	"state IN ('pending','sending','unknown','published') "
	"ORDER BY due, post_id";

int store_taken_between(struct store *st, const char *account, time_t from,
			time_t to, struct store_taken **out, size_t *n,
			struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err, sql_taken_between, "tii", account,
			       (int64_t)from, to ? (int64_t)to : INT64_MAX);
	if (!s)
		return -1;
	struct store_taken *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt].due = col_time(s, 0);
		v[cnt].post_id = sqlite3_column_int64(s, 1);
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		free(v);
		done(st, s);
		return db_err(st, err, "reading the taken slots");
	}
	done(st, s);
	*out = v;
	*n = cnt;
	return 0;
}

int store_duplicate_find(struct store *st, const char *account,
			 const char *hash, time_t when, long window,
			 struct store_dup *out, int *found, struct err *err)
{
	*found = 0;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s = prep(st, err,
		"SELECT d.post_id, p.source, COALESCE(d.published_at, d.due) AS t "
		"FROM deliveries d JOIN posts p ON p.id = d.post_id "
		"WHERE d.account = ? AND d.content_hash = ? AND "
		"d.state IN ('pending','sending','unknown','published') AND "
		"ABS(COALESCE(d.published_at, d.due) - ?) < ? "
		"ORDER BY ABS(COALESCE(d.published_at, d.due) - ?3), d.post_id LIMIT 1",
		"ttii", account, hash, (int64_t)when, (int64_t)window);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->post_id = sqlite3_column_int64(s, 0);
		out->source = col_text(s, 1);
		out->when = col_time(s, 2);
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "looking for an earlier copy of a post");
	}
	done(st, s);
	return 0;
}

/* ---- reading ---- */

#define DELIVERY_COLS                                                       \
	"d.id, d.post_id, d.account, d.network, d.text, d.state, d.phase, "  \
	"d.due, d.next_attempt, d.attempts, d.claimed_at, d.commit_at, "     \
	"d.published_at, d.remote_id, d.permalink, d.error"

static void delivery_from_row(sqlite3_stmt *s, struct store_delivery *d)
{
	d->id = sqlite3_column_int64(s, 0);
	d->post_id = sqlite3_column_int64(s, 1);
	d->account = col_text(s, 2);
	d->network = col_text(s, 3);
	d->text = col_text(s, 4);
	char *state = col_text(s, 5), *phase = col_text(s, 6);
	/* The schema's CHECK constraints admit only known names. */
	if (dl_state_parse(state, &d->state) < 0)
		d->state = DL_UNKNOWN;
	if (dl_phase_parse(phase, &d->phase) < 0)
		d->phase = PHASE_COMMIT;
	free(state);
	free(phase);
	d->due = col_time(s, 7);
	d->next_attempt = col_time(s, 8);
	d->attempts = (long)sqlite3_column_int64(s, 9);
	d->claimed_at = col_time(s, 10);
	d->commit_at = col_time(s, 11);
	d->published_at = col_time(s, 12);
	d->remote_id = col_text(s, 13);
	d->permalink = col_text(s, 14);
	d->error = col_text(s, 15);
}

static void delivery_clear(struct store_delivery *d)
{
	free(d->account);
	free(d->network);
	free(d->text);
	free(d->remote_id);
	free(d->permalink);
	free(d->error);
}

void store_deliveries_free(struct store_delivery *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		delivery_clear(&v[i]);
	free(v);
}

/* Collect every row of s (DELIVERY_COLS) and finalize it. */
static int deliveries_collect(struct store *st, sqlite3_stmt *s,
			      struct store_delivery **out, size_t *n,
			      struct err *err)
{
	struct store_delivery *v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		memset(&v[count], 0, sizeof(*v));
		delivery_from_row(s, &v[count++]);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_deliveries_free(v, count);
		return db_err(st, err, "reading deliveries");
	}
	*out = v;
	*n = count;
	return 0;
}

#define POST_COLS                                                            \
	"p.id, p.kind, p.title, p.body, p.link, p.alt, p.tags, p.source, "    \
	"COALESCE(p.media_id, 0), p.due, COALESCE(p.expires, 0), p.from_slot, " \
	"p.created"

static struct store_post *post_from_row(sqlite3_stmt *s)
{
	struct store_post *p = xcalloc(1, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->kind = col_text(s, 1);
	p->title = col_text(s, 2);
	p->body = col_text(s, 3);
	p->link = col_text(s, 4);
	p->alt = col_text(s, 5);
	p->tags = col_text(s, 6);
	p->source = col_text(s, 7);
	p->media_id = sqlite3_column_int64(s, 8);
	p->due = col_time(s, 9);
	p->expires = col_time(s, 10);
	p->from_slot = sqlite3_column_int(s, 11);
	p->created = col_time(s, 12);
	return p;
}

static int post_load_deliveries(struct store *st, struct store_post *p,
				struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.post_id = ? "
		"ORDER BY d.id", "i", p->id);
	if (!s)
		return -1;
	return deliveries_collect(st, s, &p->deliveries, &p->ndeliveries, err);
}

void store_post_free(struct store_post *p)
{
	if (!p)
		return;
	free(p->kind);
	free(p->title);
	free(p->body);
	free(p->link);
	free(p->alt);
	free(p->tags);
	free(p->source);
	store_deliveries_free(p->deliveries, p->ndeliveries);
	free(p);
}

void store_posts_free(struct store_post **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_post_free(v[i]);
	free(v);
}

int store_post_get(struct store *st, int64_t id, struct store_post **out,
		   struct err *err)
{
	*out = NULL;
	sqlite3_stmt *s = prep(st, err,
		"SELECT " POST_COLS " FROM posts p WHERE p.id = ?", "i", id);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		done(st, s);
		if (rc == SQLITE_DONE)
			return err_set(err, "no post %lld; `ritual list --all` "
				       "shows every post", (long long)id);
		return db_err(st, err, "reading a post");
	}
	struct store_post *p = post_from_row(s);
	done(st, s);
	if (post_load_deliveries(st, p, err) < 0) {
		store_post_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* The readers' queries, named for store_explain. */
static const char sql_posts_due_in[] =
	"SELECT " POST_COLS " FROM posts p INDEXED BY posts_due"
	" WHERE p.due >= ? AND p.due < ? ORDER BY p.due, p.id";
/* Their deliveries, in the same order (posts_collect pairs them up). */
static const char sql_deliveries_due_in[] =
	"SELECT " DELIVERY_COLS " FROM posts p INDEXED BY posts_due"
	" JOIN deliveries d ON d.post_id = p.id"
	" WHERE p.due >= ? AND p.due < ? ORDER BY p.due, p.id, d.id";
/* Every state named, so that deliveries_state_due serves each. */
#define DELIVERING(states)                                                    \
	"SELECT " POST_COLS " FROM posts p WHERE p.id IN ("                   \
	" SELECT d.post_id FROM deliveries d WHERE d.state IN (" states ")"    \
	" AND d.due >= ? AND d.due < ?) ORDER BY p.due, p.id"
static const char sql_posts_pending_in[] = DELIVERING("'pending'");
static const char sql_posts_delivering[] = DELIVERING(
	"'pending','sending','published','failed','canceled','unknown','missed'");
#undef DELIVERING
static const char sql_next_sending[] =
	"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.state = 'sending'"
	" ORDER BY d.due, d.id LIMIT ?";
static const char sql_next_pending[] =
	"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.state = 'pending'"
	" ORDER BY d.next_attempt, d.id LIMIT ?";
#define PROBLEMS_WHERE                                                        \
	" FROM deliveries d WHERE d.state = 'unknown' OR"                     \
	" (d.state IN ('failed','missed') AND COALESCE(d.claimed_at, d.due) >= ?)"
static const char sql_problems_count[] = "SELECT count(*)" PROBLEMS_WHERE;
static const char sql_problems[] =
	"SELECT " DELIVERY_COLS PROBLEMS_WHERE " ORDER BY d.id DESC LIMIT ?";
#undef PROBLEMS_WHERE
static const char sql_account_live[] =
	"SELECT DISTINCT d.post_id FROM deliveries d WHERE d.account = ?"
	" AND d.state IN ('pending','unknown') ORDER BY d.post_id";
/* The post's own deliveries, by its id: "+state" keeps SQLite from
 * walking deliveries_state_due over every pending delivery instead (it
 * did: 287 ms at a million queued). */
static const char sql_reschedule[] =
	"UPDATE deliveries SET due = ?, next_attempt = ? WHERE post_id = ? "
	"AND +state = 'pending' AND phase = 'prepare'";
/* The default view's test of one post p: live, or over within the last
 * 7 days (?1 = now - 7 days). */
#define POST_RECENT                                                          \
	" (p.due >= ?1 OR EXISTS (SELECT 1 FROM deliveries d WHERE"           \
	"  d.post_id = p.id AND (d.state IN ('pending','sending','unknown') OR" \
	"  COALESCE(d.published_at, d.claimed_at, d.due) >= ?1)))"
static const char sql_list_page[] =
	"SELECT " POST_COLS " FROM posts p INDEXED BY posts_due"
	" WHERE (p.due, p.id) > (?2, ?3) AND p.due >= ?4"
	" AND (?5 OR" POST_RECENT ")"
	" ORDER BY p.due, p.id LIMIT ?6";

/* Step a statement that returns POST_COLS rows (at most limit of them, 0:
 * no limit; *more = 1 when another row followed) and give each post its
 * deliveries. The statement is given back either way. */
static int posts_collect(struct store *st, sqlite3_stmt *s, sqlite3_stmt *dels,
			 size_t limit, struct store_post ***out, size_t *n,
			 int *more, struct err *err)
{
	*out = NULL;
	*n = 0;
	if (more)
		*more = 0;
	if (!s) {
		done(st, dels);
		return -1;
	}
	/* One read transaction: the posts and their deliveries from one
	 * snapshot, and one lock for the thousands of lookups, not one each
	 * (a week of 10,000 posts: 100 -> 50 ms). */
	if (store_begin_read(st, err) < 0) {
		done(st, s);
		done(st, dels);
		return -1;
	}
	struct store_post **v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (limit && count == limit) {
			if (more)
				*more = 1;
			rc = SQLITE_DONE;
			break;
		}
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = post_from_row(s);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		db_err(st, err, "listing posts");
		goto fail;
	}
	int batched = dels != NULL;
	if (dels) {
		/* Their deliveries in one query, in the posts' order. */
		size_t k = 0;
		while (k < count && (rc = sqlite3_step(dels)) == SQLITE_ROW) {
			int64_t pid = sqlite3_column_int64(dels, 1);
			while (k < count && v[k]->id != pid)
				k++;
			if (k == count)
				break;
			struct store_post *p = v[k];
			p->deliveries = xrealloc(p->deliveries, (p->ndeliveries + 1) *
						 sizeof(*p->deliveries));
			memset(&p->deliveries[p->ndeliveries], 0, sizeof(*p->deliveries));
			delivery_from_row(dels, &p->deliveries[p->ndeliveries++]);
		}
		done(st, dels);
		dels = NULL;
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			db_err(st, err, "listing posts");
			goto fail;
		}
	}
	for (size_t i = 0; i < count && !batched; i++)
		if (post_load_deliveries(st, v[i], err) < 0)
			goto fail;
	store_rollback(st);   /* it wrote nothing: the read ends */
	*out = v;
	*n = count;
	return 0;
fail:
	done(st, dels);
	store_rollback(st);
	store_posts_free(v, count);
	return -1;
}

int store_posts_due_in(struct store *st, time_t from, time_t to,
		       size_t limit, struct store_post ***out, size_t *n,
		       int *more, struct err *err)
{
	return posts_collect(st,
		prep(st, err, sql_posts_due_in, "ii", (int64_t)from, (int64_t)to),
		prep(st, err, sql_deliveries_due_in, "ii", (int64_t)from, (int64_t)to),
		limit, out, n, more, err);
}

int store_posts_delivering(struct store *st, int pending_only, time_t from,
			   time_t to, struct store_post ***out, size_t *n,
			   struct err *err)
{
	return posts_collect(st, prep(st, err, pending_only
		? sql_posts_pending_in : sql_posts_delivering, "ii",
		(int64_t)from, (int64_t)to), NULL, 0, out, n, NULL, err);
}

int store_deliveries_next(struct store *st, size_t limit,
			  struct store_delivery **out, size_t *n,
			  struct err *err)
{
	*out = NULL;
	*n = 0;
	struct store_delivery *sending = NULL, *pending = NULL;
	size_t ns = 0, np = 0;
	if (deliveries_collect(st, prep(st, err,
		sql_next_sending, "i", (int64_t)limit),
		&sending, &ns, err) < 0)
		return -1;
	if (deliveries_collect(st, prep(st, err,
		sql_next_pending, "i", (int64_t)limit),
		&pending, &np, err) < 0) {
		store_deliveries_free(sending, ns);
		return -1;
	}
	/* Sending first (they are under way), then the pending in order. */
	struct store_delivery *v = xcalloc(limit ? limit : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < ns; i++)
		v[k++] = sending[i];
	for (size_t i = 0; i < np; i++) {
		if (k < limit)
			v[k++] = pending[i];
		else
			delivery_clear(&pending[i]);
	}
	free(sending);
	free(pending);
	*out = v;
	*n = k;
	return 0;
}

int store_problems(struct store *st, time_t now, size_t limit,
		   struct store_delivery **out, size_t *n, size_t *total,
		   struct err *err)
{
	*out = NULL;
	*n = 0;
	*total = 0;
	int64_t since = (int64_t)now - STORE_PROBLEM_DAYS * 86400;
	sqlite3_stmt *s = prep(st, err, sql_problems_count, "i", since);
	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		done(st, s);
		return db_err(st, err, "counting problems");
	}
	*total = (size_t)sqlite3_column_int64(s, 0);
	done(st, s);
	return deliveries_collect(st, prep(st, err, sql_problems, "ii", since,
					   (int64_t)limit), out, n, err);
}

int store_account_live(struct store *st, const char *account, int64_t **ids,
		       size_t *n, struct err *err)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		sql_account_live, "t",
		account);
	if (!s)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xrealloc(*ids, (*n + 1) * sizeof(**ids));
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return db_err(st, err, "listing an account's posts");
	}
	return 0;
}

int store_posts_page(struct store *st, int all, time_t now, int64_t after,
		     size_t limit, struct store_post ***out, size_t *n,
		     int *more, struct err *err)
{
	*out = NULL;
	*n = 0;
	*more = 0;
	time_t week = now - 7 * 86400;
	int64_t after_due = INT64_MIN, after_id = 0;
	sqlite3_stmt *s;
	if (after > 0) {
		s = prep(st, err, "SELECT due FROM posts WHERE id = ?", "i", after);
		if (!s)
			return -1;
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			after_due = sqlite3_column_int64(s, 0);
		done(st, s);
		if (rc == SQLITE_DONE)
			return err_set(err, "no post %lld (the --after of a page is "
				       "the last id of the one before)",
				       (long long)after);
		if (rc != SQLITE_ROW)
			return db_err(st, err, "listing posts");
		after_id = after;
	}
	/* Where the default view starts: a week ago, or the oldest delivery
	 * still live or over within the week (one index lookup per state on
	 * deliveries_state_due), so that years of history are not walked. */
	int64_t start = INT64_MIN;
	if (!all) {
		start = (int64_t)week;
		s = prep(st, err,
			"SELECT MIN((SELECT MIN(due) FROM deliveries WHERE state = 'pending'),"
			" (SELECT MIN(due) FROM deliveries WHERE state = 'sending'),"
			" (SELECT MIN(due) FROM deliveries WHERE state = 'unknown'))", "");
		if (!s)
			return -1;
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_type(s, 0) != SQLITE_NULL &&
		    sqlite3_column_int64(s, 0) < start)
			start = sqlite3_column_int64(s, 0);
		done(st, s);
	}
	return posts_collect(st, prep(st, err,
		sql_list_page,
		"iiiiii", (int64_t)week, after_due, after_id, start,
		(int64_t)(all != 0), (int64_t)limit + 1), NULL, limit, out, n, more,
		err);
}

int store_variant_put(struct store *st, int64_t media_id, const char *network,
		      const char *mime, long width, long height,
		      const char *notes, const void *data, size_t len,
		      struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"INSERT OR REPLACE INTO media_variants(media_id, network, mime, "
		"width, height, notes, data) VALUES (?,?,?,?,?,?,?)",
		"ittiitb", media_id, network, mime, (int64_t)width,
		(int64_t)height, notes, data, len);
	return run(st, err, s, "saving an image variant");
}

static struct store_media *variant_row(sqlite3_stmt *s)
{
	struct store_media *m = xcalloc(1, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->mime = col_text(s, 1);
	m->name = col_text(s, 2);
	m->width = (long)sqlite3_column_int64(s, 3);
	m->height = (long)sqlite3_column_int64(s, 4);
	m->len = (size_t)sqlite3_column_bytes(s, 5);
	m->data = xmalloc(m->len + 1);
	if (m->len)
		memcpy(m->data, sqlite3_column_blob(s, 5), m->len);
	m->network = col_text(s, 6);
	m->notes = col_text(s, 7);
	/* The file name follows the bytes: "IMG_0001.HEIC" is sent as
	 * "IMG_0001.jpg". */
	if (m->name && m->mime) {
		char *dot = strrchr(m->name, '.');
		if (dot)
			*dot = '\0';
		char *named = xasprintf("%s.%s", m->name,
					strcmp(m->mime, "image/gif") == 0 ? "gif"
									  : "jpg");
		free(m->name);
		m->name = named;
	}
	return m;
}

#define VARIANT_COLS "m.id, v.mime, m.name, v.width, v.height, v.data, " \
		     "v.network, v.notes"

int store_media_for(struct store *st, int64_t id, const char *network,
		    struct store_media **out, struct err *err)
{
	*out = NULL;
	sqlite3_stmt *s = prep(st, err,
		"SELECT " VARIANT_COLS " FROM media_variants v JOIN media m "
		"ON m.id = v.media_id WHERE v.media_id = ? AND v.network = ?",
		"it", id, network);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = variant_row(s);
		done(st, s);
		return 0;
	}
	done(st, s);
	if (rc != SQLITE_DONE)
		return db_err(st, err, "reading an image variant");
	return store_media_get(st, id, out, err);
}

int store_variants_list(struct store *st, int64_t id, struct store_media ***out,
			size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT " VARIANT_COLS " FROM media_variants v JOIN media m "
		"ON m.id = v.media_id WHERE v.media_id = ? ORDER BY v.network",
		"i", id);
	if (!s)
		return -1;
	struct store_media **v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = variant_row(s);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_variants_free(v, count);
		return db_err(st, err, "reading image variants");
	}
	*out = v;
	*n = count;
	return 0;
}

void store_variants_free(struct store_media **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_media_free(v[i]);
	free(v);
}

int store_media_get(struct store *st, int64_t id, struct store_media **out,
		    struct err *err)
{
	*out = NULL;
	sqlite3_stmt *s = prep(st, err,
		"SELECT id, mime, name, width, height, data FROM media "
		"WHERE id = ?", "i", id);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		done(st, s);
		if (rc == SQLITE_DONE)
			return err_set(err, "%s: image %lld is missing", st->path,
				       (long long)id);
		return db_err(st, err, "reading an image");
	}
	struct store_media *m = xcalloc(1, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->mime = col_text(s, 1);
	m->name = col_text(s, 2);
	m->width = (long)sqlite3_column_int64(s, 3);
	m->height = (long)sqlite3_column_int64(s, 4);
	m->len = (size_t)sqlite3_column_bytes(s, 5);
	m->data = xmalloc(m->len + 1);
	if (m->len)
		memcpy(m->data, sqlite3_column_blob(s, 5), m->len);
	done(st, s);
	*out = m;
	return 0;
}

void store_media_free(struct store_media *m)
{
	if (!m)
		return;
	free(m->mime);
	free(m->name);
	free(m->data);
	free(m->network);
	free(m->notes);
	free(m);
}

int store_sending_list(struct store *st, struct store_delivery **out,
		       size_t *n, struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.state = "
		"'sending' ORDER BY d.id", "");
	if (!s)
		return -1;
	return deliveries_collect(st, s, out, n, err);
}

int store_next_due(struct store *st, struct store_delivery **out,
		   struct err *err)
{
	*out = NULL;
	size_t n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.state = "
		"'pending' ORDER BY d.next_attempt, d.id LIMIT 1", "");
	if (!s)
		return -1;
	if (deliveries_collect(st, s, out, &n, err) < 0)
		return -1;
	if (n == 0) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* ---- owner actions ---- */

/* Run one UPDATE in its own transaction; *changed = rows changed. */
static int update_atomic(struct store *st, sqlite3_stmt *s, int *changed,
			 struct err *err, const char *what)
{
	if (!s)
		return -1;
	if (store_begin(st, err) < 0) {
		done(st, s);
		return -1;
	}
	if (run(st, err, s, what) < 0) {
		store_rollback(st);
		return -1;
	}
	if (changed)
		*changed = sqlite3_changes(st->db);
	return store_commit(st, err);
}

/* Why a post cannot be changed by the owner right now: -1 on error (or no
 * such post), 0 when it can, else 1 with err set: a delivery is being sent,
 * or its commit call's answer was lost and the account has not yet been
 * read back (phase commit), so changing it could lose track of a post that
 * is out. `what` is "canceled" or "rescheduled". */
static int post_busy(struct store *st, int64_t id, const char *what,
		     struct err *err)
{
	struct store_post *p;
	if (store_post_get(st, id, &p, err) < 0)
		return -1;
	int busy = 0;
	for (size_t i = 0; i < p->ndeliveries && !busy; i++) {
		const struct store_delivery *d = &p->deliveries[i];
		if (d->state == DL_SENDING) {
			err_set(err, "post %lld is being published to %s right now "
				"and cannot be %s; see `ritual show %lld` in a minute",
				(long long)id, d->account, what, (long long)id);
			busy = 1;
		} else if (d->state == DL_PENDING && d->phase == PHASE_COMMIT) {
			err_set(err, "post %lld cannot be %s: its publish call to %s "
				"may have gone out (the answer was lost) and rituald is "
				"reading %s back to find out; see `ritual show %lld`, "
				"and try again once it is published or marked unknown",
				(long long)id, what, d->account, d->network,
				(long long)id);
			busy = 1;
		}
	}
	store_post_free(p);
	return busy;
}

int store_post_cancel(struct store *st, int64_t id, int *changed,
		      struct err *err)
{
	int busy = post_busy(st, id, "canceled", err);
	if (busy != 0)
		return -1;
	return update_atomic(st, prep(st, err,
		"UPDATE deliveries SET state = 'canceled' WHERE post_id = ? AND "
		"(state = 'unknown' OR (state = 'pending' AND phase = 'prepare'))",
		"i", id),
		changed, err, "canceling a post");
}

int store_post_cancel_account(struct store *st, int64_t id,
			      const char *account, int *changed, struct err *err)
{
	int busy = post_busy(st, id, "canceled", err);
	if (busy != 0)
		return -1;
	return update_atomic(st, prep(st, err,
		"UPDATE deliveries SET state = 'canceled' WHERE post_id = ? AND "
		"account = ? AND "
		"(state = 'unknown' OR (state = 'pending' AND phase = 'prepare'))",
		"it", id, account),
		changed, err, "canceling a post");
}

int store_post_reschedule(struct store *st, int64_t id, time_t due,
			  int *changed, struct err *err)
{
	if (post_busy(st, id, "rescheduled", err) != 0)
		return -1;
	if (store_begin(st, err) < 0)
		return -1;
	sqlite3_stmt *s = prep(st, err, sql_reschedule, "iii", (int64_t)due,
			       (int64_t)due, id);
	if (run(st, err, s, "rescheduling a post") < 0)
		goto fail;
	int n = sqlite3_changes(st->db);
	if (changed)
		*changed = n;
	if (n == 0) {
		store_rollback(st);
		return 0;
	}
	s = prep(st, err,
		"UPDATE posts SET due = ?, from_slot = 0 WHERE id = ?", "ii",
		(int64_t)due, id);
	if (run(st, err, s, "rescheduling a post") < 0)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

int store_post_retry(struct store *st, int64_t id, time_t now, int *changed,
		     struct err *err)
{
	struct store_post *p;
	if (store_post_get(st, id, &p, err) < 0)
		return -1;
	store_post_free(p);
	if (store_begin(st, err) < 0)
		return -1;
	sqlite3_stmt *s = prep(st, err,
		"DELETE FROM progress WHERE delivery_id IN (SELECT id FROM "
		"deliveries WHERE post_id = ? AND state IN ('failed','missed'))",
		"i", id);
	if (run(st, err, s, "retrying a post") < 0)
		goto fail;
	/* An unknown delivery keeps its progress (the first commit mark, the
	 * platform's clock, a container id) and its commit mark: rituald
	 * reads the account back once more before it sends anything, so a
	 * retry of a post that did go out settles on it instead of posting it
	 * twice. Only the read-back counters start again. */
	s = prep(st, err,
		"DELETE FROM progress WHERE key IN ('reconcile_tries',"
		"'reconcile_absent') AND delivery_id IN (SELECT id FROM "
		"deliveries WHERE post_id = ? AND state = 'unknown')", "i", id);
	if (run(st, err, s, "retrying a post") < 0)
		goto fail;
	s = prep(st, err,
		"UPDATE deliveries SET state = 'pending', attempts = 0, "
		"next_attempt = ?, due = MAX(due, ?) "
		"WHERE post_id = ? AND state = 'unknown'",
		"iii", (int64_t)now, (int64_t)now, id);
	if (run(st, err, s, "retrying a post") < 0)
		goto fail;
	int n = sqlite3_changes(st->db);
	s = prep(st, err,
		"UPDATE deliveries SET state = 'pending', phase = 'prepare', "
		"attempts = 0, next_attempt = ?, due = MAX(due, ?) "
		"WHERE post_id = ? AND state IN ('failed','missed')",
		"iii", (int64_t)now, (int64_t)now, id);
	if (run(st, err, s, "retrying a post") < 0)
		goto fail;
	n += sqlite3_changes(st->db);
	if (changed)
		*changed = n;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

/* ---- the daemon ---- */

/*
 * The queue's two hot queries, written so that their cost grows with the
 * number of accounts that have pending deliveries, not with the number of
 * deliveries (issue 11): a skip-scan over the partial index
 * deliveries_pending_account (account, next_attempt) WHERE state =
 * 'pending' lists those accounts (one index SEARCH each), and per account
 * the earliest pending delivery, the one in flight (partial index on
 * state = 'sending') and the last publication (partial index on
 * state = 'published') are one index SEARCH each. The state literals must
 * stay literals: SQLite uses a partial index only when the query's WHERE
 * names the same term. ?1 is now, ?2 min_gap. store_explain() shows the
 * plans (the unit test asserts them).
 */
#define PENDING_ACCOUNTS                                                      \
	"WITH RECURSIVE acc(name) AS ("                                       \
	" SELECT (SELECT MIN(account) FROM deliveries INDEXED BY"             \
	"  deliveries_pending_account WHERE state = 'pending')"               \
	" UNION ALL"                                                          \
	" SELECT (SELECT MIN(account) FROM deliveries INDEXED BY"             \
	"  deliveries_pending_account WHERE state = 'pending'"                \
	"  AND account > acc.name) FROM acc WHERE acc.name IS NOT NULL)"

/* The ?3 most overdue claimable deliveries, one per account: per account
 * its earliest pending delivery, if the account is neither paused nor
 * held, has nothing in flight and published nothing within min_gap. */
static const char sql_claim[] =
	PENDING_ACCOUNTS ","
	" cand(id, next_attempt) AS ("
	"  SELECT (SELECT d.id FROM deliveries d INDEXED BY"
	"    deliveries_pending_account WHERE d.state = 'pending'"
	"    AND d.account = acc.name ORDER BY d.next_attempt, d.id LIMIT 1),"
	"   (SELECT MIN(d.next_attempt) FROM deliveries d INDEXED BY"
	"    deliveries_pending_account WHERE"
	"    d.state = 'pending' AND d.account = acc.name)"
	"  FROM acc WHERE acc.name IS NOT NULL"
	"  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.name = acc.name"
	"   AND (a.paused OR a.hold_until > ?1))"
	"  AND NOT EXISTS (SELECT 1 FROM deliveries e INDEXED BY"
	"   deliveries_sending_account WHERE e.state = 'sending'"
	"   AND e.account = acc.name)"
	"  AND NOT EXISTS (SELECT 1 FROM deliveries e INDEXED BY"
	"   deliveries_published_account WHERE e.state = 'published' AND e.account = acc.name"
	"   AND e.published_at > ?1 - ?2))"
	" SELECT id FROM cand WHERE next_attempt <= ?1"
	" ORDER BY next_attempt, id LIMIT ?3";

/* When the next claim could succeed: per account that is not paused and
 * has nothing in flight (the end of that delivery is rituald's next turn),
 * the latest of its earliest next attempt, its hold and its last
 * publication plus min_gap; the earliest of those. */
static const char sql_next_wake[] =
	PENDING_ACCOUNTS
	" SELECT MIN(MAX("
	"  (SELECT MIN(d.next_attempt) FROM deliveries d INDEXED BY"
	"   deliveries_pending_account WHERE"
	"   d.state = 'pending' AND d.account = acc.name),"
	"  COALESCE((SELECT a.hold_until FROM accounts a WHERE"
	"   a.name = acc.name), 0),"
	"  COALESCE((SELECT MAX(e.published_at) FROM deliveries e INDEXED BY"
	"   deliveries_published_account WHERE"
	"   e.state = 'published' AND e.account = acc.name) + ?2, 0)))"
	" FROM acc WHERE acc.name IS NOT NULL"
	" AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.name = acc.name"
	"  AND a.paused)"
	" AND NOT EXISTS (SELECT 1 FROM deliveries e INDEXED BY"
	"  deliveries_sending_account WHERE e.state = 'sending'"
	"  AND e.account = acc.name)";

int store_explain(struct store *st, const char *which, char **plan,
		  struct err *err)
{
	*plan = NULL;
	static const struct {
		const char *name, *sql;
	} named[] = {
		{"claim", sql_claim},
		{"next_wake", sql_next_wake},
		{"posts_due_in", sql_posts_due_in},
		{"deliveries_due_in", sql_deliveries_due_in},
		{"posts_pending_in", sql_posts_pending_in},
		{"posts_delivering", sql_posts_delivering},
		{"next_sending", sql_next_sending},
		{"next_pending", sql_next_pending},
		{"problems_count", sql_problems_count},
		{"problems", sql_problems},
		{"account_live", sql_account_live},
		{"list_page", sql_list_page},
		{"reschedule", sql_reschedule},
		{"taken_between", sql_taken_between},
	};
	const char *sql = NULL;
	for (size_t i = 0; i < RT_ARRAY_LEN(named); i++)
		if (strcmp(which, named[i].name) == 0)
			sql = named[i].sql;
	if (!sql)
		return err_set(err, "no query named %s", which);
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *s = prep(st, err, q, "");
	free(q);
	if (!s)
		return -1;
	for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++)
		sqlite3_bind_int64(s, i, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		done(st, s);
		return err_set(err, "explaining a query: out of memory");
	}
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 3);
		fprintf(f, "%d %d %s\n", sqlite3_column_int(s, 0),
			sqlite3_column_int(s, 1), t ? (const char *)t : "");
	}
	done(st, s);
	fclose(f);
	if (rc != SQLITE_DONE) {
		free(buf);
		return db_err(st, err, "explaining a query");
	}
	*plan = buf;
	return 0;
}

/* *slot prepared once (SQLITE_PREPARE_PERSISTENT), reset, with now and
 * min_gap bound as ?1 and ?2. Reset it (sqlite3_reset), never finalize:
 * store_close does. */
static sqlite3_stmt *prep_hot(struct store *st, struct err *err,
			      sqlite3_stmt **slot, const char *sql, time_t now,
			      long min_gap)
{
	if (!*slot && sqlite3_prepare_v3(st->db, sql, -1,
					 SQLITE_PREPARE_PERSISTENT, slot,
					 NULL) != SQLITE_OK) {
		db_err(st, err, "preparing a statement");
		sqlite3_finalize(*slot);
		*slot = NULL;
		return NULL;
	}
	sqlite3_reset(*slot);
	if (sqlite3_bind_int64(*slot, 1, (sqlite3_int64)now) != SQLITE_OK ||
	    sqlite3_bind_int64(*slot, 2, (sqlite3_int64)min_gap) != SQLITE_OK) {
		db_err(st, err, "preparing a statement");
		return NULL;
	}
	return *slot;
}

static int claim_many_tx(struct store *st, time_t now, long min_gap,
			 size_t max, struct store_delivery **out, size_t *n,
			 struct err *err)
{
	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if (store_begin(st, err) < 0)
		return -1;
	int64_t *ids = NULL;
	size_t nids = 0;
	struct store_delivery *v = NULL;
	sqlite3_stmt *up = NULL, *sel = NULL;
	sqlite3_stmt *s = prep_hot(st, err, &st->claim_stmt, sql_claim, now,
				   min_gap);
	if (!s)
		goto fail;
	if (sqlite3_bind_int64(s, 3, (sqlite3_int64)max) != SQLITE_OK) {
		db_err(st, err, "claiming a delivery");
		goto fail;
	}
	st->interruptible = 1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ids = xrealloc(ids, (nids + 1) * sizeof(*ids));
		ids[nids++] = sqlite3_column_int64(s, 0);
	}
	st->interruptible = 0;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_err(st, err, "claiming a delivery");
		goto fail;
	}
	if (nids == 0) {
		store_rollback(st);
		return 0;
	}
	/* Each statement parsed once for the whole batch. */
	up = prep(st, err,
		"UPDATE deliveries SET state = 'sending', "
		"attempts = attempts + (phase = 'prepare'), claimed_at = ? "
		"WHERE id = ?", "ii", (int64_t)now, ids[0]);
	sel = prep(st, err,
		"SELECT " DELIVERY_COLS " FROM deliveries d WHERE d.id = ?", "i",
		ids[0]);
	if (!up || !sel)
		goto fail;
	v = xcalloc(nids, sizeof(*v));
	for (size_t i = 0; i < nids; i++) {
		sqlite3_reset(up);
		sqlite3_reset(sel);
		if (sqlite3_bind_int64(up, 2, ids[i]) != SQLITE_OK ||
		    sqlite3_step(up) != SQLITE_DONE ||
		    sqlite3_bind_int64(sel, 1, ids[i]) != SQLITE_OK ||
		    sqlite3_step(sel) != SQLITE_ROW) {
			db_err(st, err, "claiming a delivery");
			goto fail;
		}
		delivery_from_row(sel, &v[*n]);
		(*n)++;
	}
	done(st, up);
	done(st, sel);
	up = sel = NULL;
	free(ids);
	ids = NULL;
	if (store_commit(st, err) < 0) {
		store_deliveries_free(v, *n);
		*n = 0;
		return -1;
	}
	*out = v;
	return 0;
fail:
	st->interruptible = 0;
	done(st, up);
	done(st, sel);
	free(ids);
	store_deliveries_free(v, *n);
	*n = 0;
	store_rollback(st);
	return -1;
}

/* The claim commits without waiting for the disk (synchronous=NORMAL for
 * its transaction; SQLite takes the level only outside a transaction): a
 * crash of the process keeps it, a power cut may take it. No call that
 * can publish leaves before its commit mark is synced, and that fsync
 * covers the claim too (the WAL is one file, written in order). The calls
 * made before the mark publish nothing (an image upload, a container, a
 * read-back), so a claim lost to a power cut leaves the delivery pending,
 * as if never claimed, and those calls are made again. One fsync fewer
 * between the due instant and the request. */
int store_claim_many(struct store *st, time_t now, long min_gap, size_t max,
		     struct store_delivery **out, size_t *n, struct err *err)
{
	int lower = st->depth == 0 && sqlite3_get_autocommit(st->db);
	if (lower && run(st, err, prep(st, err, "PRAGMA synchronous=NORMAL", ""),
			 "claiming a delivery") < 0) {
		*out = NULL;
		*n = 0;
		return -1;
	}
	int rc = claim_many_tx(st, now, min_gap, max, out, n, err);
	struct err e2;
	if (lower && run(st, &e2, prep(st, &e2, "PRAGMA synchronous=FULL", ""),
			 "claiming a delivery") < 0) {
		/* Never left at NORMAL: the caller sees a failure. */
		store_deliveries_free(*out, *n);
		*out = NULL;
		*n = 0;
		*err = e2;
		rc = -1;
	}
	return rc;
}

int store_claim(struct store *st, time_t now, long min_gap,
		struct store_delivery **out, struct err *err)
{
	size_t n = 0;
	return store_claim_many(st, now, min_gap, 1, out, &n, err);
}

int store_next_wake(struct store *st, time_t now, long min_gap, time_t *when,
		    int *any, struct err *err)
{
	*any = 0;
	sqlite3_stmt *s = prep_hot(st, err, &st->wake_stmt, sql_next_wake, now,
				   min_gap);
	if (!s)
		return -1;
	st->interruptible = 1;
	int rc = sqlite3_step(s);
	st->interruptible = 0;
	if (rc != SQLITE_ROW) {
		db_err(st, err, "finding the next due post");
		sqlite3_reset(s);
		return -1;
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*any = 1;
		*when = col_time(s, 0);
	}
	sqlite3_reset(s);
	return 0;
}

static int update_one(struct store *st, struct err *err, sqlite3_stmt *s,
		      const char *what)
{
	if (run(st, err, s, what) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return err_set(err, "%s: %s: the delivery is not in the expected "
			       "state", st->path, what);
	return 0;
}

int store_mark_commit(struct store *st, int64_t id, time_t now,
		      const long *clock, struct err *err)
{
	/* One transaction, one fsync (synchronous=FULL): the mark and, at the
	 * delivery's first mark, where its read-back window starts. */
	if (store_begin(st, err) < 0)
		return -1;
	if (update_one(st, err, prep(st, err,
		"UPDATE deliveries SET phase = 'commit', commit_at = ? WHERE id = ? "
		"AND state = 'sending'", "ii", (int64_t)now, id),
		"recording the publish attempt") < 0)
		goto fail;
	if (clock && run(st, err, prep(st, err,
		"INSERT INTO progress(delivery_id, key, value) SELECT ?, "
		"'commit_clock', ? WHERE NOT EXISTS (SELECT 1 FROM progress WHERE "
		"delivery_id = ? AND key = 'first_commit_at')", "iii", id,
		(int64_t)*clock, id), "recording the publish attempt") < 0)
		goto fail;
	if (run(st, err, prep(st, err,
		"INSERT OR IGNORE INTO progress(delivery_id, key, value) "
		"VALUES (?, 'first_commit_at', ?)", "ii", id, (int64_t)now),
		"recording the publish attempt") < 0)
		goto fail;
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
}

int store_finish_published(struct store *st, int64_t id, const char *remote_id,
			   const char *permalink, time_t now, struct err *err)
{
	return update_one(st, err, prep(st, err,
		"UPDATE deliveries SET state = 'published', remote_id = ?, "
		"permalink = ?, published_at = ?, error = NULL WHERE id = ? AND "
		"state IN ('sending','unknown')", "ttii", remote_id, permalink,
		(int64_t)now, id), "recording a published post");
}

int store_finish_retry(struct store *st, int64_t id, time_t next_attempt,
		       const char *error, int count, struct err *err)
{
	return update_one(st, err, prep(st, err,
		"UPDATE deliveries SET state = 'pending', phase = 'prepare', "
		"next_attempt = ?, error = ?, attempts = attempts - ? WHERE id = ? "
		"AND state = 'sending'", "itii", (int64_t)next_attempt, error,
		(int64_t)(count ? 0 : 1), id), "recording a retry");
}

int store_finish_reconcile_later(struct store *st, int64_t id,
				 time_t next_attempt, const char *error,
				 struct err *err)
{
	return update_one(st, err, prep(st, err,
		"UPDATE deliveries SET state = 'pending', next_attempt = ?, "
		"error = ? WHERE id = ? AND state = 'sending' AND phase = 'commit'",
		"iti", (int64_t)next_attempt, error, id),
		"recording a reconciliation");
}

int store_finish_final(struct store *st, int64_t id, enum dl_state state,
		       const char *error, struct err *err)
{
	return update_one(st, err, prep(st, err,
		"UPDATE deliveries SET state = ?, error = ? WHERE id = ? AND "
		"state IN ('sending','pending')", "tti", dl_state_name(state),
		error, id),
		"recording a delivery's outcome");
}

int store_set_permalink(struct store *st, int64_t id, const char *permalink,
			struct err *err)
{
	return run(st, err, prep(st, err,
		"UPDATE deliveries SET permalink = ? WHERE id = ?", "ti",
		permalink, id), "saving a permalink");
}

int store_progress_set(struct store *st, int64_t id, const char *key,
		       const char *value, struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO progress(delivery_id, key, value) VALUES (?,?,?) "
		"ON CONFLICT(delivery_id, key) DO UPDATE SET value = excluded.value",
		"itt", id, key, value), "saving progress");
}

int store_progress_get(struct store *st, int64_t id, const char *key,
		       char **value, struct err *err)
{
	*value = NULL;
	sqlite3_stmt *s = prep(st, err,
		"SELECT value FROM progress WHERE delivery_id = ? AND key = ?",
		"it", id, key);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = col_text(s, 0);
	done(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(st, err, "reading progress");
	return 0;
}

int store_progress_clear(struct store *st, int64_t id, struct err *err)
{
	return run(st, err, prep(st, err,
		"DELETE FROM progress WHERE delivery_id = ?", "i", id),
		"clearing progress");
}

int store_progress_delete(struct store *st, int64_t id, const char *key,
			  struct err *err)
{
	return run(st, err, prep(st, err,
		"DELETE FROM progress WHERE delivery_id = ? AND key = ?", "it",
		id, key), "clearing progress");
}

int store_hosted_due(struct store *st, time_t now, long retention,
		     struct store_hosted **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT p.delivery_id, p.value FROM progress p JOIN deliveries d "
		"ON d.id = p.delivery_id WHERE p.key = 'hosted_name' AND "
		"p.value != '' AND d.state IN ('published','failed','missed',"
		"'canceled') AND COALESCE(d.published_at, d.claimed_at, d.due) + ? "
		"<= ? ORDER BY p.delivery_id", "ii", (int64_t)retention,
		(int64_t)now);
	if (!s)
		return -1;
	struct store_hosted *v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count].delivery_id = sqlite3_column_int64(s, 0);
		v[count].name = col_text(s, 1);
		count++;
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_hosted_free(v, count);
		return db_err(st, err, "reading hosted files");
	}
	*out = v;
	*n = count;
	return 0;
}

void store_hosted_free(struct store_hosted *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int store_account_pause(struct store *st, const char *name, const char *reason,
			const char *token_stamp, time_t now, struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO accounts(name, paused, reason, paused_at, token_stamp) "
		"VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
		"paused = 1, reason = ?2, paused_at = ?3, token_stamp = ?4",
		"ttit", name, reason, (int64_t)now, token_stamp),
		"pausing an account");
}

int store_account_resume(struct store *st, const char *name, struct err *err)
{
	return run(st, err, prep(st, err,
		"UPDATE accounts SET paused = 0, reason = NULL, paused_at = NULL, "
		"token_stamp = NULL, hold_until = 0 WHERE name = ?", "t", name),
		"resuming an account");
}

int store_account_hold(struct store *st, const char *name, time_t until,
		       const char *reason, struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO accounts(name, hold_until, reason) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(name) DO UPDATE SET hold_until = ?2, "
		"reason = CASE WHEN paused THEN reason ELSE ?3 END",
		"tit", name, (int64_t)until, reason), "holding an account");
}

int store_accounts_list(struct store *st, struct store_account **out,
			size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT name, paused, reason, COALESCE(paused_at, 0), token_stamp, "
		"hold_until FROM accounts ORDER BY name", "");
	if (!s)
		return -1;
	struct store_account *v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		struct store_account *a = &v[count++];
		a->name = col_text(s, 0);
		a->paused = sqlite3_column_int(s, 1);
		a->reason = col_text(s, 2);
		a->paused_at = col_time(s, 3);
		a->token_stamp = col_text(s, 4);
		a->hold_until = col_time(s, 5);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_accounts_free(v, count);
		return db_err(st, err, "reading accounts");
	}
	*out = v;
	*n = count;
	return 0;
}

void store_accounts_free(struct store_account *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].reason);
		free(v[i].token_stamp);
	}
	free(v);
}

int store_event_add(struct store *st, int64_t delivery_id, const char *level,
		    const char *message, time_t now, struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO events(at, delivery_id, level, message) VALUES (?,?,?,?)",
		"iitt", (int64_t)now, delivery_id, level, message),
		"saving an event");
}

int store_events_list(struct store *st, int64_t delivery_id,
		      struct store_event **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT at, level, message FROM events WHERE delivery_id = ? "
		"ORDER BY id", "i", delivery_id);
	if (!s)
		return -1;
	struct store_event *v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		v[count].at = col_time(s, 0);
		v[count].level = col_text(s, 1);
		v[count].message = col_text(s, 2);
		count++;
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_events_free(v, count);
		return db_err(st, err, "reading events");
	}
	*out = v;
	*n = count;
	return 0;
}

void store_events_free(struct store_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].level);
		free(v[i].message);
	}
	free(v);
}

int store_pending_due_count(struct store *st, time_t from, time_t to,
			    long *n, struct err *err)
{
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT COUNT(*) FROM deliveries WHERE state = 'pending'"
		" AND due >= ?1 AND due <= ?2", "ii", (int64_t)from, (int64_t)to);
	if (!s)
		return -1;
	st->interruptible = 1;
	int rc = sqlite3_step(s);
	st->interruptible = 0;
	if (rc != SQLITE_ROW) {
		done(st, s);
		return db_err(st, err, "counting the posts due");
	}
	*n = (long)sqlite3_column_int64(s, 0);
	done(st, s);
	return 0;
}

/* ---- rituald's heartbeat ---- */

int store_daemon_beat(struct store *st, const struct store_daemon *b,
		      struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"INSERT INTO daemon(id, pid, version, started, beat, state, "
		"next_wake, status) VALUES (1,?,?,?,?,?,?,?) "
		"ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, "
		"version = excluded.version, started = excluded.started, "
		"beat = excluded.beat, state = excluded.state, "
		"next_wake = excluded.next_wake, status = excluded.status",
		"itiitTt", (int64_t)b->pid, b->version, (int64_t)b->started,
		(int64_t)b->beat, b->running ? "running" : "stopped",
		b->next_wake, b->status);
	return run(st, err, s, "writing rituald's heartbeat");
}

int store_daemon_get(struct store *st, struct store_daemon **out,
		     struct err *err)
{
	*out = NULL;
	sqlite3_stmt *s = prep(st, err,
		"SELECT pid, version, started, beat, state, next_wake, status "
		"FROM daemon WHERE id = 1", "");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct store_daemon *b = xcalloc(1, sizeof(*b));
		b->pid = (pid_t)sqlite3_column_int64(s, 0);
		b->version = col_text(s, 1);
		b->started = col_time(s, 2);
		b->beat = col_time(s, 3);
		const unsigned char *state = sqlite3_column_text(s, 4);
		b->running = state && strcmp((const char *)state, "running") == 0;
		b->next_wake = col_time(s, 5);
		b->status = col_text(s, 6);
		*out = b;
	} else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "reading rituald's heartbeat");
	}
	done(st, s);
	return 0;
}

void store_daemon_free(struct store_daemon *b)
{
	if (!b)
		return;
	free(b->version);
	free(b->status);
	free(b);
}

/* ---- notices (issue 10) ---- */

static void notice_from_row(sqlite3_stmt *s, struct store_notice *n)
{
	n->id = sqlite3_column_int64(s, 0);
	n->at = col_time(s, 1);
	n->kind = col_text(s, 2);
	n->account = col_text(s, 3);
	n->network = col_text(s, 4);
	n->post_id = sqlite3_column_int64(s, 5);
	n->post_title = col_text(s, 6);
	n->post_file = col_text(s, 7);
	n->message = col_text(s, 8);
	n->fix = col_text(s, 9);
	n->state = col_text(s, 10);
	n->count = (long)sqlite3_column_int64(s, 11);
	n->last_at = col_time(s, 12);
	n->told_at = col_time(s, 13);
	n->resolved_at = col_time(s, 14);
}

#define NOTICE_COLS "id, at, kind, account, network, post_id, post_title, " \
	"post_file, message, fix, state, count, last_at, COALESCE(told_at, 0), " \
	"COALESCE(resolved_at, 0)"

void store_notice_clear(struct store_notice *n)
{
	if (!n)
		return;
	free(n->kind);
	free(n->account);
	free(n->network);
	free(n->post_title);
	free(n->post_file);
	free(n->message);
	free(n->fix);
	free(n->state);
	memset(n, 0, sizeof(*n));
}

void store_notices_free(struct store_notice *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_notice_clear(&v[i]);
	free(v);
}

int store_notice_open(struct store *st, const char *kind, const char *account,
		      struct store_notice *out, int *found, struct err *err)
{
	*found = 0;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s = prep(st, err,
		"SELECT " NOTICE_COLS " FROM notices WHERE state = 'open' AND "
		"kind = ?1 AND account IS ?2 ORDER BY id DESC LIMIT 1",
		"tt", kind, account);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		notice_from_row(s, out);
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "reading the open notices");
	}
	done(st, s);
	return 0;
}

int store_notice_add(struct store *st, const struct store_notice *n,
		     int64_t *id, struct err *err)
{
	sqlite3_stmt *s = prep(st, err,
		"INSERT INTO notices(at, kind, account, network, post_id, "
		"post_title, post_file, message, fix, state, count, last_at, "
		"told_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		"itttitttttiiTT", (int64_t)n->at, n->kind, n->account, n->network,
		n->post_id, n->post_title, n->post_file, n->message, n->fix,
		n->state, (int64_t)(n->count > 0 ? n->count : 1),
		(int64_t)(n->last_at ? n->last_at : n->at), n->told_at,
		n->resolved_at);
	if (run(st, err, s, "saving a notice") < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_notice_repeat(struct store *st, int64_t id, time_t now, int told,
			const char *message, const char *fix, struct err *err)
{
	return run(st, err, prep(st, err,
		"UPDATE notices SET count = count + 1, last_at = ?2, "
		"told_at = CASE WHEN ?3 THEN ?2 ELSE told_at END, "
		"message = COALESCE(?4, message), fix = COALESCE(?5, fix) "
		"WHERE id = ?1",
		"iiitt", id, (int64_t)now, (int64_t)(told != 0), message, fix),
		"counting a notice");
}

int store_notice_resolve(struct store *st, int64_t id, time_t now,
			 struct err *err)
{
	return run(st, err, prep(st, err,
		"UPDATE notices SET state = 'resolved', resolved_at = ?2 "
		"WHERE id = ?1", "ii", id, (int64_t)now),
		"resolving a notice");
}

int store_notices_recorded(struct store *st, int *recorded, struct err *err)
{
	*recorded = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
		"name = 'notices'", "");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*recorded = sqlite3_column_int(s, 0) > 0;
	done(st, s);
	if (rc != SQLITE_ROW)
		return db_err(st, err, "reading the schema");
	return 0;
}

int store_notices_list(struct store *st, time_t since,
		       struct store_notice **out, size_t *n, struct err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT " NOTICE_COLS " FROM notices WHERE last_at >= ?1 OR "
		"COALESCE(resolved_at, 0) >= ?1 OR state = 'open' ORDER BY at, id",
		"i", (int64_t)since);
	if (!s)
		return -1;
	struct store_notice *v = NULL;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (count + 1) * sizeof(*v));
		notice_from_row(s, &v[count++]);
	}
	done(st, s);
	if (rc != SQLITE_DONE) {
		store_notices_free(v, count);
		return db_err(st, err, "reading the notices");
	}
	*out = v;
	*n = count;
	return 0;
}

int store_outbox_add(struct store *st, int64_t notice_id, const char *event,
		     const char *subject, const char *body, const char *json,
		     time_t now, struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO notice_outbox(notice_id, created, event, subject, "
		"body, json, next_try) VALUES (NULLIF(?1, 0),?2,?3,?4,?5,?6,?7)",
		"iitttti", notice_id, (int64_t)now, event, subject,
		body, json, (int64_t)now), "queueing a notice");
}

int store_outbox_next(struct store *st, time_t now, struct store_outbox *out,
		      int *found, time_t *next, struct err *err)
{
	*found = 0;
	*next = 0;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *s = prep(st, err,
		"SELECT id, event, subject, body, json, attempts, next_try, "
		"mail_sent_at IS NOT NULL, command_run_at IS NOT NULL "
		"FROM notice_outbox WHERE sent_at IS NULL AND next_try IS NOT NULL "
		"ORDER BY next_try, id LIMIT 1", "");
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		time_t due = col_time(s, 6);
		if (due <= now) {
			out->id = sqlite3_column_int64(s, 0);
			out->event = col_text(s, 1);
			out->subject = col_text(s, 2);
			out->body = col_text(s, 3);
			out->json = col_text(s, 4);
			out->attempts = (long)sqlite3_column_int64(s, 5);
			out->mail_sent = sqlite3_column_int(s, 7);
			out->command_run = sqlite3_column_int(s, 8);
			*found = 1;
		} else {
			*next = due;
		}
	} else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "reading the notices to send");
	}
	done(st, s);
	return 0;
}

void store_outbox_clear(struct store_outbox *o)
{
	if (!o)
		return;
	free(o->event);
	free(o->subject);
	free(o->body);
	free(o->json);
	memset(o, 0, sizeof(*o));
}

int store_outbox_done(struct store *st, int64_t id, time_t now,
		      int mail_sent, int command_run, const char *error,
		      time_t next_try, struct err *err)
{
	if (!error)
		return run(st, err, prep(st, err,
			"UPDATE notice_outbox SET sent_at = ?2, attempts = attempts + 1, "
			"next_try = NULL, last_error = NULL, "
			"mail_sent_at = CASE WHEN ?3 THEN COALESCE(mail_sent_at, ?2) "
			"ELSE mail_sent_at END, "
			"command_run_at = CASE WHEN ?4 THEN COALESCE(command_run_at, ?2) "
			"ELSE command_run_at END WHERE id = ?1",
			"iiii", id, (int64_t)now, (int64_t)(mail_sent != 0),
			(int64_t)(command_run != 0)), "recording a notice sent");
	return run(st, err, prep(st, err,
		"UPDATE notice_outbox SET attempts = attempts + 1, next_try = ?2, "
		"last_error = ?3, "
		"mail_sent_at = CASE WHEN ?5 THEN COALESCE(mail_sent_at, ?4) "
		"ELSE mail_sent_at END, "
		"command_run_at = CASE WHEN ?6 THEN COALESCE(command_run_at, ?4) "
		"ELSE command_run_at END WHERE id = ?1",
		"iTtiii", id, next_try, error, (int64_t)now,
		(int64_t)(mail_sent != 0), (int64_t)(command_run != 0)),
		"recording a notice not sent");
}

int store_account_horizon(struct store *st, const char *account, time_t *due,
			  struct err *err)
{
	*due = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT MAX(due) FROM deliveries WHERE account = ? AND "
		"state IN ('pending','sending')", "t", account);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*due = col_time(s, 0);
	done(st, s);
	if (rc != SQLITE_ROW)
		return db_err(st, err, "reading the queue's horizon");
	return 0;
}

/* ---- marks (what rituald told) ---- */

int store_mark_get(struct store *st, const char *name, time_t *at,
		   long *value, int *found, struct err *err)
{
	*found = 0;
	*at = 0;
	*value = 0;
	sqlite3_stmt *s = prep(st, err,
		"SELECT at, value FROM marks WHERE name = ?", "t", name);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*at = (time_t)sqlite3_column_int64(s, 0);
		*value = (long)sqlite3_column_int64(s, 1);
		*found = 1;
	} else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "reading a mark");
	}
	done(st, s);
	return 0;
}

int store_mark_set(struct store *st, const char *name, time_t at, long value,
		   struct err *err)
{
	return run(st, err, prep(st, err,
		"INSERT INTO marks(name, at, value) VALUES (?1, ?2, ?3) "
		"ON CONFLICT(name) DO UPDATE SET at = ?2, value = ?3",
		"tii", name, (int64_t)at, (int64_t)value), "writing a mark");
}

int store_mark_delete(struct store *st, const char *name, struct err *err)
{
	return run(st, err, prep(st, err, "DELETE FROM marks WHERE name = ?",
				 "t", name), "removing a mark");
}

int store_media_name(struct store *st, int64_t id, char **name,
		     struct err *err)
{
	*name = NULL;
	sqlite3_stmt *s = prep(st, err, "SELECT name FROM media WHERE id = ?",
			       "i", id);
	if (!s)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*name = col_text(s, 0);
	else if (rc != SQLITE_DONE) {
		done(st, s);
		return db_err(st, err, "reading an image's name");
	}
	done(st, s);
	return 0;
}

/* ---- old images ---- */

int store_media_prune(struct store *st, time_t before, time_t now,
		      long *n, struct err *err)
{
	*n = 0;
	/* Only images whose every post is over for good: each delivery
	 * published or canceled, the last publication before `before`. A
	 * failed, missed or unknown delivery may still be retried, and a
	 * retry needs the image. */
	sqlite3_stmt *s = prep(st, err,
		"UPDATE media SET data = X'', pruned = ? "
		"WHERE pruned IS NULL AND length(data) > 0 "
		"AND EXISTS (SELECT 1 FROM posts p WHERE p.media_id = media.id) "
		"AND NOT EXISTS (SELECT 1 FROM posts p JOIN deliveries d "
		"  ON d.post_id = p.id WHERE p.media_id = media.id "
		"  AND (d.state NOT IN ('published','canceled') "
		"   OR (d.state = 'published' AND "
		"       coalesce(d.published_at, p.due) >= ?))) "
		"AND EXISTS (SELECT 1 FROM posts p JOIN deliveries d "
		"  ON d.post_id = p.id WHERE p.media_id = media.id "
		"  AND d.state = 'published')",
		"ii", (int64_t)now, (int64_t)before);
	if (run(st, err, s, "dropping old images") < 0)
		return -1;
	*n = (long)sqlite3_changes(st->db);
	return 0;
}

/* ---- backup ---- */

int store_backup(struct store *st, const char *dest, struct err *err)
{
	char *tmp = xasprintf("%s.tmp-%ld", dest, (long)getpid());
	sqlite3 *out = NULL;
	int rc = -1;

	if (access(dest, F_OK) == 0) {
		err_set(err, "%s already exists; choose a new file name (a backup "
			"never overwrites a file)", dest);
		goto done;
	}
	if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(err, "%s: cannot create the backup: %s", dest,
			out ? sqlite3_errmsg(out) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(out, 5000);
	sqlite3_backup *b = sqlite3_backup_init(out, "main", st->db, "main");
	if (!b) {
		err_set(err, "%s: cannot start the backup: %s", dest,
			sqlite3_errmsg(out));
		goto done;
	}
	/* All pages in one step: one read transaction on the source, so the
	 * copy is one consistent state even while rituald writes. */
	int r;
	for (int tries = 0; tries < 50; tries++) {
		r = sqlite3_backup_step(b, -1);
		if (r != SQLITE_BUSY && r != SQLITE_LOCKED)
			break;
		sqlite3_sleep(100);
	}
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		err_set(err, "%s: the backup failed: %s (sqlite %d)", dest,
			sqlite3_errstr(r), r);
		goto done;
	}
	/* A single file that needs nothing beside it: leave WAL mode. */
	if (sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		err_set(err, "%s: cannot finish the backup: %s", dest,
			sqlite3_errmsg(out));
		goto done;
	}
	if (sqlite3_close(out) != SQLITE_OK) {
		err_set(err, "%s: cannot finish the backup", dest);
		out = NULL;
		goto done;
	}
	out = NULL;
	/* link(2) refuses an existing name: no race with a file created
	 * since the check above. */
	if (link(tmp, dest) < 0) {
		err_set(err, "%s: %s", dest, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (out)
		sqlite3_close(out);
	unlink(tmp);
	free(tmp);
	return rc;
}
