/*
 * registry.c - which publisher serves which network, and the helpers every
 * publisher shares. Adding a network is one line in publisher_for().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ritual/http.h"

#include "ritual/publisher.h"

extern const struct publisher facebook_publisher;
extern const struct publisher instagram_publisher;
extern const struct publisher linkedin_publisher;

const struct publisher *publisher_for(enum network n)
{
	switch (n) {
	case NET_FACEBOOK:
		return &facebook_publisher;
	case NET_INSTAGRAM:
		return &instagram_publisher;
	case NET_LINKEDIN:
		return &linkedin_publisher;
	default:
		return NULL;
	}
}

const char *pub_class_name(enum pub_class c)
{
	static const char *const names[] = {
		"ok", "wait", "transient", "rate-limited", "auth", "owner action",
		"permanent", "duplicate", "configuration", "unknown",
	};
	return (unsigned)c < RT_ARRAY_LEN(names) ? names[c] : "?";
}

int pub_result_set(struct pub_result *res, enum pub_class cls,
		   const char *fmt, ...)
{
	va_list ap;
	res->cls = cls;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	/* Platforms quote tokens back ("Malformed access token ..."). */
	secret_scrub(res->message, sizeof(res->message));
	return 0;
}

int pub_result_append(struct pub_result *res, const char *fmt, ...)
{
	size_t used = strnlen(res->message, sizeof(res->message) - 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message + used, sizeof(res->message) - used, fmt, ap);
	va_end(ap);
	secret_scrub(res->message, sizeof(res->message));
	return 0;
}

void pub_copy_scrubbed(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	/* Scrub at full length: a secret cut by the copy would be out of
	 * secret_scrub's reach once the copy sits inside a longer message. */
	char *full = xstrdup(src ? src : "");
	secret_scrub(full, strlen(full) + 1);
	snprintf(dst, n, "%s", full);
	secret_scrub(dst, n);
	free_wiped(full);
}

int pub_check_done(struct pub_check *out)
{
	secret_scrub(out->detail, sizeof(out->detail));
	secret_scrub(out->fix, sizeof(out->fix));
	return 0;
}

#define WINDOW_MARGIN 300          /* seconds before the commit, on its clock */
#define WINDOW_MARGIN_BLIND 3600   /* the same when its clock is not known */
#define CLOCK_MAX (30L * 86400)    /* a Date further off than this is ignored */

/* The platform's clock less ours: as it was when the commit was marked,
 * else as its newest answer says, else (a restart, say) from one GET of
 * the API's base URL, sent without the token: any answer carries a Date. */
static int platform_clock(struct pub_ctx *ctx, const struct pub_job *job,
			  long *offset)
{
	if (job->commit_clock_known) {
		*offset = job->commit_clock;
		return 1;
	}
	if (http_clock_offset(ctx->http, ctx->account->api, offset))
		return 1;
	struct http_request req = {.method = "GET", .url = ctx->account->api};
	struct http_response resp;
	http_perform(ctx->http, &req, &resp);
	http_response_free(&resp);
	return http_clock_offset(ctx->http, ctx->account->api, offset);
}

time_t pub_window_start(struct pub_ctx *ctx, const struct pub_job *job,
			time_t fallback)
{
	time_t t = job->first_commit_at ? job->first_commit_at
		 : job->commit_at ? job->commit_at : fallback;
	long offset = 0, margin = WINDOW_MARGIN;
	if (!platform_clock(ctx, job, &offset) || offset > CLOCK_MAX ||
	    offset < -CLOCK_MAX) {
		offset = 0;
		margin = WINDOW_MARGIN_BLIND;
	}
	/* t + offset - margin, kept inside [0, t] + offset without overflow */
	if (t < 0)
		t = 0;
	long long w = (long long)(t > (time_t)(1LL << 40) ? (time_t)(1LL << 40) : t)
		      + offset - margin;
	return w > 0 ? (time_t)w : 0;
}
