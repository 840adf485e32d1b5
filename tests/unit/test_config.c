/*
 * test_config.c - ritual.conf as the owner writes it.
 *
 * Each test writes a config (and the token files it names) into a fresh
 * temporary folder and loads it. Relative paths in the configs are resolved
 * against that folder, which is what lets most of them name "fb.token".
 * Messages are checked with their "FILE:LINE:" prefix: the line is found by
 * looking for the offending text in the config, so the tests say which
 * line the owner is sent to.
 *
 * The shipped etc/ritual.conf.example is loaded too (test_example_*): it is
 * copied into the temporary folder with its absolute paths (/etc/ritual/,
 * /var/lib/ritual/, /var/www/ritual-media) moved inside it and the token
 * files it names created mode 0600. It is found through $RITUAL_SRCDIR, or
 * from the current folder or up to three levels above it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/schedule.h"
#include "ritual/util.h"

struct fx {
	char dir[128];
	char conf[PATH_MAX];
	struct config *cfg;
	struct diag diag;
	const char *text;        /* last config written, for line_of */
};

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void put_file(struct fx *f, const char *name, const char *text,
		     unsigned mode)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void put_dir(struct fx *f, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/ritual-test-config-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/ritual.conf", f->dir);
	put_file(f, "fb.token", "EAAtoken\n", 0600);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	config_free(f->cfg);
	diag_free(&f->diag);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int load(struct fx *f, const char *text)
{
	config_free(f->cfg);
	f->cfg = NULL;
	diag_free(&f->diag);
	f->text = text;
	put_file(f, "ritual.conf", text, 0644);
	int rc = config_load(f->conf, &f->cfg, &f->diag);
	if (rc == 0)
		assert_int_equal(f->diag.n, 0);
	else
		assert_null(f->cfg);
	return rc;
}

static void show(const struct fx *f)
{
	for (size_t i = 0; i < f->diag.n; i++)
		print_message("  diag[%zu] %s\n", i, f->diag.msgs[i]);
}

static void load_ok(struct fx *f, const char *text)
{
	if (load(f, text) != 0) {
		show(f);
		fail_msg("config refused");
	}
}

/* 1-based line of the first occurrence of needle in the last config. */
static int line_of(const struct fx *f, const char *needle)
{
	const char *p = strstr(f->text, needle);
	assert_non_null(p);
	int line = 1;
	for (const char *q = f->text; q < p; q++)
		line += *q == '\n';
	return line;
}

/* Some message starts with "CONF:LINE: " and contains want. line 0: the
 * message has no line ("CONF: "). */
static void expect_at(const struct fx *f, int line, const char *want)
{
	char prefix[PATH_MAX + 32];
	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", f->conf, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", f->conf);
	for (size_t i = 0; i < f->diag.n; i++)
		if (str_has_prefix(f->diag.msgs[i], prefix) &&
		    strstr(f->diag.msgs[i], want))
			return;
	show(f);
	fail_msg("no message \"%s...%s\"", prefix, want);
}

#define HEAD                                                              \
	"timezone = \"America/New_York\";\n"                              \
	"database = \"ritual.db\";\n"
#define FB_ACCOUNT                                                        \
	"accounts = ( { name = \"facebook\"; network = \"facebook\";\n"   \
	"  page_id = \"102030405060708\"; token_file = \"fb.token\"; } );\n"

/* ---- the whole file ------------------------------------------------- */

static const char full_conf[] =
	"timezone = \"Europe/Berlin\";\n"
	"database = \"/var/lib/ritual/ritual.db\";\n"
	"business = { name = \"Wellness Rituals\"; website = \"https://www.myrituals.me\";\n"
	"  booking_url = \"https://www.myrituals.me/book-online\"; phone = \"407-535-2331\"; };\n"
	"schedule = { slots = [ \"0 9 * * MON,WED,FRI\", \"30 17 * * TUE,THU\" ];\n"
	"  missed_after = \"2h\"; min_gap = \"90m\"; };\n"
	"api = { graph = \"https://graph.example.com/v26.0/\";\n"
	"  instagram = \"https://ig.example.com/v26.0\";\n"
	"  linkedin = \"http://127.0.0.1:8081\"; linkedin_version = \"202609\";\n"
	"  linkedin_oauth = \"http://localhost:8082\"; };\n"
	"accounts = (\n"
	"  { name = \"facebook\"; network = \"facebook\"; page_id = \"102030405060708\";\n"
	"    token_file = \"fb.token\"; },\n"
	"  { name = \"instagram\"; network = \"instagram\"; user_id = \"17841400000000000\";\n"
	"    token_file = \"ig.token\"; login = \"instagram\"; },\n"
	"  { name = \"ig-via-page\"; network = \"instagram\"; user_id = \"17841400000000001\";\n"
	"    token_file = \"fb.token\"; },\n"
	"  { name = \"linkedin\"; network = \"linkedin\"; author = \"urn:li:organization:5515715\";\n"
	"    token_file = \"/ABS/li.token\"; api = \"http://[::1]:9000/\"; },\n"
	"  { name = \"Owner_Profile\"; network = \"linkedin\"; author = \"urn:li:person:aB3-x_Y\";\n"
	"    token_file = \"li.token\"; }\n"
	");\n"
	"formats = {\n"
	"  tip = { default = \"{title}\\n\\n{body}\"; instagram = \"{body}\\n\\n{hashtags}\"; };\n"
	"  promo = { facebook = \"{title} {until} {link} {cta}\"; linkedin = \"{{sale}} {body}\"; };\n"
	"  note = { default = \"{body} - {business}, {phone}, {website}, {booking_url}\"; };\n"
	"};\n"
	"limits = { facebook_text = 5000; facebook_image_bytes = 1000000; instagram_caption = 2000;\n"
	"  instagram_hashtags = 3; instagram_mentions = 2; instagram_image_bytes = 2000000;\n"
	"  linkedin_text = 2500; linkedin_image_pixels = 1000000; };\n"
	"media = { dir = \"www\"; url = \"https://media.example.com/ritual/\"; retention = \"1d\"; };\n"
	"retry = { max_attempts = 3; base_delay = 10; max_delay = \"2h\"; reconcile_delay = \"2m\"; };\n"
	"http = { connect_timeout = \"5s\"; timeout = 30; upload_timeout = \"3m\";\n"
	"  max_response = 65536; };\n";

static char *abs_conf(const struct fx *f, const char *tmpl)
{
	/* put the folder in place of /ABS */
	struct buf b = {0};
	const char *p = tmpl, *q;
	while ((q = strstr(p, "/ABS")) != NULL) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, f->dir);
		p = q + 4;
	}
	buf_puts(&b, p);
	return buf_steal(&b);
}

