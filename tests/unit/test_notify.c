/*
 * test_notify.c - the notifier's pure parts (notify.h): coalescing as a
 * table, the back-off, and the RFC 5322 message (headers, RFC 2047
 * subject, base64 body with CRLF lines).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ritual/notify.h"
#include "ritual/util.h"

#define DAY NOTICE_REPEAT_AFTER

struct crow {
	const char *name;
	enum notice_kind kind;
	int open;
	time_t told_at, now;
	enum notice_action want;
};

static const struct crow crows[] = {
	{"first of its kind", NOTICE_FAILED, 0, 0, 1000, NOTICE_ACT_TELL},
	{"second within a minute", NOTICE_FAILED, 1, 1000, 1060, NOTICE_ACT_COUNT},
	{"a day less a second", NOTICE_PAUSED, 1, 1000, 1000 + DAY - 1, NOTICE_ACT_COUNT},
	{"exactly a day later", NOTICE_PAUSED, 1, 1000, 1000 + DAY, NOTICE_ACT_REPEAT},
	{"a week later", NOTICE_UNKNOWN, 1, 1000, 1000 + 7 * DAY, NOTICE_ACT_REPEAT},
	{"clock set back", NOTICE_MISSED, 1, 5000, 1000, NOTICE_ACT_COUNT},
	{"daemon open", NOTICE_DAEMON, 1, 1000, 1001, NOTICE_ACT_COUNT},
	{"media host first", NOTICE_MEDIA_HOST, 0, 0, 1, NOTICE_ACT_TELL},
	{"digest never coalesced", NOTICE_DIGEST, 1, 1000, 1001, NOTICE_ACT_TELL},
	{"preflight never coalesced", NOTICE_PREFLIGHT, 1, 1000, 1001, NOTICE_ACT_TELL},
	{"test never coalesced", NOTICE_TEST, 1, 1000, 1001, NOTICE_ACT_TELL},
	{"token warning counted", NOTICE_TOKEN_EXPIRING, 1, 1000, 2000, NOTICE_ACT_COUNT},
	{"queue dry repeated", NOTICE_QUEUE_DRY, 1, 0, DAY, NOTICE_ACT_REPEAT},
};

static void test_coalesce_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(crows) / sizeof(crows[0]); i++) {
		const struct crow *r = &crows[i];
		enum notice_action got = notice_coalesce(r->kind, r->open,
							 r->told_at, r->now);
		if (got != r->want)
			fail_msg("%s: got %d, want %d", r->name, got, r->want);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(notice_backoff(1), 60);
	assert_int_equal(notice_backoff(2), 120);
	assert_int_equal(notice_backoff(3), 240);
	assert_int_equal(notice_backoff(6), 1920);
	assert_int_equal(notice_backoff(7), 3600);
	assert_int_equal(notice_backoff(40), 3600);
}

static void test_kind_names(void **state)
{
	(void)state;
	for (int k = 0; k < NOTICE_KINDS; k++) {
		enum notice_kind back;
		assert_int_equal(notice_kind_parse(notice_kind_name(k), &back), 0);
		assert_int_equal(back, k);
	}
	enum notice_kind x;
	assert_int_equal(notice_kind_parse("nope", &x), -1);
	assert_string_equal(notice_kind_name(NOTICE_TOKEN_EXPIRING), "token-expiring");
	assert_string_equal(notice_kind_name(NOTICE_MEDIA_HOST), "media-host");
}

/* The value of header name (unfolded), or NULL. */
static char *header(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");
	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") + 2) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			struct buf b = {0};
			const char *q = p + nl + 1;
			for (;;) {
				const char *e = strstr(q, "\r\n");
				buf_append(&b, q, (size_t)(e - q));
				if (e[2] != ' ' && e[2] != '\t')
					break;
				q = e + 2;
			}
			return buf_steal(&b);
		}
	}
	return NULL;
}

static void test_mail_headers(void **state)
{
	(void)state;
	char *to[] = {"owner@studio.example", "second@studio.example", NULL};
	struct notice_mail m = {
		.from = "ritual@studio.example", .to = to, .nto = 2,
		.subject = "ritual: a post failed", .body = "line one\nline two\n",
		.date = 1764639000, .unique = "abc.1",
	};
	setenv("TZ", "UTC", 1);
	char *msg = notice_mail_build(&m);
	char *v;
	assert_non_null(v = header(msg, "Date"));
	assert_string_equal(v, " Tue, 02 Dec 2025 01:30:00 +0000");
	free(v);
	assert_non_null(v = header(msg, "Message-ID"));
	assert_string_equal(v, " <abc.1@studio.example>");
	free(v);
	assert_non_null(v = header(msg, "To"));
	assert_string_equal(v, " owner@studio.example, second@studio.example");
	free(v);
	assert_non_null(v = header(msg, "Subject"));
	assert_string_equal(v, " ritual: a post failed");
	free(v);
	assert_non_null(v = header(msg, "Content-Type"));
	assert_string_equal(v, " text/plain; charset=UTF-8");
	free(v);
	assert_non_null(v = header(msg, "Content-Transfer-Encoding"));
	assert_string_equal(v, " base64");
	free(v);
	/* every line ends with CRLF, none is longer than 78 */
	for (const char *p = msg; *p;) {
		const char *e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true(e - p <= 78);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		p = e + 2;
	}
	/* base64 of "line one\r\nline two\r\n" */
	assert_non_null(strstr(msg, "\r\n\r\nbGluZSBvbmUNCmxpbmUgdHdvDQo=\r\n"));
	free(msg);
}

