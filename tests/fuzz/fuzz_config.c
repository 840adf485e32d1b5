/*
 * fuzz_config.c - config_load on an arbitrary file.
 *
 * The input is written to ritual.conf in a private folder (fz_tmpdir)
 * that also holds token files with mode 0600 (facebook.token,
 * instagram.token, linkedin.token), an S3 key file (s3.key) and a media
 * folder (media/) and a file to @include (business.conf), so that configurations naming them relatively can load;
 * most inputs end in syntax or key errors, which is the point.
 *
 * Invariants: a refused file has messages and *out == NULL; the zone
 * selected before the call is selected after it (config_load checks the
 * zone by selecting it, then gives the process its zone back); an accepted
 * config has absolute paths, at least one account each with an api URL,
 * slots that sched_slots_parse takes, templates that format_check_template
 * takes and that render a plain post for every kind and network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "ritual/format.h"
#include "ritual/schedule.h"

static const char *conf_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;
	(void)argc;
	(void)argv;
	if (sched_tz_use("UTC", &e) < 0) {
		fprintf(stderr, "fuzz_config: %s\n", e.msg);
		abort();
	}
	fz_write_file("facebook.token", "EAAGfacebook\n", 13, 0600);
	fz_write_file("instagram.token", "EAAGinstagram\n", 14, 0600);
	fz_write_file("linkedin.token", "AQVlinkedin\n", 12, 0600);
	fz_write_file("s3.key", "AKIAFUZZ:secretfuzz\n", 20, 0600);
	fz_write_file("open.token", "EAAGopen\n", 9, 0644);
	static const char inc[] = "business = { name = \"Wellness Rituals\"; "
				  "phone = \"407-535-2331\"; };\n";
	fz_write_file("business.conf", inc, sizeof(inc) - 1, 0644);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/media", fz_tmpdir());
	mkdir(dir, 0755);
	static char path[512];
	snprintf(path, sizeof(path), "%s/ritual.conf", fz_tmpdir());
	conf_path = path;
	return 0;
}

static void check_config(const struct config *cfg)
{
	FZ_CHECK(cfg->path && cfg->path[0] == '/', "config path not absolute");
	FZ_CHECK(cfg->timezone && cfg->timezone[0], "no timezone");
	FZ_CHECK(cfg->database && cfg->database[0] == '/',
		 "database path not absolute: %s", cfg->database ? cfg->database : "NULL");
	FZ_CHECK(cfg->naccounts >= 1 && cfg->accounts, "no accounts");
	for (size_t i = 0; i < cfg->naccounts; i++) {
		const struct account *a = &cfg->accounts[i];
		FZ_CHECK(a->name && a->name[0], "account without a name");
		FZ_CHECK((unsigned)a->network < NET__COUNT, "account network");
		FZ_CHECK(a->api && a->api[0], "account %s without an api URL", a->name);
		FZ_CHECK(a->token_file && a->token_file[0] == '/',
			 "account %s token file not absolute", a->name);
		FZ_CHECK(config_account(cfg, a->name) != NULL, "config_account(%s)",
			 a->name);
		if (a->network == NET_FACEBOOK)
			FZ_CHECK(a->page_id && a->page_id[0], "facebook without page_id");
		if (a->network == NET_INSTAGRAM)
			FZ_CHECK(a->user_id && a->user_id[0], "instagram without user_id");
		if (a->network == NET_LINKEDIN)
			FZ_CHECK(a->author && a->author[0], "linkedin without author");
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(strcmp(cfg->accounts[j].name, a->name) != 0,
				 "two accounts named %s", a->name);
	}
	FZ_CHECK(cfg->api.graph && cfg->api.instagram && cfg->api.linkedin &&
		 cfg->api.linkedin_version && cfg->api.linkedin_oauth,
		 "an api default is missing");
	FZ_CHECK(cfg->missed_after >= 0 && cfg->min_gap >= 0, "negative durations");
	FZ_CHECK(cfg->retry.max_attempts >= 1 && cfg->retry.base_delay >= 0 &&
		 cfg->retry.max_delay >= 0, "retry values");
	FZ_CHECK(cfg->http.connect_timeout > 0 && cfg->http.timeout > 0 &&
		 cfg->http.max_response > 0, "http values");
	if (cfg->media.url)
		FZ_CHECK(cfg->media.url[strlen(cfg->media.url) - 1] == '/',
			 "media.url without a final '/': %s", cfg->media.url);
	if (cfg->media.dir)
		FZ_CHECK(cfg->media.dir[0] == '/', "media.dir not absolute");

	struct err e = {{0}};
	struct slots sl;
	FZ_CHECK(sched_slots_parse(cfg->slots, cfg->nslots, &sl, &e) == 0,
		 "accepted slots do not parse: %s", e.msg);
	sched_slots_free(&sl);

	for (int k = 0; k < KIND__COUNT; k++) {
		for (int n = 0; n <= NET__COUNT; n++)
			if (cfg->formats[k][n])
				FZ_CHECK(format_check_template(cfg->formats[k][n], &e) == 0,
					 "accepted template refused: %s", e.msg);
		struct format_input in = {
			.kind = (enum post_kind)k, .title = "Loosen tight hamstrings",
			.body = "Two minutes a day.", .link = "https://example.com/x",
			.has_expires = 1, .expires = {2026, 12, 15, 0, 0, 0},
		};
		char *tags[] = {(char *)"massage", (char *)"stretching", NULL};
		in.tags = tags;
		in.ntags = 2;
		for (int n = 0; n < NET__COUNT; n++) {
			struct format_output out;
			memset(&e, 0, sizeof(e));
			int r = format_render(cfg, (enum network)n, &in, &out, &e);
			FZ_CHECK(r == 0 || strstr(e.msg, "nothing to publish"),
				 "an accepted config cannot render a plain post: %s",
				 e.msg);
			if (r == 0)
				format_output_free(&out);
		}
	}
}

/*
 * Known bug (tests/fuzz/crashes/config-1, reported to the lead): an
 * @include that names a folder (@include "" is the config's own folder)
 * makes libconfig 1.5's scanner call exit(2) ("input in flex scanner
 * failed") inside config_load. With RITUAL_FUZZ_SKIP_KNOWN set in the
 * environment such inputs are skipped, so a run can look further; `make
 * fuzz` does not set it, and keeps failing until config.c refuses them.
 */
