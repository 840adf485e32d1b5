/*
 * linkedin.c - the LinkedIn publisher (docs/api-notes.md §LinkedIn): an organization
 * page (urn:li:organization:N) or a member profile (urn:li:person:X).
 *
 * An image post is four steps, each resumable from the ids saved with
 * ctx->save the moment they arrive: (1) POST /rest/images?action=
 * initializeUpload -> "image_urn" + "upload_url"; (2) one PUT of the raw
 * bytes to that URL -> "uploaded" (never twice to one URL: any failed upload
 * forgets the image and starts again with a new one); (3) for a page, GET
 * /rest/images/{urn} until AVAILABLE (PUB_WAIT in between); a member may not
 * read images, so it waits ~5 s instead; (4) the commit call POST
 * /rest/posts, whose 201 carries the post URN only in the x-restli-id
 * header. A text post is step 4 alone. The text arrives little-text escaped
 * (format.c) and goes out as it is; a link stays in the text.
 *
 * Every /rest call sends the token as a Bearer header (http.c), the
 * configured LinkedIn-Version and X-Restli-Protocol-Version 2.0.0.
 * Reconciliation after a lost answer reads the page's posts (author finder)
 * and matches the exact text; a member's posts cannot be read, so the
 * identical post is sent again as a probe: LinkedIn either creates it (it
 * had not gone out) or refuses it as DUPLICATE_POST naming the one that did.
 * Never does SQL or scheduling; never puts a token in a message.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sys/stat.h>

#include "linkedin_internal.h"
#include "ritual/http.h"
#include "ritual/publisher.h"

#define IMAGE_GIVE_UP 300    /* seconds an uploaded image may take to process */
#define MEMBER_IMAGE_WAIT 5  /* seconds a member's upload settles before posting */
#define AUTH_RETRY_WAIT 10   /* seconds before the one retry of a soft 401 */
#define RATE_WAIT (15 * 60)  /* a 429 that is not a daily limit */
#define ANSWER_MAX 700       /* bytes of LinkedIn's answer kept in a message */
#define HINT_NOT_SENT 0x100  /* commit_post: the request never left */

