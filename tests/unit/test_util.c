/*
 * test_util.c - small shared helpers (util.c): the loopback rule that
 * decides where plain http:// may go, and the escaping of outside text
 * before it reaches a terminal or a log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ritual/http.h"
#include "ritual/util.h"

static const struct {
	const char *host;
	int loopback;
} hosts[] = {
	{"127.0.0.1", 1},
	{"127.1.2.3", 1},
	{"127.255.255.254", 1},
	{"[::1]", 1},
	{"::1", 1},
	{"localhost", 1},
	{"LOCALHOST", 1},
	{"127.0.0.1.nip.io", 0},
	{"127.0.0.1.evil.example", 0},
	{"127.evil", 0},
	{"127.", 0},
	{"127.0.0", 0},
	{"127.1", 0},            /* short form: refused, write 127.0.0.1 */
	{"127.0.0.1.", 0},
	{"127.0.0.01", 0},       /* leading zero reads as octal in some parsers */
	{"127.0.0.256", 0},
	{"0x7f000001", 0},
	{"2130706433", 0},
	{"1.2.3.4", 0},
	{"128.0.0.1", 0},
	{"localhost.evil.com", 0},
	{"evil-localhost", 0},
	{"localhost.", 0},
	{"[::ffff:127.0.0.1]", 0},
	{"[::2]", 0},
	{"", 0},
};

static void test_host_is_loopback_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RT_ARRAY_LEN(hosts); i++) {
		int got = host_is_loopback(hosts[i].host, strlen(hosts[i].host));
		if (got != hosts[i].loopback)
			fail_msg("host_is_loopback(\"%s\") = %d, expected %d",
				 hosts[i].host, got, hosts[i].loopback);
	}
}

static const struct {
	const char *url;
	int allowed;
} urls[] = {
	{"https://graph.facebook.com/v19.0/", 1},
	{"https://127.0.0.1.nip.io/", 1},
	{"http://127.0.0.1:8080/v19.0/", 1},
	{"http://127.1.2.3/", 1},
	{"http://localhost:9/", 1},
	{"http://[::1]:8080/", 1},
	{"http://127.0.0.1.evil.example/", 0},
	{"http://127.0.0.1.nip.io:8080/", 0},
	{"http://127.evil/", 0},
	{"http://localhost.evil.com/", 0},
	{"http://1.2.3.4/", 0},
	{"http://[::ffff:127.0.0.1]/", 0},
	{"ftp://127.0.0.1/", 0},
};

static void test_http_url_allowed_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RT_ARRAY_LEN(urls); i++) {
		int got = http_url_allowed(urls[i].url);
		if (got != urls[i].allowed)
			fail_msg("http_url_allowed(\"%s\") = %d, expected %d",
				 urls[i].url, got, urls[i].allowed);
	}
}

static void check_escape(const char *in, const char *keep, const char *want)
{
	char *got = str_escape_controls(in, keep);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape_controls(void **state)
{
	(void)state;
	check_escape("plain caf\xc3\xa9 \xe2\x82\xac", NULL,
		     "plain caf\xc3\xa9 \xe2\x82\xac");
	check_escape("red\x1b[31malert\x1b[0m", NULL, "red\\x1b[31malert\\x1b[0m");
	check_escape("a\tb\nc\rd\x7f", NULL, "a\\x09b\\x0ac\\x0dd\\x7f");
	check_escape("a\tb\nc\rd", "\n\t", "a\tb\nc\\x0dd");
	check_escape("c1 \xc2\x9b" "31m", NULL, "c1 \\u009b31m");
	check_escape("nbsp \xc2\xa0 ok", NULL, "nbsp \xc2\xa0 ok");
	check_escape("bad \xff\xfe and \xc3", NULL, "bad \\xff\\xfe and \\xc3");
	check_escape("over \xc0\xaf", NULL, "over \\xc0\\xaf");
	check_escape("", NULL, "");
	check_escape(NULL, NULL, "");
}

/* Into a fixed buffer: cut at a whole escape or character, never inside
 * one; the return is the whole length. */
static void test_escape_into_a_buffer(void **state)
{
	(void)state;
	char b[8];
	assert_int_equal(str_escape_to(b, sizeof(b), "ab\x1b" "cd", NULL, 0), 8);
	assert_string_equal(b, "ab\\x1bc");
	assert_int_equal(str_escape_to(b, 6, "ab\x1b" "cd", NULL, 0), 8);
	assert_string_equal(b, "ab");
	assert_int_equal(str_escape_to(b, 5, "abc\xc3\xa9", NULL, 0), 5);
	assert_string_equal(b, "abc");
	assert_int_equal(str_escape_to(NULL, 0, "\xff", NULL, 0), 4);
	/* only what is not UTF-8: controls and C1 pass (JSON escapes them) */
	char j[32];
	str_escape_to(j, sizeof(j), "a\nb\x1b \xc2\x9b \xe9", NULL,
		      STR_ESC_INVALID_ONLY);
	assert_string_equal(j, "a\nb\x1b \xc2\x9b \\xe9");
}

/* RFC 4648 section 10's vectors, both alphabets. */
static void test_base64_encode(void **state)
{
	(void)state;
	static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
				    "Zm9vYmFy"};
	static const char *url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *a = base64_encode(in[i], strlen(in[i]), 0);
		char *b = base64_encode(in[i], strlen(in[i]), 1);
		assert_string_equal(a, std[i]);
		assert_string_equal(b, url[i]);
		free(a);
		free(b);
	}
	const unsigned char hi[] = {0xfb, 0xff, 0xbf};
	char *a = base64_encode(hi, 3, 0), *b = base64_encode(hi, 3, 1);
	assert_string_equal(a, "+/+/");
	assert_string_equal(b, "-_-_");
	free(a);
	free(b);
}

/* rituald's timer fires at the start of a post's second; the clock it then
 * reads must already say that second. glibc's time() does not for up to a
 * kernel tick (its coarse clock), and the loop spun on claims meanwhile and
 * sent the request that much late. Three second boundaries, each read at
 * once after the precise clock crossed it. */
static void test_wall_now_is_not_a_tick_behind(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		time_t s0 = ts.tv_sec;
		do
			clock_gettime(CLOCK_REALTIME, &ts);
		while (ts.tv_sec == s0);
		time_t got = wall_now();
		assert_true(got >= ts.tv_sec);
		assert_true(got <= ts.tv_sec + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_is_loopback_table),
		cmocka_unit_test(test_http_url_allowed_table),
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_into_a_buffer),
		cmocka_unit_test(test_base64_encode),
		cmocka_unit_test(test_wall_now_is_not_a_tick_behind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