static void test_full_file_loads_every_value(void **state)
{
	struct fx *f = *state;
	put_file(f, "ig.token", "IGQ\n", 0600);
	put_file(f, "li.token", "AQV\n", 0400);
	put_dir(f, "www");
	char *text = abs_conf(f, full_conf);
	load_ok(f, text);
	const struct config *c = f->cfg;
	char want[PATH_MAX + 64];

	assert_string_equal(c->path, f->conf);
	assert_string_equal(c->timezone, "Europe/Berlin");
	assert_string_equal(c->database, "/var/lib/ritual/ritual.db");
	assert_string_equal(c->business.name, "Wellness Rituals");
	assert_string_equal(c->business.website, "https://www.myrituals.me");
	assert_string_equal(c->business.booking_url,
			    "https://www.myrituals.me/book-online");
	assert_string_equal(c->business.phone, "407-535-2331");

	assert_int_equal(c->nslots, 2);
	assert_string_equal(c->slots[0], "0 9 * * MON,WED,FRI");
	assert_string_equal(c->slots[1], "30 17 * * TUE,THU");
	assert_int_equal(c->missed_after, 7200);
	assert_int_equal(c->min_gap, 5400);

	/* base URLs lose their trailing "/": paths are appended as "/..." */
	assert_string_equal(c->api.graph, "https://graph.example.com/v26.0");
	assert_string_equal(c->api.instagram, "https://ig.example.com/v26.0");
	assert_string_equal(c->api.linkedin, "http://127.0.0.1:8081");
	assert_string_equal(c->api.linkedin_version, "202609");
	assert_string_equal(c->api.linkedin_oauth, "http://localhost:8082");

	assert_int_equal(c->naccounts, 5);
	const struct account *a = config_account(c, "facebook");
	assert_non_null(a);
	assert_int_equal(a->network, NET_FACEBOOK);
	assert_string_equal(a->page_id, "102030405060708");
	assert_null(a->user_id);
	assert_null(a->author);
	snprintf(want, sizeof(want), "%s/fb.token", f->dir);
	assert_string_equal(a->token_file, want);
	assert_string_equal(a->api, "https://graph.example.com/v26.0");
	assert_int_equal(a->line, line_of(f, "{ name = \"facebook\""));

	a = config_account(c, "instagram");
	assert_int_equal(a->network, NET_INSTAGRAM);
	assert_int_equal(a->login, IG_LOGIN_INSTAGRAM);
	assert_string_equal(a->user_id, "17841400000000000");
	assert_string_equal(a->api, "https://ig.example.com/v26.0");

	a = config_account(c, "ig-via-page");
	assert_int_equal(a->login, IG_LOGIN_FACEBOOK);
	assert_string_equal(a->api, "https://graph.example.com/v26.0");

	a = config_account(c, "linkedin");
	assert_int_equal(a->network, NET_LINKEDIN);
	assert_string_equal(a->author, "urn:li:organization:5515715");
	snprintf(want, sizeof(want), "%s/li.token", f->dir);
	assert_string_equal(a->token_file, want);
	assert_string_equal(a->api, "http://[::1]:9000");

	a = config_account(c, "Owner_Profile");
	assert_string_equal(a->author, "urn:li:person:aB3-x_Y");
	assert_string_equal(a->api, "http://127.0.0.1:8081");
	assert_null(config_account(c, "owner_profile"));
	assert_null(config_account(c, "twitter"));

	assert_string_equal(c->formats[KIND_TIP][NET__COUNT], "{title}\n\n{body}");
	assert_string_equal(c->formats[KIND_TIP][NET_INSTAGRAM],
			    "{body}\n\n{hashtags}");
	assert_null(c->formats[KIND_TIP][NET_FACEBOOK]);
	assert_string_equal(c->formats[KIND_PROMO][NET_FACEBOOK],
			    "{title} {until} {link} {cta}");
	assert_string_equal(c->formats[KIND_PROMO][NET_LINKEDIN], "{{sale}} {body}");
	assert_null(c->formats[KIND_PROMO][NET__COUNT]);
	assert_non_null(c->formats[KIND_NOTE][NET__COUNT]);

	assert_int_equal(c->limits.facebook_text, 5000);
	assert_int_equal(c->limits.facebook_image_bytes, 1000000);
	assert_int_equal(c->limits.instagram_caption, 2000);
	assert_int_equal(c->limits.instagram_hashtags, 3);
	assert_int_equal(c->limits.instagram_mentions, 2);
	assert_int_equal(c->limits.instagram_image_bytes, 2000000);
	assert_int_equal(c->limits.linkedin_text, 2500);
	assert_int_equal(c->limits.linkedin_image_pixels, 1000000);

	snprintf(want, sizeof(want), "%s/www", f->dir);
	assert_string_equal(c->media.dir, want);
	assert_null(c->media.s3_endpoint);
	assert_string_equal(c->media.url, "https://media.example.com/ritual/");
	assert_int_equal(c->media.retention, 86400);

	assert_int_equal(c->retry.max_attempts, 3);
	assert_int_equal(c->retry.base_delay, 10);
	assert_int_equal(c->retry.max_delay, 7200);
	assert_int_equal(c->retry.reconcile_delay, 120);
	assert_int_equal(c->http.connect_timeout, 5);
	assert_int_equal(c->http.timeout, 30);
	assert_int_equal(c->http.upload_timeout, 180);
	assert_int_equal(c->http.max_response, 65536);
	free(text);
}

static void test_defaults_fill_what_is_left_out(void **state)
{
	struct fx *f = *state;
	load_ok(f, HEAD FB_ACCOUNT);
	const struct config *c = f->cfg;

	assert_null(c->business.name);
	assert_null(c->business.phone);
	assert_int_equal(c->nslots, 0);
	assert_int_equal(c->missed_after, 6 * 3600);
	assert_int_equal(c->min_gap, 300);
	assert_string_equal(c->api.graph, "https://graph.facebook.com/v25.0");
	assert_string_equal(c->api.instagram, "https://graph.instagram.com/v25.0");
	assert_string_equal(c->api.linkedin, "https://api.linkedin.com");
	assert_string_equal(c->api.linkedin_version, "202601");
	assert_string_equal(c->api.linkedin_oauth, "https://www.linkedin.com");
	assert_string_equal(c->accounts[0].api, "https://graph.facebook.com/v25.0");
	assert_int_equal(c->accounts[0].login, IG_LOGIN_FACEBOOK);
	for (int k = 0; k < KIND__COUNT; k++)
		for (int n = 0; n <= NET__COUNT; n++)
			assert_null(c->formats[k][n]);
	assert_int_equal(c->limits.facebook_text, 63206);
	assert_int_equal(c->limits.facebook_image_bytes, 4194304);
	assert_int_equal(c->limits.instagram_caption, 2200);
	assert_int_equal(c->limits.instagram_hashtags, 5);
	assert_int_equal(c->limits.instagram_mentions, 20);
	assert_int_equal(c->limits.instagram_image_bytes, 8388608);
	assert_int_equal(c->limits.linkedin_text, 3000);
	assert_int_equal(c->limits.linkedin_image_pixels, 36152320);
	assert_null(c->media.dir);
	assert_null(c->media.s3_bucket);
	assert_null(c->media.url);
	assert_int_equal(c->media.retention, 0);
	assert_int_equal(c->retry.max_attempts, 8);
	assert_int_equal(c->retry.base_delay, 30);
	assert_int_equal(c->retry.max_delay, 3600);
	assert_int_equal(c->retry.reconcile_delay, 60);
	assert_int_equal(c->http.connect_timeout, 10);
	assert_int_equal(c->http.timeout, 60);
	assert_int_equal(c->http.upload_timeout, 120);
	assert_int_equal(c->http.max_response, 1048576);

	/* empty groups are the same as absent ones */
	load_ok(f, HEAD FB_ACCOUNT "schedule = { };\nretry = { };\nformats = { tip = { }; };\n");
	assert_int_equal(f->cfg->retry.max_attempts, 8);
	assert_int_equal(f->cfg->missed_after, 6 * 3600);
}