/* ---- small helpers ---- */

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int li_is_member(const char *author)
{
	return author && str_has_prefix(author, "urn:li:person:");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t u8_seq(const unsigned char *s)
{
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* LinkedIn's answer as one line of valid UTF-8 of at most max bytes:
 * whitespace runs folded, control bytes and broken sequences replaced. */
static void answer_snippet(const char *body, size_t len, char *out, size_t max)
{
	size_t o = 0, i = 0;
	int space = 0;
	if (max < 8) {
		if (max)
			out[0] = '\0';
		return;
	}
	while (i < len && body[i]) {
		/* body is NUL-terminated: u8_seq stops at the NUL */
		const unsigned char *p = (const unsigned char *)body + i;
		size_t n = u8_seq(p);
		if (i + n > len)
			n = 0;
		if (n == 1 && (isspace(p[0]) || p[0] < 0x20 || p[0] == 0x7f)) {
			space = o > 0;
			i++;
			continue;
		}
		size_t need = (n ? n : 1) + (space ? 1 : 0);
		if (o + need > max - 4) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		if (n == 0) {
			out[o++] = '?';
			i++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
}

static void li_set(struct pub_result *res, enum pub_class cls, const char *body,
		   size_t len, const char *fmt, ...) RT_PRINTF(5, 6);

/* Fill res: the formatted text, then " LinkedIn's answer: ..." with as
 * much of body as fits (LESSONS #11: keep the platform's own words), both
 * through pub_result_set/pub_result_append, so scrubbed of every secret;
 * the body is scrubbed at full length before it is cut to fit. */
static void li_set(struct pub_result *res, enum pub_class cls, const char *body,
		   size_t len, const char *fmt, ...)
{
	va_list ap;
	char text[sizeof(res->message)];
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pub_result_set(res, cls, "%s", text);
	size_t used = strlen(res->message);
	static const char lead[] = ". LinkedIn's answer: ";
	if (!body || len == 0 || used + sizeof(lead) + 40 > sizeof(res->message))
		return;
	size_t room = sizeof(res->message) - used - (sizeof(lead) - 1);
	if (room > ANSWER_MAX)
		room = ANSWER_MAX;
	char *full = xstrndup(body, len);
	secret_scrub(full, strlen(full) + 1);
	char snip[ANSWER_MAX];
	answer_snippet(full, strlen(full), snip, room);
	free_wiped(full);
	if (snip[0])
		pub_result_append(res, "%s%s", lead, snip);
}

/* "base/suffix" (suffix without a leading '/'); caller frees. */
static char *li_url(const struct pub_ctx *ctx, const char *fmt, ...) RT_PRINTF(2, 3);

static char *li_url(const struct pub_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *suffix = xvasprintf(fmt, ap);
	va_end(ap);
	const char *base = ctx->account->api;
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	char *url = xasprintf("%.*s/%s", (int)bl, base, suffix);
	free(suffix);
	return url;
}

/* One /rest call with the headers every call needs. json: a body to send
 * as application/json, or NULL. A finder (a "q=" parameter, e.g. the
 * q=author posts listing) also says X-RestLi-Method: FINDER, as LinkedIn's
 * documentation sample and its own client do. */
static int li_call(const struct pub_ctx *ctx, const char *method,
		   const char *url, const char *json, int commit,
		   struct http_response *resp)
{
	char version[80];
	snprintf(version, sizeof(version), "LinkedIn-Version: %s",
		 ctx->cfg->api.linkedin_version);
	const char *query = strchr(url, '?');
	int finder = query && (strncmp(query + 1, "q=", 2) == 0 ||
			       strstr(query, "&q=") != NULL);
	const char *const headers[] = {version, "X-Restli-Protocol-Version: 2.0.0",
				       finder ? "X-RestLi-Method: FINDER" : NULL,
				       NULL};
	struct http_request req = {.method = method, .url = url,
				   .bearer = ctx->token, .headers = headers,
				   .commit = commit};
	if (json) {
		req.content_type = "application/json";
		req.body = json;
		req.body_len = strlen(json);
	}
	return http_perform(ctx->http, &req, resp);
}

/* A saved progress value, or NULL when unset or cleared (""). */
static char *load_set(struct pub_ctx *ctx, const char *key)
{
	char *v = ctx->load ? ctx->load(ctx, key) : NULL;
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

static int save(struct pub_ctx *ctx, const char *key, const char *value,
		struct pub_result *res)
{
	struct err err = {{0}};
	if (ctx->save(ctx, key, value, &err) == 0)
		return 0;
	pub_result_set(res, PUB_TRANSIENT, "could not save the LinkedIn %s: %s",
		       key, err.msg);
	return -1;
}

/* Forget the image so the next attempt uploads a new one. Best effort: a
 * failure leaves ids whose use LinkedIn refuses, which leads here again. */
static void forget_image(struct pub_ctx *ctx)
{
	static const char *const keys[] = {"image_urn", "upload_url", "uploaded",
					   "upload_at"};
	struct err err;
	for (size_t i = 0; i < RT_ARRAY_LEN(keys); i++)
		ctx->save(ctx, keys[i], "", &err);
}

static void set_ids(struct pub_result *res, const char *urn)
{
	res->cls = PUB_OK;
	res->message[0] = '\0';
	res->retry_at = 0;
	copy_str(res->remote_id, sizeof(res->remote_id), urn);
	snprintf(res->permalink, sizeof(res->permalink),
		 "https://www.linkedin.com/feed/update/%s/", urn);
}

/* A URN we can keep: "urn:li:...", printable, no spaces, fits remote_id. */
static int urn_ok(const char *s)
{
	if (!s || !str_has_prefix(s, "urn:li:") ||
	    strlen(s) >= sizeof(((struct pub_result *)0)->remote_id))
		return 0;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return 0;
	return 1;
}

/* ---- the pure parts (linkedin_internal.h) ---- */

int li_parse_error(const char *body, size_t len, struct li_error *e)
{
	memset(e, 0, sizeof(*e));
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	e->parsed = 1;
	json_t *v = json_object_get(root, "status");
	if (json_is_integer(v))
		e->status = (long)json_integer_value(v);
	v = json_object_get(root, "serviceErrorCode");
	if (json_is_integer(v))
		e->service_code = (long)json_integer_value(v);
	copy_str(e->code, sizeof(e->code), jstr(root, "code"));
	pub_copy_scrubbed(e->message, sizeof(e->message), jstr(root, "message"));
	if (!e->code[0]) {
		json_t *inputs = json_object_get(json_object_get(root, "errorDetails"),
						 "inputErrors");
		size_t i;
		json_t *item;
		json_array_foreach(inputs, i, item) {
			const char *c = jstr(item, "code");
			if (c && *c) {
				copy_str(e->code, sizeof(e->code), c);
				break;
			}
		}
	}
	json_decref(root);
	return 1;
}

int li_find_post_urn(const char *s, char *out, size_t n)
{
	static const char *const kinds[] = {"urn:li:share:", "urn:li:ugcPost:"};
	const char *best = NULL;
	size_t best_len = 0;
	if (n)
		out[0] = '\0';
	if (!s)
		return 0;
	for (size_t k = 0; k < RT_ARRAY_LEN(kinds); k++) {
		size_t pl = strlen(kinds[k]);
		for (const char *p = strstr(s, kinds[k]); p; p = strstr(p + 1, kinds[k])) {
			size_t d = 0;
			while (isdigit((unsigned char)p[pl + d]))
				d++;
			if (d == 0)
				continue;
			if (!best || p < best) {
				best = p;
				best_len = pl + d;
			}
			break;
		}
	}
	if (!best || best_len >= n)
		return 0;
	memcpy(out, best, best_len);
	out[best_len] = '\0';
	return 1;
}

time_t li_next_utc_midnight(time_t now)
{
	return (now / 86400 + 1) * 86400;
}

long li_image_poll_delay(long elapsed)
{
	long d = elapsed / 2;
	if (d < 3)
		d = 3;
	return d > 60 ? 60 : d;
}

void li_suggest_version(time_t now, char *out, size_t n)
{
	struct tm tm;
	gmtime_r(&now, &tm);
	int year = tm.tm_year + 1900, month = tm.tm_mon; /* the month before */
	if (month == 0) {
		month = 12;
		year--;
	}
	snprintf(out, n, "%04d%02d", year, month);
}

/* Host part of an absolute URL as libcurl will connect to it, lower-cased,
 * without the port (http_url_host). A URL with userinfo is refused (-1):
 * LinkedIn never sends one. */
static int url_host(const char *url, char *out, size_t n)
{
	if (n == 0 || strchr(url, '@') || strchr(url, '\\'))
		return -1;
	char *host = http_url_host(url);
	if (!host)
		return -1;
	size_t hl = strlen(host);
	int rc = -1;
	if (hl > 0 && hl < n) {
		for (size_t i = 0; i <= hl; i++)
			out[i] = (char)tolower((unsigned char)host[i]);
		rc = 0;
	}
	free(host);
	return rc;
}

static int host_in(const char *host, const char *domain)
{
	size_t hl = strlen(host), dl = strlen(domain);
	if (hl == dl)
		return strcmp(host, domain) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strcmp(host + hl - dl, domain) == 0;
}

int li_upload_host_ok(const char *upload_url, const char *api_base)
{
	char host[256], api_host[256];
	if (!upload_url || !http_url_allowed(upload_url) ||
	    url_host(upload_url, host, sizeof(host)) < 0)
		return 0;
	if (host_in(host, "linkedin.com") || host_in(host, "licdn.com"))
		return 1;
	return api_base && url_host(api_base, api_host, sizeof(api_host)) == 0 &&
	       strcmp(host, api_host) == 0;
}

char *li_post_body(const char *author, const char *text,
		   const char *image_urn, const char *alt)
{
	json_t *root = json_pack("{s:s, s:s, s:s, s:{s:s, s:[], s:[]}, s:s, s:b}",
				 "author", author, "commentary", text,
				 "visibility", "PUBLIC", "distribution",
				 "feedDistribution", "MAIN_FEED", "targetEntities",
				 "thirdPartyDistributionChannels",
				 "lifecycleState", "PUBLISHED",
				 "isReshareDisabledByAuthor", 0);
	if (!root)
		return NULL;
	if (image_urn) {
		json_t *media = json_pack("{s:s}", "id", image_urn);
		if (media && alt && *alt &&
		    json_object_set_new(media, "altText", json_string(alt)) < 0) {
			json_decref(media);
			media = NULL;
		}
		if (!media || json_object_set_new(root, "content",
						  json_pack("{s:o}", "media", media)) < 0) {
			json_decref(root);
			return NULL;
		}
	}
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

int li_text_equal(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	return str_equal_folded(a, b);
}

/* "HTTP 401 EXPIRED_ACCESS_TOKEN (65602): \"The token ...\"" */
static void describe(const struct li_error *e, long status, char *out, size_t n)
{
	char svc[32] = "", code[sizeof(e->code)], msg[sizeof(e->message)];
	if (e->service_code)
		snprintf(svc, sizeof(svc), " (%ld)", e->service_code);
	answer_snippet(e->code, strlen(e->code), code, sizeof(code));
	answer_snippet(e->message, strlen(e->message), msg, sizeof(msg));
	snprintf(out, n, "HTTP %ld%s%s%s%s%s%s", status, code[0] ? " " : "",
		 code, svc, msg[0] ? ": \"" : "", msg, msg[0] ? "\"" : "");
}

static int code_is(const struct li_error *e, const char *code)
{
	return strcmp(e->code, code) == 0;
}

int li_classify(const struct pub_ctx *ctx, long status, const char *body,
		size_t len, int commit, const char *what, struct pub_result *res)
{
	const struct account *a = ctx->account;
	struct li_error e;
	char said[700];
	int hints = 0;

	li_parse_error(body, len, &e);
	describe(&e, status, said, sizeof(said));
	res->retry_at = 0;

	if (status >= 300 && status < 400) {
		li_set(res, PUB_CONFIG, body, len,
		       "LinkedIn answered with a redirect (%s) while %s; ritual does "
		       "not follow redirects: check the api URL of account '%s' "
		       "(%s) in %s", said, what, a->name, a->api, ctx->cfg->path);
	} else if (strstr(e.message, "Unable to obtain activity")) {
		li_set(res, PUB_TRANSIENT, body, len,
		       "LinkedIn had a temporary problem (%s) while %s; ritual will "
		       "retry", said, what);
	} else if (status == 401) {
		const char *state = "was refused";
		if (code_is(&e, "EXPIRED_ACCESS_TOKEN") || e.service_code == 65602)
			state = "has expired";
		else if (code_is(&e, "REVOKED_ACCESS_TOKEN") || e.service_code == 65601)
			state = "was revoked";
		else if (code_is(&e, "INVALID_ACCESS_TOKEN") || e.service_code == 65600)
			state = "is not valid";
		if (e.service_code == 65601 || e.service_code == 65600 ||
		    code_is(&e, "REVOKED_ACCESS_TOKEN") ||
		    code_is(&e, "INVALID_ACCESS_TOKEN"))
			hints |= LI_HINT_AUTH_SOFT;
		li_set(res, PUB_AUTH, body, len,
		       "the LinkedIn token of account '%s' %s (%s) while %s. "
		       "LinkedIn tokens last 60 days: create a new one in the "
		       "LinkedIn developer portal and write it to %s (chmod 600); "
		       "ritual resumes when the file changes (in one command: "
		       "`ritual connect linkedin --account %s`)",
		       a->name, state, said, what, a->token_file, a->name);
	} else if (status == 403) {
		int member = li_is_member(a->author);
		li_set(res, PUB_AUTH, body, len,
		       "LinkedIn denied account '%s' access (%s) while %s: the token "
		       "lacks the %s scope, %s. Create a token with %s in the "
		       "LinkedIn developer portal and write it to %s (chmod 600); "
		       "ritual resumes when the file changes",
		       a->name, said, what,
		       member ? "w_member_social" : "w_organization_social",
		       member ? "or the app lacks the \"Share on LinkedIn\" product"
			      : "the app lacks the Community Management API product, "
				"or the member who created the token is not an "
				"administrator or content admin of the page",
		       member ? "w_member_social (and openid profile)"
			      : "w_organization_social and r_organization_social",
		       a->token_file);
	} else if (status == 426 || code_is(&e, "NONEXISTENT_VERSION")) {
		char sug[16];
		li_suggest_version(ctx->now, sug, sizeof(sug));
		li_set(res, PUB_CONFIG, body, len,
		       "LinkedIn API version retired: set api.linkedin_version (now "
		       "\"%s\") in %s to a month less than a year old, e.g. \"%s\" "
		       "(%s while %s); then reload rituald and `touch %s` to resume "
		       "account '%s'", ctx->cfg->api.linkedin_version, ctx->cfg->path,
		       sug, said, what, a->token_file, a->name);
	} else if (status == 400 && (code_is(&e, "VERSION_MISSING") ||
				     code_is(&e, "INVALID_VERSION"))) {
		li_set(res, PUB_CONFIG, body, len,
		       "LinkedIn refused the API version header (%s) while %s: set "
		       "api.linkedin_version in %s to a month like \"202601\"",
		       said, what, ctx->cfg->path);
	} else if (status == 429) {
		char when[40];
		int daily = strstr(e.message, "DAY limit") != NULL ||
			    (body && len && strstr(body, "DAY limit"));
		res->retry_at = daily ? li_next_utc_midnight(ctx->now)
				      : ctx->now + RATE_WAIT;
		res->account_hold_until = res->retry_at;
		struct tm tm;
		gmtime_r(&res->retry_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		li_set(res, PUB_RATE, body, len,
		       "LinkedIn throttled the calls of account '%s' (%s) while %s: "
		       "%s; ritual makes no LinkedIn call for this account before %s",
		       a->name, said, what,
		       daily ? "a daily limit, which LinkedIn resets at midnight UTC"
			     : "a short-term limit", when);
	} else if (status == 422 && (code_is(&e, "DUPLICATE_POST") ||
				     strstr(e.message, "is a duplicate"))) {
		char urn[160];
		if (li_find_post_urn(e.message, urn, sizeof(urn)) ||
		    li_find_post_urn(body, urn, sizeof(urn)))
			copy_str(res->remote_id, sizeof(res->remote_id), urn);
		li_set(res, PUB_DUPLICATE, body, len,
		       "LinkedIn refused the post as a duplicate%s%s (%s) while %s: "
		       "the same text is already on the %s. Change the text and "
		       "queue it again, or cancel this post",
		       res->remote_id[0] ? " of " : "", res->remote_id, said, what,
		       li_is_member(a->author) ? "profile" : "page");
	} else if (status == 400 && (code_is(&e, "MEDIA_ASSET_WAITING_UPLOAD") ||
				     code_is(&e, "UPLOAD_URL_EXPIRED") ||
				     (strstr(e.message, "pload") &&
				      strstr(e.message, "xpired")))) {
		hints |= LI_HINT_REDO_IMAGE;
		li_set(res, PUB_TRANSIENT, body, len,
		       "LinkedIn no longer has the uploaded image (%s) while %s; "
		       "ritual uploads it again", said, what);
	} else if (status == 400 && code_is(&e, "MEDIA_ASSET_PROCESSING")) {
		hints |= LI_HINT_PROCESSING;
		res->retry_at = ctx->now + MEMBER_IMAGE_WAIT;
		li_set(res, PUB_WAIT, body, len,
		       "LinkedIn is still processing the image (%s); ritual waits", said);
	} else if (status == 400 && code_is(&e, "MEDIA_ASSET_PROCESSING_FAILED")) {
		li_set(res, PUB_PERMANENT, body, len,
		       "LinkedIn could not process the image: re-save it as a plain "
		       "JPEG (sRGB, baseline, under 36 megapixels) and queue the post "
		       "again with `ritual retry` (%s while %s)", said, what);
	} else if (status == 400 && code_is(&e, "FIELD_LENGTH_TOO_LONG")) {
		li_set(res, PUB_PERMANENT, body, len,
		       "LinkedIn refused the post: a field is too long (%s) while %s; "
		       "LinkedIn allows 3,000 characters of text and 4,086 of alt "
		       "text: shorten the post and queue it again", said, what);
	} else if (commit && (status == 502 || status == 504)) {
		li_set(res, PUB_UNKNOWN, body, len,
		       "LinkedIn's gateway answered %s while %s: the post may have "
		       "gone out; ritual checks before any retry", said, what);
	} else if (status == 409 || status >= 500) {
		li_set(res, PUB_TRANSIENT, body, len,
		       "LinkedIn had a temporary problem (%s) while %s; ritual will "
		       "retry", said, what);
	} else if (status == 404) {
		li_set(res, PUB_PERMANENT, body, len,
		       "LinkedIn does not know what ritual asked for (%s) while %s; "
		       "check the author of account '%s' (%s)", said, what, a->name,
		       a->author);
	} else {
		li_set(res, PUB_PERMANENT, body, len,
		       "LinkedIn refused the post (%s) while %s; fix the post and "
		       "queue it again (ritual retry)", said, what);
	}
	return hints;
}

/* ---- the steps of a post ---- */

/* Outcome of a step: done (go on), res filled (return it), or our own
 * bookkeeping failed (return -1). */
enum step { STEP_DONE = 1, STEP_RES = 0, STEP_FAIL = -1 };

/* A transport failure of a call that did not make the post visible. */
static void no_answer(struct pub_result *res, const struct http_response *resp,
		      const char *what)
{
	pub_result_set(res, PUB_TRANSIENT, "no answer from LinkedIn while %s "
		       "(%s); ritual will retry", what, resp->error);
}

/* Step 1: a new image URN and upload URL, both saved. */
static enum step init_upload(struct pub_ctx *ctx, struct pub_result *res,
			     char **urn_out, char **url_out, int *hints)
{
	static const char what[] = "starting the image upload";
	const char *author = ctx->account->author;
	json_t *req = json_pack("{s:{s:s}}", "initializeUploadRequest", "owner",
				author);
	char *json = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!json) {
		pub_result_set(res, PUB_CONFIG, "the LinkedIn author of account '%s' "
			       "is not valid UTF-8", ctx->account->name);
		return STEP_RES;
	}
	char *url = li_url(ctx, "rest/images?action=initializeUpload");
	struct http_response resp;
	int rc = li_call(ctx, "POST", url, json, 0, &resp);
	free(url);
	free(json);
	enum step out = STEP_RES;
	if (rc < 0) {
		no_answer(res, &resp, what);
	} else if (resp.status < 200 || resp.status >= 300) {
		*hints |= li_classify(ctx, resp.status, resp.body, resp.body_len, 0,
				      what, res);
	} else {
		json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
		json_t *value = json_object_get(root, "value");
		const char *urn = jstr(value, "image");
		const char *up = jstr(value, "uploadUrl");
		if (!urn_ok(urn) || !up || !*up) {
			li_set(res, PUB_TRANSIENT, resp.body, resp.body_len,
			       "LinkedIn's answer while %s had no image id or upload "
			       "URL (HTTP %ld); ritual will retry", what, resp.status);
		} else if (!li_upload_host_ok(up, ctx->account->api)) {
			char host[256] = "?";
			url_host(up, host, sizeof(host));
			pub_result_set(res, PUB_CONFIG,
				       "LinkedIn's upload URL for account '%s' points "
				       "to %s, which is neither LinkedIn nor the api "
				       "host %s, or is not https; ritual does not send "
				       "the token there: check the api URL in %s",
				       ctx->account->name, host, ctx->account->api,
				       ctx->cfg->path);
		} else if (save(ctx, "uploaded", "", res) < 0 ||
			   save(ctx, "image_urn", urn, res) < 0 ||
			   save(ctx, "upload_url", up, res) < 0) {
			out = STEP_FAIL;
		} else {
			*urn_out = xstrdup(urn);
			*url_out = xstrdup(up);
			out = STEP_DONE;
		}
		json_decref(root);
	}
	http_response_free(&resp);
	return out;
}

/* Step 2: the one PUT of the bytes. Any failure forgets the image: a URL
 * is never written to twice. */
static enum step upload(struct pub_ctx *ctx, const struct pub_job *job,
			const char *upload_url, struct pub_result *res, int *hints)
{
	static const char what[] = "uploading the image";
	if (!li_upload_host_ok(upload_url, ctx->account->api)) {
		forget_image(ctx);
		pub_result_set(res, PUB_TRANSIENT, "the saved LinkedIn upload URL is "
			       "not usable; ritual starts the upload again");
		return STEP_RES;
	}
	/* "put" until the answer is recorded: an attempt that finds it (a
	 * crash, a failed save) cannot know what LinkedIn holds, and starts
	 * over with a new image instead of writing to this URL again. */
	if (save(ctx, "uploaded", "put", res) < 0)
		return STEP_FAIL;
	/* .commit: a fresh connection, so that libcurl never replays the PUT
	 * by itself on a reused connection that died without an answer. */
	struct http_request req = {
		.method = "PUT", .url = upload_url, .bearer = ctx->token,
		.content_type = "application/octet-stream", .body = job->image,
		.body_len = job->image_len, .commit = 1,
		.timeout = ctx->cfg->http.upload_timeout};
	struct http_response resp;
	int rc = http_perform(ctx->http, &req, &resp);
	enum step out = STEP_RES;
	if (rc < 0) {
		forget_image(ctx);
		pub_result_set(res, PUB_TRANSIENT, "no answer from LinkedIn while %s "
			       "(%s); ritual uploads it again", what, resp.error);
	} else if (resp.status < 200 || resp.status >= 300) {
		forget_image(ctx);
		*hints |= li_classify(ctx, resp.status, resp.body, resp.body_len, 0,
				      what, res);
		/* Only a bad token, a limit or a redirect is about more than this
		 * upload; anything else: a new image on the next attempt. */
		if (resp.status != 401 && resp.status != 429 && resp.status != 426 &&
		    !(resp.status >= 300 && resp.status < 400))
			li_set(res, PUB_TRANSIENT, resp.body, resp.body_len,
			       "LinkedIn refused the image upload (HTTP %ld); ritual "
			       "starts the upload again", resp.status);
	} else {
		char now[32];
		snprintf(now, sizeof(now), "%lld", (long long)ctx->now);
		if (save(ctx, "uploaded", "1", res) < 0 ||
		    save(ctx, "upload_at", now, res) < 0)
			out = STEP_FAIL;
		else
			out = STEP_DONE;
	}
	http_response_free(&resp);
	return out;
}

/* When the upload happened; 0 if unknown. */
static time_t upload_time(struct pub_ctx *ctx)
{
	char *s = load_set(ctx, "upload_at");
	time_t t = 0;
	if (s) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (*end == '\0' && v > 0 && v <= (long long)ctx->now)
			t = (time_t)v;
	}
	free(s);
	return t;
}

/* A still-processing image: wait, or after IMAGE_GIVE_UP start again. */
static void image_not_ready(struct pub_ctx *ctx, struct pub_result *res,
			    const char *state)
{
	time_t at = upload_time(ctx);
	if (!at) {
		/* Start the clock now (best effort) so the wait has an end. */
		char now[32];
		struct err err;
		snprintf(now, sizeof(now), "%lld", (long long)ctx->now);
		ctx->save(ctx, "upload_at", now, &err);
		at = ctx->now;
	}
	long elapsed = (long)(ctx->now - at);
	if (elapsed > IMAGE_GIVE_UP) {
		forget_image(ctx);
		pub_result_set(res, PUB_TRANSIENT, "LinkedIn was still processing "
			       "the image after %ld minutes (%s); ritual uploads it "
			       "again", elapsed / 60, state);
		return;
	}
	res->cls = PUB_WAIT;
	res->retry_at = ctx->now + li_image_poll_delay(elapsed);
	snprintf(res->message, sizeof(res->message),
		 "LinkedIn is processing the image (%s)", state);
}

/* Step 3: is the image AVAILABLE? */
static enum step image_ready(struct pub_ctx *ctx, const struct pub_job *job,
			     const char *urn, struct pub_result *res, int *hints)
{
	static const char what[] = "checking the uploaded image";
	if (li_is_member(ctx->account->author)) {
		/* A member token may not read images (403 by design). An
		 * unknown upload time is long past. */
		time_t ready = upload_time(ctx) + MEMBER_IMAGE_WAIT;
		if (ctx->now >= ready)
			return STEP_DONE;
		res->cls = PUB_WAIT;
		res->retry_at = ready;
		snprintf(res->message, sizeof(res->message),
			 "giving LinkedIn a few seconds to process the image");
		return STEP_RES;
	}
	char *enc = http_escape(urn);
	char *url = li_url(ctx, "rest/images/%s", enc);
	free(enc);
	struct http_response resp;
	int rc = li_call(ctx, "GET", url, NULL, 0, &resp);
	free(url);
	enum step out = STEP_RES;
	if (rc < 0) {
		no_answer(res, &resp, what);
	} else if (resp.status == 404) {
		forget_image(ctx);
		li_set(res, PUB_TRANSIENT, resp.body, resp.body_len,
		       "LinkedIn no longer knows the uploaded image %s; ritual "
		       "uploads it again", urn);
	} else if (resp.status < 200 || resp.status >= 300) {
		*hints |= li_classify(ctx, resp.status, resp.body, resp.body_len, 0,
				      what, res);
	} else {
		json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
		const char *status = jstr(root, "status");
		if (status && strcmp(status, "AVAILABLE") == 0) {
			out = STEP_DONE;
		} else if (status && strcmp(status, "PROCESSING_FAILED") == 0) {
			li_set(res, PUB_PERMANENT, resp.body, resp.body_len,
			       "LinkedIn could not process the image: re-save it as a "
			       "plain JPEG (sRGB, baseline, under 36 megapixels) and "
			       "queue the post again with `ritual retry` (image %s, "
			       "%s)", job->image_name ? job->image_name : "?", urn);
		} else if (status && strcmp(status, "WAITING_UPLOAD") == 0) {
			/* The PUT "succeeded" but the bytes never arrived (a proxy
			 * answered for LinkedIn): upload again now (docs/api-notes.md §Error classes). */
			forget_image(ctx);
			pub_result_set(res, PUB_TRANSIENT, "LinkedIn never received "
				       "the uploaded image %s (WAITING_UPLOAD); ritual "
				       "uploads it again", urn);
		} else if (status) {
			image_not_ready(ctx, res, status);
		} else {
			li_set(res, PUB_TRANSIENT, resp.body, resp.body_len,
			       "unreadable answer from LinkedIn while %s (HTTP %ld); "
			       "ritual will retry", what, resp.status);
		}
		json_decref(root);
	}
	http_response_free(&resp);
	return out;
}

/* Steps 1-3 as far as they are not done yet. STEP_DONE with *urn_out set
 * (caller frees) when the image can go into a post. */
static enum step prepare_image(struct pub_ctx *ctx, const struct pub_job *job,
			       struct pub_result *res, char **urn_out, int *hints)
{
	char *urn = load_set(ctx, "image_urn");
	char *up = load_set(ctx, "upload_url");
	char *flag = load_set(ctx, "uploaded");
	int uploaded = flag && strcmp(flag, "1") == 0;
	int interrupted = flag && strcmp(flag, "put") == 0;
	enum step st;
	free(flag);
	if (!urn || interrupted || (!uploaded && !up)) {
		free(urn);
		free(up);
		urn = up = NULL;
		if ((st = init_upload(ctx, res, &urn, &up, hints)) != STEP_DONE)
			return st;
		uploaded = 0;
	}
	if (!uploaded) {
		st = upload(ctx, job, up, res, hints);
		if (st != STEP_DONE) {
			free(urn);
			free(up);
			return st;
		}
	}
	free(up);
	st = image_ready(ctx, job, urn, res, hints);
	if (st != STEP_DONE) {
		free(urn);
		return st;
	}
	*urn_out = urn;
	return STEP_DONE;
}

/*
 * Step 4, the commit call: committing(), then POST /rest/posts. res gets
 * PUB_OK with the URN, or the classified answer (PUB_UNKNOWN for a lost
 * one), and ORs the LI_HINT_* bits into *hints. STEP_FAIL when committing()
 * failed and nothing was sent.
 */
static enum step commit_post(struct pub_ctx *ctx, const struct pub_job *job,
			     const char *image_urn, const char *what,
			     struct pub_result *res, int *hints)
{
	char *json = li_post_body(ctx->account->author, job->text, image_urn,
				  job->alt);
	if (!json) {
		pub_result_set(res, PUB_PERMANENT, "the post's text or alt text is "
			       "not valid UTF-8; fix the post file and queue it again");
		return STEP_RES;
	}
	struct err err = {{0}};
	if (ctx->committing(ctx, &err) < 0) {
		free(json);
		pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
		return STEP_FAIL;
	}
	char *url = li_url(ctx, "rest/posts");
	struct http_response resp;
	int rc = li_call(ctx, "POST", url, json, 1, &resp);
	free(url);
	free(json);
	if (rc < 0) {
		if (resp.fail == HTTP_NOT_SENT) {
			no_answer(res, &resp, what);
			*hints |= HINT_NOT_SENT;
		} else
			pub_result_set(res, PUB_UNKNOWN, "no complete answer from "
				       "LinkedIn while %s (%s): the post may have gone "
				       "out; ritual checks before any retry", what,
				       resp.error);
	} else if (resp.status >= 200 && resp.status < 300) {
		const char *id = http_header(&resp, "x-restli-id");
		if (urn_ok(id))
			set_ids(res, id);
		else
			li_set(res, PUB_UNKNOWN, resp.body, resp.body_len,
			       "LinkedIn answered HTTP %ld while %s but without the "
			       "post's id (x-restli-id%s%s); ritual checks before any "
			       "retry", resp.status, what, id ? " was " : " missing",
			       id ? "unusable" : "");
	} else {
		*hints |= li_classify(ctx, resp.status, resp.body, resp.body_len, 1,
				      what, res);
	}
	http_response_free(&resp);
	return STEP_RES;
}

/* ---- the publisher ---- */

static int li_publish(struct pub_ctx *ctx, const struct pub_job *job,
		      struct pub_result *res)
{
	char *image_urn = NULL, *dup;
	enum step st = STEP_RES;
	int hints = 0;

	if (!ctx->account->author || !*ctx->account->author) {
		pub_result_set(res, PUB_CONFIG, "account '%s' has no LinkedIn author "
			       "(urn:li:organization:N or urn:li:person:X) in %s",
			       ctx->account->name, ctx->cfg->path);
		return 0;
	}
	if (job->image) {
		st = prepare_image(ctx, job, res, &image_urn, &hints);
		if (st != STEP_DONE)
			goto soft_auth;
	}
	/* A duplicate refusal of an earlier attempt is no longer news. */
	dup = load_set(ctx, "dup_refused");
	if (dup) {
		free(dup);
		if (save(ctx, "dup_refused", "", res) < 0) {
			st = STEP_FAIL;
			goto out;
		}
	}
	st = commit_post(ctx, job, image_urn, "publishing the post", res, &hints);
	if (st == STEP_FAIL)
		goto out;
	if (res->cls == PUB_DUPLICATE) {
		if (job->commit_at != 0 && res->remote_id[0] &&
		    li_is_member(ctx->account->author)) {
			/* A member's posts cannot be read back, so this send
			 * after an earlier one of ours was the probe (see
			 * li_probe): the post it names is that earlier one. A
			 * page's duplicate goes back to the daemon, which reads
			 * the page (li_find): a same-text post from before the
			 * first attempt is the owner's, not ours. */
			char urn[sizeof(res->remote_id)];
			copy_str(urn, sizeof(urn), res->remote_id);
			set_ids(res, urn);
		} else if (job->commit_at == 0) {
			/* The first post ever sent for this delivery: the
			 * duplicate is the owner's, not ours. Tell reconcile. */
			struct pub_result tmp = {0};
			if (save(ctx, "dup_refused", "1", &tmp) < 0)
				res->cls = PUB_PERMANENT;
		}
	} else if (hints & LI_HINT_REDO_IMAGE) {
		forget_image(ctx);
	} else if (hints & LI_HINT_PROCESSING) {
		image_not_ready(ctx, res, "MEDIA_ASSET_PROCESSING");
	}
soft_auth:
	if ((hints & LI_HINT_AUTH_SOFT) && res->cls == PUB_AUTH) {
		char *tried = load_set(ctx, "auth_retried");
		struct pub_result tmp = {0};
		if (!tried && save(ctx, "auth_retried", "1", &tmp) == 0) {
			/* LinkedIn has refused fresh tokens this way by mistake:
			 * one more try before pausing the account. */
			char first[sizeof(res->message)];
			copy_str(first, sizeof(first), res->message);
			pub_result_set(res, PUB_WAIT, "trying once more in %d s "
				       "before pausing the account: %s",
				       AUTH_RETRY_WAIT, first);
			res->retry_at = ctx->now + AUTH_RETRY_WAIT;
		}
		free(tried);
	}
out:
	free(image_urn);
	return st == STEP_FAIL ? -1 : 0;
}

/* Member reconciliation: send the identical post again (see the file top). */
static int li_probe(struct pub_ctx *ctx, const struct pub_job *job,
		    struct pub_result *res)
{
	char *image_urn = NULL;
	int hints = 0;
	if (job->image && !(image_urn = load_set(ctx, "image_urn"))) {
		pub_result_set(res, PUB_UNKNOWN, "cannot ask LinkedIn whether the "
			       "post went out: the image id was not saved");
		return 0;
	}
	enum step st = commit_post(ctx, job, image_urn,
				   "checking whether the post went out (sending it "
				   "again as a duplicate check)", res, &hints);
	free(image_urn);
	if (st == STEP_FAIL) {
		res->cls = PUB_WAIT;
		return -1;
	}
	if (res->cls == PUB_OK)
		return 0;
	if (res->cls == PUB_DUPLICATE && res->remote_id[0]) {
		char urn[sizeof(res->remote_id)];
		copy_str(urn, sizeof(urn), res->remote_id);
		set_ids(res, urn);
		return 0;
	}
	switch (res->cls) {
	case PUB_RATE:
	case PUB_AUTH:
	case PUB_CONFIG:
		break;  /* nothing went out; ask again later */
	case PUB_TRANSIENT:
		if (hints & HINT_NOT_SENT) {
			res->cls = PUB_WAIT;  /* not sent at all: probe again later */
			break;
		}
		/* fall through */
	default: {
		char first[sizeof(res->message)];
		copy_str(first, sizeof(first), res->message);
		pub_result_set(res, PUB_UNKNOWN, "LinkedIn could not tell whether "
			       "the post went out (a member's posts cannot be read "
			       "back, and the duplicate check answered: %s)", first);
		break;
	}
	}
	return 0;
}

/* Organization reconciliation: the page's recent posts. Returns 1 when the
 * token may not read them (the caller probes instead), else 0. */
static int li_find(struct pub_ctx *ctx, const struct pub_job *job,
		   struct pub_result *res)
{
	static const char what[] = "reading the page's recent posts";
	char *enc = http_escape(ctx->account->author);
	char *url = li_url(ctx, "rest/posts?author=%s&q=author&count=20"
			   "&sortBy=LAST_MODIFIED", enc);
	free(enc);
	struct http_response resp;
	int rc = li_call(ctx, "GET", url, NULL, 0, &resp);
	free(url);
	int probe = 0;
	if (rc < 0) {
		pub_result_set(res, PUB_WAIT, "no answer from LinkedIn while %s "
			       "(%s); ritual checks again", what, resp.error);
	} else if (resp.status == 403) {
		probe = 1;
	} else if (resp.status < 200 || resp.status >= 300) {
		li_classify(ctx, resp.status, resp.body, resp.body_len, 0, what, res);
		if (res->cls == PUB_TRANSIENT) {
			res->cls = PUB_WAIT;  /* a failed read proves nothing */
			res->retry_at = 0;
		} else if (res->cls != PUB_RATE && res->cls != PUB_AUTH &&
			   res->cls != PUB_CONFIG && res->cls != PUB_WAIT) {
			res->cls = PUB_UNKNOWN;
		}
	} else {
		json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
		json_t *elements = json_object_get(root, "elements");
		time_t since = pub_window_start(ctx, job, job->claimed_at);
		/* Our image, where we know its URN: a post with the same text
		 * and another image (or none) is not ours. */
		char *image_urn = job->image ? load_set(ctx, "image_urn") : NULL;
		size_t i;
		json_t *post;
		int found = 0;
		json_array_foreach(elements, i, post) {
			json_t *media = json_object_get(
				json_object_get(post, "content"), "media");
			const char *media_id = jstr(media, "id");
			if (image_urn && (!media_id || strcmp(media_id, image_urn) != 0))
				continue;
			if (!job->image && media_id)
				continue;
			const char *id = jstr(post, "id");
			json_t *created = json_object_get(post, "createdAt");
			if (!json_is_integer(created))
				created = json_object_get(post, "publishedAt");
			/* createdAt is in ms; compared in seconds, as
			 * since * 1000 can overflow */
			if (!urn_ok(id) || !json_is_integer(created) ||
			    json_integer_value(created) < 0 ||
			    json_integer_value(created) / 1000 < since ||
			    !li_text_equal(jstr(post, "commentary"), job->text))
				continue;
			set_ids(res, id);
			found = 1;
			break;
		}
		free(image_urn);
		if (!found && json_is_array(elements))
			pub_result_set(res, PUB_TRANSIENT, "the post is not on the "
				       "LinkedIn page");
		else if (!found)
			li_set(res, PUB_WAIT, resp.body, resp.body_len,
			       "LinkedIn's list of posts was unreadable (HTTP %ld); "
			       "ritual checks again", resp.status);
		json_decref(root);
	}
	http_response_free(&resp);
	return probe;
}

static int li_reconcile(struct pub_ctx *ctx, const struct pub_job *job,
			struct pub_result *res)
{
	char *dup = load_set(ctx, "dup_refused");
	if (dup) {
		/* The only post ever sent for this delivery was refused as a
		 * duplicate of someone else's: ours is certainly not there. */
		free(dup);
		pub_result_set(res, PUB_TRANSIENT, "LinkedIn refused the post as a "
			       "duplicate of a post ritual did not publish");
		return 0;
	}
	if (!li_is_member(ctx->account->author) && li_find(ctx, job, res) == 0)
		return 0;
	return li_probe(ctx, job, res);
}

/* ---- ritual check --online ---- */

static void check_failed(struct pub_ctx *ctx, const struct http_response *resp,
			 int rc, const char *what, struct pub_check *out)
{
	const struct account *a = ctx->account;
	struct pub_result res = {0};
	struct li_error e;
	char said[600];
	if (rc < 0) {
		snprintf(out->detail, sizeof(out->detail), "no answer from LinkedIn "
			 "while %s: %s", what, resp->error);
		snprintf(out->fix, sizeof(out->fix), "check the network and the api "
			 "URL of account '%s' (%s)", a->name, a->api);
		return;
	}
	li_parse_error(resp->body, resp->body_len, &e);
	describe(&e, resp->status, said, sizeof(said));
	li_classify(ctx, resp->status, resp->body, resp->body_len, 0, what, &res);
	if (res.cls == PUB_CONFIG && (resp->status == 426 ||
				      strcmp(e.code, "NONEXISTENT_VERSION") == 0)) {
		char sug[16];
		li_suggest_version(ctx->now, sug, sizeof(sug));
		snprintf(out->detail, sizeof(out->detail), "LinkedIn API version "
			 "retired: api.linkedin_version \"%s\" is not active (%s)",
			 ctx->cfg->api.linkedin_version, said);
		snprintf(out->fix, sizeof(out->fix), "LinkedIn API version retired: "
			 "set api.linkedin_version in %s to a month less than a year "
			 "old, e.g. \"%s\"", ctx->cfg->path, sug);
	} else if (resp->status == 401) {
		snprintf(out->detail, sizeof(out->detail), "LinkedIn refused the "
			 "token while %s (%s)", what, said);
		snprintf(out->fix, sizeof(out->fix), "LinkedIn tokens last 60 days: "
			 "create a new one in the LinkedIn developer portal and write "
			 "it to %s (chmod 600)", a->token_file);
	} else if (resp->status == 403) {
		snprintf(out->detail, sizeof(out->detail), "LinkedIn denied access "
			 "while %s (%s)", what, said);
		snprintf(out->fix, sizeof(out->fix), "%s",
			 li_is_member(a->author)
				 ? "create a token with the w_member_social and "
				   "openid profile scopes (product \"Share on "
				   "LinkedIn\")"
				 : "create a token with w_organization_social and "
				   "r_organization_social (Community Management API) "
				   "as an administrator of the page");
	} else {
		snprintf(out->detail, sizeof(out->detail), "LinkedIn answered while "
			 "%s: %s", what, said);
		snprintf(out->fix, sizeof(out->fix), "check the api URL (%s) and "
			 "author (%s) of account '%s'", a->api, a->author, a->name);
	}
}

/* GET /rest/posts?author=...&q=author&count=1: proves the token, the
 * version and, for a page, the read scope. */
static int check_finder(struct pub_ctx *ctx, struct http_response *resp)
{
	char *enc = http_escape(ctx->account->author);
	char *url = li_url(ctx, "rest/posts?author=%s&q=author&count=1", enc);
	free(enc);
	int rc = li_call(ctx, "GET", url, NULL, 0, resp);
	free(url);
	return rc;
}

static int li_check_run(struct pub_ctx *ctx, struct pub_check *out)
{
	const struct account *a = ctx->account;
	struct http_response resp;
	int rc;
	memset(out, 0, sizeof(*out));
	/* What `ritual connect` recorded (TOKEN_FILE.expires); else -1. */
	out->days_left = token_days_left(a->token_file, ctx->now);
	out->quota_left = -1;

	if (!li_is_member(a->author)) {
		rc = check_finder(ctx, &resp);
		if (rc == 0 && resp.status >= 200 && resp.status < 300) {
			json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
			if (json_is_array(json_object_get(root, "elements"))) {
				out->ok = 1;
				snprintf(out->detail, sizeof(out->detail),
					 "token valid for %s (reads its posts; "
					 "LinkedIn-Version %s). LinkedIn tokens last 60 "
					 "days; ritual warns when a call is refused",
					 a->author, ctx->cfg->api.linkedin_version);
			} else {
				snprintf(out->detail, sizeof(out->detail),
					 "unreadable answer from LinkedIn (HTTP %ld) "
					 "while reading the page's posts", resp.status);
				snprintf(out->fix, sizeof(out->fix),
					 "check the api URL of account '%s' (%s)",
					 a->name, a->api);
			}
			json_decref(root);
		} else {
			check_failed(ctx, &resp, rc, "reading the page's posts", out);
		}
		http_response_free(&resp);
		return 0;
	}

	/* A member: who the token belongs to (openid userinfo). */
	char *url = li_url(ctx, "v2/userinfo");
	struct http_request req = {.method = "GET", .url = url, .bearer = ctx->token};
	rc = http_perform(ctx->http, &req, &resp);
	free(url);
	if (rc < 0 || resp.status < 200 || resp.status >= 300) {
		check_failed(ctx, &resp, rc, "asking who the token belongs to", out);
		http_response_free(&resp);
		return 0;
	}
	json_t *root = json_loadb(resp.body, resp.body_len, 0, NULL);
	const char *sub = jstr(root, "sub");
	const char *name = jstr(root, "name");
	const char *want = a->author + strlen("urn:li:person:");
	if (!sub || strcmp(sub, want) != 0) {
		snprintf(out->detail, sizeof(out->detail), "the token belongs to "
			 "member %s (%s), not to %s", sub ? sub : "?",
			 name ? name : "?", a->author);
		snprintf(out->fix, sizeof(out->fix), "set author = \"urn:li:person:%s\" "
			 "for account '%s', or use a token of %s", sub ? sub : "?",
			 a->name, a->author);
		json_decref(root);
		http_response_free(&resp);
		return 0;
	}
	char who[200];
	snprintf(who, sizeof(who), "%s", name ? name : sub);
	json_decref(root);
	http_response_free(&resp);

	/* The version: a member may not read posts (403 by design), but a
	 * retired version or a bad token is refused before that. */
	rc = check_finder(ctx, &resp);
	if (rc == 0 && (resp.status == 403 ||
			(resp.status >= 200 && resp.status < 300))) {
		out->ok = 1;
		snprintf(out->detail, sizeof(out->detail),
			 "token valid for member %s (%s; LinkedIn-Version %s). "
			 "LinkedIn tokens last 60 days; ritual warns when a call is "
			 "refused", who, a->author, ctx->cfg->api.linkedin_version);
	} else {
		check_failed(ctx, &resp, rc, "checking the API version", out);
	}
	http_response_free(&resp);
	return 0;
}

/* Every answer of the check may quote the platform: scrubbed here. */
static int li_check(struct pub_ctx *ctx, struct pub_check *out)
{
	int rc = li_check_run(ctx, out);
	pub_check_done(out);
	return rc;
}

#define LI_TOKEN_LIFE (60L * 86400)   /* what LinkedIn's token answer gives */

/* LinkedIn's token introspection with the account's client credentials:
 * 1 with *expires (0 when the answer has none), 0 when it could not tell,
 * -1 with res set (PUB_AUTH) when LinkedIn says the token is not active. */
static int li_introspect(struct pub_ctx *ctx, time_t *expires,
			 struct pub_result *res)
{
	const struct account *a = ctx->account;
	char *secret = NULL;
	struct err err = {{0}};
	if (!a->client_id || !a->client_secret_file ||
	    read_secret_file(a->client_secret_file, &secret, &err) < 0)
		return 0;
	char *url = xasprintf("%s/oauth/v2/introspectToken",
			      ctx->cfg->api.linkedin_oauth);
	struct http_part form[] = {
		{.name = "client_id", .value = a->client_id},
		{.name = "client_secret", .value = secret},
		{.name = "token", .value = ctx->token},
	};
	struct http_request req = {.method = "POST", .url = url, .form = form,
				   .nform = 3};
	struct http_response resp;
	int rc = http_perform(ctx->http, &req, &resp), out = 0;
	secret_free(secret);
	free(url);
	json_t *root = rc == 0 && resp.status == 200
			       ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	if (json_is_object(root)) {
		json_t *act = json_object_get(root, "active");
		json_t *st = json_object_get(root, "status");
		if (json_is_false(act)) {
			pub_result_set(res, PUB_AUTH, "LinkedIn says the token of "
				       "account '%s' is %s: renew it with `ritual "
				       "connect linkedin --account %s`", a->name,
				       json_is_string(st) ? json_string_value(st)
							  : "not active", a->name);
			out = -1;
		} else if (json_is_true(act)) {
			json_int_t e = json_integer_value(json_object_get(root,
								"expires_at"));
			*expires = e > 0 ? (time_t)e : 0;
			out = 1;
		}
	}
	json_decref(root);
	http_response_free(&resp);
	return out;
}

/*
 * Housekeeping: record the token's expiry when TOKEN_FILE.expires has none
 * to trust (a token written by hand, or replaced since): LinkedIn's token
 * introspection where the account has client_id and client_secret_file,
 * else the token file's write time plus the 60 days LinkedIn gives a token.
 */
static int li_maintain(struct pub_ctx *ctx, struct pub_result *res)
{
	const struct account *a = ctx->account;
	time_t exp = 0;
	struct stat sb;
	struct err err = {{0}};
	memset(res, 0, sizeof(*res));
	res->cls = PUB_OK;
	if (token_expiry_read(a->token_file, &exp) || !ctx->token)
		return 0;
	int r = li_introspect(ctx, &exp, res);
	if (r < 0)
		return 0;
	const char *how = "LinkedIn's token introspection";
	if (r == 0 || exp == 0) {
		if (stat(a->token_file, &sb) < 0)
			return 0;
		exp = sb.st_mtime + LI_TOKEN_LIFE;
		how = "the token file's write time plus LinkedIn's 60 days";
	}
	if (token_expiry_write(a->token_file, exp, &err) < 0)
		pub_result_set(res, PUB_OK, "cannot record the token's expiry: %s",
			       err.msg);
	else
		pub_result_set(res, PUB_OK, "token expiry recorded from %s: %lld "
			       "days left", how,
			       ((long long)exp - (long long)ctx->now) / 86400);
	return 0;
}

const struct publisher linkedin_publisher = {
	.network = "linkedin",
	.publish = li_publish,
	.reconcile = li_reconcile,
	.check = li_check,
	.maintain = li_maintain,  /* the token's expiry (no refresh tokens
				   * without partner status) */
};