static void test_mail_subject_encoded(void **state)
{
	(void)state;
	char *to[] = {"o@studio.example", NULL};
	/* 30 times "é" (60 bytes) plus controls: two encoded-words, folded,
	 * no character split, the newline turned into a space */
	struct buf s = {0};
	buf_puts(&s, "Caf\xc3\xa9\nbar ");
	for (int i = 0; i < 30; i++)
		buf_puts(&s, "\xc3\xa9");
	char *subject = buf_steal(&s);
	struct notice_mail m = {.from = "r@studio.example", .to = to, .nto = 1,
				.subject = subject, .body = "", .date = 0,
				.unique = "u"};
	char *msg = notice_mail_build(&m);
	char *v = header(msg, "Subject");
	assert_non_null(v);
	assert_true(strncmp(v, " =?UTF-8?B?", 11) == 0);
	/* decode every word and compare with the subject (newline -> space) */
	struct buf dec = {0};
	for (char *p = strstr(v, "=?UTF-8?B?"); p; p = strstr(p, "=?UTF-8?B?")) {
		p += 10;
		char *e = strstr(p, "?=");
		assert_non_null(e);
		/* each word is short enough for one line */
		assert_true(e - p + 12 <= 75);
		/* base64 decode by hand (tests only) */
		static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		unsigned acc = 0;
		int bits = 0;
		for (char *q = p; q < e && *q != '='; q++) {
			acc = (acc << 6) | (unsigned)(strchr(tab, *q) - tab);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_putc(&dec, (char)((acc >> bits) & 0xff));
			}
		}
		/* the word ends on a character boundary */
		assert_true(dec.len == 0 ||
			    ((unsigned char)dec.data[dec.len - 1] & 0xc0) != 0xc0);
		p = e + 2;
	}
	subject[5] = ' ';  /* "Caf\xc3\xa9" is 5 bytes */
	assert_string_equal(dec.data, subject);
	assert_true(utf8_valid(dec.data, dec.len));
	buf_free(&dec);
	free(v);
	free(msg);
	free(subject);
}

static void test_mail_plain_subject_with_encoded_word_marker(void **state)
{
	(void)state;
	char *to[] = {"o@studio.example", NULL};
	struct notice_mail m = {.from = "r@studio.example", .to = to, .nto = 1,
				.subject = "=?UTF-8?B?eA==?=", .body = "x",
				.date = 0, .unique = "u"};
	char *msg = notice_mail_build(&m);
	char *v = header(msg, "Subject");
	/* encoded, so that a reader does not decode the title as a word */
	assert_string_equal(v, " =?UTF-8?B?PT9VVEYtOD9CP2VBPT0/PQ==?=");
	free(v);
	free(msg);
}

static void test_render(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	struct notice ev = {
		.kind = NOTICE_PAUSED, .account = "fb", .network = "facebook",
		.post_id = 12, .post_title = "Stretch", .post_file = "posts/a.post",
		.message = "Error validating access token (#190)",
		.fix = "run ritual connect facebook",
	};
	char *subject, *body, *json;
	notice_render(&ev, 1764639000, 0, 3, &subject, &body, &json);
	assert_string_equal(subject, "ritual: an account is paused on fb: post 12 "
			    "\"Stretch\" (3 times)");
	assert_non_null(strstr(body, "Error validating access token (#190)\n"));
	assert_non_null(strstr(body, "What to do: run ritual connect facebook\n"));
	assert_non_null(strstr(body, "Post: 12 \"Stretch\" (posts/a.post)\n"));
	assert_non_null(strstr(body, "Account: fb (facebook)\n"));
	assert_non_null(strstr(json, "\"event\":\"paused\""));
	assert_non_null(strstr(json, "\"count\":3"));
	assert_non_null(strstr(json, "\"resolved\":false"));
	assert_non_null(strstr(json, "\"post\":{\"id\":12"));
	free(subject);
	free(body);
	free(json);
	notice_render(&ev, 1764639000, 1, 3, &subject, &body, &json);
	assert_true(strncmp(subject, "ritual: resolved: ", 18) == 0);
	assert_non_null(strstr(json, "\"resolved\":true"));
	free(subject);
	free(body);
	free(json);
}

static void test_render_scrubs_secrets(void **state)
{
	(void)state;
	const char *secret = "EAAsecrettoken1234567890";
	secret_register(secret);
	struct notice ev = {.kind = NOTICE_FAILED, .account = "fb",
			    .message = "Malformed access token EAAsecrettoken1234567890"};
	char *subject, *body, *json;
	notice_render(&ev, 0, 0, 1, &subject, &body, &json);
	assert_null(strstr(body, secret));
	assert_null(strstr(json, secret));
	assert_non_null(strstr(body, "[secret]"));
	secret_forget(secret);
	free(subject);
	free(body);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce_table),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_mail_headers),
		cmocka_unit_test(test_mail_subject_encoded),
		cmocka_unit_test(test_mail_plain_subject_with_encoded_word_marker),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_scrubs_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