static void test_instagram_api_follows_its_login(void **state)
{
	struct fx *f = *state;
	put_dir(f, "www");
	load_ok(f, HEAD
		"media = { dir = \"www\"; url = \"https://m.example/r/\"; };\n"
		"api = { graph = \"https://g.example/v1\"; instagram = \"https://i.example/v1\"; };\n"
		"accounts = (\n"
		" { name = \"a\"; network = \"instagram\"; user_id = \"1\"; token_file = \"fb.token\"; },\n"
		" { name = \"b\"; network = \"instagram\"; user_id = \"2\"; token_file = \"fb.token\";"
		" login = \"instagram\"; },\n"
		" { name = \"c\"; network = \"instagram\"; user_id = \"3\"; token_file = \"fb.token\";"
		" login = \"instagram\"; api = \"https://own.example/v2\"; } );\n");
	assert_string_equal(f->cfg->accounts[0].api, "https://g.example/v1");
	assert_string_equal(f->cfg->accounts[1].api, "https://i.example/v1");
	assert_string_equal(f->cfg->accounts[2].api, "https://own.example/v2");
}

/* Issue 8: app_secret_file (facebook, instagram) and read_token_file
 * (instagram) are secret files, mode-checked like tokens, and belong to
 * Facebook Login only. */
static void test_meta_secret_keys(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX + 16];
	put_dir(f, "www");
	put_file(f, "fb.token", "x\n", 0600);
	put_file(f, "app.secret", "s\n", 0600);
	put_file(f, "user.token", "u\n", 0600);
	load_ok(f, HEAD
		"media = { dir = \"www\"; url = \"https://m.example/r/\"; };\n"
		"accounts = (\n"
		" { name = \"f\"; network = \"facebook\"; page_id = \"1\"; token_file = \"fb.token\";"
		" app_secret_file = \"app.secret\"; },\n"
		" { name = \"i\"; network = \"instagram\"; user_id = \"2\"; token_file = \"fb.token\";"
		" app_secret_file = \"app.secret\"; read_token_file = \"user.token\"; } );\n");
	snprintf(want, sizeof(want), "%s/app.secret", f->dir);
	assert_string_equal(f->cfg->accounts[0].app_secret_file, want);
	assert_string_equal(f->cfg->accounts[1].app_secret_file, want);
	assert_null(f->cfg->accounts[0].read_token_file);
	snprintf(want, sizeof(want), "%s/user.token", f->dir);
	assert_string_equal(f->cfg->accounts[1].read_token_file, want);

	put_file(f, "app.secret", "s\n", 0644);
	assert_int_equal(load(f, HEAD
		"accounts = ( { name = \"f\"; network = \"facebook\"; page_id = \"1\";"
		" token_file = \"fb.token\"; app_secret_file = \"app.secret\"; } );\n"), -1);
	expect_at(f, 3, "app secret file");
	expect_at(f, 3, "(mode 644)");
	put_file(f, "app.secret", "s\n", 0600);

	/* Instagram Login: the app secret is the Instagram app's (for
	 * `ritual connect`), the second token is refused. */
	load_ok(f, HEAD
		"media = { dir = \"www\"; url = \"https://m.example/r/\"; };\n"
		"accounts = ( { name = \"i\"; network = \"instagram\"; user_id = \"2\";"
		" token_file = \"fb.token\"; login = \"instagram\";"
		" app_secret_file = \"app.secret\"; } );\n");
	assert_int_equal(load(f, HEAD
		"media = { dir = \"www\"; url = \"https://m.example/r/\"; };\n"
		"accounts = ( { name = \"i\"; network = \"instagram\"; user_id = \"2\";"
		" token_file = \"fb.token\"; login = \"instagram\";"
		" read_token_file = \"user.token\"; } );\n"), -1);
	expect_at(f, 4, "only for Instagram accounts with login = \"facebook\"");
	assert_int_equal(load(f, HEAD
		"accounts = ( { name = \"l\"; network = \"linkedin\";"
		" author = \"urn:li:organization:1\"; token_file = \"fb.token\";"
		" read_token_file = \"user.token\"; } );\n"), -1);
}

/* ---- paths ------------------------------------------------------------ */

static void test_relative_paths_resolve_against_the_config_folder(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX + 64], cwd[PATH_MAX];
	put_dir(f, "tokens");
	put_dir(f, "www");
	put_file(f, "tokens/fb.token", "x\n", 0600);
	put_file(f, "s3.key", "A:B\n", 0600);
	load_ok(f, "timezone = \"UTC\";\ndatabase = \"data/ritual.db\";\n"
		"accounts = ( { name = \"fb\"; network = \"facebook\"; page_id = \"1\";"
		" token_file = \"tokens/fb.token\"; } );\n"
		"media = { s3 = { endpoint = \"https://s3.example.com\"; bucket = \"b-1.x\";"
		" region = \"auto\"; key_file = \"s3.key\"; }; url = \"https://m.example/\"; };\n");
	snprintf(want, sizeof(want), "%s/data/ritual.db", f->dir);
	assert_string_equal(f->cfg->database, want);
	snprintf(want, sizeof(want), "%s/tokens/fb.token", f->dir);
	assert_string_equal(f->cfg->accounts[0].token_file, want);
	snprintf(want, sizeof(want), "%s/s3.key", f->dir);
	assert_string_equal(f->cfg->media.s3_key_file, want);
	assert_string_equal(f->cfg->media.s3_bucket, "b-1.x");

	/* the config itself named relatively (ritual -c ritual.conf) */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	struct config *c2 = NULL;
	struct diag d = {0};
	int rc = config_load("./ritual.conf", &c2, &d);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_string_equal(c2->path, f->conf);
	snprintf(want, sizeof(want), "%s/data/ritual.db", f->dir);
	assert_string_equal(c2->database, want);
	config_free(c2);
	diag_free(&d);
}

static void test_include_is_found_next_to_the_config(void **state)
{
	struct fx *f = *state;
	char want[PATH_MAX + 64], cwd[PATH_MAX];
	put_file(f, "accounts.inc", FB_ACCOUNT, 0600);
	/* from another folder: the include is looked up next to ritual.conf */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	int rc = load(f, HEAD "@include \"accounts.inc\"\n");
	assert_int_equal(chdir(cwd), 0);
	if (rc != 0)
		show(f);
	assert_int_equal(rc, 0);
	assert_string_equal(f->cfg->accounts[0].name, "facebook");

	/* a problem inside it names that file and its line */
	put_file(f, "accounts.inc", "\n" FB_ACCOUNT "\nbogus = 1;\n", 0600);
	assert_int_equal(load(f, HEAD "@include \"accounts.inc\"\n"), -1);
	assert_int_equal(f->diag.n, 1);
	snprintf(want, sizeof(want), "%s/accounts.inc:5: unknown key \"bogus\"", f->dir);
	assert_true(str_has_prefix(f->diag.msgs[0], want));
}

/* An @include checked however large the file holding it: libconfig exit()s
 * on a folder and blocks on a FIFO, so nothing may reach it unchecked. */
static void test_include_in_a_large_file_still_checked(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX + 64], want[PATH_MAX + 128];
	struct buf big = {0};
	while (big.len < (5u << 20))
		buf_puts(&big, "# a long comment line to make this file large......\n");
	buf_puts(&big, "@include \"sub\"\n@include \"pipe\"\n");
	put_file(f, "big.inc", big.data, 0600);
	buf_free(&big);
	put_dir(f, "sub");
	snprintf(path, sizeof(path), "%s/pipe", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load(f, HEAD FB_ACCOUNT "@include \"big.inc\"\n"), -1);
	assert_int_equal(f->diag.n, 2);
	snprintf(want, sizeof(want), "%s/big.inc:", f->dir);
	assert_true(str_has_prefix(f->diag.msgs[0], want));
	assert_non_null(strstr(f->diag.msgs[0], ": @include \"sub\" is not a file"));
	assert_non_null(strstr(f->diag.msgs[1], ": @include \"pipe\" is not a file"));

	/* the configuration itself a FIFO: refused, not waited on */
	struct diag d = {0};
	struct config *c = NULL;
	assert_int_equal(config_load(path, &c, &d), -1);
	assert_int_equal(d.n, 1);
	snprintf(want, sizeof(want), "%s: is not a regular file", path);
	assert_true(str_has_prefix(d.msgs[0], want));
	diag_free(&d);
}

