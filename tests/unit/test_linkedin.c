/*
 * test_linkedin.c - the pure parts of the LinkedIn publisher: how each
 * answer LinkedIn gives is classified (docs/api-notes.md §LinkedIn errors,
 * §Error classes), the URN and
 * URL helpers, and the exact body of POST /rest/posts. The request steps
 * themselves are tested end to end against the fake API
 * (tests/e2e/test_linkedin.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "../../src/net/linkedin_internal.h"

#define NOW ((time_t)1772442003)            /* 2026-03-02 09:00:03 UTC */
#define MIDNIGHT ((time_t)1772496000)       /* 2026-03-03 00:00:00 UTC */
#define ORG "urn:li:organization:5515715"
#define PERSON "urn:li:person:abc123XYZ"

static struct config cfg;
static struct account org_acct, member_acct;

static struct pub_ctx ctx_for(const struct account *a)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = "/etc/ritual/ritual.conf";
	cfg.api.linkedin_version = "202601";
	struct pub_ctx ctx = {.cfg = &cfg, .account = a, .now = NOW};
	return ctx;
}

static int setup(void **state)
{
	(void)state;
	org_acct = (struct account){.name = "studio-li", .network = NET_LINKEDIN,
				    .author = ORG,
				    .token_file = "/etc/ritual/linkedin.token",
				    .api = "https://api.linkedin.com"};
	member_acct = org_acct;
	member_acct.name = "owner-li";
	member_acct.author = PERSON;
	return 0;
}

/* Classify status + body for the page account; returns the hints. */
static int classify(const char *body, long status, int commit,
		    struct pub_result *res)
{
	struct pub_ctx ctx = ctx_for(&org_acct);
	memset(res, 0, sizeof(*res));
	return li_classify(&ctx, status, body, body ? strlen(body) : 0, commit,
			   "publishing the post", res);
}

/* ---- parsing ---- */

static void test_parse_error_shapes(void **state)
{
	(void)state;
	struct li_error e;
	const char *b = "{\"status\":401,\"serviceErrorCode\":65602,\"code\":"
			"\"EXPIRED_ACCESS_TOKEN\",\"message\":\"The token used in the "
			"request has expired\"}";
	assert_int_equal(li_parse_error(b, strlen(b), &e), 1);
	assert_int_equal(e.status, 401);
	assert_int_equal(e.service_code, 65602);
	assert_string_equal(e.code, "EXPIRED_ACCESS_TOKEN");
	assert_string_equal(e.message, "The token used in the request has expired");

	/* 65600 comes without "code" */
	b = "{\"serviceErrorCode\":65600,\"message\":\"Invalid access token\",\"status\":401}";
	assert_int_equal(li_parse_error(b, strlen(b), &e), 1);
	assert_string_equal(e.code, "");
	assert_int_equal(e.service_code, 65600);

	/* the code of a Rest.li validation error is in inputErrors */
	b = "{\"errorDetailType\":\"com.linkedin.common.error.BadRequest\",\"message\":"
	    "\"x\",\"errorDetails\":{\"inputErrors\":[{\"description\":\"Duplicate "
	    "post is detected\",\"input\":{},\"code\":\"DUPLICATE_POST\"}]},\"status\":422}";
	assert_int_equal(li_parse_error(b, strlen(b), &e), 1);
	assert_string_equal(e.code, "DUPLICATE_POST");
	assert_int_equal(e.status, 422);

	assert_int_equal(li_parse_error("<html>Bad gateway</html>", 24, &e), 0);
	assert_int_equal(e.parsed, 0);
	assert_int_equal(li_parse_error("", 0, &e), 0);
	assert_int_equal(li_parse_error("[1,2]", 5, &e), 0);
}

