/*
 * instagram.c - the Instagram publisher (docs/api-notes.md §Instagram), for both login
 * flavours: graph.facebook.com with a Page token that never expires, and
 * graph.instagram.com with a 60-day Instagram token that maintain()
 * refreshes.
 *
 * Publishing is a resumable state machine over the delivery's saved
 * progress; it returns PUB_WAIT to be called again instead of sleeping:
 *   1. no container yet: read the 24-hour quota, put the image on the media
 *      host (its name saved before the put, so nothing is left untracked),
 *      create the container (POST /{ig-user}/media), save its id the moment
 *      it arrives, and come back in 5 s;
 *   2. a container: read its status_code. IN_PROGRESS: come back after 5,
 *      10, 20, 30, then every 60 s, and start over with a new container
 *      after 5 minutes. ERROR: classified by its 2207xxx subcode, the
 *      container forgotten. EXPIRED: a new container. PUBLISHED: it went
 *      out already (crash recovery): find the media id, never publish
 *      again. A failed read is no failure (LESSONS #10): read again later;
 *   3. FINISHED: committing(), then POST /{ig-user}/media_publish, the
 *      commit call, and, best effort, the permalink.
 * Everything before media_publish is safe to redo; after an ambiguous
 * refusal of media_publish the container is read back before anything is
 * called failed (LESSONS #4).
 *
 * The token travels in the Authorization header only, except in the call
 * to refresh_access_token, whose API takes it as a query parameter: that
 * URL is never logged nor put in a message. Never does SQL or scheduling;
 * the daemon deletes the hosted image when the delivery is over (progress
 * key "hosted_name").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "instagram_internal.h"
#include "meta.h"
#include "ritual/mediahost.h"
#include "ritual/publisher.h"

#define NET "Instagram"
#define FIRST_POLL 5             /* s from creating a container to its first read */
#define CONTAINER_DEADLINE 300   /* s a container may take to become FINISHED */
#define MAX_RENEWALS 3           /* EXPIRED containers replaced in a row */
#define QUOTA_WAIT 3600          /* s to wait when the 24-hour quota is used up */
#define TOKEN_LIFE_DAYS 60       /* an Instagram Login token's life */
#define REFRESH_AFTER (7 * 86400)
#define WARN_AFTER (50 * 86400)
#define RECENT_MEDIA 25
#define CONTAINER_TTL 86400      /* s until Instagram expires a container */
#define MAX_UNREADABLE 3         /* unreadable status reads before publishing anyway */
#define MAX_CONTAINERS 5         /* containers made for one delivery, at most */
#define MAX_FETCH_RETRIES 3      /* 9004/2207052 after our fetch-back worked */

#define NEW_CONTAINER "ritual makes a new container and tries again"

/* ---- pure helpers (instagram_internal.h) ---- */

static const struct ig_subcode_info subcodes[] = {
	{2207027, PUB_WAIT, "the media is not ready for publishing yet",
	 "ritual keeps checking"},
	{2207001, PUB_TRANSIENT, "Instagram had a server error", NEW_CONTAINER},
	{2207003, PUB_TRANSIENT, "Meta timed out downloading the image",
	 NEW_CONTAINER},
	{2207020, PUB_TRANSIENT, "the media expired before it was published",
	 NEW_CONTAINER},
	{2207032, PUB_TRANSIENT, "Instagram could not create the media",
	 NEW_CONTAINER},
	{2207053, PUB_TRANSIENT, "Instagram had an unknown upload error",
	 NEW_CONTAINER},
	{2207008, PUB_TRANSIENT, "the media container does not exist or has "
	 "expired", NEW_CONTAINER},
	{2207006, PUB_TRANSIENT, "Instagram could not find the media",
	 NEW_CONTAINER},
	{2207042, PUB_RATE, "the account reached Instagram's limit of posts in "
	 "24 hours", "ritual waits an hour and tries again"},
	{2207051, PUB_OWNER, "Instagram restricted the action as suspected spam",
	 "open Instagram as the account's owner, resolve any notice there and "
	 "let the account rest for a day"},
	{2207050, PUB_OWNER, "the Instagram account is inactive, checkpointed "
	 "or restricted", "log in to Instagram and resolve the notice there"},
	{2207052, PUB_PERMANENT, "Meta could not fetch the image",
	 "check that media.url is public (`ritual check --online` tests it), "
	 "then `ritual retry` the post"},
	{2207004, PUB_PERMANENT, "the image is larger than 8 MiB",
	 "save it smaller, fix the post file and add it again"},
	{2207005, PUB_PERMANENT, "Instagram does not support the image's format",
	 "save it as a baseline JPEG, fix the post file and add it again"},
	{2207009, PUB_PERMANENT, "the image's aspect ratio is outside what "
	 "Instagram accepts (4:5 to 1.91:1)",
	 "crop it, fix the post file and add it again"},
	{2207010, PUB_PERMANENT, "the caption is too long or has too many "
	 "hashtags", "shorten it (2200 characters, few hashtags), fix the post "
	 "file and add it again"},
	{2207040, PUB_PERMANENT, "the caption tags more than 20 accounts",
	 "use at most 20 @mentions, fix the post file and add it again"},
	{2207023, PUB_PERMANENT, "Instagram does not know the media type",
	 "use a JPEG image, fix the post file and add it again"},
	{2207028, PUB_PERMANENT, "a carousel needs 2 to 10 items",
	 "fix the post file and add it again"},
	{2207026, PUB_PERMANENT, "Instagram does not support the video format",
	 "fix the post file and add it again"},
};