/* ---- errors, each with its line ----------------------------------------- */

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	struct diag d = {0};
	struct config *c = (struct config *)1;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/nope.conf", f->dir);
	assert_int_equal(config_load(path, &c, &d), -1);
	assert_null(c);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "nope.conf: cannot read"));
	assert_non_null(strstr(d.msgs[0], "No such file"));
	diag_free(&d);
}

static void test_syntax_error_names_the_line(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD FB_ACCOUNT "schedule = {\n  slots = [ \"0 9 * * *\" ];\n"
			      "  min_gap = ;\n};\n"), -1);
	assert_int_equal(f->diag.n, 1);
	expect_at(f, line_of(f, "min_gap"), "syntax error");

	/* libconfig refuses a key given twice */
	assert_int_equal(load(f, HEAD "database = \"x.db\";\n" FB_ACCOUNT), -1);
	expect_at(f, 3, "syntax error: duplicate setting name");
}

static void test_unknown_key_suggests_the_closest(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "timezon = \"America/New_York\";\n"
			      "database = \"ritual.db\";\n" FB_ACCOUNT
			      "schedule = { slot = [ ]; };\n"
			      "retry = { max_attemps = 3; colour = 1; };\n"), -1);
	expect_at(f, 1, "unknown key \"timezon\"; did you mean \"timezone\"?");
	expect_at(f, 0, "missing key \"timezone\"; expected e.g. timezone = "
		  "\"America/New_York\";");
	expect_at(f, line_of(f, "slot ="),
		  "unknown key \"slot\" in schedule; did you mean \"slots\"?");
	expect_at(f, line_of(f, "max_attemps"), "unknown key \"max_attemps\" in "
		  "retry; did you mean \"max_attempts\"?");
	expect_at(f, line_of(f, "colour"), "unknown key \"colour\" in retry; "
		  "expected one of: max_attempts, base_delay, max_delay, reconcile_delay");
	assert_int_equal(f->diag.n, 5);
	/* a problem without a line comes after those with one */
	assert_non_null(strstr(f->diag.msgs[4], "missing key \"timezone\""));

	/* inside an account and a nested group */
	assert_int_equal(load(f, HEAD
			      "accounts = ( { name = \"fb\"; network = \"facebook\"; pageid = \"1\";\n"
			      "  token_file = \"fb.token\"; } );\n"
			      "formats = { tips = { }; promo = { facebok = \"{body}\"; }; };\n"), -1);
	expect_at(f, 3, "unknown key \"pageid\" in account \"fb\"; did you mean \"page_id\"?");
	expect_at(f, 3, "missing key \"page_id\" in account \"fb\"; a facebook "
		  "account needs it");
	expect_at(f, 5, "unknown key \"tips\" in formats; did you mean \"tip\"?");
	expect_at(f, 5, "unknown key \"facebok\" in formats.promo; did you mean "
		  "\"facebook\"?");
	assert_int_equal(f->diag.n, 4);
}

static void test_wrong_types_say_what_was_expected(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f,
			      "timezone = \"UTC\";\n"
			      "database = 5;\n"
			      "accounts = { name = \"fb\"; };\n"
			      "schedule = { slots = \"0 9 * * *\"; missed_after = 1.5; };\n"
			      "limits = { instagram_hashtags = \"5\"; };\n"
			      "business = \"Wellness Rituals\";\n"
			      "api = { linkedin_version = true; };\n"), -1);
	expect_at(f, 2, "database: expected a string in double quotes, got a number");
	expect_at(f, 3, "accounts: expected a list of groups in parentheses, got a group");
	expect_at(f, 4, "schedule.slots: expected a list of cron strings in brackets, got a string");
	expect_at(f, 4, "schedule.missed_after: expected a duration");
	expect_at(f, 5, "limits.instagram_hashtags: expected a whole number without quotes, got a string");
	expect_at(f, 6, "business: expected a group in braces, got a string");
	expect_at(f, 7, "api.linkedin_version: expected a string, got true/false");
	assert_int_equal(f->diag.n, 7);

	assert_int_equal(load(f, HEAD "accounts = ( \"facebook\" );\n"), -1);
	expect_at(f, 3, "accounts: entry 1 is a string; expected a group");
	assert_int_equal(load(f, HEAD "accounts = ( );\n"), -1);
	expect_at(f, 3, "accounts: the list is empty; expected at least one account");
}

static void test_missing_required_keys(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "business = { name = \"x\"; };\n"), -1);
	expect_at(f, 0, "missing key \"timezone\"");
	expect_at(f, 0, "missing key \"database\"");
	expect_at(f, 0, "missing key \"accounts\"");
	assert_int_equal(f->diag.n, 3);

	assert_int_equal(load(f, HEAD "accounts = (\n"
			      "  { network = \"facebook\"; page_id = \"1\"; },\n"
			      "  { name = \"li\";\n"
			      "    token_file = \"fb.token\"; },\n"
			      "  { name = \"ig\"; network = \"instagram\"; token_file = \"fb.token\"; } );\n"), -1);
	expect_at(f, 4, "missing key \"name\" in account #1");
	expect_at(f, 4, "missing key \"token_file\" in account #1");
	expect_at(f, 5, "missing key \"network\" in account \"li\"");
	expect_at(f, 7, "missing key \"user_id\" in account \"ig\"; an instagram account needs it; "
		  "expected e.g. user_id = \"17841400000000000\";");
	expect_at(f, 7, "account \"ig\": Instagram downloads each image from a public https:// "
		  "address; expected a media group");
	assert_int_equal(f->diag.n, 5);
}

static void test_several_errors_reported_together(void **state)
{
	struct fx *f = *state;
	put_file(f, "open.token", "x\n", 0644);
	assert_int_equal(load(f,
			      "timezone = \"Mars/Olympus_Mons\";\n"
			      "database = \"ritual.db\";\n"
			      "schedule = { slots = [ \"0 9 * * MON\", \"61 9 * * *\" ]; };\n"
			      "accounts = ( { name = \"fb\"; network = \"facebook\"; page_id = \"1\";\n"
			      "  token_file = \"open.token\"; } );\n"
			      "limits = { linkedin_text = 0; };\n"
			      "retry = { max_attempts = 3; bogus = 1; };\n"), -1);
	assert_int_equal(f->diag.n, 5);
	expect_at(f, 1, "timezone: unknown time zone \"Mars/Olympus_Mons\"");
	expect_at(f, 1, "tzdata");
	expect_at(f, 3, "schedule.slots: ");
	expect_at(f, 3, "\"61 9 * * *\"");
	expect_at(f, 5, "can be read by group or others (mode 644)");
	expect_at(f, 6, "limits.linkedin_text: 0 is out of range");
	expect_at(f, 7, "unknown key \"bogus\" in retry");

	/* in the order of the file, whatever order they were found in */
	int last = 0;
	for (size_t i = 0; i < f->diag.n; i++) {
		const char *p = f->diag.msgs[i] + strlen(f->conf) + 1;
		int line = (int)strtol(p, NULL, 10);
		assert_true(line >= last);
		last = line;
	}
}

