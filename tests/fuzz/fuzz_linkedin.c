/*
 * fuzz_linkedin.c - the LinkedIn publisher's parsers (linkedin_internal.h:
 * error bodies, classification, DUPLICATE_POST URN extraction, the upload
 * host rule, the post body) on each response of a script (see fuzz.h),
 * then the LinkedIn publisher run over the script: image upload steps,
 * the commit call whose post URN comes only in the x-restli-id header,
 * reconciliation (page read-back, member duplicate probe) and check.
 *
 * Invariants: li_parse_error's strings are terminated and it says "parsed"
 * exactly when it returns 1; every classification has a message, valid
 * hints, a remote id that is a URN, a retry time not in the past; a URN
 * found is "urn:li:share:" or "urn:li:ugcPost:" and digits, taken from
 * the text, and fits; the upload host rule agrees with where libcurl
 * would send the token; the post body is JSON whose commentary is the
 * text, or NULL only for text that is not UTF-8; text equality is
 * reflexive and symmetric; plus the publisher checks of fuzz_common.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "fuzz.h"
#include "../../src/net/linkedin_internal.h"

static void check_urn(const char *s, size_t n)
{
	char out[200];
	memset(out, 'x', sizeof(out));
	int r = li_find_post_urn(s, out, n);
	FZ_CHECK(r == 0 || r == 1, "li_find_post_urn %d", r);
	if (!r) {
		if (n)
			FZ_CHECK(out[0] == '\0', "no URN but out = \"%.20s\"", out);
		return;
	}
	size_t l = strlen(out);
	FZ_CHECK(l < n, "URN of %zu bytes in %zu", l, n);
	size_t pl = strncmp(out, "urn:li:share:", 13) == 0 ? 13
		    : strncmp(out, "urn:li:ugcPost:", 15) == 0 ? 15 : 0;
	FZ_CHECK(pl, "found \"%s\", not a post URN", out);
	FZ_CHECK(l > pl, "URN without a number");
	for (size_t i = pl; i < l; i++)
		FZ_CHECK(out[i] >= '0' && out[i] <= '9', "URN \"%s\" has a non-digit",
			 out);
	FZ_CHECK(strstr(s, out) != NULL, "URN \"%s\" is not in the text", out);
}

static void check_upload_host(const char *url)
{
	const char *api = "https://api.linkedin.com";
	if (!li_upload_host_ok(url, api))
		return;
	CURLU *u = curl_url();
	char *host = NULL, *scheme = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
		for (char *c = host; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		size_t hl = strlen(host);
		int ok = strcmp(host, "api.linkedin.com") == 0 ||
			 strcmp(host, "linkedin.com") == 0 ||
			 strcmp(host, "licdn.com") == 0 ||
			 (hl > 13 && strcmp(host + hl - 13, ".linkedin.com") == 0) ||
			 (hl > 10 && strcmp(host + hl - 10, ".licdn.com") == 0);
		int loop = strcmp(host, "127.0.0.1") == 0 ||
			   strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0;
		FZ_CHECK(ok, "li_upload_host_ok accepts \"%s\", which libcurl sends "
			 "to host \"%s\"", url, host);
		FZ_CHECK(strcasecmp(scheme, "https") == 0 ||
			 (strcasecmp(scheme, "http") == 0 && loop),
			 "li_upload_host_ok accepts %s to %s", scheme, host);
	}
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
}

static void parsers(const struct fz_resp *r, const uint8_t *data, size_t size)
{
	struct http_response resp;
	fz_make_response(r, &resp);
	const char *body = resp.body;

	struct li_error e;
	int p = li_parse_error(body, resp.body_len, &e);
	FZ_CHECK(p == 0 || p == 1, "li_parse_error %d", p);
	FZ_CHECK(p == e.parsed, "returned %d, parsed %d", p, e.parsed);
	FZ_CHECK(FZ_TERMINATED(e.code) && FZ_TERMINATED(e.message),
		 "unterminated li_error");

	static const long statuses[] = {0, 400, 401, 422, 429, 504};
	for (size_t i = 0; i < RT_ARRAY_LEN(statuses); i++) {
		long st = statuses[i] ? statuses[i] : resp.status;
		if (st >= 200 && st < 300)
			continue;   /* li_classify takes non-2xx answers */
		for (int commit = 0; commit <= 1; commit++) {
			struct pub_ctx ctx = fz_plain_ctx(NET_LINKEDIN);
			struct pub_result res;
			memset(&res, 0, sizeof(res));
			int h = li_classify(&ctx, st, body, resp.body_len, commit,
					    "publishing the post", &res);
			FZ_CHECK((h & ~0x7) == 0, "hints 0x%x", h);
			fz_check_result(&res, NET_LINKEDIN, NULL, ctx.now, data, size);
			FZ_CHECK(res.cls != PUB_OK, "li_classify gave PUB_OK for %ld", st);
			if (res.remote_id[0])
				FZ_CHECK(res.cls == PUB_DUPLICATE, "remote id with %s",
					 pub_class_name(res.cls));
			if (commit && (st == 502 || st == 504) && res.cls == PUB_TRANSIENT &&
			    !strstr(e.message, "Unable to obtain activity"))
				FZ_CHECK(0, "a gateway %ld to the commit call is a plain "
					 "retry", st);
		}
	}

	size_t ns[] = {0, 1, 14, 20, 160};
	for (size_t i = 0; i < RT_ARRAY_LEN(ns); i++)
		check_urn(body, ns[i]);
	for (size_t i = 0; i < resp.nheaders; i++) {
		check_urn(resp.headers[i].value, 160);
		check_upload_host(resp.headers[i].value);
	}
	check_upload_host(body);

	FZ_CHECK(li_text_equal(body, body), "text equality not reflexive");
	const char *other = resp.nheaders ? resp.headers[0].value : "a  b";
	FZ_CHECK(li_text_equal(body, other) == li_text_equal(other, body),
		 "text equality not symmetric");

	char *pb = li_post_body("urn:li:organization:5515715", body,
				resp.nheaders ? "urn:li:image:C4E10AQ" : NULL,
				resp.nheaders ? resp.headers[0].value : NULL);
	int utf8 = utf8_valid(body, strlen(body));
	if (!pb) {
		FZ_CHECK(!utf8 || (resp.nheaders &&
				   !utf8_valid(resp.headers[0].value,
					       strlen(resp.headers[0].value))),
			 "no post body for UTF-8 text");
	} else {
		json_error_t je;
		json_t *root = json_loads(pb, 0, &je);
		FZ_CHECK(root, "post body is not JSON: %s", je.text);
		const char *c = json_string_value(json_object_get(root, "commentary"));
		FZ_CHECK(c && strcmp(c, body) == 0, "commentary differs from the text");
		json_decref(root);
		free(pb);
	}
	http_response_free(&resp);
}