static int include_not_a_file(const uint8_t *data, size_t size)
{
	static const char kw[] = "@include";
	for (size_t i = 0; i + sizeof(kw) - 1 <= size; i++) {
		if (memcmp(data + i, kw, sizeof(kw) - 1) != 0)
			continue;
		size_t j = i + sizeof(kw) - 1;
		while (j < size && (data[j] == ' ' || data[j] == '\t'))
			j++;
		if (j >= size || data[j] != '"')
			continue;
		char name[256];
		size_t n = 0;
		for (j++; j < size && data[j] != '"' && data[j] != '\0' &&
			  data[j] != '\n' && n + 1 < sizeof(name); j++)
			name[n++] = (char)data[j];
		name[n] = '\0';
		char path[512];
		struct stat st;
		if (name[0] == '/')
			snprintf(path, sizeof(path), "%s", name);
		else
			snprintf(path, sizeof(path), "%s/%s", fz_tmpdir(), name);
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return 1;
		if (!name[0])
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
	if (skip_known && include_not_a_file(data, size))
		return 0;
	struct config *cfg = (struct config *)1;
	struct diag d = {0};
	struct err e;

	if (size > 64 * 1024)
		return 0;
	fz_write_file("ritual.conf", data, size, 0644);
	int rc = config_load(conf_path, &cfg, &d);
	const char *tz = sched_tz_current();
	FZ_CHECK(tz && strcmp(tz, "UTC") == 0, "config_load left zone \"%s\" "
		 "selected (was UTC)", tz ? tz : "(none)");
	FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (getenv("FUZZ_VERBOSE"))
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "fuzz: %s\n", d.msgs[i]);
	if (rc < 0) {
		FZ_CHECK(cfg == NULL, "refused config but *out set");
		FZ_CHECK(d.n > 0, "refused config without a message");
	} else {
		FZ_CHECK(cfg != NULL, "accepted config is NULL");
		check_config(cfg);
		config_free(cfg);
		sched_tz_use("UTC", &e);
	}
	diag_free(&d);
	return 0;
}
