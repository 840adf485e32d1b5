/*
 * test_classify.c - Graph API errors classified as docs/api-notes.md §Error classes says:
 * by error.code / error_subcode, never by HTTP status alone, and an
 * unreadable answer to the commit call is "unknown", never a plain retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/net/meta.h"

static struct account acct = {
	.name = (char *)"facebook", .network = NET_FACEBOOK,
	.page_id = (char *)"102030405060708",
	.token_file = (char *)"/etc/ritual/facebook.token",
	.api = (char *)"https://graph.facebook.com/v25.0",
};
static struct config cfg;

static struct pub_ctx ctx(void)
{
	struct pub_ctx c = {.cfg = &cfg, .account = &acct, .now = 1000000};
	return c;
}

/* Classify a response with body and status. */
static enum pub_class classify(long status, const char *body, int commit,
			       struct pub_result *res)
{
	char *copy = xstrdup(body);
	struct http_response resp = {.status = status, .body = copy,
				     .body_len = strlen(body)};
	struct pub_ctx c = ctx();
	json_t *json = NULL;
	int ok;
	memset(res, 0, sizeof(*res));
	ok = meta_response(&c, 0, &resp, commit, "Facebook", "publishing", res,
			   &json);
	json_decref(json);
	free(copy);
	return ok ? PUB_OK : res->cls;
}

static enum pub_class code(long status, int c, int sub)
{
	char body[256];
	struct pub_result res;
	snprintf(body, sizeof(body),
		 "{\"error\":{\"message\":\"m\",\"type\":\"OAuthException\","
		 "\"code\":%d,\"error_subcode\":%d,\"fbtrace_id\":\"A\"}}", c, sub);
	return classify(status, body, 1, &res);
}

static void test_transient_codes(void **state)
{
	(void)state;
	assert_int_equal(code(500, 1, 0), PUB_TRANSIENT);
	assert_int_equal(code(500, 2, 0), PUB_TRANSIENT);
	assert_int_equal(code(400, 100, 1363047), PUB_TRANSIENT);
	struct pub_result res;
	assert_int_equal(classify(400, "{\"error\":{\"message\":\"x\",\"code\":100,"
				  "\"is_transient\":true}}", 1, &res), PUB_TRANSIENT);
}

static void test_rate_codes_wait(void **state)
{
	(void)state;
	int codes[] = {4, 17, 32, 341, 613, 80001, 80002, 368};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_int_equal(code(400, codes[i], 0), PUB_RATE);
	assert_int_equal(code(400, 100, 1390008), PUB_RATE);
	struct pub_result res;
	classify(400, "{\"error\":{\"message\":\"(#80001) too many\",\"code\":80001}}",
		 1, &res);
	assert_int_equal(res.retry_at, 1000000 + 3600);
}

static void test_rate_wait_follows_usage_header(void **state)
{
	(void)state;
	struct http_header h = {
		.name = (char *)"x-business-use-case-usage",
		.value = (char *)"{\"102030405060708\":[{\"type\":\"pages\",\"call_count\":100,"
			 "\"total_cputime\":20,\"total_time\":20,"
			 "\"estimated_time_to_regain_access\":30}]}",
	};
	char body[] = "{\"error\":{\"message\":\"(#80001)\",\"code\":80001}}";
	struct http_response resp = {.status = 400, .body = body,
				     .body_len = strlen(body), .headers = &h,
				     .nheaders = 1};
	struct pub_ctx c = ctx();
	struct pub_result res = {0};
	json_t *json = NULL;
	assert_int_equal(meta_response(&c, 0, &resp, 1, "Facebook", "x", &res, &json), 0);
	assert_int_equal(res.cls, PUB_RATE);
	assert_int_equal(res.retry_at, 1000000 + 30 * 60);
	assert_int_equal(res.account_hold_until, 1000000 + 30 * 60);
	assert_int_equal(meta_usage_wait(&resp), 30 * 60);
}

static void test_auth_and_owner_codes(void **state)
{
	(void)state;
	assert_int_equal(code(400, 190, 463), PUB_AUTH);
	assert_int_equal(code(400, 190, 460), PUB_AUTH);
	assert_int_equal(code(400, 102, 0), PUB_AUTH);
	assert_int_equal(code(403, 10, 0), PUB_AUTH);
	assert_int_equal(code(403, 200, 0), PUB_AUTH);
	assert_int_equal(code(400, 190, 459), PUB_OWNER);
	assert_int_equal(code(400, 190, 492), PUB_OWNER);
	assert_int_equal(code(400, 100, 1404078), PUB_OWNER);
	assert_int_equal(code(400, 4, 2207051), PUB_OWNER);
	struct pub_result res;
	classify(400, "{\"error\":{\"message\":\"Error validating access token: Session "
		 "has expired\",\"code\":190,\"error_subcode\":463}}", 1, &res);
	assert_non_null(strstr(res.message, "190/463"));
	assert_non_null(strstr(res.message, "Session has expired"));
	assert_non_null(strstr(res.message, "/etc/ritual/facebook.token"));
}