static void test_config_load_keeps_the_process_zone(void **state)
{
	struct fx *f = *state;
	struct err e;
	assert_int_equal(sched_tz_use("Asia/Tokyo", &e), 0);
	load_ok(f, HEAD FB_ACCOUNT);
	assert_string_equal(sched_tz_current(), "Asia/Tokyo");
	assert_int_equal(load(f, "timezone = \"Europe/Paris\";\n"
			      "database = 3;\n" FB_ACCOUNT), -1);
	assert_string_equal(sched_tz_current(), "Asia/Tokyo");
}

/* ---- token files ------------------------------------------------------- */

static void test_token_file_mode(void **state)
{
	struct fx *f = *state;
	char msg[3 * PATH_MAX];
	put_file(f, "fb.token", "x\n", 0644);
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	assert_int_equal(f->diag.n, 1);
	snprintf(msg, sizeof(msg), "account \"facebook\" token_file: token file "
		 "%s/fb.token can be read by group or others (mode 644); run: "
		 "chmod 600 %s/fb.token", f->dir, f->dir);
	expect_at(f, 4, msg);

	put_file(f, "fb.token", "x\n", 0640);
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	expect_at(f, 4, "(mode 640)");
	put_file(f, "fb.token", "x\n", 0602);     /* world-writable */
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	expect_at(f, 4, "(mode 602)");

	put_file(f, "fb.token", "x\n", 0600);
	load_ok(f, HEAD FB_ACCOUNT);
	put_file(f, "fb.token", "x\n", 0400);
	load_ok(f, HEAD FB_ACCOUNT);
}

static void test_token_file_must_be_a_file(void **state)
{
	struct fx *f = *state;
	char target[PATH_MAX + 32], link[PATH_MAX + 32];
	snprintf(target, sizeof(target), "%s/fb.token", f->dir);
	assert_int_equal(remove(target), 0);
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	expect_at(f, 4, "fb.token does not exist; put the account's access token in it "
		  "and run: chmod 600");

	put_dir(f, "fb.token");
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	expect_at(f, 4, "fb.token is not a regular file");
	assert_int_equal(rmdir(target), 0);

	/* a symbolic link is refused: the daemon opens tokens O_NOFOLLOW */
	put_file(f, "real.token", "x\n", 0600);
	snprintf(link, sizeof(link), "%s/real.token", f->dir);
	assert_int_equal(symlink(link, target), 0);
	assert_int_equal(load(f, HEAD FB_ACCOUNT), -1);
	expect_at(f, 4, "fb.token is a symbolic link");
}

static void test_s3_key_file_mode(void **state)
{
	struct fx *f = *state;
	put_file(f, "s3.key", "A:B\n", 0644);
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "media = { s3 = { endpoint = \"https://s3.example.com\";\n"
			      "  bucket = \"ritual\"; region = \"eu-central-1\"; key_file = \"s3.key\"; };\n"
			      "  url = \"https://ritual.s3.example.com/\"; };\n"), -1);
	assert_int_equal(f->diag.n, 1);
	expect_at(f, 6, "media.s3.key_file: key file ");
	expect_at(f, 6, "can be read by group or others (mode 644); run: chmod 600");
}

/* ---- URLs --------------------------------------------------------------- */

static void test_http_only_for_loopback(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { graph = \"http://graph.facebook.com/v25.0\";\n"
			      "  linkedin = \"http://10.0.0.1\"; instagram = \"ftp://x\";\n"
			      "  linkedin_oauth = \"https://user:pw@www.linkedin.com\"; };\n"
			      "media = { dir = \"x\"; url = \"https://m.example.com/ritual\"; };\n"), -1);
	expect_at(f, 5, "api.graph: \"http://graph.facebook.com/v25.0\" uses plain "
		  "http://; expected https:// (http:// is accepted only for "
		  "127.x.y.z, localhost or [::1], for tests)");
	expect_at(f, 6, "api.linkedin: \"http://10.0.0.1\" uses plain http://");
	expect_at(f, 6, "api.instagram: \"ftp://x\" is not a URL");
	expect_at(f, 7, "api.linkedin_oauth: ");
	expect_at(f, 7, "contains a user name or password");
	expect_at(f, 8, "media.url: \"https://m.example.com/ritual\" does not end with \"/\"");
	expect_at(f, 8, "folder ");   /* media.dir x does not exist */
	assert_int_equal(f->diag.n, 6);

	load_ok(f, HEAD FB_ACCOUNT
		"api = { graph = \"http://127.0.0.1:8080/v25.0\"; linkedin = \"http://localhost\";\n"
		"  instagram = \"http://[::1]:1234/v25.0\"; linkedin_oauth = \"HTTPS://WWW.LINKEDIN.COM\"; };\n");
	assert_string_equal(f->cfg->api.graph, "http://127.0.0.1:8080/v25.0");
	assert_string_equal(f->cfg->accounts[0].api, "http://127.0.0.1:8080/v25.0");

	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { graph = \"https://graph.facebook.com?x=1\"; linkedin = \"https://:443\";\n"
			      "  instagram = \"http://127.0.0.1:99999\"; };\n"), -1);
	expect_at(f, 5, "contains a query (?) or fragment (#)");
	expect_at(f, 5, "api.linkedin: \"https://:443\" has no host name");
	expect_at(f, 6, "has a bad port number");

	/* a name that merely starts with "127." is not loopback */
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { graph = \"http://127.0.0.1.evil.example/v25.0\";\n"
			      "  linkedin = \"http://localhost.evil.com\"; instagram = \"http://127.0.0.1.nip.io:80\"; };\n"), -1);
	expect_at(f, 5, "api.graph: \"http://127.0.0.1.evil.example/v25.0\" uses plain http://");
	expect_at(f, 6, "api.linkedin: \"http://localhost.evil.com\" uses plain http://");
	expect_at(f, 6, "api.instagram: \"http://127.0.0.1.nip.io:80\" uses plain http://");
	load_ok(f, HEAD FB_ACCOUNT "api = { graph = \"http://127.1.2.3:8080/v25.0\"; };\n");
}

static void test_business_links(void **state)
{
	struct fx *f = *state;
	load_ok(f, HEAD FB_ACCOUNT "business = { website = \"http://old.example.com\"; };\n");
	assert_string_equal(f->cfg->business.website, "http://old.example.com");
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "business = { booking_url = \"www.myrituals.me/book\"; phone = \"\"; };\n"), -1);
	expect_at(f, 5, "business.booking_url: \"www.myrituals.me/book\" is not a URL");
	expect_at(f, 5, "business.phone: is empty");
}

/* ---- accounts ---------------------------------------------------------- */

static void test_account_names(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD "accounts = (\n"
			      " { name = \"facebook\"; network = \"facebook\"; page_id = \"1\"; token_file = \"fb.token\"; },\n"
			      " { name = \"Facebook\"; network = \"facebook\"; page_id = \"2\"; token_file = \"fb.token\"; },\n"
			      " { name = \"my page\"; network = \"facebook\"; page_id = \"3\"; token_file = \"fb.token\"; },\n"
			      " { name = \"abcdefghijklmnopqrstuvwxyz0123456\"; network = \"facebook\"; page_id = \"4\";"
			      " token_file = \"fb.token\"; } );\n"), -1);
	assert_int_equal(f->diag.n, 3);
	expect_at(f, 5, "account name \"Facebook\" is already used at line 4");
	expect_at(f, 6, "account #3 name: \"my page\" is not a usable account name; "
		  "expected 1 to 32 letters, digits, '-' or '_'");
	expect_at(f, 7, "is not a usable account name");

	load_ok(f, HEAD "accounts = (\n"
		" { name = \"abcdefghijklmnopqrstuvwxyz012345\"; network = \"facebook\"; page_id = \"1\";"
		" token_file = \"fb.token\"; } );\n");
}