const struct ig_subcode_info *ig_subcode_info(long subcode)
{
	for (size_t i = 0; i < RT_ARRAY_LEN(subcodes); i++)
		if (subcodes[i].subcode == subcode)
			return &subcodes[i];
	return NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

long ig_status_subcode(const char *status)
{
	if (!status)
		return 0;
	for (const char *p = status; (p = strstr(p, "2207")) != NULL; p++) {
		if (p > status && is_digit(p[-1]))
			continue;
		int n = 0;
		while (n < 8 && is_digit(p[n]))
			n++;
		if (n == 7)
			return strtol(p, NULL, 10);
	}
	if (strcasestr(status, "could not be fetched") ||
	    strcasestr(status, "fetch failed") ||
	    strcasestr(status, "download has failed"))
		return 2207052;
	return 0;
}

long ig_poll_delay(long polls)
{
	static const long steps[] = {5, 10, 20, 30, 60};
	if (polls < 0)
		polls = 0;
	if ((size_t)polls >= RT_ARRAY_LEN(steps))
		polls = (long)RT_ARRAY_LEN(steps) - 1;
	return steps[polls];
}

static int two_digits(const char *s, int *out)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int ig_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int y1, y2, mo, d, h, mi, sec, oh = 0, om = 0;
	long sign = 0;

	if (!s || strlen(s) < 19 || two_digits(s, &y1) || two_digits(s + 2, &y2) ||
	    s[4] != '-' || two_digits(s + 5, &mo) || s[7] != '-' ||
	    two_digits(s + 8, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    two_digits(s + 11, &h) || s[13] != ':' || two_digits(s + 14, &mi) ||
	    s[16] != ':' || two_digits(s + 17, &sec))
		return -1;
	const char *z = s + 19;
	if (*z == '.') {                    /* fractions of a second */
		z++;
		while (is_digit(*z))
			z++;
	}
	if (*z == 'Z' && z[1] == '\0') {
		sign = 0;
	} else if ((*z == '+' || *z == '-') && !two_digits(z + 1, &oh)) {
		sign = *z == '+' ? 1 : -1;
		z += 3;
		if (*z == ':')
			z++;
		if (two_digits(z, &om) || z[2] != '\0')
			return -1;
	} else if (*z != '\0') {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - (time_t)(sign * (oh * 3600L + om * 60L));
	return 0;
}

char *ig_origin(const char *api)
{
	const char *p = api ? strstr(api, "://") : NULL;
	if (!p || p == api)
		return NULL;
	const char *host = p + 3;
	size_t n = strcspn(host, "/?#");
	if (n == 0)
		return NULL;
	return xstrndup(api, (size_t)(host - api) + n);
}

long ig_token_days_left(time_t mtime, time_t now)
{
	long long left = (long long)mtime + TOKEN_LIFE_DAYS * 86400LL - (long long)now;
	/* A day begun counts: 1 s left is 1 day; expired is -1 or less. */
	return (long)(left > 0 ? (left + 86399) / 86400 : -1 - (-left) / 86400);
}

/* ---- progress ---- */

/* A saved value; "" counts as unset (NULL). Caller frees. */
static char *load(struct pub_ctx *ctx, const char *key)
{
	char *v = ctx->load(ctx, key);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

static long load_long(struct pub_ctx *ctx, const char *key)
{
	char *v = load(ctx, key);
	long n = v ? strtol(v, NULL, 10) : 0;
	free(v);
	return n;
}

static int save_long(struct pub_ctx *ctx, const char *key, long n,
		     struct err *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%ld", n);
	return ctx->save(ctx, key, buf, err);
}

/* Forget the container so that the next call makes a new one. Best effort:
 * if this fails, the next call reads the same container, which gives the
 * same answer. */
static void forget_container(struct pub_ctx *ctx)
{
	struct err err;
	ctx->save(ctx, "container_id", "", &err);
	ctx->save(ctx, "polls", "0", &err);
}

/* ---- requests ---- */

/* The account's Instagram user id, escaped for a URL path. */
static char *user_path(const struct pub_ctx *ctx)
{
	return http_escape(ctx->account->user_id ? ctx->account->user_id : "");
}

/*
 * Perform req and read the answer like meta_response, then give Instagram's
 * own subcodes (docs/api-notes.md §Instagram errors) their meaning and fix. Returns 1 with
 * *json (a 2xx JSON object; caller decrefs) or 0 with res classified and,
 * when the API sent an error object, *e filled (else e->code and
 * e->subcode are 0). image_url: for the "could not fetch" message.
 */
static int ig_call(struct pub_ctx *ctx, const struct http_request *req,
		   const char *what, const char *image_url, struct pub_result *res,
		   struct meta_error *e, json_t **json)
{
	struct http_response resp;
	int rc = meta_perform(ctx, req, &resp);
	int ok = meta_response(ctx, rc, &resp, req->commit, NET, what, res, json);
	memset(e, 0, sizeof(*e));
	if (!ok && rc == 0 && meta_parse_error(resp.body, resp.body_len, e)) {
		long sub = e->subcode;
		if (!sub && e->code == 9004)
			sub = 2207052;      /* the code alone says the same */
		else if (!sub && e->code == 9007)
			sub = 2207027;
		const struct ig_subcode_info *info = ig_subcode_info(sub);
		char plat[900];
		snprintf(plat, sizeof(plat), "Instagram error %ld/%ld: %s%s%s",
			 e->code, e->subcode, e->message,
			 e->user_msg[0] ? " — " : "", e->user_msg);
		if (info && info->subcode == 2207052 && image_url) {
			pub_result_set(res, PUB_PERMANENT,
				       "Meta could not fetch the image from %s while "
				       "%s: check that media.url is public (`ritual "
				       "check --online` tests it), then `ritual retry` "
				       "the post (%s)", image_url, what, plat);
		} else if (info && info->cls == PUB_OWNER) {
			pub_result_set(res, PUB_OWNER,
				       "%s while %s (%s). To do: %s; ritual pauses "
				       "account '%s' until its token file changes or "
				       "`ritual retry` is run", info->what, what, plat,
				       info->fix, ctx->account->name);
		} else if (info && info->cls == PUB_RATE) {
			pub_result_set(res, PUB_RATE, "%s while %s (%s); %s",
				       info->what, what, plat, info->fix);
			if (res->retry_at < ctx->now + QUOTA_WAIT)
				res->retry_at = ctx->now + QUOTA_WAIT;
			res->account_hold_until = res->retry_at;
		} else if (info) {
			pub_result_set(res, info->cls, "%s while %s (%s); %s",
				       info->what, what, plat, info->fix);
		}
	}
	http_response_free(&resp);
	return ok;
}

/* GET base/suffix with the token in the header: the account's token, or,
 * for reads (reader set) of an account with a read_token_file, that user
 * token (Page-token reads of containers and media failed for days from
 * May 2026 while writes worked: postiz-app#1562). */
static int ig_get(struct pub_ctx *ctx, int reader, const char *what,
		  struct pub_result *res, struct meta_error *e, json_t **json,
		  const char *fmt, ...) RT_PRINTF(7, 8);

static int ig_get(struct pub_ctx *ctx, int reader, const char *what,
		  struct pub_result *res, struct meta_error *e, json_t **json,
		  const char *fmt, ...)
{
	char *rtok = NULL;   /* read here only when the caller has not */
	const char *file = reader ? ctx->account->read_token_file : NULL;
	const char *bearer = file ? ctx->read_token : ctx->token;
	struct err err = {{0}};
	*json = NULL;
	memset(e, 0, sizeof(*e));
	if (file && !bearer && read_secret_file(file, &rtok, &err) < 0) {
		pub_result_set(res, PUB_CONFIG, "cannot read the read token of "
			       "account '%s' while %s: %s; write a user access "
			       "token there (chmod 600) or remove read_token_file",
			       ctx->account->name, what, err.msg);
		return 0;
	}
	va_list ap;
	va_start(ap, fmt);
	char *suffix = xvasprintf(fmt, ap);
	va_end(ap);
	char *url = meta_url(ctx, "%s", suffix);
	struct http_request req = {.method = "GET", .url = url,
				   .bearer = bearer ? bearer : rtok};
	int ok = ig_call(ctx, &req, what, NULL, res, e, json);
	free(url);
	free(suffix);
	secret_free(rtok);
	return ok;
}

/* Counts, quotas and lifetimes: clamped so no arithmetic on them can
 * overflow (a year of seconds at most). */
static long json_num(json_t *v)
{
	return meta_json_long(v, -1, 366L * 86400, -1);
}

/* The 24-hour publishing quota: 0 with *used and *total, -1 if unreadable. */
static int read_quota(struct pub_ctx *ctx, long *used, long *total)
{
	struct pub_result r = {0};
	struct meta_error e;
	json_t *root;
	char *user = user_path(ctx);
	int ok = ig_get(ctx, 0, "reading the publishing quota", &r, &e, &root,
			"%s/content_publishing_limit?fields=quota_usage,config",
			user);
	free(user);
	if (!ok)
		return -1;
	json_t *first = json_array_get(json_object_get(root, "data"), 0);
	*used = json_num(json_object_get(first, "quota_usage"));
	*total = json_num(json_object_get(json_object_get(first, "config"),
					  "quota_total"));
	json_decref(root);
	return *used >= 0 ? 0 : -1;
}

/* ---- finding a published post ---- */

static void set_ids(struct pub_result *res, const char *id, const char *permalink)
{
	res->cls = PUB_OK;
	res->message[0] = '\0';
	snprintf(res->remote_id, sizeof(res->remote_id), "%s", id);
	snprintf(res->permalink, sizeof(res->permalink), "%s",
		 permalink ? permalink : "");
}

/*
 * The container is PUBLISHED: the post is out. Find its media id among the
 * account's newest media (same caption, timestamp >= since); PUB_OK either
 * way, with "container:<id>" and a note when it cannot be found. Never
 * bound to "the latest item": only a caption match counts.
 */
static void find_published(struct pub_ctx *ctx, const struct pub_job *job,
			   const char *container, time_t since,
			   struct pub_result *res)
{
	struct pub_result r = {0};
	struct meta_error e;
	json_t *root;
	char *user = user_path(ctx);
	int ok = ig_get(ctx, 1, "reading the account's recent posts", &r, &e, &root,
			"%s/media?fields=id,caption,timestamp,permalink&limit=%d",
			user, RECENT_MEDIA);
	free(user);
	if (ok) {
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(root, "data"), i, m) {
			const char *id = meta_str(m, "id");
			const char *caption = meta_str(m, "caption");
			const char *ts = meta_str(m, "timestamp");
			time_t t;
			if (!id || !*id || !caption || !meta_text_equal(caption, job->text))
				continue;
			if (since > 0 && ts && ig_parse_time(ts, &t) == 0 && t < since)
				continue;
			set_ids(res, id, meta_str(m, "permalink"));
			json_decref(root);
			return;
		}
		json_decref(root);
	}
	res->cls = PUB_OK;
	snprintf(res->remote_id, sizeof(res->remote_id), "container:%s", container);
	res->permalink[0] = '\0';
	snprintf(res->message, sizeof(res->message),
		 "Instagram reports container %s as published, but %s; the post "
		 "is out, its media id and link are unknown", container,
		 ok ? "the post is not among the account's newest posts"
		    : "the account's posts could not be read");
}

/* The read-back window starts when the commit was marked, or else when
 * the container was made. */
static time_t commit_since(struct pub_ctx *ctx, const struct pub_job *job)
{
	return pub_window_start(ctx, job, (time_t)load_long(ctx, "container_at"));
}

/* ---- container status ---- */

enum cstatus {
	CS_UNREADABLE = 0, CS_IN_PROGRESS, CS_FINISHED, CS_ERROR, CS_EXPIRED,
	CS_PUBLISHED, CS_OTHER,
	CS_NOREAD     /* Graph refused the read itself (100/33, #10, another
		       * error object) while writes may work: postiz-app#1562 */
};

/* A failure that concerns the account (pause it) or the rate limit (wait):
 * never one that more reads of a container would get past. */
static int pauses_or_waits(const struct pub_result *res)
{
	return res->cls == PUB_AUTH || res->cls == PUB_RATE ||
	       res->cls == PUB_CONFIG || res->cls == PUB_OWNER;
}

/*
 * Whether a failed status read is the "unreadable container" case: code
 * 100 with subcode 33 or code 10 on the GET (the Page-token reads of
 * postiz-app#1562), or any other Graph error object that is not about the
 * token (190, 102), a rate limit or the owner. Pure; res is what
 * meta_classify made of it.
 */
int ig_unreadable_read(const struct meta_error *e, const struct pub_result *res)
{
	if (e->code == 10 || (e->code == 100 && e->subcode == 33))
		return 1;
	if (e->code == 0 || e->code == 190 || e->code == 102)
		return 0;
	return !pauses_or_waits(res);
}

/* Read the container's status_code (and status text into text). */
static enum cstatus container_status(struct pub_ctx *ctx, const char *container,
				     struct pub_result *res, char *text,
				     size_t textlen)
{
	static const struct {
		const char *name;
		enum cstatus st;
	} names[] = {
		{"IN_PROGRESS", CS_IN_PROGRESS}, {"FINISHED", CS_FINISHED},
		{"ERROR", CS_ERROR}, {"EXPIRED", CS_EXPIRED},
		{"PUBLISHED", CS_PUBLISHED},
	};
	struct meta_error e;
	json_t *root;
	char *cid = http_escape(container);
	int ok = ig_get(ctx, 1, "reading the media container's status", res, &e,
			&root, "%s?fields=status_code,status", cid);
	free(cid);
	text[0] = '\0';
	if (!ok && ig_unreadable_read(&e, res)) {
		pub_result_set(res, PUB_WAIT, "Instagram refused to read container "
			       "%s (Instagram error %ld/%ld: %s)", container, e.code,
			       e.subcode, e.message);
		return CS_NOREAD;
	}
	if (!ok)
		return CS_UNREADABLE;
	const char *code = meta_str(root, "status_code");
	snprintf(text, textlen, "%s", meta_str(root, "status") ?
		 meta_str(root, "status") : "");
	enum cstatus st = code ? CS_OTHER : CS_UNREADABLE;
	for (size_t i = 0; code && i < RT_ARRAY_LEN(names); i++)
		if (strcmp(code, names[i].name) == 0)
			st = names[i].st;
	if (st == CS_UNREADABLE)
		pub_result_set(res, PUB_WAIT, "Instagram's answer about container "
			       "%s had no status_code", container);
	else if (st == CS_OTHER)
		pub_result_set(res, PUB_WAIT, "Instagram reports container %s as "
			       "\"%s\"", container, code);
	json_decref(root);
	return st;
}

/*
 * Meta could not download the image (9004/2207052) when the container was
 * made, although the media host fetched it back through the same public URL just before the
 * container was made: intermittent on Meta's side (postiz-app PR #1900).
 * A new container, up to MAX_FETCH_RETRIES times for the delivery; then
 * the post fails with the hosting advice (hosting_msg, already in res).
 * Returns 1 when res now says "retry".
 */
static int fetch_retry(struct pub_ctx *ctx, struct pub_result *res)
{
	long n = load_long(ctx, "fetch_failures") + 1;
	struct err err;
	if (save_long(ctx, "fetch_failures", n, &err) < 0)
		return 0;
	if (n > MAX_FETCH_RETRIES) {
		size_t len = strlen(res->message);
		snprintf(res->message + len, sizeof(res->message) - len,
			 "; it failed the same way with %d new containers",
			 MAX_FETCH_RETRIES);
		return 0;
	}
	char why[sizeof(res->message)];
	snprintf(why, sizeof(why), "%s", res->message);
	pub_result_set(res, PUB_TRANSIENT, "%s. The media host served the image "
		       "at that URL just before, so this is taken as Meta's "
		       "intermittent download failure: %s (%ld of %d)", why,
		       NEW_CONTAINER, n, MAX_FETCH_RETRIES);
	return 1;
}

/* An ERROR container: what its status text says, in res. */
static void container_error(struct pub_ctx *ctx, const char *container,
			    const char *text, struct pub_result *res)
{
	char *image_url = load(ctx, "image_url");
	long sub = ig_status_subcode(text);
	const struct ig_subcode_info *info = ig_subcode_info(sub);

	if (sub == 2207052) {
		pub_result_set(res, PUB_PERMANENT,
			       "Meta could not fetch the image from %s: check that "
			       "media.url is public (`ritual check --online` tests "
			       "it), then `ritual retry` the post (Instagram "
			       "container %s: \"%s\")",
			       image_url ? image_url : "media.url", container, text);
	} else if (info && info->cls != PUB_WAIT) {
		enum pub_class cls = info->cls;
		if (cls == PUB_RATE)
			cls = PUB_TRANSIENT;   /* not a publish: no quota used */
		pub_result_set(res, cls, "Instagram could not prepare the post: %s "
			       "(container %s: \"%s\"); %s", info->what, container,
			       text, cls == info->cls ? info->fix : NEW_CONTAINER);
		if (cls == PUB_OWNER) {
			size_t n = strlen(res->message);
			snprintf(res->message + n, sizeof(res->message) - n,
				 "; ritual pauses account '%s' until its token file "
				 "changes or `ritual retry` is run",
				 ctx->account->name);
		}
	} else {
		pub_result_set(res, PUB_TRANSIENT,
			       "Instagram could not prepare the post (container %s: "
			       "\"%s\"); %s", container, text, NEW_CONTAINER);
	}
	free(image_url);
	forget_container(ctx);
}

/* ---- publish ---- */

/*
 * Wait and read the container again, unless it is past its deadline: then
 * start over with a new container, but only when the post certainly did
 * not go out through this one (no media_publish was tried on it, or its
 * status was read as not published). A container that media_publish was
 * sent for and whose status cannot be read is never forgotten: the reads
 * go on for a day (a container's life), then the owner decides.
 */
static void wait_or_give_up(struct pub_ctx *ctx, const char *container,
			    int status_known, struct pub_result *res,
			    const char *why)
{
	time_t created = (time_t)load_long(ctx, "container_at");
	long polls = load_long(ctx, "polls");
	char *tried = load(ctx, "commit_container");
	int maybe_out = !status_known && tried && strcmp(tried, container) == 0;
	free(tried);
	time_t age = created > 0 ? ctx->now - created : 0;
	char msg[sizeof(res->message)];
	snprintf(msg, sizeof(msg), "%s", why);

	if (maybe_out && age >= CONTAINER_TTL) {
		pub_result_set(res, PUB_PERMANENT,
			       "could not read Instagram's media container %s for a "
			       "day after publishing it was tried (%s): check the "
			       "Instagram account; `ritual retry` reads it again and "
			       "publishes only if it did not go out", container, msg);
		return;
	}
	if (!maybe_out && age >= CONTAINER_DEADLINE) {
		pub_result_set(res, PUB_TRANSIENT,
			       "Instagram's media container %s was still not ready "
			       "after %d minutes (%s); %s", container,
			       CONTAINER_DEADLINE / 60, msg, NEW_CONTAINER);
		forget_container(ctx);
		return;
	}
	struct err err;
	save_long(ctx, "polls", polls + 1, &err);  /* only paces the polls */
	pub_result_set(res, PUB_WAIT, "%s", msg);
	res->retry_at = ctx->now + ig_poll_delay(polls + 1);
}

/* The owner's own image host, when the daemon gave none but the config has
 * a media group (e.g. `ritual` run without a daemon). */
static struct mediahost *media_host(struct pub_ctx *ctx, struct mediahost **own,
				    struct err *err)
{
	*own = NULL;
	if (ctx->media)
		return ctx->media;
	if (!ctx->cfg->media.url)
		return NULL;
	if (mediahost_new(ctx->cfg, ctx->http, own, err) < 0)
		return NULL;
	return *own;
}

/* Step 1: quota, image, container. */
static int make_container(struct pub_ctx *ctx, const struct pub_job *job,
			  struct pub_result *res)
{
	struct err err = {{0}};
	long used, total;
	int rc = 0;

	if (read_quota(ctx, &used, &total) == 0 && total > 0 && used >= total) {
		pub_result_set(res, PUB_RATE,
			       "Instagram's limit of %ld posts in 24 hours is used up "
			       "(%ld published); ritual waits and tries again",
			       total, used);
		res->retry_at = ctx->now + QUOTA_WAIT;
		res->account_hold_until = res->retry_at;
		return 0;
	}
	if (!job->image) {
		pub_result_set(res, PUB_PERMANENT,
			       "Instagram posts need an image: add an Image: line "
			       "to the post file and add it again");
		return 0;
	}
	if (job->image_mime && strcmp(job->image_mime, "image/jpeg") != 0) {
		pub_result_set(res, PUB_PERMANENT,
			       "Instagram takes JPEG images only, and %s is %s: save "
			       "it as JPEG, fix the post file and add it again",
			       job->image_name ? job->image_name : "the image",
			       job->image_mime);
		return 0;
	}

	/* A hard cap on new containers for this delivery, whatever made
	 * them (deadline, EXPIRED, ERROR, failed downloads): kept in the
	 * progress, so it holds across restarts. */
	long made = load_long(ctx, "containers");
	if (made >= MAX_CONTAINERS) {
		pub_result_set(res, PUB_PERMANENT,
			       "ritual asked Instagram for %ld media containers for "
			       "this post and none could be published; it asks for no "
			       "more. "
			       "See the post's events for why, check the account "
			       "with `ritual check --online`, then `ritual retry` "
			       "the post", made);
		return 0;
	}

	struct mediahost *own = NULL;
	struct mediahost *host = media_host(ctx, &own, &err);
	if (!host) {
		if (err.msg[0])
			pub_result_set(res, PUB_CONFIG, "Instagram needs a public "
				       "image URL, and the media host is not usable: "
				       "%s", err.msg);
		else
			pub_result_set(res, PUB_CONFIG,
				       "Instagram needs a public image URL: set the "
				       "media group in the config (see README)");
		return 0;
	}

	char *name = load(ctx, "hosted_name");
	if (!name) {
		char buf[64];
		mediahost_name("jpg", buf, sizeof(buf));
		if (ctx->save(ctx, "hosted_name", buf, &err) < 0) {
			pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
			rc = -1;
			goto out;
		}
		name = xstrdup(buf);
	}
	char *image_url = NULL;
	int put = mediahost_put(host, name, job->image, job->image_len,
				job->image_mime ? job->image_mime : "image/jpeg",
				&image_url, &err);
	if (put == MEDIAHOST_CONFIG) {
		/* The storage refused the key or the bucket: held until the
		 * owner fixes media.s3 (a retry sends the same request). */
		pub_result_set(res, PUB_CONFIG,
			       "the image storage refused ritual's media.s3 "
			       "settings (nothing was sent to Instagram; fix them, "
			       "then reload rituald or run `ritual retry`): %s",
			       err.msg);
		goto out_name;
	}
	if (put < 0) {
		pub_result_set(res, PUB_TRANSIENT,
			       "the image could not be put where Instagram fetches "
			       "it (nothing was sent to Instagram): %s", err.msg);
		goto out_name;
	}
	if (ctx->save(ctx, "image_url", image_url, &err) < 0) {
		pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
		rc = -1;
		goto out_url;
	}

	char *user = user_path(ctx);
	char *url = meta_url(ctx, "%s/media", user);
	free(user);
	struct http_part form[3];
	size_t n = 0;
	form[n++] = (struct http_part){.name = "image_url", .value = image_url};
	form[n++] = (struct http_part){.name = "caption", .value = job->text};
	if (job->alt && *job->alt)
		form[n++] = (struct http_part){.name = "alt_text", .value = job->alt};
	struct http_request req = {.method = "POST", .url = url,
				   .bearer = ctx->token, .form = form, .nform = n,
				   .timeout = ctx->cfg->http.upload_timeout};
	struct meta_error e;
	json_t *root;
	if (save_long(ctx, "containers", made + 1, &err) < 0) {
		free(url);
		pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
		rc = -1;
		goto out_url;
	}
	int ok = ig_call(ctx, &req, "creating the media container", image_url,
			 res, &e, &root);
	free(url);
	if (!ok && (e.code == 9004 || e.subcode == 2207052))
		fetch_retry(ctx, res);   /* our fetch-back just worked */
	if (ok) {
		const char *id = meta_str(root, "id");
		if (!id || !*id) {
			pub_result_set(res, PUB_TRANSIENT,
				       "Instagram answered without a container id "
				       "while creating the media container; ritual "
				       "will retry");
		} else if (ctx->save(ctx, "container_id", id, &err) < 0 ||
			   save_long(ctx, "container_at", (long)ctx->now, &err) < 0 ||
			   save_long(ctx, "polls", 0, &err) < 0) {
			/* The container is orphaned: harmless, it expires. */
			pub_result_set(res, PUB_TRANSIENT, "not published: %s",
				       err.msg);
			rc = -1;
		} else {
			pub_result_set(res, PUB_WAIT, "Instagram is preparing the "
				       "image (container %s)", id);
			res->retry_at = ctx->now + FIRST_POLL;
		}
		json_decref(root);
	}
out_url:
	free(image_url);
out_name:
	free(name);
out:
	mediahost_free(own);
	return rc;
}

/* Best effort: the permalink of a published media (LESSONS #10: a failed
 * read never fails a published post). */
static void fetch_permalink(struct pub_ctx *ctx, const char *media_id,
			    struct pub_result *res)
{
	struct pub_result r = {0};
	struct meta_error e;
	json_t *root;
	char *mid = http_escape(media_id);
	int ok = ig_get(ctx, 1, "reading the post's link", &r, &e, &root,
			"%s?fields=permalink", mid);
	free(mid);
	if (!ok)
		return;
	const char *link = meta_str(root, "permalink");
	if (link)
		snprintf(res->permalink, sizeof(res->permalink), "%s", link);
	json_decref(root);
}

/* Step 3: the commit call. */
static int commit(struct pub_ctx *ctx, const struct pub_job *job,
		  const char *container, struct pub_result *res)
{
	struct err err = {{0}};
	if (ctx->save(ctx, "commit_container", container, &err) < 0 ||
	    ctx->committing(ctx, &err) < 0) {
		pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
		return -1;
	}
	char *user = user_path(ctx);
	char *url = meta_url(ctx, "%s/media_publish", user);
	free(user);
	struct http_part form[] = {{.name = "creation_id", .value = container}};
	struct http_request req = {.method = "POST", .url = url,
				   .bearer = ctx->token, .form = form, .nform = 1,
				   .commit = 1};
	struct meta_error e;
	json_t *root;
	int ok = ig_call(ctx, &req, "publishing the post", NULL, res, &e, &root);
	free(url);
	if (ok) {
		const char *id = meta_str(root, "id");
		if (id && *id) {
			set_ids(res, id, NULL);
			fetch_permalink(ctx, id, res);
		} else {
			pub_result_set(res, PUB_UNKNOWN,
				       "Instagram answered without a media id while "
				       "publishing the post; ritual checks the account "
				       "before any retry");
		}
		json_decref(root);
		return 0;
	}
	if (e.code == 9007 || e.subcode == 2207027) {
		/* Not ready after all (or already published): read it again. */
		char why[sizeof(res->message)];
		snprintf(why, sizeof(why), "%s", res->message);
		wait_or_give_up(ctx, container, 1, res, why);
		return 0;
	}
	if (res->cls == PUB_TRANSIENT || res->cls == PUB_OWNER ||
	    res->cls == PUB_PERMANENT || res->cls == PUB_RATE) {
		/* A refusal after the container step may hide a post that went
		 * out (LESSONS #4): believe the container first. */
		struct pub_result r = {0};
		char text[256];
		if (container_status(ctx, container, &r, text, sizeof(text)) ==
		    CS_PUBLISHED) {
			find_published(ctx, job, container, commit_since(ctx, job), res);
			return 0;
		}
	}
	return 0;
}

static int ig_publish(struct pub_ctx *ctx, const struct pub_job *job,
		      struct pub_result *res)
{
	char *container = load(ctx, "container_id");
	int rc = 0;

	if (!container)
		return make_container(ctx, job, res);

	char text[256];
	enum cstatus st = container_status(ctx, container, res, text, sizeof(text));
	if (st != CS_NOREAD && st != CS_UNREADABLE &&
	    load_long(ctx, "unreadable") != 0) {
		/* counts reads in a row; a synced write only when it changes */
		struct err err;
		save_long(ctx, "unreadable", 0, &err);
	}
	switch (st) {
	case CS_NOREAD: {
		/* Graph may refuse these reads for days while writes work
		 * (postiz-app#1562). After a few, publish anyway: a container
		 * that is not ready answers 9007/2207027, which is read again,
		 * and one that went out cannot be published twice. */
		long n = load_long(ctx, "unreadable") + 1;
		struct err err;
		save_long(ctx, "unreadable", n, &err);
		if (n >= MAX_UNREADABLE) {
			rc = commit(ctx, job, container, res);
			break;
		}
		char why[sizeof(res->message)];
		snprintf(why, sizeof(why), "%s; ritual reads it again", res->message);
		wait_or_give_up(ctx, container, 0, res, why);
		break;
	}
	case CS_UNREADABLE:
		if (pauses_or_waits(res)) {
			/* The account needs a pause, not more reads. */
			break;
		}
		/* FALLTHROUGH */
	case CS_OTHER: {
		char why[sizeof(res->message)];
		snprintf(why, sizeof(why), "%s; ritual reads it again", res->message);
		wait_or_give_up(ctx, container, 0, res, why);
		break;
	}
	case CS_IN_PROGRESS: {
		char why[160];
		snprintf(why, sizeof(why), "Instagram is still preparing the image "
			 "(container %s)", container);
		wait_or_give_up(ctx, container, 1, res, why);
		break;
	}
	case CS_ERROR:
		container_error(ctx, container, text, res);
		break;
	case CS_EXPIRED: {
		long renewals = load_long(ctx, "renewals") + 1;
		struct err err;
		save_long(ctx, "renewals", renewals, &err);
		forget_container(ctx);
		if (renewals > MAX_RENEWALS) {
			save_long(ctx, "renewals", 0, &err);
			pub_result_set(res, PUB_TRANSIENT, "Instagram's media container "
				       "%s expired, %d times in a row; ritual will "
				       "retry later", container, MAX_RENEWALS + 1);
		} else {
			pub_result_set(res, PUB_WAIT, "Instagram's media container %s "
				       "expired before it was published; %s",
				       container, NEW_CONTAINER);
			res->retry_at = ctx->now;
		}
		break;
	}
	case CS_PUBLISHED:
		/* It went out already (a crash after media_publish): never
		 * publish it again. */
		find_published(ctx, job, container, commit_since(ctx, job), res);
		break;
	case CS_FINISHED:
		rc = commit(ctx, job, container, res);
		break;
	}
	free(container);
	return rc;
}

/* ---- reconcile ---- */

static int ig_reconcile(struct pub_ctx *ctx, const struct pub_job *job,
			struct pub_result *res)
{
	char *container = load(ctx, "container_id");
	char text[256];

	if (!container) {
		pub_result_set(res, PUB_TRANSIENT, "no Instagram media container was "
			       "made, so nothing went out");
		return 0;
	}
	switch (container_status(ctx, container, res, text, sizeof(text))) {
	case CS_PUBLISHED:
		find_published(ctx, job, container, commit_since(ctx, job), res);
		break;
	case CS_FINISHED:
		/* Certainly not out; the same container can be published. */
		pub_result_set(res, PUB_TRANSIENT, "Instagram's container %s is "
			       "ready but not published: the post did not go out",
			       container);
		break;
	case CS_IN_PROGRESS:
		pub_result_set(res, PUB_TRANSIENT, "Instagram's container %s is "
			       "still being prepared: the post did not go out",
			       container);
		break;
	case CS_EXPIRED:
	case CS_ERROR:
		pub_result_set(res, PUB_TRANSIENT, "Instagram's container %s is %s: "
			       "the post did not go out", container,
			       text[0] ? text : "not usable");
		forget_container(ctx);
		break;
	case CS_UNREADABLE:
		if (pauses_or_waits(res))
			break;
		/* FALLTHROUGH */
	case CS_NOREAD:
	case CS_OTHER: {
		char why[sizeof(res->message)];
		snprintf(why, sizeof(why), "%s", res->message);
		pub_result_set(res, PUB_WAIT, "could not tell whether the post went "
			       "out: %s", why);
		res->retry_at = 0;
		break;
	}
	}
	free(container);
	return 0;
}

/* ---- check ---- */

static void append(char *dst, size_t len, const char *fmt, ...) RT_PRINTF(3, 4);

static void append(char *dst, size_t len, const char *fmt, ...)
{
	size_t n = strlen(dst);
	if (n + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst + n, len - n, fmt, ap);
	va_end(ap);
}

static int ig_check_run(struct pub_ctx *ctx, struct pub_check *out)
{
	const struct account *a = ctx->account;
	int ig_login = a->login == IG_LOGIN_INSTAGRAM;
	struct pub_result r = {0};
	struct meta_error e;
	json_t *root;
	int ok;

	memset(out, 0, sizeof(*out));
	out->days_left = -1;
	out->quota_left = -1;
	if (ig_login) {
		ok = ig_get(ctx, 0, "checking the token", &r, &e, &root,
			    "me?fields=user_id,username");
	} else {
		char *user = user_path(ctx);
		ok = ig_get(ctx, 0, "checking the token", &r, &e, &root,
			    "%s?fields=id,username", user);
		free(user);
	}
	if (ig_login) {
		/* The expiry connect recorded, while the token is the one it
		 * saved; else 60 days from the file's last write (refresh). */
		struct stat sb;
		out->days_left = token_days_left(a->token_file, ctx->now);
		if (out->days_left < 0 && stat(a->token_file, &sb) == 0)
			out->days_left = ig_token_days_left(sb.st_mtime, ctx->now);
	}
	if (!ok) {
		snprintf(out->detail, sizeof(out->detail), "%s", r.message);
		snprintf(out->fix, sizeof(out->fix), "%s",
			 r.cls == PUB_AUTH
				 ? (ig_login ? "log in with Instagram again and write "
					       "the new long-lived token to the token file"
					     : "get a new Page access token for the Page "
					       "linked to the Instagram account and write it "
					       "to the token file")
				 : "check the network and the account's api URL");
		return 0;
	}
	const char *id = meta_str(root, ig_login ? "user_id" : "id");
	const char *name = meta_str(root, "username");
	char idbuf[32] = "";
	if (!id) {
		json_t *v = json_object_get(root, ig_login ? "user_id" : "id");
		if (json_is_integer(v)) {
			snprintf(idbuf, sizeof(idbuf), "%lld",
				 (long long)json_integer_value(v));
			id = idbuf;
		}
	}
	if (!id || !a->user_id || strcmp(id, a->user_id) != 0) {
		snprintf(out->detail, sizeof(out->detail),
			 "the token belongs to Instagram account @%s (%s), not to %s",
			 name ? name : "?", id ? id : "?",
			 a->user_id ? a->user_id : "?");
		snprintf(out->fix, sizeof(out->fix),
			 "use a token of the Instagram account %s, or set its "
			 "user_id in the config", a->user_id ? a->user_id : "");
		json_decref(root);
		return 0;
	}
	out->ok = 1;
	snprintf(out->detail, sizeof(out->detail), "token valid for @%s (%s)",
		 name ? name : "?", id);
	json_decref(root);
	if (!ig_login)   /* the Page's token: its expiry as Meta says */
		meta_check_expiry(ctx, "Instagram", out);

	long used, total;
	if (read_quota(ctx, &used, &total) == 0 && total > 0) {
		append(out->detail, sizeof(out->detail), "; quota: %ld of %ld used",
		       used, total);
		out->quota_left = used < total ? total - used : 0;
	}
	if (ig_login && out->days_left >= 0 && out->days_left < 7)
		append(out->detail, sizeof(out->detail), "; the token expires in %ld "
		       "days unless rituald refreshes it", out->days_left);
	if (ig_login && out->days_left < 0) {
		out->ok = 0;
		append(out->detail, sizeof(out->detail), "; the token file is more "
		       "than %d days old: the token has most likely expired",
		       TOKEN_LIFE_DAYS);
		snprintf(out->fix, sizeof(out->fix), "log in with Instagram again "
			 "and write the new long-lived token to %s", a->token_file);
	}

	struct err err = {{0}};
	struct mediahost *own = NULL;
	struct mediahost *host = media_host(ctx, &own, &err);
	int mc;
	if (!host) {
		out->ok = 0;
		append(out->detail, sizeof(out->detail), "; %s",
		       err.msg[0] ? err.msg : "no media group: Instagram cannot "
		       "fetch images");
		snprintf(out->fix, sizeof(out->fix), "set the media group in the "
			 "config: a folder your web server publishes, or an S3 "
			 "bucket (see README)");
	} else if ((mc = mediahost_check(host, &err)) < 0) {
		out->ok = 0;
		append(out->detail, sizeof(out->detail), "; media host: %s", err.msg);
		if (mc == MEDIAHOST_CONFIG)
			snprintf(out->fix, sizeof(out->fix), "fix media.s3 or its "
				 "key file as the message says");
		else
			snprintf(out->fix, sizeof(out->fix), "make media.url serve "
				 "the media files to anyone, over https, without "
				 "a login");
	} else {
		append(out->detail, sizeof(out->detail), "; media URL reachable");
	}
	mediahost_free(own);
	return 0;
}

/* ---- maintain ---- */

static int ig_maintain(struct pub_ctx *ctx, struct pub_result *res)
{
	const struct account *a = ctx->account;
	struct stat sb;

	memset(res, 0, sizeof(*res));
	res->cls = PUB_OK;
	if (a->login != IG_LOGIN_INSTAGRAM)   /* the Page's token: ask Meta */
		return meta_record_expiry(ctx, "Instagram", res);
	if (stat(a->token_file, &sb) < 0) {
		pub_result_set(res, PUB_AUTH, "cannot read the Instagram token file "
			       "%s of account '%s' (%s): write the long-lived token "
			       "there (chmod 600)", a->token_file, a->name,
			       strerror(errno));
		return 0;
	}
	time_t age = ctx->now - sb.st_mtime;
	long days_left = ig_token_days_left(sb.st_mtime, ctx->now);
	if (age < REFRESH_AFTER || !ctx->token_update || !ctx->token)
		return 0;

	char *origin = ig_origin(a->api);
	if (!origin) {
		pub_result_set(res, PUB_CONFIG, "the api URL of account '%s' is not "
			       "a URL; cannot refresh its token", a->name);
		return 0;
	}
	/* The API takes the token in the query string: this URL is never
	 * logged, and wiped after use. */
	char *tok = http_escape(ctx->token);
	char *url = xasprintf("%s/refresh_access_token?grant_type=ig_refresh_token"
			      "&access_token=%s", origin, tok);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	free(origin);
	struct http_request req = {.method = "GET", .url = url};
	struct pub_result r = {0};
	struct meta_error e;
	json_t *root;
	int ok = ig_call(ctx, &req, "refreshing the token", NULL, &r, &e, &root);
	explicit_bzero(url, strlen(url));
	free(url);

	if (ok) {
		const char *fresh = meta_str(root, "access_token");
		long expires_in = json_num(json_object_get(root, "expires_in"));
		/* Scrubbed from every message while this call holds it; the
		 * registry's copy is forgotten (wiped) when the call ends, and
		 * the token is registered again each time it is read from its
		 * file, so no copy outlives its use in memory. */
		secret_register(fresh);
		struct err err = {{0}};
		if (!fresh || !*fresh) {
			ok = 0;
			pub_result_set(&r, PUB_TRANSIENT, "Instagram answered without a "
				       "token while refreshing it");
		} else if (ctx->token_update(ctx, fresh,
					     ctx->now + (expires_in > 0 ? expires_in
									: TOKEN_LIFE_DAYS * 86400L),
					     &err) < 0) {
			/* The old token stops working soon: the owner must know. */
			pub_result_set(res, PUB_AUTH, "the Instagram token of account "
				       "'%s' was refreshed but could not be saved: %s. "
				       "Log in with Instagram again and write the new "
				       "token to %s (chmod 600)", a->name, err.msg,
				       a->token_file);
			secret_forget(fresh);
			json_decref(root);
			return 0;
		}
		secret_forget(fresh);
		json_decref(root);
		if (ok)
			return 0;
	}
	if (r.cls == PUB_AUTH || days_left < 0) {
		pub_result_set(res, PUB_AUTH, "Instagram refused to refresh the token "
			       "of account '%s' (%s): log in with Instagram again and "
			       "write the new long-lived token to %s (chmod 600)",
			       a->name, r.message, a->token_file);
	} else if (age >= WARN_AFTER) {
		pub_result_set(res, PUB_AUTH, "the Instagram token of account '%s' "
			       "expires in %ld days and could not be refreshed (%s); "
			       "rituald keeps trying, or log in with Instagram again "
			       "and write the new token to %s", a->name, days_left,
			       r.message, a->token_file);
	} else {
		/* Tried again within the hour; plenty of time left. */
		pub_result_set(res, PUB_OK, "could not refresh the Instagram token "
			       "of account '%s' yet (%s); %ld days left", a->name,
			       r.message, days_left);
	}
	return 0;
}

/* Every answer of the check may quote the platform: scrubbed here. */
static int ig_check(struct pub_ctx *ctx, struct pub_check *out)
{
	int rc = ig_check_run(ctx, out);
	pub_check_done(out);
	return rc;
}

const struct publisher instagram_publisher = {
	.network = "instagram",
	.publish = ig_publish,
	.reconcile = ig_reconcile,
	.check = ig_check,
	.maintain = ig_maintain,
};
