/*
 * fuzz_meta.c - Graph API (Facebook/Instagram) responses: meta_parse_error,
 * meta_response, meta_classify, meta_usage_wait and meta_text_equal on
 * each response of a script (see fuzz.h; status, headers such as
 * X-Business-Use-Case-Usage / X-App-Usage, body), then the Facebook
 * publisher run over the whole script (publish, reconcile, check).
 *
 * Invariants: parsed error strings are terminated; meta_usage_wait is
 * never negative; meta_response returns a JSON object only for a 2xx
 * answer that arrived; otherwise a class with a message; an unreadable or
 * lost answer to the commit call is PUB_UNKNOWN (never a plain retry)
 * unless it was certainly not sent; text equality is reflexive and
 * symmetric; plus the publisher checks of fuzz_common.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../src/net/meta.h"

static void one_response(const struct fz_resp *r, const uint8_t *data, size_t size)
{
	struct http_response resp;
	int rc = fz_make_response(r, &resp);
	struct meta_error me;
	int is_err = meta_parse_error(resp.body, resp.body_len, &me);
	FZ_CHECK(is_err == 0 || is_err == 1, "meta_parse_error %d", is_err);
	FZ_CHECK(FZ_TERMINATED(me.type) && FZ_TERMINATED(me.message) &&
		 FZ_TERMINATED(me.user_msg) && FZ_TERMINATED(me.fbtrace),
		 "unterminated meta_error strings");
	long wait = meta_usage_wait(&resp);
	FZ_CHECK(wait >= 0, "meta_usage_wait %ld", wait);
	/* The body as a usage header too: bodies are JSON more often than
	 * mutated header lines are, and jansson gives no coverage signal. */
	{
		struct http_header h = {.name = (char *)"x-business-use-case-usage",
					.value = resp.body};
		struct http_response u = {.status = 200, .body = resp.body,
					  .body_len = resp.body_len, .headers = &h,
					  .nheaders = 1};
		long w2 = meta_usage_wait(&u);
		FZ_CHECK(w2 >= 0, "meta_usage_wait %ld", w2);
	}

	struct pub_ctx ctx = fz_plain_ctx(NET_FACEBOOK);
	for (int commit = 0; commit <= 1; commit++) {
		struct pub_result res;
		json_t *json = (json_t *)1;
		memset(&res, 0, sizeof(res));
		int ok = meta_response(&ctx, rc, &resp, commit, "Facebook",
				       "publishing the post", &res, &json);
		FZ_CHECK(ok == 0 || ok == 1, "meta_response %d", ok);
		if (ok) {
			FZ_CHECK(rc == 0 && resp.status >= 200 && resp.status < 300,
				 "JSON accepted from HTTP %ld (rc %d)", resp.status, rc);
			FZ_CHECK(json_is_object(json), "meta_response 1 without an object");
			json_decref(json);
			continue;
		}
		FZ_CHECK(json == NULL, "meta_response 0 with a JSON value");
		fz_check_result(&res, NET_FACEBOOK, NULL, ctx.now, data, size);
		FZ_CHECK(res.cls != PUB_OK, "meta_response 0 with PUB_OK");
		if (commit && rc < 0 && resp.fail != HTTP_NOT_SENT)
			FZ_CHECK(res.cls == PUB_UNKNOWN, "a lost answer to the commit "
				 "call is %s", pub_class_name(res.cls));
		if (commit && rc == 0 && !is_err)
			FZ_CHECK(res.cls == PUB_UNKNOWN, "an unreadable answer (HTTP %ld) "
				 "to the commit call is %s", resp.status,
				 pub_class_name(res.cls));
		if (is_err && rc == 0) {
			struct pub_result r2;
			memset(&r2, 0, sizeof(r2));
			meta_classify(&ctx, &me, &resp, "Instagram", "making the "
				      "container", &r2);
			fz_check_result(&r2, NET_INSTAGRAM, NULL, ctx.now, data, size);
		}
	}
	FZ_CHECK(meta_text_equal(resp.body, resp.body), "text equality not reflexive");
	const char *other = resp.nheaders ? resp.headers[0].value : "";
	FZ_CHECK(meta_text_equal(resp.body, other) == meta_text_equal(other, resp.body),
		 "text equality not symmetric");
	http_response_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	struct fz_script sc;
	fz_script_parse(data, size, &sc);
	for (size_t i = 0; i < sc.nresp; i++)
		one_response(&sc.resp[i], data, size);
	fz_script_free(&sc);
	fz_publisher_run(NET_FACEBOOK, data, size);
	return 0;
}
