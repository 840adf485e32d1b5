/*
 * meta.h - private to net/: what Facebook and Instagram share (Graph API
 * error shape, classification by code/subcode, usage headers).
 * Not a public part; only net/facebook.c and net/instagram.c include it.
 */
#ifndef RITUAL_NET_META_H
#define RITUAL_NET_META_H

#include <jansson.h>
#include "ritual/http.h"
#include "ritual/publisher.h"

struct meta_error {
	long code, subcode;
	int is_transient;
	char type[64];
	char message[512];
	char user_msg[512];
	char fbtrace[64];
};

/* Length of an appsecret_proof in hex (HMAC-SHA256). */
#define META_PROOF_LEN 64

/* appsecret_proof = lower-case hex of HMAC-SHA256(key = app secret,
 * message = access token), with OpenSSL's libcrypto, into out (65 bytes).
 * Returns 0, or -1 (out "") when either is NULL or HMAC fails. */
int meta_appsecret_proof(const char *secret, const char *token,
			 char out[META_PROOF_LEN + 1]);

/* url with "appsecret_proof=PROOF" added to its query; a new string. */
char *meta_url_proofed(const char *url, const char *proof);

/* meta_perform's answer when the app secret could not be read: nothing
 * was sent; resp->error says why (never the secret). */
#define META_NO_SECRET (-2)

/*
 * http_perform for a Graph call: when the account has an app_secret_file,
 * takes its secret from ctx->app_secret, else reads the file
 * (read_secret_file's rules), and adds appsecret_proof for
 * req->bearer to the URL's query (Graph takes it there on every method).
 * Requests without a bearer (the token in the URL) go out unchanged.
 * Returns http_perform's value, or META_NO_SECRET (resp initialised; free
 * it as always), which meta_response classifies as PUB_CONFIG.
 */
int meta_perform(struct pub_ctx *ctx, const struct http_request *req,
		 struct http_response *resp);

/* Parse {"error":{...}}; returns 1 if body holds a Meta error object. */
int meta_parse_error(const char *body, size_t len, struct meta_error *e);

/*
 * Turn a Meta response into either a parsed JSON object (return 1, *json
 * set: a 2xx with a JSON object body) or a classified failure in res
 * (return 0). rc is http_perform's (or meta_perform's) return. commit: whether this request
 * was the commit call (an unreadable answer to it is PUB_UNKNOWN, never a
 * plain retry). what: "publishing the photo" for messages. net: "Facebook"
 * or "Instagram".
 */
int meta_response(const struct pub_ctx *ctx, int rc,
		  const struct http_response *resp, int commit,
		  const char *net, const char *what, struct pub_result *res,
		  json_t **json);

/* Classify a parsed Meta error (docs/api-notes.md §Meta errors, §Error classes) into res. */
void meta_classify(const struct pub_ctx *ctx, const struct meta_error *e,
		   const struct http_response *resp, const char *net,
		   const char *what, struct pub_result *res);

/* Seconds to wait according to X-Business-Use-Case-Usage /
 * X-App-Usage: the largest estimated_time_to_regain_access, or, when any
 * usage percentage is >= 90, a cautious pause. 0 when no pause needed. */
long meta_usage_wait(const struct http_response *resp);

/* Whitespace-normalised equality of two texts (Graph returns messages with
 * line ends that may differ). */
int meta_text_equal(const char *a, const char *b);

/* A JSON number (or numeric string) as a long clamped to [lo, hi]; dflt
 * when v is neither. Never overflows, whatever the API sends. */
long meta_json_long(json_t *v, long lo, long hi, long dflt);

/* A JSON string member or NULL (borrowed from obj). */
const char *meta_str(json_t *obj, const char *key);

/* Build "base/suffix" (suffix without a leading '/'); caller frees, with
 * free_wiped when the query holds a token (debug_token's does). The
 * formatted suffix is wiped here. */
char *meta_url(const struct pub_ctx *ctx, const char *fmt, ...) RT_PRINTF(2, 3);

/*
 * maintain()'s part for a Facebook Login token (a Page token, or the
 * Instagram account's through its Page): when TOKEN_FILE.expires has none
 * to trust (absent, or older than the token file: first use, a new token)
 * or ends within notify.token_warn_days (Meta extends data access with
 * use), ask debug_token (the token asks about itself) and record the
 * sooner of expires_at (0 = never, as the API says) and
 * data_access_expires_at (a Page's data access ends after 90 days without
 * use). net: "Facebook" or "Instagram". Returns 0 with res as maintain()'s:
 * PUB_OK (message says what was recorded), PUB_AUTH when the token is no
 * longer valid, or the request's class.
 */
int meta_record_expiry(struct pub_ctx *ctx, const char *net,
		       struct pub_result *res);
/* The debug_token question itself: 1 with *when (0 = never expires, as
 * the API says) and res->message saying so; 0 with res classified when it
 * could not tell (PUB_AUTH: the token is not valid). */
int meta_token_expiry(struct pub_ctx *ctx, const char *net, time_t *when,
		      struct pub_result *res);
/* For check(): out->days_left / never_expires from debug_token (never
 * assumed), appended to out->detail; else TOKEN_FILE.expires' days. */
void meta_check_expiry(struct pub_ctx *ctx, const char *net,
		       struct pub_check *out);

#endif
