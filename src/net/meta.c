/*
 * meta.c - Graph API (Facebook + Instagram) response handling shared by
 * the two Meta publishers: the error shape, classification by error code
 * and subcode (never by HTTP status alone), and the usage headers.
 */
#include "meta.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int meta_appsecret_proof(const char *secret, const char *token,
			 char out[META_PROOF_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (!secret || !token ||
	    !HMAC(EVP_sha256(), secret, (int)strlen(secret),
		  (const unsigned char *)token, strlen(token), mac, &n) ||
	    n * 2 != META_PROOF_LEN)
		return -1;
	hex_encode(mac, n, out);
	explicit_bzero(mac, sizeof(mac));
	return 0;
}

char *meta_url_proofed(const char *url, const char *proof)
{
	/* Graph takes appsecret_proof as a query parameter on every method. */
	return xasprintf("%s%cappsecret_proof=%s", url, strchr(url, '?') ? '&' : '?',
			 proof);
}

/* What resumes an account paused for its app secret: one wording for
 * every such message (rituald's check_paused stamps app_secret_file too). */
#define SECRET_RESUME "ritual pauses the account until app_secret_file " \
	"changes, the configuration is reloaded (systemctl reload rituald) " \
	"or `ritual retry` is run"

int meta_perform(struct pub_ctx *ctx, const struct http_request *req,
		 struct http_response *resp)
{
	const char *file = ctx->account->app_secret_file;
	/* graph.instagram.com (Instagram Login) takes no appsecret_proof */
	if (ctx->account->network == NET_INSTAGRAM &&
	    ctx->account->login == IG_LOGIN_INSTAGRAM)
		file = NULL;
	if (!file || !req->bearer)
		return http_perform(ctx->http, req, resp);

	struct err err = {{0}};
	char *own = NULL;   /* read here only when the caller has not */
	const char *secret = ctx->app_secret;
	char proof[META_PROOF_LEN + 1];
	if ((!secret && read_secret_file(file, &own, &err) < 0) ||
	    meta_appsecret_proof(secret ? secret : own, req->bearer, proof) < 0) {
		secret_free(own);
		memset(resp, 0, sizeof(*resp));
		resp->body = xstrdup("");
		resp->fail = HTTP_NOT_SENT;
		snprintf(resp->error, sizeof(resp->error), "%s",
			 err.msg[0] ? err.msg : "cannot compute appsecret_proof");
		return META_NO_SECRET;
	}
	secret_free(own);
	char *url = meta_url_proofed(req->url, proof);
	struct http_request r = *req;
	r.url = url;
	int rc = http_perform(ctx->http, &r, resp);
	explicit_bzero(url, strlen(url));   /* debug_token's holds a token */
	free(url);
	return rc;
}

const char *meta_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

char *meta_url(const struct pub_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *suffix = xvasprintf(fmt, ap);
	va_end(ap);
	const char *base = ctx->account->api;
	size_t bl = strlen(base);
	char *url = xasprintf("%.*s/%s", (int)(bl && base[bl - 1] == '/' ? bl - 1 : bl),
			      base, suffix);
	free_wiped(suffix);   /* debug_token's holds the token itself */
	return url;
}

long meta_json_long(json_t *v, long lo, long hi, long dflt)
{
	double d;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return i < lo ? lo : i > hi ? hi : (long)i;
	}
	if (json_is_real(v))
		d = json_real_value(v);
	else if (json_is_string(v))
		d = strtod(json_string_value(v), NULL);
	else
		return dflt;
	if (d != d)  /* NaN */
		return dflt;
	return d < (double)lo ? lo : d > (double)hi ? hi : (long)d;
}

static long json_long(json_t *v)
{
	return meta_json_long(v, -1000000000L, 1000000000L, 0);
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int meta_parse_error(const char *body, size_t len, struct meta_error *e)
{
	memset(e, 0, sizeof(*e));
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	if (!json_is_object(err)) {
		json_decref(root);
		return 0;
	}
	e->code = json_long(json_object_get(err, "code"));
	e->subcode = json_long(json_object_get(err, "error_subcode"));
	e->is_transient = json_is_true(json_object_get(err, "is_transient"));
	copy_str(e->type, sizeof(e->type), meta_str(err, "type"));
	/* Scrubbed before the cut: Graph quotes tokens ("Malformed access
	 * token EAAB..."), and a cut token would survive a later scrub. */
	pub_copy_scrubbed(e->message, sizeof(e->message), meta_str(err, "message"));
	pub_copy_scrubbed(e->user_msg, sizeof(e->user_msg),
			  meta_str(err, "error_user_msg"));
	copy_str(e->fbtrace, sizeof(e->fbtrace), meta_str(err, "fbtrace_id"));
	json_decref(root);
	return 1;
}

/* Largest estimated_time_to_regain_access (minutes) and usage % in a
 * usage header's JSON (either {"id":[{...}]} or a flat object). */
static void usage_scan(json_t *v, long *eta_min, long *max_pct)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m) {
			if (json_is_integer(m) || json_is_real(m)) {
				/* Minutes and percentages: a week of minutes at most. */
				long n = meta_json_long(m, 0, 7 * 24 * 60, 0);
				if (strcmp(k, "estimated_time_to_regain_access") == 0) {
					if (n > *eta_min)
						*eta_min = n;
				} else if (strcmp(k, "call_count") == 0 ||
					   strcmp(k, "total_time") == 0 ||
					   strcmp(k, "total_cputime") == 0) {
					if (n > *max_pct)
						*max_pct = n;
				}
			} else {
				usage_scan(m, eta_min, max_pct);
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
			usage_scan(m, eta_min, max_pct);
	}
}