static void test_networks_and_their_keys(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD "accounts = (\n"
			      " { name = \"tw\"; network = \"twitter\"; token_file = \"fb.token\"; },\n"
			      " { name = \"li\"; network = \"linkedin\"; author = \"urn:li:organization:1\";\n"
			      "   page_id = \"123\"; token_file = \"fb.token\"; },\n"
			      " { name = \"fb\"; network = \"facebook\"; page_id = \"1\"; login = \"facebook\";\n"
			      "   token_file = \"fb.token\"; },\n"
			      " { name = \"ig\"; network = \"instagram\"; user_id = \"1\"; login = \"Instagram\";\n"
			      "   token_file = \"fb.token\"; },\n"
			      " { name = \"Fb2\"; network = \"Facebook\"; page_id = \"1\"; token_file = \"fb.token\"; } );\n"), -1);
	expect_at(f, 4, "account \"tw\" network: \"twitter\" is not known; expected one of "
		  "\"facebook\", \"instagram\" or \"linkedin\"");
	expect_at(f, 6, "account \"li\" page_id: does not apply to a linkedin account "
		  "(only to facebook accounts); remove it");
	expect_at(f, 7, "account \"fb\" login: does not apply to a facebook account "
		  "(only to instagram accounts)");
	expect_at(f, 9, "account \"ig\" login: \"Instagram\" is not known; expected one of "
		  "\"facebook\" or \"instagram\"");
	expect_at(f, 11, "account \"Fb2\" network: \"Facebook\" is not known");
	expect_at(f, 9, "account \"ig\": Instagram downloads each image");
	assert_int_equal(f->diag.n, 6);
}

static void test_account_ids(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD "accounts = (\n"
			      " { name = \"fb\"; network = \"facebook\"; page_id = \"my-page\"; token_file = \"fb.token\"; },\n"
			      " { name = \"ig\"; network = \"instagram\"; user_id = 1784; token_file = \"fb.token\"; },\n"
			      " { name = \"l1\"; network = \"linkedin\"; author = \"urn:li:organization:abc\"; token_file = \"fb.token\"; },\n"
			      " { name = \"l2\"; network = \"linkedin\"; author = \"5515715\"; token_file = \"fb.token\"; },\n"
			      " { name = \"l3\"; network = \"linkedin\"; author = \"urn:li:person:\"; token_file = \"fb.token\"; },\n"
			      " { name = \"l4\"; network = \"linkedin\"; author = \"urn:li:person:a b\"; token_file = \"fb.token\"; } );\n"), -1);
	assert_int_equal(f->diag.n, 7);
	expect_at(f, 5, "account \"ig\": Instagram downloads each image");
	expect_at(f, 4, "account \"fb\" page_id: \"my-page\" is not a numeric id; expected digits only");
	expect_at(f, 5, "account \"ig\" user_id: expected a string in double quotes, got a number; "
		  "e.g. user_id = \"17841400000000000\";");
	expect_at(f, 6, "\"urn:li:organization:abc\" is not a LinkedIn author; expected "
		  "\"urn:li:organization:<digits>\"");
	expect_at(f, 7, "\"5515715\" is not a LinkedIn author");
	expect_at(f, 8, "\"urn:li:person:\" is not a LinkedIn author");
	expect_at(f, 9, "\"urn:li:person:a b\" is not a LinkedIn author");
}

/* ---- values ------------------------------------------------------------- */

static void test_timezone_and_slots(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "timezone = \"EST5EDT\";\ndatabase = \"d\";\n" FB_ACCOUNT
			      "schedule = { slots = [ \"@daily\", \"0 9 * * MOM\", \"0 9 * *\",\n"
			      "   \"@daily\" ]; };\n"), -1);
	assert_int_equal(f->diag.n, 3);
	expect_at(f, 5, "\"0 9 * * MOM\"");
	expect_at(f, 5, "\"0 9 * *\"");
	assert_non_null(strstr(f->diag.msgs[0], "schedule.slots: "));
	assert_non_null(strstr(f->diag.msgs[1], "schedule.slots: "));
	expect_at(f, 6, "schedule.slots: \"@daily\" is listed twice");

	load_ok(f, HEAD FB_ACCOUNT "schedule = { slots = ( \"@daily\", \"*/15 8-18 1,15 * SUN\" ); };\n");
	assert_int_equal(f->cfg->nslots, 2);

	assert_int_equal(load(f, "timezone = \"America/New York\";\ndatabase = \"d\";\n" FB_ACCOUNT), -1);
	expect_at(f, 1, "timezone: time zone \"America/New York\" is not a zone name");
	assert_int_equal(load(f, "timezone = \"../../etc/passwd\";\ndatabase = \"d\";\n" FB_ACCOUNT), -1);
	expect_at(f, 1, "timezone: ");
}

static void test_linkedin_version(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { linkedin_version = \"202613\"; };\n"), -1);
	expect_at(f, 5, "api.linkedin_version: \"202613\" is not a LinkedIn API version; "
		  "expected six digits YYYYMM with a month 01-12");
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { linkedin_version = \"2026-01\"; };\n"), -1);
	expect_at(f, 5, "\"2026-01\" is not a LinkedIn API version");
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { linkedin_version = \"20260101\"; };\n"), -1);
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "api = { linkedin_version = \"202600\"; };\n"), -1);
	load_ok(f, HEAD FB_ACCOUNT "api = { linkedin_version = 202612; };\n");
	assert_string_equal(f->cfg->api.linkedin_version, "202612");
}

static void test_durations(void **state)
{
	struct fx *f = *state;
	load_ok(f, HEAD FB_ACCOUNT
		"schedule = { missed_after = \"2d\"; min_gap = \"0\"; };\n"
		"retry = { base_delay = \"45\"; max_delay = 86400; };\n"
		"http = { connect_timeout = \"1s\"; timeout = \"15m\"; upload_timeout = 7; };\n");
	assert_int_equal(f->cfg->missed_after, 2 * 86400);
	assert_int_equal(f->cfg->min_gap, 0);
	assert_int_equal(f->cfg->retry.base_delay, 45);
	assert_int_equal(f->cfg->retry.max_delay, 86400);
	assert_int_equal(f->cfg->http.connect_timeout, 1);
	assert_int_equal(f->cfg->http.timeout, 900);
	assert_int_equal(f->cfg->http.upload_timeout, 7);

	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "schedule = { missed_after = \"0\"; min_gap = -5; };\n"
			      "retry = { base_delay = \"6x\"; max_delay = \"1 h\"; };\n"
			      "http = { timeout = \"366d\"; connect_timeout = \"99999999999999999999s\";\n"
			      "  upload_timeout = \"h\"; };\n"), -1);
	assert_int_equal(f->diag.n, 7);
	expect_at(f, 5, "schedule.missed_after: expected a duration greater than 0 and at most 365 days");
	expect_at(f, 5, "schedule.min_gap: expected a duration of 0 or more");
	expect_at(f, 6, "retry.base_delay: expected a duration: a number of seconds, or a "
		  "string with a unit s, m, h or d");
	expect_at(f, 6, "retry.max_delay: expected a duration");
	expect_at(f, 7, "http.timeout: expected a duration greater than 0 and at most 365 days");
	expect_at(f, 7, "http.connect_timeout: expected a duration greater than 0");
	expect_at(f, 8, "http.upload_timeout: expected a duration");

	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "retry = { base_delay = \"2h\"; max_delay = \"1h\"; };\n"), -1);
	expect_at(f, 5, "retry.base_delay (7200s) is longer than retry.max_delay (3600s)");
}

