/*
 * test_connect.c - the pure parts of `ritual connect`: reading the
 * redirect, editing the configuration text, and PKCE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ritual/connect.h"

#define STATE "0123456789abcdef0123456789abcdef"

static void callback_full_url(void **st)
{
	struct connect_callback cb;
	struct err err;
	assert_int_equal(connect_parse_callback(
		"http://localhost:8765/callback?code=AQ%2Bx%3D1&state=" STATE "#_=_",
		STATE, &cb, &err), 1);
	assert_string_equal(cb.code, "AQ+x=1");
	connect_callback_free(&cb);
}

static void callback_request_target_and_error(void **st)
{
	struct connect_callback cb;
	struct err err;
	assert_int_equal(connect_parse_callback(
		"/callback?error=access_denied&error_description=The+user+cancelled&state="
		STATE, STATE, &cb, &err), 0);
	assert_string_equal(cb.error, "access_denied");
	assert_string_equal(cb.error_description, "The user cancelled");
	connect_callback_free(&cb);
}

static void callback_wrong_or_missing_state_refused(void **st)
{
	struct connect_callback cb;
	struct err err;
	assert_int_equal(connect_parse_callback("code=abc&state=ffff", STATE, &cb,
						&err), -1);
	assert_non_null(strstr(err.msg, "state"));
	assert_int_equal(connect_parse_callback("code=abc", STATE, &cb, &err), -1);
	assert_int_equal(connect_parse_callback("http://localhost:8765/callback",
						STATE, &cb, &err), -2);
	assert_non_null(strstr(err.msg, "no code"));
	/* a truncated escape is kept as it is, never read past the end */
	assert_int_equal(connect_parse_callback("state=" STATE "&code=a%4", STATE,
						&cb, &err), 1);
	assert_string_equal(cb.code, "a%4");
	connect_callback_free(&cb);
}

static const struct connect_kv NEW[] = {
	{"name", "facebook"}, {"network", "facebook"}, {"page_id", "1020"},
	{"token_file", "/etc/ritual/a \"b\".token"},
};

static void edit_adds_to_list_keeping_comments(void **st)
{
	const char *text =
		"# the studio\ntimezone = \"UTC\"; // here\n"
		"accounts = ( /* first */ { name = \"li\"; network = \"linkedin\"; } # ) tricky\n"
		");\nafter = \")\";\n";
	char *out;
	struct err err;
	assert_int_equal(connect_config_edit(text, 0, NEW, 4, &out, &err), 0);
	assert_string_equal(out,
		"# the studio\ntimezone = \"UTC\"; // here\n"
		"accounts = ( /* first */ { name = \"li\"; network = \"linkedin\"; },\n"
		"  { name = \"facebook\"; network = \"facebook\"; page_id = \"1020\"; "
		"token_file = \"/etc/ritual/a \\\"b\\\".token\"; } # ) tricky\n"
		");\nafter = \")\";\n");
	free(out);
}

static void edit_creates_the_list(void **st)
{
	char *out;
	struct err err;
	assert_int_equal(connect_config_edit("timezone = \"UTC\";", 0, NEW, 1, &out,
					     &err), 0);
	assert_string_equal(out, "timezone = \"UTC\";\naccounts = (\n"
			    "  { name = \"facebook\"; }\n);\n");
	free(out);
	assert_int_equal(connect_config_edit("accounts = ( );\n", 0, NEW, 1, &out,
					     &err), 0);
	assert_string_equal(out, "accounts = (\n  { name = \"facebook\"; } );\n");
	free(out);
}

static void edit_updates_an_account_in_place(void **st)
{
	const char *text =
		"accounts = (\n"
		"  { name = \"a\"; network = \"facebook\"; app_id = \"1\"; },\n"
		"  { name = \"b\";  # the shop\n"
		"    app_id = \"old\" \"split\";\n"
		"    token_file = \"b.token\" }\n"
		");\n";
	const struct connect_kv kv[] = {{"app_id", "999"}, {"app_secret_file", "/s"}};
	char *out;
	struct err err;
	assert_int_equal(connect_config_edit(text, 3, kv, 2, &out, &err), 0);
	assert_string_equal(out,
		"accounts = (\n"
		"  { name = \"a\"; network = \"facebook\"; app_id = \"1\"; },\n"
		"  { name = \"b\";  # the shop\n"
		"    app_id = \"999\";\n"
		"    token_file = \"b.token\"; app_secret_file = \"/s\"; }\n"
		");\n");
	free(out);
	assert_int_equal(connect_config_edit("x = 1;\n", 5, kv, 1, &out, &err), -1);
}

static void pkce_matches_rfc7636(void **st)
{
	char ch[64];
	/* RFC 7636 appendix B */
	assert_int_equal(connect_pkce_challenge(
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch, sizeof(ch)), 0);
	assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callback_full_url),
		cmocka_unit_test(callback_request_target_and_error),
		cmocka_unit_test(callback_wrong_or_missing_state_refused),
		cmocka_unit_test(edit_adds_to_list_keeping_comments),
		cmocka_unit_test(edit_creates_the_list),
		cmocka_unit_test(edit_updates_an_account_in_place),
		cmocka_unit_test(pkce_matches_rfc7636),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
