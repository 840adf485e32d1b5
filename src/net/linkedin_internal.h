/*
 * linkedin_internal.h - private to net/linkedin.c and its unit tests: the
 * pure parts of the LinkedIn publisher (error parsing and classification,
 * URN and URL helpers, the post body). Not a public part; nothing else in
 * ritual includes it.
 */
#ifndef RITUAL_NET_LINKEDIN_INTERNAL_H
#define RITUAL_NET_LINKEDIN_INTERNAL_H

#include <stddef.h>
#include <time.h>
#include "ritual/publisher.h"

/* A LinkedIn error body, parsed defensively: any field may be missing
 * (docs/api-notes.md §LinkedIn errors). */
struct li_error {
	int parsed;            /* the body was a JSON object */
	long status;           /* "status", 0 when absent */
	long service_code;     /* "serviceErrorCode", 0 when absent */
	char code[64];         /* "code", else the first errorDetails.inputErrors[].code */
	char message[512];     /* "message" */
};

/* Parse body into e. Returns 1 when it was a JSON object, else 0 (e is
 * then zeroed). */
int li_parse_error(const char *body, size_t len, struct li_error *e);

/* Hints li_classify gives the caller beyond the class. */
#define LI_HINT_REDO_IMAGE  0x1  /* upload URL expired / image waiting for
				  * upload: forget the image, upload anew */
#define LI_HINT_PROCESSING  0x2  /* the image is still being processed */
#define LI_HINT_AUTH_SOFT   0x4  /* 401 revoked/invalid: LinkedIn has sent
				  * these spuriously; worth one retry */

/*
 * Classify a complete, non-2xx answer (docs/api-notes.md §LinkedIn errors, §Error classes) into res: the
 * class, retry_at/account_hold_until where they apply, remote_id for a
 * DUPLICATE_POST that names the existing post, and a message for the owner
 * that says what happened, what to do, and ends with LinkedIn's own answer.
 * commit: whether the request was POST /rest/posts (a gateway 502/504 to it
 * is PUB_UNKNOWN). what: "publishing the post", for the message. Returns
 * LI_HINT_* bits.
 */
int li_classify(const struct pub_ctx *ctx, long status, const char *body,
		size_t len, int commit, const char *what, struct pub_result *res);

/* Copy the first "urn:li:share:N" or "urn:li:ugcPost:N" in s to out.
 * Returns 1 if found (and it fitted), else 0 with out = "". */
int li_find_post_urn(const char *s, char *out, size_t n);

/* The next 00:00 UTC strictly after now. */
time_t li_next_utc_midnight(time_t now);

/* Whether author is a member (urn:li:person:...) rather than a page. */
int li_is_member(const char *author);

/* Seconds before the next image status poll, elapsed seconds after the
 * upload: 3 s at first, then growing, at most 60 s. */
long li_image_poll_delay(long elapsed);

/* Whether the token may go to upload_url: https (or loopback http), on
 * linkedin.com / licdn.com or on the host of api_base. */
int li_upload_host_ok(const char *upload_url, const char *api_base);

/* The POST /rest/posts body (docs/api-notes.md §LinkedIn publishing); content.media only when
 * image_urn is set, altText only when alt is non-empty. Returns a string
 * the caller frees, or NULL when a value is not valid UTF-8. */
char *li_post_body(const char *author, const char *text,
		   const char *image_urn, const char *alt);

/* Equal texts, or equal once every whitespace run is one space. */
int li_text_equal(const char *a, const char *b);

/* "YYYYMM" of the month before now (UTC): a version to suggest. */
void li_suggest_version(time_t now, char *out, size_t n);

#endif