static void test_permanent_and_duplicate(void **state)
{
	(void)state;
	assert_int_equal(code(400, 100, 0), PUB_PERMANENT);
	assert_int_equal(code(400, 100, 1366046), PUB_PERMANENT);
	assert_int_equal(code(400, 100, 2069019), PUB_PERMANENT);
	assert_int_equal(code(400, 1609005, 0), PUB_PERMANENT);
	assert_int_equal(code(400, 506, 0), PUB_DUPLICATE);
	assert_int_equal(code(400, 100, 1366051), PUB_DUPLICATE);
}

static void test_status_alone_does_not_decide(void **state)
{
	(void)state;
	/* An auth error sent with HTTP 500 is still auth; a transient code
	 * sent with 400 is still transient. */
	assert_int_equal(code(500, 190, 463), PUB_AUTH);
	assert_int_equal(code(400, 2, 0), PUB_TRANSIENT);
}

static void test_unreadable_answers(void **state)
{
	(void)state;
	struct pub_result res;
	/* Commit call: HTML, empty, truncated JSON, no id -> unknown. */
	assert_int_equal(classify(200, "<html>oops</html>", 1, &res), PUB_UNKNOWN);
	assert_int_equal(classify(200, "", 1, &res), PUB_UNKNOWN);
	assert_int_equal(classify(200, "{\"id\": \"12", 1, &res), PUB_UNKNOWN);
	assert_int_equal(classify(502, "Bad Gateway", 1, &res), PUB_UNKNOWN);
	/* Not the commit call: safe to retry. */
	assert_int_equal(classify(200, "<html>oops</html>", 0, &res), PUB_TRANSIENT);
	assert_int_equal(classify(302, "", 0, &res), PUB_CONFIG);
	/* A JSON object is handed back for the caller to read. */
	assert_int_equal(classify(200, "{\"id\":\"1\",\"post_id\":\"2_1\"}", 1, &res), PUB_OK);
}

static void test_lost_answer_is_unknown_only_for_commit(void **state)
{
	(void)state;
	struct http_response resp = {.fail = HTTP_NO_RESPONSE, .body = (char *)""};
	struct pub_ctx c = ctx();
	struct pub_result res = {0};
	json_t *json = NULL;
	meta_response(&c, -1, &resp, 1, "Facebook", "x", &res, &json);
	assert_int_equal(res.cls, PUB_UNKNOWN);
	meta_response(&c, -1, &resp, 0, "Facebook", "x", &res, &json);
	assert_int_equal(res.cls, PUB_TRANSIENT);
	resp.fail = HTTP_NOT_SENT;
	meta_response(&c, -1, &resp, 1, "Facebook", "x", &res, &json);
	assert_int_equal(res.cls, PUB_TRANSIENT);
}

static void test_text_equal_ignores_whitespace_runs(void **state)
{
	(void)state;
	assert_true(meta_text_equal("Tip\n\nof the  week ", "Tip of the week"));
	assert_true(meta_text_equal("a\r\nb", "a\nb"));
	assert_false(meta_text_equal("Tip of the week", "Tip of the weak"));
	assert_false(meta_text_equal("ab", "a b"));
}

/* Issue 8 item 5: errors that belong to the account pause it (with the
 * fix), instead of failing every queued post one by one. */
static void test_account_errors_pause(void **state)
{
	(void)state;
	struct pub_result res;
	/* 100/33 on a write: object missing or no permission. */
	assert_int_equal(code(400, 100, 33), PUB_CONFIG);
	assert_int_equal(classify(400,
		"{\"error\":{\"message\":\"Unsupported post request. Object with "
		"ID '102030405060708' does not exist\",\"type\":\"GraphMethodException\","
		"\"code\":100,\"error_subcode\":33}}", 1, &res), PUB_CONFIG);
	assert_non_null(strstr(res.message, "page_id"));
	assert_non_null(strstr(res.message, "permissions"));
	/* Other 100s stay the post's problem. */
	assert_int_equal(code(400, 100, 0), PUB_PERMANENT);
	/* appsecret_proof missing (code 100, or 190) or wrong. */
	assert_int_equal(classify(400,
		"{\"error\":{\"message\":\"API calls from the server require an "
		"appsecret_proof argument\",\"type\":\"GraphMethodException\","
		"\"code\":100}}", 1, &res), PUB_CONFIG);
	assert_non_null(strstr(res.message, "app_secret_file"));
	assert_int_equal(classify(400,
		"{\"error\":{\"message\":\"API calls from the server require an "
		"appsecret_proof argument\",\"type\":\"OAuthException\","
		"\"code\":190}}", 1, &res), PUB_CONFIG);
	assert_int_equal(classify(400,
		"{\"error\":{\"message\":\"Invalid appsecret_proof provided in the "
		"API argument\",\"type\":\"GraphMethodException\",\"code\":100}}",
		1, &res), PUB_CONFIG);
	assert_non_null(strstr(res.message, "app_secret_file"));
	/* A plain 190 is still the token's. */
	assert_int_equal(code(400, 190, 460), PUB_AUTH);
}

/* A known vector, computed once with Python:
 * hmac.new(b"0123456789abcdef0123456789abcdef",
 *          b"EAABwzLixnjYBOZC1example", hashlib.sha256).hexdigest() */