static void test_find_post_urn(void **state)
{
	(void)state;
	char urn[64];
	assert_int_equal(li_find_post_urn("com.linkedin.content.common.exception."
					  "BadRequestResponseException: Content is a "
					  "duplicate of urn:li:share:7141138937766391808",
					  urn, sizeof(urn)), 1);
	assert_string_equal(urn, "urn:li:share:7141138937766391808");
	assert_int_equal(li_find_post_urn("dup of urn:li:ugcPost:123, see "
					  "urn:li:share:456", urn, sizeof(urn)), 1);
	assert_string_equal(urn, "urn:li:ugcPost:123");
	assert_int_equal(li_find_post_urn("urn:li:share: and urn:li:share:9.",
					  urn, sizeof(urn)), 1);
	assert_string_equal(urn, "urn:li:share:9");
	assert_int_equal(li_find_post_urn("urn:li:image:C4E10AQ urn:li:share:x",
					  urn, sizeof(urn)), 0);
	assert_string_equal(urn, "");
	assert_int_equal(li_find_post_urn(NULL, urn, sizeof(urn)), 0);
	/* does not fit: refused, never cut */
	assert_int_equal(li_find_post_urn("urn:li:share:7141138937766391808",
					  urn, 10), 0);
}

/* ---- classification, one test per row of §7 ---- */