long meta_usage_wait(const struct http_response *resp)
{
	static const char *const names[] = {"x-business-use-case-usage",
					    "x-app-usage", "x-ad-account-usage"};
	long eta = 0, pct = 0;
	for (size_t i = 0; i < RT_ARRAY_LEN(names); i++) {
		const char *h = http_header(resp, names[i]);
		if (!h)
			continue;
		json_t *v = json_loads(h, 0, NULL);
		usage_scan(v, &eta, &pct);
		json_decref(v);
	}
	if (eta > 0)
		return eta * 60;
	if (pct >= 90)
		return 15 * 60;
	return 0;
}

int meta_text_equal(const char *a, const char *b)
{
	return str_equal_folded(a, b);
}

static int in_list(long v, const long *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

void meta_classify(const struct pub_ctx *ctx, const struct meta_error *e,
		   const struct http_response *resp, const char *net,
		   const char *what, struct pub_result *res)
{
	static const long rate_codes[] = {4, 17, 32, 341, 613, 80001, 80002};
	static const long auth_codes[] = {190, 102, 10};
	static const long owner_subcodes[] = {459, 492, 1404078, 4854002, 2207051,
					      2207050};
	static const long transient_subcodes[] = {1363047, 1609010, 2207003,
						  2207020, 2207001, 2207032,
						  2207053, 2207008};
	static const long dup_subcodes[] = {1366051};
	const char *acct = ctx->account->name;
	const char *tokfile = ctx->account->token_file;
	long wait = meta_usage_wait(resp);
	char plat[900], sub[32] = "";

	if (e->subcode)
		snprintf(sub, sizeof(sub), "/%ld", e->subcode);
	snprintf(plat, sizeof(plat), "%s error %ld%s: %s%s%s", net, e->code, sub,
		 e->message, e->user_msg[0] ? " — " : "", e->user_msg);

	if (strcasestr(e->message, "appsecret_proof")) {
		/* "API calls from the server require an appsecret_proof
		 * argument" (100 or 190), "Invalid appsecret_proof provided in
		 * the API argument" (100): the account, not the post. */
		pub_result_set(res, PUB_CONFIG,
			       "%s while %s. The Meta app has \"Require App Secret\" "
			       "on, or the app secret ritual has is not the token's "
			       "app's: write the app secret (App Dashboard, Settings, "
			       "Basic) to a file, chmod 600, and set app_secret_file "
			       "to it in account '%s'%s; " SECRET_RESUME,
			       plat, what, acct,
			       ctx->account->app_secret_file ? " (the one it has "
			       "now does not match)" : "");
	} else if (e->code == 100 && e->subcode == 33) {
		/* Object missing or no permission: every post of the account
		 * would get the same answer. (Instagram's container reads
		 * handle their own 100/33 before this, as unreadable reads.) */
		pub_result_set(res, PUB_CONFIG,
			       "%s while %s. %s cannot see the %s of account '%s' "
			       "with its token: check that %s is right and that "
			       "the token in %s has the permissions (%s) and "
			       "belongs to it; ritual pauses the account until the "
			       "token file changes or `ritual retry` is run",
			       plat, what, net,
			       ctx->account->network == NET_FACEBOOK ? "page" : "user",
			       acct,
			       ctx->account->network == NET_FACEBOOK
				       ? "page_id" : "user_id",
			       tokfile,
			       ctx->account->network == NET_FACEBOOK
				       ? "pages_manage_posts, pages_read_engagement"
				       : "instagram_basic, instagram_content_publish");
	} else if (in_list(e->subcode, owner_subcodes, RT_ARRAY_LEN(owner_subcodes)) ||
		   e->code == 25) {
		pub_result_set(res, PUB_OWNER,
			       "%s while %s (%s). Log in to %s as a Page admin and "
			       "resolve the notice there; ritual pauses account '%s' "
			       "until its token file changes or `ritual retry` is run",
			       plat, what, acct, net, acct);
	} else if (in_list(e->code, auth_codes, RT_ARRAY_LEN(auth_codes)) ||
		   (e->code >= 200 && e->code <= 299)) {
		pub_result_set(res, PUB_AUTH,
			       "%s while %s. The token of account '%s' is expired, "
			       "revoked or lacks a permission: get a new token, write "
			       "it to %s (chmod 600); ritual resumes by itself when "
			       "the file changes (in one command: `ritual connect %s "
			       "--account %s`)", plat, what, acct, tokfile,
			       network_name(ctx->account->network), acct);
	} else if (e->code == 9 && e->subcode == 2207042) {
		pub_result_set(res, PUB_RATE,
			       "%s while %s: the daily publishing quota is used up; "
			       "ritual waits and tries again", plat, what);
		res->retry_at = ctx->now + (wait > 0 ? wait : 3600);
	} else if (in_list(e->code, rate_codes, RT_ARRAY_LEN(rate_codes)) ||
		   e->code == 368 || e->subcode == 1390008) {
		long w = wait > 0 ? wait : 3600;
		pub_result_set(res, PUB_RATE,
			       "%s while %s: rate-limited; ritual waits %ld minutes "
			       "before calling %s again", plat, what, w / 60, net);
		res->retry_at = ctx->now + w;
		res->account_hold_until = res->retry_at;
	} else if (e->code == 506 ||
		   in_list(e->subcode, dup_subcodes, RT_ARRAY_LEN(dup_subcodes))) {
		pub_result_set(res, PUB_DUPLICATE,
			       "%s while %s: %s says this post is a duplicate",
			       plat, what, net);
	} else if (e->code == 1 || e->code == 2 || e->is_transient ||
		   in_list(e->subcode, transient_subcodes,
			   RT_ARRAY_LEN(transient_subcodes)) ||
		   e->code == -1 || e->code == -2 || e->code == 24 ||
		   resp->status >= 500) {
		pub_result_set(res, PUB_TRANSIENT, "%s while %s; ritual will retry",
			       plat, what);
	} else if (e->code == 9004) {
		pub_result_set(res, PUB_PERMANENT,
			       "%s while %s: Meta could not download the image from "
			       "its public URL; check the media settings with "
			       "`ritual check --online`", plat, what);
	} else {
		pub_result_set(res, PUB_PERMANENT,
			       "%s while %s; fix the post and queue it again "
			       "(ritual retry)", plat, what);
	}
	if (wait > 0 && !res->account_hold_until)
		res->account_hold_until = ctx->now + wait;
}

int meta_response(const struct pub_ctx *ctx, int rc,
		  const struct http_response *resp, int commit,
		  const char *net, const char *what, struct pub_result *res,
		  json_t **json)
{
	*json = NULL;
	if (rc == META_NO_SECRET) {
		pub_result_set(res, PUB_CONFIG,
			       "nothing sent to %s while %s: %s (app_secret_file "
			       "of account '%s'); " SECRET_RESUME, net, what, resp->error,
			       ctx->account->name);
		return 0;
	}
	if (rc < 0) {
		if (resp->fail == HTTP_NOT_SENT || !commit)
			pub_result_set(res, PUB_TRANSIENT,
				       "no answer from %s while %s (%s); ritual will "
				       "retry", net, what, resp->error);
		else
			pub_result_set(res, PUB_UNKNOWN,
				       "no complete answer from %s while %s (%s); "
				       "ritual checks the account before any retry",
				       net, what, resp->error);
		return 0;
	}
	struct meta_error e;
	if (meta_parse_error(resp->body, resp->body_len, &e)) {
		meta_classify(ctx, &e, resp, net, what, res);
		return 0;
	}
	json_t *root = NULL;
	if (resp->status >= 200 && resp->status < 300)
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (json_is_object(root)) {
		long wait = meta_usage_wait(resp);
		if (wait > 0)
			res->account_hold_until = ctx->now + wait;
		*json = root;
		return 1;
	}
	json_decref(root);
	/* No Meta error and no JSON object: a proxy page, an empty body, a
	 * redirect. For the commit call we cannot know what happened. */
	char snippet[120];
	size_t n = resp->body_len < sizeof(snippet) - 1 ? resp->body_len
							: sizeof(snippet) - 1;
	for (size_t i = 0; i < n; i++)
		snippet[i] = isprint((unsigned char)resp->body[i]) ? resp->body[i] : ' ';
	snippet[n] = '\0';
	if (commit)
		pub_result_set(res, PUB_UNKNOWN,
			       "unreadable answer from %s while %s (HTTP %ld: "
			       "\"%s\"); ritual checks the account before any retry",
			       net, what, resp->status, snippet);
	else if (resp->status >= 300 && resp->status < 400)
		pub_result_set(res, PUB_CONFIG,
			       "%s answered with a redirect (HTTP %ld) while %s; "
			       "check the api URL of account '%s'", net,
			       resp->status, what, ctx->account->name);
	else
		pub_result_set(res, PUB_TRANSIENT,
			       "unreadable answer from %s while %s (HTTP %ld: "
			       "\"%s\"); ritual will retry", net, what,
			       resp->status, snippet);
	return 0;
}

int meta_token_expiry(struct pub_ctx *ctx, const char *net, time_t *when,
		      struct pub_result *res)
{
	const struct account *a = ctx->account;
	memset(res, 0, sizeof(*res));
	res->cls = PUB_OK;
	*when = 0;
	if (!ctx->token)
		return 0;
	char *it = http_escape(ctx->token);
	char *url = meta_url(ctx, "debug_token?input_token=%s", it);
	explicit_bzero(it, strlen(it));
	free(it);
	struct http_request req = {.method = "GET", .url = url,
				   .bearer = ctx->token};
	struct http_response resp;
	json_t *root;
	int rc = meta_perform(ctx, &req, &resp);
	free_wiped(url);
	if (!meta_response(ctx, rc, &resp, 0, net, "reading the token's expiry "
			   "(debug_token)", res, &root)) {
		http_response_free(&resp);
		return 0;
	}
	http_response_free(&resp);
	json_t *d = json_object_get(root, "data");
	if (!json_is_object(d)) {
		pub_result_set(res, PUB_TRANSIENT, "%s's debug_token answer has no "
			       "data; the token's expiry stays unknown", net);
		json_decref(root);
		return 0;
	}
	if (!json_is_true(json_object_get(d, "is_valid"))) {
		json_t *e = json_object_get(d, "error");
		const char *m = meta_str(e, "message");
		pub_result_set(res, PUB_AUTH, "the %s token of account '%s' is no "
			       "longer valid (%s): renew it with `ritual connect %s "
			       "--account %s`", net, a->name, m ? m : "debug_token "
			       "says is_valid false", network_name(a->network),
			       a->name);
		json_decref(root);
		return 0;
	}
	long long exp = json_integer_value(json_object_get(d, "expires_at"));
	long long data = json_integer_value(json_object_get(d,
						"data_access_expires_at"));
	*when = (time_t)(exp > 0 && (data <= 0 || exp < data) ? exp
			 : data > 0 ? data : 0);
	if (*when > 0)
		pub_result_set(res, PUB_OK, "%s in %lld days (debug_token: "
			       "expires_at %lld, data_access_expires_at %lld)",
			       exp > 0 && exp == (long long)*when ? "expires"
			       : "data access ends",
			       ((long long)*when - (long long)ctx->now) / 86400,
			       exp, data);
	else
		pub_result_set(res, PUB_OK, "the token does not expire (debug_token: "
			       "expires_at 0, no data_access_expires_at)");
	json_decref(root);
	return 1;
}

int meta_record_expiry(struct pub_ctx *ctx, const char *net,
		       struct pub_result *res)
{
	const struct account *a = ctx->account;
	time_t known, when;
	memset(res, 0, sizeof(*res));
	res->cls = PUB_OK;
	if (token_expiry_read(a->token_file, &known) &&
	    (long long)known - (long long)ctx->now >
		    (long long)ctx->cfg->notify.token_warn_days * 86400)
		return 0;
	if (!meta_token_expiry(ctx, net, &when, res))
		return 0;
	struct err err = {{0}};
	if (token_expiry_write(a->token_file, when, &err) < 0) {
		pub_result_set(res, PUB_OK, "cannot record the token's expiry: %s",
			       err.msg);
		return 0;
	}
	char said[sizeof(res->message)];
	snprintf(said, sizeof(said), "%s", res->message);
	pub_result_set(res, PUB_OK, "token expiry recorded: %s", said);
	return 0;
}

void meta_check_expiry(struct pub_ctx *ctx, const char *net,
		       struct pub_check *out)
{
	struct pub_result r;
	time_t when;
	size_t n = strlen(out->detail);
	if (meta_token_expiry(ctx, net, &when, &r)) {
		out->never_expires = when == 0;
		out->days_left = when == 0 ? -1
				 : when <= ctx->now ? 0
				 : (long)((when - ctx->now) / 86400);
		snprintf(out->detail + n, sizeof(out->detail) - n, "; %s", r.message);
	} else {
		out->days_left = token_days_left(ctx->account->token_file, ctx->now);
		snprintf(out->detail + n, sizeof(out->detail) - n, "; expiry unknown "
			 "(%s)", r.message);
	}
}