static void test_appsecret_proof_vector(void **state)
{
	(void)state;
	char out[META_PROOF_LEN + 1];
	assert_int_equal(meta_appsecret_proof("0123456789abcdef0123456789abcdef",
					      "EAABwzLixnjYBOZC1example", out), 0);
	assert_string_equal(out, "a83bcc2e29ba9114017e670e2c034e7f"
				 "117cf0cb81105ca0acb8ebc3577560e0");
	assert_int_equal(meta_appsecret_proof(NULL, "x", out), -1);
	assert_string_equal(out, "");
}

/* Graph quotes tokens back: every message is scrubbed of the secrets the
 * process holds, in pub_result_set and err_set. */
static void test_messages_scrubbed_of_secrets(void **state)
{
	(void)state;
	const char *tok = "EAABsecretTOKEN1234567890";
	secret_register(tok);
	struct pub_result res;
	char body[512];
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"Malformed access "
		 "token %s and %s\",\"type\":\"OAuthException\",\"code\":190}}",
		 tok, tok);
	assert_int_equal(classify(400, body, 1, &res), PUB_AUTH);
	assert_null(strstr(res.message, tok));
	assert_non_null(strstr(res.message, "Malformed access token [secret] and "
				"[secret]"));
	struct err err;
	err_set(&err, "x%sy", tok);
	assert_string_equal(err.msg, "x[secret]y");
	/* Counted: registered twice, forgotten twice. */
	secret_register(tok);
	secret_forget(tok);
	err_set(&err, "%s", tok);
	assert_string_equal(err.msg, "[secret]");
	secret_forget(tok);
	err_set(&err, "%s", tok);
	assert_string_equal(err.msg, tok);
	/* Short strings are never treated as secrets. */
	secret_register("abc");
	err_set(&err, "abcabc");
	assert_string_equal(err.msg, "abcabc");
	/* A buffer that is all secret. */
	char buf[64];
	secret_register("12345678");
	snprintf(buf, sizeof(buf), "1234567812345678");
	secret_scrub(buf, sizeof(buf));
	assert_string_equal(buf, "[secret][secret]");
	secret_forget("12345678");
}

/* No run of 8 or more bytes of tok anywhere in s. */
static void assert_no_run_of(const char *s, const char *tok)
{
	size_t n = strlen(tok);
	for (size_t i = 0; i + 8 <= n; i++) {
		char run[9];
		memcpy(run, tok + i, 8);
		run[8] = '\0';
		if (strstr(s, run))
			fail_msg("a run of the token survived: \"%s\" in \"%s\"", run, s);
	}
}

/* Cutting comes before scrubbing in several places (Graph's message to
 * 512 bytes, the message to 1024): no start of a long token may survive
 * at a cut, whether the cut is the final buffer's or an earlier copy's. */
static void test_cut_token_is_scrubbed(void **state)
{
	(void)state;
	char tok[201];
	for (int i = 0; i < 200; i++)
		tok[i] = "EAABwzLixnjYBOZC"[i % 16] + (i / 16 % 2);
	tok[200] = '\0';
	secret_register(tok);
	char pad[451];
	memset(pad, 'x', 450);
	pad[450] = '\0';
	char body[1024];
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%s Malformed "
		 "access token %s\",\"type\":\"OAuthException\",\"code\":190}}",
		 pad, tok);
	struct pub_result res;
	assert_int_equal(classify(400, body, 1, &res), PUB_AUTH);
	assert_no_run_of(res.message, tok);
	assert_non_null(strstr(res.message, "Malformed access token [secret]"));
	/* The final buffer's own edge, and an edge before an ellipsis. */
	char buf[500];
	snprintf(buf, sizeof(buf), "%s Malformed access token %s", pad, tok);
	secret_scrub(buf, sizeof(buf));
	assert_no_run_of(buf, tok);
	snprintf(buf, sizeof(buf), "token %.20s...", tok);
	secret_scrub(buf, sizeof(buf));
	assert_string_equal(buf, "token [secret]...");
	/* Seven bytes are not a secret's start worth scrubbing. */
	snprintf(buf, sizeof(buf), "token %.7s", tok);
	secret_scrub(buf, sizeof(buf));
	assert_string_equal(buf, "token EAABwzL");
	secret_forget(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transient_codes),
		cmocka_unit_test(test_rate_codes_wait),
		cmocka_unit_test(test_rate_wait_follows_usage_header),
		cmocka_unit_test(test_auth_and_owner_codes),
		cmocka_unit_test(test_permanent_and_duplicate),
		cmocka_unit_test(test_status_alone_does_not_decide),
		cmocka_unit_test(test_unreadable_answers),
		cmocka_unit_test(test_lost_answer_is_unknown_only_for_commit),
		cmocka_unit_test(test_text_equal_ignores_whitespace_runs),
		cmocka_unit_test(test_account_errors_pause),
		cmocka_unit_test(test_appsecret_proof_vector),
		cmocka_unit_test(test_messages_scrubbed_of_secrets),
		cmocka_unit_test(test_cut_token_is_scrubbed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