static void test_limits_and_numbers(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "limits = { instagram_hashtags = -1; facebook_text = 1.5;\n"
			      "  instagram_caption = 0; };\n"
			      "retry = { max_attempts = 0; };\n"
			      "http = { max_response = 100; };\n"), -1);
	assert_int_equal(f->diag.n, 5);
	expect_at(f, 5, "limits.instagram_hashtags: -1 is out of range; expected a whole "
		  "number from 1 to 2147483647");
	expect_at(f, 5, "limits.facebook_text: expected a whole number without quotes, "
		  "got a decimal number");
	expect_at(f, 6, "limits.instagram_caption: 0 is out of range");
	expect_at(f, 7, "retry.max_attempts: 0 is out of range; expected a whole number from 1 to 100");
	expect_at(f, 8, "http.max_response: 100 is out of range");
}

static void test_templates_are_checked(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "formats = {\n"
			      "  tip = { facebook = \"{title}\\n{bodyy}\"; };\n"
			      "  promo = { default = \"{title\"; linkedin = \"\"; };\n"
			      "  note = { instagram = 3; };\n"
			      "};\n"), -1);
	assert_int_equal(f->diag.n, 4);
	expect_at(f, 6, "formats.tip.facebook: ");
	expect_at(f, 7, "formats.promo.default: ");
	expect_at(f, 7, "formats.promo.linkedin: is empty");
	expect_at(f, 8, "formats.note.instagram: expected a string in double quotes");
}

/* media.background is parsed once, at load: white when unset. */
static void test_media_background_parsed_at_load(void **state)
{
	struct fx *f = *state;
	put_dir(f, "www");
	load_ok(f, HEAD FB_ACCOUNT
		"media = { dir = \"www\"; url = \"https://m.example.com/\"; };\n");
	assert_memory_equal(f->cfg->media.background_rgb, "\xff\xff\xff", 3);
	load_ok(f, HEAD FB_ACCOUNT
		"media = { dir = \"www\"; url = \"https://m.example.com/\";\n"
		"  fit = \"pad\"; background = \"#102030\"; };\n");
	assert_memory_equal(f->cfg->media.background_rgb, "\x10\x20\x30", 3);
}

static void test_media_rules(void **state)
{
	struct fx *f = *state;
	put_dir(f, "www");
	put_file(f, "s3.key", "A:B\n", 0600);
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "media = { dir = \"www\";\n"
			      "  s3 = { endpoint = \"https://s3.example.com\"; bucket = \"b\"; region = \"EU\";\n"
			      "    key_file = \"s3.key\"; extra = 1; }; };\n"), -1);
	assert_int_equal(f->diag.n, 5);
	expect_at(f, 5, "media: both dir and s3 are set; expected exactly one");
	expect_at(f, 5, "media: missing key \"url\"");
	expect_at(f, 6, "media.s3.bucket: \"b\" is not an S3 bucket name");
	expect_at(f, 6, "media.s3.region: \"EU\" is not a region name");
	expect_at(f, 7, "unknown key \"extra\" in media.s3");

	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "media = { url = \"https://m.example.com/\"; retention = \"1h\"; s3 = { }; };\n"), -1);
	expect_at(f, 5, "missing key \"endpoint\" in media.s3");
	expect_at(f, 5, "missing key \"bucket\" in media.s3");
	expect_at(f, 5, "missing key \"region\" in media.s3");
	expect_at(f, 5, "missing key \"key_file\" in media.s3");
	assert_int_equal(f->diag.n, 4);

	assert_int_equal(load(f, HEAD FB_ACCOUNT "media = { retention = \"1h\"; };\n"), -1);
	expect_at(f, 5, "media: neither dir nor s3 is set");
	expect_at(f, 5, "media: missing key \"url\"");

	put_file(f, "plain", "x", 0600);
	assert_int_equal(load(f, HEAD FB_ACCOUNT
			      "media = { dir = \"plain\"; url = \"https://m.example.com/\"; };\n"), -1);
	expect_at(f, 5, "media.dir: ");
	expect_at(f, 5, "/plain is not a folder");

	load_ok(f, HEAD FB_ACCOUNT
		"media = { dir = \"www/\"; url = \"https://m.example.com/a/\"; retention = 0; };\n");
	assert_int_equal(f->cfg->media.retention, 0);
}

/* ---- the names -------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	enum network n;
	enum post_kind k;
	assert_string_equal(network_name(NET_FACEBOOK), "facebook");
	assert_string_equal(network_name(NET_INSTAGRAM), "instagram");
	assert_string_equal(network_name(NET_LINKEDIN), "linkedin");
	assert_null(network_name(NET__COUNT));
	assert_null(network_name((enum network)-1));
	assert_int_equal(network_from_name("linkedin", &n), 0);
	assert_int_equal(n, NET_LINKEDIN);
	assert_int_equal(network_from_name("LinkedIn", &n), -1);
	assert_int_equal(network_from_name("", &n), -1);
	assert_int_equal(network_from_name(NULL, &n), -1);

	assert_string_equal(kind_name(KIND_TIP), "tip");
	assert_string_equal(kind_name(KIND_PROMO), "promo");
	assert_string_equal(kind_name(KIND_NOTE), "note");
	assert_null(kind_name(KIND__COUNT));
	assert_int_equal(kind_from_name("Promo", &k), 0);
	assert_int_equal(k, KIND_PROMO);
	assert_int_equal(kind_from_name("NOTE", &k), 0);
	assert_int_equal(k, KIND_NOTE);
	assert_int_equal(kind_from_name("tips", &k), -1);
	assert_null(config_account(NULL, "x"));
}

/* ---- the shipped example ---------------------------------------------- */

static char *read_example(void)
{
	const char *src = getenv("RITUAL_SRCDIR");
	static const char *const tries[] = { ".", "..", "../..", "../../.." };
	char path[PATH_MAX];
	unsigned char *data = NULL;
	size_t len;
	struct err e;
	if (src) {
		snprintf(path, sizeof(path), "%s/etc/ritual.conf.example", src);
		if (read_file(path, &data, &len, 1 << 20, &e) == 0)
			return (char *)data;
	}
	for (size_t i = 0; i < RT_ARRAY_LEN(tries); i++) {
		snprintf(path, sizeof(path), "%s/etc/ritual.conf.example", tries[i]);
		if (read_file(path, &data, &len, 1 << 20, &e) == 0)
			return (char *)data;
	}
	fail_msg("etc/ritual.conf.example not found (set RITUAL_SRCDIR)");
	return NULL;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	struct buf b = {0};
	const char *q;
	while ((q = strstr(s, from)) != NULL) {
		buf_append(&b, s, (size_t)(q - s));
		buf_puts(&b, to);
		s = q + strlen(from);
	}
	buf_puts(&b, s);
	return buf_steal(&b);
}

/* The example with its system paths moved into the test folder and the
 * files it names created. switch_on: every "//" line switched on. drop: a
 * line containing it is left out; when that line opens a group ("{" at its
 * end), the group is left out up to its "};". */