/*
 * Known bug (tests/fuzz/crashes/linkedin-1, -2, reported to the lead):
 * li_upload_host_ok takes the host after the first "://" anywhere in the
 * URL, so "https:/evil.example/x?https://media.licdn.com/" passes while
 * libcurl sends the token to evil.example. With RITUAL_FUZZ_SKIP_KNOWN
 * set, inputs holding "http:/" or "https:/" followed by anything but '/'
 * are skipped so a run can look further; `make fuzz` does not set it.
 */
static int single_slash_url(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 6 < n; i++) {
		if ((d[i] | 0x20) != 'h' || (d[i + 1] | 0x20) != 't' ||
		    (d[i + 2] | 0x20) != 't' || (d[i + 3] | 0x20) != 'p')
			continue;
		size_t j = i + 4;
		if ((d[j] | 0x20) == 's')
			j++;
		if (j + 2 < n && d[j] == ':' && d[j + 1] == '/' && d[j + 2] != '/')
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int skip_known = -1;
	if (skip_known < 0)
		skip_known = getenv("RITUAL_FUZZ_SKIP_KNOWN") != NULL;
	if (size > 16384 || (skip_known && single_slash_url(data, size)))
		return 0;
	struct fz_script sc;
	fz_script_parse(data, size, &sc);
	for (size_t i = 0; i < sc.nresp; i++)
		parsers(&sc.resp[i], data, size);
	fz_script_free(&sc);

	time_t m = li_next_utc_midnight(FZ_NOW + (time_t)size * 977);
	FZ_CHECK(m > FZ_NOW + (time_t)size * 977 && m % 86400 == 0, "midnight");
	long d = li_image_poll_delay((long)size);
	FZ_CHECK(d >= 3 && d <= 60, "image poll delay %ld", d);

	fz_publisher_run(NET_LINKEDIN, data, size);
	return 0;
}