static void test_server_errors_are_transient(void **state)
{
	(void)state;
	struct pub_result res;
	static const long statuses[] = {500, 503, 504, 409};
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		classify("{\"status\":500,\"message\":\"Internal Server Error\"}",
			 statuses[i], 0, &res);
		assert_int_equal(res.cls, PUB_TRANSIENT);
	}
	classify("{\"message\":\"Unable to obtain activity\",\"status\":400}", 400, 1,
		 &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	/* the commit call: 500/503 nothing went out; a gateway may have */
	classify("", 500, 1, &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	classify("", 503, 1, &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	classify("<html>Bad Gateway</html>", 502, 1, &res);
	assert_int_equal(res.cls, PUB_UNKNOWN);
	classify("", 504, 1, &res);
	assert_int_equal(res.cls, PUB_UNKNOWN);
	classify("", 502, 0, &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
}

static void test_daily_throttle_until_midnight_utc(void **state)
{
	(void)state;
	struct pub_result res;
	classify("{\"status\":429,\"serviceErrorCode\":101,\"message\":\"Resource level "
		 "throttle APPLICATION DAY limit for calls to this resource is "
		 "reached.\"}", 429, 1, &res);
	assert_int_equal(res.cls, PUB_RATE);
	assert_int_equal(res.retry_at, MIDNIGHT);
	assert_int_equal(res.account_hold_until, MIDNIGHT);
	assert_non_null(strstr(res.message, "APPLICATION DAY limit"));
	assert_non_null(strstr(res.message, "2026-03-03 00:00 UTC"));

	classify("{\"status\":429,\"message\":\"Resource level throttle MEMBER DAY "
		 "limit for calls to this resource is reached.\"}", 429, 0, &res);
	assert_int_equal(res.retry_at, MIDNIGHT);

	/* an infrastructure 429 clears on its own */
	classify("{\"status\":429,\"message\":\"Too many requests\"}", 429, 0, &res);
	assert_int_equal(res.cls, PUB_RATE);
	assert_int_equal(res.retry_at, NOW + 15 * 60);
	assert_int_equal(res.account_hold_until, NOW + 15 * 60);
	assert_int_equal(li_next_utc_midnight(MIDNIGHT), MIDNIGHT + 86400);
	assert_int_equal(li_next_utc_midnight(MIDNIGHT - 1), MIDNIGHT);
}

static void test_token_refused_is_auth_with_the_fix(void **state)
{
	(void)state;
	struct pub_result res;
	int hints = classify("{\"status\":401,\"serviceErrorCode\":65602,\"code\":"
			     "\"EXPIRED_ACCESS_TOKEN\",\"message\":\"The token used in "
			     "the request has expired\"}", 401, 1, &res);
	assert_int_equal(res.cls, PUB_AUTH);
	assert_int_equal(hints & LI_HINT_AUTH_SOFT, 0);
	assert_non_null(strstr(res.message, "'studio-li'"));
	assert_non_null(strstr(res.message, "EXPIRED_ACCESS_TOKEN"));
	assert_non_null(strstr(res.message, "65602"));
	assert_non_null(strstr(res.message, "The token used in the request has expired"));
	assert_non_null(strstr(res.message, "LinkedIn tokens last 60 days: create a new "
				"one in the LinkedIn developer portal and write it to "
				"/etc/ritual/linkedin.token (chmod 600); ritual "
				"resumes when the file changes"));

	hints = classify("{\"status\":401,\"serviceErrorCode\":65601,\"code\":"
			 "\"REVOKED_ACCESS_TOKEN\",\"message\":\"The token used in the "
			 "request has been revoked by the user\"}", 401, 0, &res);
	assert_int_equal(res.cls, PUB_AUTH);
	assert_true(hints & LI_HINT_AUTH_SOFT);
	assert_non_null(strstr(res.message, "revoked"));
	hints = classify("{\"serviceErrorCode\":65600,\"message\":\"Invalid access "
			 "token\",\"status\":401}", 401, 0, &res);
	assert_int_equal(res.cls, PUB_AUTH);
	assert_true(hints & LI_HINT_AUTH_SOFT);
	assert_non_null(strstr(res.message, "not valid"));
}

static void test_access_denied_names_the_scope(void **state)
{
	(void)state;
	struct pub_result res;
	const char *b = "{\"status\":403,\"serviceErrorCode\":100,\"code\":"
			"\"ACCESS_DENIED\",\"message\":\"Not enough permissions to "
			"access: partnerApiPostsExternal.CREATE.20260101\"}";
	classify(b, 403, 1, &res);
	assert_int_equal(res.cls, PUB_AUTH);
	assert_non_null(strstr(res.message, "w_organization_social"));
	assert_non_null(strstr(res.message, "partnerApiPostsExternal.CREATE"));
	assert_non_null(strstr(res.message, "/etc/ritual/linkedin.token"));

	struct pub_ctx ctx = ctx_for(&member_acct);
	memset(&res, 0, sizeof(res));
	li_classify(&ctx, 403, b, strlen(b), 1, "publishing the post", &res);
	assert_int_equal(res.cls, PUB_AUTH);
	assert_non_null(strstr(res.message, "w_member_social"));
	assert_null(strstr(res.message, "w_organization_social"));
}

static void test_retired_version_is_config(void **state)
{
	(void)state;
	struct pub_result res;
	classify("{\"status\":426,\"code\":\"NONEXISTENT_VERSION\",\"message\":"
		 "\"Requested version 20260101 is not active\"}", 426, 1, &res);
	assert_int_equal(res.cls, PUB_CONFIG);
	assert_non_null(strstr(res.message, "LinkedIn API version retired: set "
				"api.linkedin_version"));
	assert_non_null(strstr(res.message, "\"202601\""));
	assert_non_null(strstr(res.message, "/etc/ritual/ritual.conf"));
	assert_non_null(strstr(res.message, "\"202602\""));   /* the month before NOW */
	assert_non_null(strstr(res.message, "Requested version 20260101 is not active"));

	char v[16];
	li_suggest_version(NOW, v, sizeof(v));
	assert_string_equal(v, "202602");
	li_suggest_version((time_t)1767225600, v, sizeof(v)); /* 2026-01-01 */
	assert_string_equal(v, "202512");
}

static void test_duplicate_names_the_existing_post(void **state)
{
	(void)state;
	struct pub_result res;
	classify("{\"errorDetailType\":\"com.linkedin.common.error.BadRequest\","
		 "\"message\":\"com.linkedin.content.common.exception."
		 "BadRequestResponseException: Content is a duplicate of "
		 "urn:li:share:7141138937766391808\",\"errorDetails\":{\"inputErrors\":"
		 "[{\"description\":\"Duplicate post is detected\",\"input\":{},\"code\":"
		 "\"DUPLICATE_POST\"}]},\"status\":422}", 422, 1, &res);
	assert_int_equal(res.cls, PUB_DUPLICATE);
	assert_string_equal(res.remote_id, "urn:li:share:7141138937766391808");
	assert_non_null(strstr(res.message, "Duplicate post is detected"));

	classify("{\"status\":422,\"code\":\"DUPLICATE_POST\",\"message\":\"dup\"}",
		 422, 1, &res);
	assert_int_equal(res.cls, PUB_DUPLICATE);
	assert_string_equal(res.remote_id, "");

	/* any other 422 is permanent */
	classify("{\"status\":422,\"message\":\"Unprocessable\"}", 422, 1, &res);
	assert_int_equal(res.cls, PUB_PERMANENT);
}

static void test_bad_requests_are_permanent_keeping_linkedins_words(void **state)
{
	(void)state;
	struct pub_result res;
	static const char *const codes[] = {"FIELD_LENGTH_TOO_LONG", "INVALID_URN_TYPE",
					    "MISSING_FIELD", "INVALID_VALUE_FOR_FIELD",
					    "MEDIA_ASSET_PROCESSING_FAILED"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char body[300];
		snprintf(body, sizeof(body), "{\"status\":400,\"code\":\"%s\","
			 "\"message\":\"words of LinkedIn %zu\"}", codes[i], i);
		classify(body, 400, 1, &res);
		assert_int_equal(res.cls, PUB_PERMANENT);
		assert_non_null(strstr(res.message, codes[i]));
		char words[40];
		snprintf(words, sizeof(words), "words of LinkedIn %zu", i);
		assert_non_null(strstr(res.message, words));
	}
	classify("{\"status\":400,\"code\":\"MEDIA_ASSET_PROCESSING_FAILED\","
		 "\"message\":\"x\"}", 400, 1, &res);
	assert_non_null(strstr(res.message, "re-save it as a plain JPEG"));
	classify("{\"message\":\"Post does not exist\",\"status\":404}", 404, 0, &res);
	assert_int_equal(res.cls, PUB_PERMANENT);
}

/* LinkedIn quotes a token back: li_set's message (its own text and the
 * raw answer it appends) is scrubbed, a long answer before it is cut. */
static void test_quoted_token_is_scrubbed(void **state)
{
	(void)state;
	struct pub_result res;
	char tok[201];
	for (int i = 0; i < 200; i++)
		tok[i] = (char)('A' + i % 26);
	tok[200] = '\0';
	secret_register(tok);
	char pad[451];
	memset(pad, 'y', 450);
	pad[450] = '\0';
	char body[1200];
	snprintf(body, sizeof(body), "{\"status\":400,\"code\":\"INVALID_VALUE\","
		 "\"message\":\"%s Malformed access token %s\"}", pad, tok);
	classify(body, 400, 1, &res);
	assert_int_equal(res.cls, PUB_PERMANENT);
	for (size_t i = 0; i + 8 <= strlen(tok); i++) {
		char run[9];
		memcpy(run, tok + i, 8);
		run[8] = '\0';
		if (strstr(res.message, run))
			fail_msg("\"%s\" survived in \"%s\"", run, res.message);
	}
	assert_non_null(strstr(res.message, "Malformed access token [secret]"));
	secret_forget(tok);
}

static void test_upload_states_redo_or_wait(void **state)
{
	(void)state;
	struct pub_result res;
	int h = classify("{\"status\":400,\"code\":\"MEDIA_ASSET_WAITING_UPLOAD\","
			 "\"message\":\"Media asset is waiting for upload\"}", 400, 1, &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	assert_true(h & LI_HINT_REDO_IMAGE);
	h = classify("{\"status\":400,\"code\":\"UPLOAD_URL_EXPIRED\",\"message\":"
		     "\"Upload URL has expired\"}", 400, 0, &res);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	assert_true(h & LI_HINT_REDO_IMAGE);
	h = classify("{\"status\":400,\"code\":\"MEDIA_ASSET_PROCESSING\",\"message\":"
		     "\"still processing\"}", 400, 1, &res);
	assert_int_equal(res.cls, PUB_WAIT);
	assert_true(h & LI_HINT_PROCESSING);
	assert_true(res.retry_at > NOW);
}

static void test_redirect_and_version_header_are_config(void **state)
{
	(void)state;
	struct pub_result res;
	classify("", 302, 1, &res);
	assert_int_equal(res.cls, PUB_CONFIG);
	assert_non_null(strstr(res.message, "redirect"));
	assert_non_null(strstr(res.message, "https://api.linkedin.com"));
	classify("{\"status\":400,\"code\":\"VERSION_MISSING\",\"message\":\"A version "
		 "must be present.\"}", 400, 0, &res);
	assert_int_equal(res.cls, PUB_CONFIG);
}

static void test_message_keeps_answer_within_bounds(void **state)
{
	(void)state;
	struct pub_result res;
	/* a long body with control bytes, a broken and a whole UTF-8 sequence */
	struct buf b = {0};
	buf_puts(&b, "{\"status\":400,\"code\":\"INVALID_VALUE_FOR_FIELD\",\"message\":\"");
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "caf\xc3\xa9 \x01\t\xff ");
	buf_puts(&b, "\"}");
	struct pub_ctx ctx = ctx_for(&org_acct);
	memset(&res, 0, sizeof(res));
	li_classify(&ctx, 400, b.data, b.len, 1, "publishing the post", &res);
	assert_int_equal(res.cls, PUB_PERMANENT);
	size_t n = strlen(res.message);
	assert_true(n < sizeof(res.message));
	assert_true(utf8_valid(res.message, n));
	for (size_t i = 0; i < n; i++)
		assert_true((unsigned char)res.message[i] >= 0x20);
	assert_non_null(strstr(res.message, "LinkedIn's answer: {"));
	assert_non_null(strstr(res.message, "...")); /* cut, and says so */
	buf_free(&b);

	/* LinkedIn's own message is kept on one line */
	classify("{\"status\":400,\"code\":\"MISSING_FIELD\",\"message\":"
		 "\"line one\\nline two\\u0001\\ttab\"}", 400, 1, &res);
	assert_non_null(strstr(res.message, "\"line one line two tab\""));
	for (const char *p = res.message; *p; p++)
		assert_true((unsigned char)*p >= 0x20);

	/* an HTML error page is kept as text too */
	classify("<html>\n<body>Service Unavailable</body></html>", 503, 0, &res);
	assert_non_null(strstr(res.message, "<body>Service Unavailable</body>"));
}

/* ---- helpers ---- */

static void test_member_or_page(void **state)
{
	(void)state;
	assert_true(li_is_member(PERSON));
	assert_false(li_is_member(ORG));
	assert_false(li_is_member(NULL));
}

static void test_image_poll_delay_grows(void **state)
{
	(void)state;
	assert_int_equal(li_image_poll_delay(0), 3);
	assert_int_equal(li_image_poll_delay(5), 3);
	assert_int_equal(li_image_poll_delay(20), 10);
	assert_int_equal(li_image_poll_delay(100), 50);
	assert_int_equal(li_image_poll_delay(299), 60);
	long total = 0, t = 0;
	while (t < 300) {
		long d = li_image_poll_delay(t);
		assert_true(d >= 3 && d <= 60);
		t += d;
		total++;
	}
	assert_true(total < 20); /* a handful of polls in 5 minutes */
}

static void test_upload_host(void **state)
{
	(void)state;
	const char *api = "https://api.linkedin.com";
	assert_true(li_upload_host_ok("https://www.linkedin.com/dms-uploads/sp/D4E10AQH/"
				      "uploadedImage/0?ca=vector_feedshare&cn=uploads", api));
	assert_true(li_upload_host_ok("https://api.linkedin.com/mediaUpload/C4E/feedshare-"
				      "uploadedImage/0?x=1", api));
	assert_true(li_upload_host_ok("https://media.licdn.com/up/1", api));
	assert_true(li_upload_host_ok("https://WWW.LinkedIn.com:443/x", api));
	assert_false(li_upload_host_ok("https://evil.example/dms-uploads/1", api));
	assert_false(li_upload_host_ok("https://linkedin.com.evil.example/x", api));
	assert_false(li_upload_host_ok("https://evillinkedin.com/x", api));
	assert_false(li_upload_host_ok("https://evil.example@www.linkedin.com/x", api));
	assert_false(li_upload_host_ok("http://www.linkedin.com/dms-uploads/1", api));
	assert_false(li_upload_host_ok("ftp://www.linkedin.com/1", api));
	assert_false(li_upload_host_ok(NULL, api));
	/* tests: the fake server on loopback serves both */
	assert_true(li_upload_host_ok("http://127.0.0.1:4000/dms-uploads/D4E?ut=1",
				      "http://127.0.0.1:4000"));
	assert_false(li_upload_host_ok("http://127.0.0.2:4000/dms-uploads/D4E",
				       "http://127.0.0.1:4000"));
}

static void test_post_body_exact(void **state)
{
	(void)state;
	/* the little-text escaped wire text goes out as it is */
	const char *text = "Stretch \\(20 minutes\\) {hashtag|\\#|wellness}";
	char *s = li_post_body(ORG, text, "urn:li:image:D4E10AQH", "Hot stone setup");
	assert_non_null(s);
	json_error_t jerr;
	json_t *v = json_loads(s, 0, &jerr);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "author")), ORG);
	assert_string_equal(json_string_value(json_object_get(v, "commentary")), text);
	assert_string_equal(json_string_value(json_object_get(v, "visibility")), "PUBLIC");
	assert_string_equal(json_string_value(json_object_get(v, "lifecycleState")),
			    "PUBLISHED");
	assert_true(json_is_false(json_object_get(v, "isReshareDisabledByAuthor")));
	json_t *dist = json_object_get(v, "distribution");
	assert_string_equal(json_string_value(json_object_get(dist, "feedDistribution")),
			    "MAIN_FEED");
	assert_int_equal(json_array_size(json_object_get(dist, "targetEntities")), 0);
	assert_true(json_is_array(json_object_get(dist, "thirdPartyDistributionChannels")));
	json_t *media = json_object_get(json_object_get(v, "content"), "media");
	assert_string_equal(json_string_value(json_object_get(media, "id")),
			    "urn:li:image:D4E10AQH");
	assert_string_equal(json_string_value(json_object_get(media, "altText")),
			    "Hot stone setup");
	/* JSON-encoded after escaping: "\(" travels as "\\(" */
	assert_non_null(strstr(s, "\"commentary\":\"Stretch \\\\(20 minutes\\\\)"));
	json_decref(v);
	free(s);

	s = li_post_body(PERSON, "Plain text https://www.myrituals.me", NULL, "ignored");
	v = json_loads(s, 0, &jerr);
	assert_non_null(v);
	assert_null(json_object_get(v, "content"));   /* no article either */
	json_decref(v);
	free(s);

	s = li_post_body(ORG, "x", "urn:li:image:1", "");
	assert_null(strstr(s, "altText"));
	free(s);
	assert_null(li_post_body(ORG, "bad \xff utf-8", NULL, NULL));
	assert_null(li_post_body(ORG, "ok", "urn:li:image:1", "bad \xc3"));
}