static char *example_here(struct fx *f, int switch_on, const char *drop)
{
	char *text = read_example();
	char to[PATH_MAX + 32];
	snprintf(to, sizeof(to), "%s/etc/", f->dir);
	char *t1 = replace_all(text, "/etc/ritual/", to);
	snprintf(to, sizeof(to), "%s/", f->dir);
	char *t2 = replace_all(t1, "/var/lib/ritual/", to);
	snprintf(to, sizeof(to), "%s/www", f->dir);
	char *t3a = replace_all(t2, "/var/www/ritual-media", to);
	snprintf(to, sizeof(to), "%s/etc/on-ritual-event", f->dir);
	char *t3 = replace_all(t3a, "/usr/local/bin/on-ritual-event", to);
	free(t3a);
	free(text);
	free(t1);
	free(t2);

	struct buf out = {0};
	const char *p = t3;
	int skipping = 0;
	while (*p) {
		size_t len = strcspn(p, "\n");
		size_t ws = strspn(p, " \t");
		char *line;
		if (switch_on && ws + 2 <= len && p[ws] == '/' && p[ws + 1] == '/')
			line = xasprintf("%.*s%.*s", (int)ws, p,
					 (int)(len - ws - 2), p + ws + 2);
		else
			line = xstrndup(p, len);
		p += len + (p[len] == '\n');
		char *trim = str_trim(xstrdup(line));
		size_t tl = strlen(trim);
		if (skipping) {
			skipping = strcmp(trim, "};") != 0;
		} else if (drop && strstr(line, drop)) {
			skipping = tl && trim[tl - 1] == '{';
		} else {
			buf_puts(&out, line);
			buf_putc(&out, '\n');
		}
		free(trim);
		free(line);
	}
	free(t3);

	struct stat st;
	char d[PATH_MAX + 16];
	snprintf(d, sizeof(d), "%s/etc", f->dir);
	if (stat(d, &st) < 0) {
		put_dir(f, "etc");
		put_dir(f, "www");
		put_file(f, "etc/facebook.token", "x\n", 0600);
		put_file(f, "etc/instagram.token", "x\n", 0600);
		put_file(f, "etc/linkedin.token", "x\n", 0600);
		put_file(f, "etc/s3.key", "A:B\n", 0600);
		put_file(f, "etc/smtp.password", "smtp-password\n", 0600);
		put_file(f, "etc/on-ritual-event", "#!/bin/sh\n", 0700);
	}
	return buf_steal(&out);
}

/* notify (issue 10): the mail keys, the STARTTLS rule, the times. */
static void test_notify_keys(void **state)
{
	struct fx *f = *state;
	put_file(f, "smtp.password", "pw-123456789\n", 0600);
	load_ok(f, HEAD FB_ACCOUNT
		"notify = { email = { smtp_url = \"smtp://mail.example.com:587\";\n"
		"  from = \"r@studio.example\"; to = [ \"a@studio.example\", \"b@studio.example\" ];\n"
		"  user = \"r@studio.example\"; password_file = \"smtp.password\"; };\n"
		"  digest_at = \"07:30\"; preflight_at = \"\"; };\n");
	const struct config *c = f->cfg;
	assert_string_equal(c->notify.smtp_url, "smtp://mail.example.com:587");
	assert_int_equal(c->notify.smtp_tls_required, 1);
	assert_int_equal(c->notify.nmail_to, 2);
	assert_string_equal(c->notify.mail_to[1], "b@studio.example");
	assert_null(c->notify.mail_to[2]);
	assert_int_equal(c->notify.digest_minute, 7 * 60 + 30);
	assert_null(c->notify.preflight_at);
	assert_int_equal(c->notify.preflight_minute, -1);
	assert_int_equal(c->notify.token_warn_days, 14);
	assert_int_equal(c->notify.dry_days, 3);
	assert_null(c->notify.command);

	/* plain SMTP to loopback: no STARTTLS required (tests) */
	load_ok(f, HEAD FB_ACCOUNT
		"notify = { email = { smtp_url = \"smtp://127.0.0.1:2525\";"
		" from = \"r@studio.example\"; to = [ \"a@studio.example\" ]; }; };\n");
	assert_int_equal(f->cfg->notify.smtp_tls_required, 0);
	assert_null(f->cfg->notify.smtp_user);

	/* user without password_file; no to; a bad time; a typo */
	assert_int_equal(load(f, HEAD FB_ACCOUNT
		"notify = { email = { smtp_url = \"smtps://mail.example.com\";\n"
		" from = \"r@studio.example\"; user = \"u\"; };\n"
		" preflight_at = \"6pm\"; token_warn_dayz = 3; };\n"), -1);
	expect_at(f, line_of(f, "notify = {"), "missing key \"to\" in notify.email");
	expect_at(f, line_of(f, "user = "), "user is set but password_file is not");
	expect_at(f, line_of(f, "preflight_at"), "is not a time of day");
	expect_at(f, line_of(f, "preflight_at"), "did you mean \"token_warn_days\"?");
}

static void test_example_as_shipped_loads(void **state)
{
	struct fx *f = *state;
	char *text = example_here(f, 0, NULL);
	char want[PATH_MAX + 64];
	load_ok(f, text);
	const struct config *c = f->cfg;
	assert_string_equal(c->timezone, "America/New_York");
	snprintf(want, sizeof(want), "%s/ritual.db", f->dir);
	assert_string_equal(c->database, want);
	assert_string_equal(c->business.name, "Wellness Rituals");
	assert_string_equal(c->business.booking_url, "https://www.myrituals.me/book-online");
	assert_int_equal(c->nslots, 2);
	assert_int_equal(c->naccounts, 1);
	assert_string_equal(c->accounts[0].name, "facebook");
	assert_int_equal(c->accounts[0].network, NET_FACEBOOK);
	snprintf(want, sizeof(want), "%s/etc/facebook.token", f->dir);
	assert_string_equal(c->accounts[0].token_file, want);
	assert_int_equal(c->missed_after, 21600);
	assert_null(c->media.url);
	free(text);
}

static void test_example_with_everything_switched_on_loads(void **state)
{
	struct fx *f = *state;
	/* every "//" line on: the two media choices exclude each other ... */
	char *text = example_here(f, 1, NULL);
	assert_int_equal(load(f, text), -1);
	assert_int_equal(f->diag.n, 1);
	expect_at(f, line_of(f, "media = {"), "media: both dir and s3 are set");
	free(text);

	/* ... and each one alone loads, with the defaults written out */
	text = example_here(f, 1, "s3 = {");
	load_ok(f, text);
	assert_non_null(f->cfg->media.dir);
	free(text);

	text = example_here(f, 1, "dir = ");
	load_ok(f, text);
	const struct config *c = f->cfg;
	assert_int_equal(c->naccounts, 3);
	assert_int_equal(config_account(c, "instagram")->network, NET_INSTAGRAM);
	assert_string_equal(config_account(c, "linkedin")->author,
			    "urn:li:organization:5515715");
	assert_string_equal(c->media.s3_bucket, "ritual-media");
	assert_string_equal(c->media.url, "https://media.example.com/ritual/");
	assert_int_equal(c->media.retention, 86400);
	assert_int_equal(c->missed_after, 21600);
	assert_int_equal(c->min_gap, 300);
	assert_string_equal(c->api.graph, "https://graph.facebook.com/v25.0");
	assert_string_equal(c->api.linkedin_version, "202601");
	assert_int_equal(c->limits.linkedin_image_pixels, 36152320);
	assert_int_equal(c->retry.max_attempts, 8);
	assert_int_equal(c->retry.reconcile_delay, 60);
	assert_int_equal(c->http.max_response, 1048576);
	assert_non_null(c->formats[KIND_PROMO][NET_INSTAGRAM]);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_file_loads_every_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_fill_what_is_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_instagram_api_follows_its_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_secret_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_paths_resolve_against_the_config_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_is_found_next_to_the_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_in_a_large_file_still_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_names_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_suggests_the_closest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types_say_what_was_expected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_errors_reported_together, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_load_keeps_the_process_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_file_must_be_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_s3_key_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_only_for_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_business_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_networks_and_their_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timezone_and_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linkedin_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_templates_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_media_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_media_background_parsed_at_load, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_example_as_shipped_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_with_everything_switched_on_loads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