static void test_text_equal(void **state)
{
	(void)state;
	assert_true(li_text_equal("a \\(b\\)\n\nc", "a \\(b\\)\n\nc"));
	assert_true(li_text_equal("a\r\n\r\nb ", "a\n\nb"));
	assert_false(li_text_equal("a \\(b\\)", "a (b)"));
	assert_false(li_text_equal("a", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_error_shapes),
		cmocka_unit_test(test_find_post_urn),
		cmocka_unit_test(test_server_errors_are_transient),
		cmocka_unit_test(test_daily_throttle_until_midnight_utc),
		cmocka_unit_test(test_token_refused_is_auth_with_the_fix),
		cmocka_unit_test(test_access_denied_names_the_scope),
		cmocka_unit_test(test_retired_version_is_config),
		cmocka_unit_test(test_duplicate_names_the_existing_post),
		cmocka_unit_test(test_bad_requests_are_permanent_keeping_linkedins_words),
		cmocka_unit_test(test_upload_states_redo_or_wait),
		cmocka_unit_test(test_redirect_and_version_header_are_config),
		cmocka_unit_test(test_message_keeps_answer_within_bounds),
		cmocka_unit_test(test_member_or_page),
		cmocka_unit_test(test_image_poll_delay_grows),
		cmocka_unit_test(test_upload_host),
		cmocka_unit_test(test_post_body_exact),
		cmocka_unit_test(test_text_equal),
		cmocka_unit_test(test_quoted_token_is_scrubbed),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
