/*
 * test_mediahost.c - putting Instagram's image where Meta can fetch it
 * (mediahost.c), against the project's fake server.
 *
 * The group setup starts tests/fake/fakeapi.py on a free loopback port
 * (fork + exec, its output in a log file of the temporary folder) with:
 *   - two folders served as the owner's web server: /media/ (media.dir)
 *     and /stale/ (a folder that is NOT media.dir, to play a stale cache);
 *   - an S3 endpoint with SigV4 checked for real and, as AWS does,
 *     x-amz-content-sha256 required: bucket ritual-media (public_read)
 *     and bucket ritual-private (not publicly readable).
 * The fake is found through $RITUAL_SRCDIR, or by walking up from the
 * current folder to the one holding tests/fake/fakeapi.py; it is stopped
 * (SIGTERM to its pid) and the folder removed in the group teardown.
 *
 * Each test builds a struct config by hand (zeroed, media fields filled).
 * What the S3 side really holds is read from the fake's GET /_fake/s3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/mediahost.h"
#include "ritual/util.h"

#define SECRET_OK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SECRET_PRIV "privSECRETkey/0123456789+abcdefghij"
#define SECRET_WRONG "WRONGsecretDoNotPrint0123456789abcdefgh"

struct fx {
	char dir[PATH_MAX];      /* temporary folder */
	char media[PATH_MAX];    /* media.dir, served at /media/ */
	char stale[PATH_MAX];    /* served at /stale/ */
	char base[64];           /* http://127.0.0.1:PORT */
	pid_t pid;
	struct http_client *http;
};

static struct fx F;

/* A minimal JPEG-looking payload with a NUL and high bytes in it. */
static const unsigned char IMG[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01,
	0x7f, 0x80, 0x00, 0xfe, 0x0d, 0x0a, 0x25, 0x2f, 0xff, 0xd9,
};

/* ------------------------------------------------------------ helpers */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void put_text(const char *path, const char *text, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* A key file in the temporary folder; returns its path (static buffer). */
static const char *key_file(const char *name, const char *text, unsigned mode)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", F.dir, name);
	put_text(path, text, mode);
	return path;
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in: %s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect \"%s\" in: %s", needle, hay);
}

/* A config with only the media group (and http) filled; free with
 * cfg_free. */
static struct config *cfg_dir(const char *dir, const char *url)
{
	struct config *c = xcalloc(1, sizeof(*c));
	c->media.dir = xstrdup(dir);
	c->media.url = xstrdup(url);
	c->http.connect_timeout = 5;
	c->http.timeout = 10;
	c->http.upload_timeout = 10;
	c->http.max_response = 1 << 20;
	return c;
}

static struct config *cfg_s3(const char *bucket, const char *region,
			     const char *keyfile)
{
	struct config *c = xcalloc(1, sizeof(*c));
	c->media.s3_endpoint = xstrdup(F.base);
	c->media.s3_bucket = xstrdup(bucket);
	c->media.s3_region = xstrdup(region);
	c->media.s3_key_file = xstrdup(keyfile);
	c->media.url = xasprintf("%s/%s/", F.base, bucket);
	c->http.connect_timeout = 5;
	c->http.timeout = 10;
	c->http.upload_timeout = 10;
	c->http.max_response = 1 << 20;
	return c;
}

static void cfg_free(struct config *c)
{
	free(c->media.dir);
	free(c->media.s3_endpoint);
	free(c->media.s3_bucket);
	free(c->media.s3_region);
	free(c->media.s3_key_file);
	free(c->media.url);
	free(c);
}

static struct mediahost *host_ok(const struct config *c)
{
	struct mediahost *h = NULL;
	struct err e = {""};
	if (mediahost_new(c, F.http, &h, &e) < 0)
		fail_msg("mediahost_new: %s", e.msg);
	assert_non_null(h);
	return h;
}

/* The fake's list of stored S3 objects (JSON text; caller frees). */
static char *s3_objects(void)
{
	char *url = xasprintf("%s/_fake/s3", F.base);
	struct http_request req = {.method = "GET", .url = url};
	struct http_response r;
	if (http_perform(F.http, &req, &r) < 0)
		fail_msg("GET /_fake/s3: %s", r.error);
	assert_int_equal(r.status, 200);
	char *out = xstrdup(r.body);
	http_response_free(&r);
	free(url);
	return out;
}

/* Entries in dir other than "." and "..". */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* -------------------------------------------------- fake server setup */

static int find_srcdir(char *out, size_t len)
{
	const char *env = getenv("RITUAL_SRCDIR");
	char cand[PATH_MAX];
	if (env && *env) {
		snprintf(cand, sizeof(cand), "%s/tests/fake/fakeapi.py", env);
		if (access(cand, R_OK) == 0) {
			snprintf(out, len, "%s", env);
			return 0;
		}
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	for (;;) {
		snprintf(cand, sizeof(cand), "%s/tests/fake/fakeapi.py", cwd);
		if (access(cand, R_OK) == 0) {
			snprintf(out, len, "%s", cwd);
			return 0;
		}
		char *slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			return -1;
		*slash = '\0';
	}
}

static void show_log(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/fake.log", F.dir);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	char line[512];
	while (fgets(line, sizeof(line), fp))
		fprintf(stderr, "fake: %s", line);
	fclose(fp);
}

static int start_fake(void)
{
	char src[PATH_MAX], script[PATH_MAX], conf[PATH_MAX], portf[PATH_MAX],
	     logf[PATH_MAX];
	if (find_srcdir(src, sizeof(src)) < 0) {
		fprintf(stderr, "tests/fake/fakeapi.py not found: set RITUAL_SRCDIR\n");
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/fake/fakeapi.py", src);
	snprintf(conf, sizeof(conf), "%s/fake.json", F.dir);
	snprintf(portf, sizeof(portf), "%s/fake.port", F.dir);
	snprintf(logf, sizeof(logf), "%s/fake.log", F.dir);

	char *json = xasprintf(
		"{\"s3\": {\"require_content_sha256\": true, \"buckets\": {"
		"\"ritual-media\": {\"access_key\": \"AKIDMEDIA\", "
		"\"secret_key\": \"%s\", \"region\": \"us-east-1\", "
		"\"public_read\": true}, "
		"\"ritual-private\": {\"access_key\": \"AKIDPRIV\", "
		"\"secret_key\": \"%s\", \"region\": \"eu-central-1\", "
		"\"public_read\": false}}}, "
		"\"static\": {\"/media/\": \"%s\", \"/stale/\": \"%s\"}}\n",
		SECRET_OK, SECRET_PRIV, F.media, F.stale);
	put_text(conf, json, 0600);
	free(json);

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp("python3", "python3", script, "--config", conf, "--port",
		       "0", "--port-file", portf, (char *)NULL);
		_exit(127);
	}
	F.pid = pid;
	/* Wait up to 15 s for the port file. */
	for (int i = 0; i < 300; i++) {
		FILE *fp = fopen(portf, "r");
		if (fp) {
			char buf[32] = "";
			if (fgets(buf, sizeof(buf), fp)) {
				char *end = NULL;
				long port = strtol(buf, &end, 10);
				if (end != buf && port > 0 && port < 65536) {
					fclose(fp);
					snprintf(F.base, sizeof(F.base),
						 "http://127.0.0.1:%ld", port);
					return 0;
				}
			}
			fclose(fp);
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			F.pid = 0;
			show_log();
			fprintf(stderr, "the fake server exited\n");
			return -1;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	show_log();
	fprintf(stderr, "the fake server did not start\n");
	return -1;
}

static int group_setup(void **state)
{
	(void)state;
	struct err e = {""};
	const char *tmp = getenv("TMPDIR");
	snprintf(F.dir, sizeof(F.dir), "%s/ritual-mediahost-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(F.dir))
		return -1;
	snprintf(F.media, sizeof(F.media), "%s/media", F.dir);
	snprintf(F.stale, sizeof(F.stale), "%s/stale", F.dir);
	if (mkdir(F.media, 0755) < 0 || mkdir(F.stale, 0755) < 0)
		return -1;
	if (http_global_init(&e) < 0) {
		fprintf(stderr, "http_global_init: %s\n", e.msg);
		return -1;
	}
	struct http_options opt = {
		.connect_timeout = 5,
		.timeout = 10,
		.max_response = 1 << 20,
		.user_agent = "test_mediahost",
	};
	if (http_client_new(&opt, &F.http, &e) < 0) {
		fprintf(stderr, "http_client_new: %s\n", e.msg);
		return -1;
	}
	return start_fake();
}

static int group_teardown(void **state)
{
	(void)state;
	if (F.pid > 0) {
		kill(F.pid, SIGTERM);
		waitpid(F.pid, NULL, 0);
		F.pid = 0;
	}
	http_client_free(F.http);
	F.http = NULL;
	http_global_cleanup();
	if (F.dir[0])
		nftw(F.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* --------------------------------------------------------------- names */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void test_name(void **state)
{
	(void)state;
	char a[MEDIAHOST_NAME_SIZE], b[MEDIAHOST_NAME_SIZE];
	mediahost_name("jpg", a, sizeof(a));
	mediahost_name("jpg", b, sizeof(b));
	assert_int_equal(strlen(a), 7 + 32 + 4);
	assert_memory_equal(a, "ritual-", 7);
	assert_true(is_hex(a + 7, 32));
	assert_string_equal(a + 39, ".jpg");
	assert_string_not_equal(a, b);

	/* 44 bytes are exactly enough for "jpg"; 43 are not. */
	char small[44];
	mediahost_name("jpg", small, sizeof(small));
	assert_int_equal(strlen(small), 43);
	mediahost_name("jpg", small, 43);
	assert_string_equal(small, "");
}

static void test_no_media_group(void **state)
{
	(void)state;
	struct config *c = xcalloc(1, sizeof(*c));
	struct mediahost *h = (void *)&F; /* must be reset to NULL */
	struct err e = {""};
	assert_int_equal(mediahost_new(c, F.http, &h, &e), 0);
	assert_null(h);
	mediahost_free(NULL);
	free(c);
}

/* ----------------------------------------------------------- key files */

static void test_key_file_refused(void **state)
{
	(void)state;
	struct err e = {""};
	struct mediahost *h = NULL;

	/* Group-readable: refused, with the fix, without the secret. */
	const char *kf = key_file("open.key", "AKIDMEDIA:" SECRET_OK "\n", 0640);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	assert_int_equal(mediahost_new(c, F.http, &h, &e), -1);
	assert_null(h);
	assert_has(e.msg, "group or others");
	assert_has(e.msg, "chmod 600");
	assert_lacks(e.msg, SECRET_OK);
	cfg_free(c);

	static const char *const bad[] = {
		"",                                      /* empty */
		"AKIDMEDIA " SECRET_OK "\n",             /* one line, no ':' */
		"AKIDMEDIA:" SECRET_OK "\nmore\n",       /* ':' and two lines */
		"AKIDMEDIA\n" SECRET_OK "\nthird\n",     /* three lines */
		"AKIDMEDIA:\n",                          /* empty secret */
		"AKIDMEDIA:" SECRET_OK " trailing\n",    /* space inside */
	};
	for (size_t i = 0; i < RT_ARRAY_LEN(bad); i++) {
		kf = key_file("bad.key", bad[i], 0600);
		c = cfg_s3("ritual-media", "us-east-1", kf);
		e.msg[0] = '\0';
		if (mediahost_new(c, F.http, &h, &e) == 0)
			fail_msg("key file %zu accepted", i);
		assert_null(h);
		assert_has(e.msg, "S3 key file");
		assert_lacks(e.msg, SECRET_OK);
		cfg_free(c);
	}

	/* Missing file. */
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/nope.key", F.dir);
	c = cfg_s3("ritual-media", "us-east-1", missing);
	assert_int_equal(mediahost_new(c, F.http, &h, &e), -1);
	assert_has(e.msg, "nope.key");
	cfg_free(c);
}

/* ------------------------------------------------------- dir backend */

static void test_dir_round_trip(void **state)
{
	(void)state;
	char *url = xasprintf("%s/media/", F.base);
	struct config *c = cfg_dir(F.media, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE], path[PATH_MAX];
	char *pub = NULL;

	mediahost_name("jpg", name, sizeof(name));
	if (mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg", &pub, &e) < 0)
		fail_msg("put: %s", e.msg);
	char *want = xasprintf("%s%s", url, name);
	assert_string_equal(pub, want);
	char *u2 = mediahost_url(h, name);
	assert_string_equal(u2, want);

	/* On disk: the bytes, mode 0644, no temporary file left. */
	snprintf(path, sizeof(path), "%s/%s", F.media, name);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(st.st_size, (off_t)sizeof(IMG));
	unsigned char *got = NULL;
	size_t len = 0;
	assert_int_equal(read_file(path, &got, &len, 1024, &e), 0);
	assert_int_equal(len, sizeof(IMG));
	assert_memory_equal(got, IMG, sizeof(IMG));
	free(got);

	assert_int_equal(mediahost_remove(h, name, &e), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* A missing file is not an error. */
	assert_int_equal(mediahost_remove(h, name, &e), 0);

	free(u2);
	free(want);
	free(pub);
	mediahost_free(h);
	cfg_free(c);
	free(url);
}

static void test_dir_url_not_served(void **state)
{
	(void)state;
	/* media.url points where the web server does not publish media.dir. */
	char *url = xasprintf("%s/elsewhere/", F.base);
	struct config *c = cfg_dir(F.media, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];
	char dummy = 'x';
	char *pub = &dummy; /* must be reset to NULL */

	mediahost_name("jpg", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       &pub, &e), -1);
	assert_null(pub);
	assert_has(e.msg, "the image was stored but");
	assert_has(e.msg, "answered HTTP 404");
	assert_has(e.msg, name);
	assert_has(e.msg, "media.url");
	/* The file stays (the caller tracks the name and removes it). */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", F.media, name);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(mediahost_remove(h, name, &e), 0);
	assert_int_not_equal(access(path, F_OK), 0);

	mediahost_free(h);
	cfg_free(c);
	free(url);
}

static void test_dir_stale_bytes(void **state)
{
	(void)state;
	/* The public URL serves another folder that holds an older file of the
	 * same name: a stale cache, as far as ritual can tell. */
	char *url = xasprintf("%s/stale/", F.base);
	struct config *c = cfg_dir(F.media, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE], path[PATH_MAX];

	mediahost_name("jpg", name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", F.stale, name);
	put_text(path, "old bytes", 0644);
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	char want[128];
	snprintf(want, sizeof(want), "served different bytes (9 bytes instead of %zu)",
		 sizeof(IMG));
	assert_has(e.msg, want);
	assert_has(e.msg, "a cache or a rewrite");

	/* Same size, other content. */
	unsigned char other[sizeof(IMG)];
	memcpy(other, IMG, sizeof(IMG));
	other[5] ^= 0x20;
	assert_int_equal(write_file_atomic(path, other, sizeof(other), 0644, &e), 0);
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	assert_has(e.msg, "served different bytes");

	assert_int_equal(mediahost_remove(h, name, &e), 0);
	unlink(path);
	mediahost_free(h);
	cfg_free(c);
	free(url);
}

static void test_dir_wrong_content_type(void **state)
{
	(void)state;
	/* The web server maps ".txt" to text/plain: Meta would refuse it. */
	char *url = xasprintf("%s/media/", F.base);
	struct config *c = cfg_dir(F.media, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];

	mediahost_name("txt", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	assert_has(e.msg, "text/plain");
	assert_has(e.msg, "Content-Type");
	assert_int_equal(mediahost_remove(h, name, &e), 0);

	mediahost_free(h);
	cfg_free(c);
	free(url);
}

static void test_dir_unwritable_and_bad_names(void **state)
{
	(void)state;
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/no-such-folder", F.dir);
	char *url = xasprintf("%s/media/", F.base);
	struct config *c = cfg_dir(missing, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];

	mediahost_name("jpg", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	assert_has(e.msg, "could not write the image");
	assert_has(e.msg, "media.dir");

	static const char *const bad[] = {
		"", "../escape.jpg", "a/b.jpg", ".hidden.jpg", "sp ace.jpg",
		"ritual-%2e%2e.jpg",
	};
	for (size_t i = 0; i < RT_ARRAY_LEN(bad); i++) {
		assert_int_equal(mediahost_put(h, bad[i], IMG, sizeof(IMG),
					       "image/jpeg", NULL, &e), -1);
		assert_has(e.msg, "refusing");
		assert_int_equal(mediahost_remove(h, bad[i], &e), -1);
	}
	mediahost_free(h);
	cfg_free(c);
	free(url);
}

static void test_dir_server_down(void **state)
{
	(void)state;
	/* Nothing listens on port 1. */
	struct config *c = cfg_dir(F.media, "http://127.0.0.1:1/media/");
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];

	mediahost_name("jpg", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	assert_has(e.msg, "the image was stored but fetching "
			  "http://127.0.0.1:1/media/");
	assert_int_equal(mediahost_remove(h, name, &e), 0);
	mediahost_free(h);
	cfg_free(c);
}

static void test_dir_check(void **state)
{
	(void)state;
	char *url = xasprintf("%s/media/", F.base);
	struct config *c = cfg_dir(F.media, url);
	struct mediahost *h = host_ok(c);
	struct err e = {""};

	if (mediahost_check(h, &e) < 0)
		fail_msg("check: %s", e.msg);
	assert_has(e.msg, "fetched it back");
	assert_has(e.msg, "removed");
	/* Nothing left in the folder. */
	assert_int_equal(count_entries(F.media), 0);
	mediahost_free(h);
	cfg_free(c);
	free(url);

	/* A failing fetch-back names step 2 and removes the test file. */
	url = xasprintf("%s/elsewhere/", F.base);
	c = cfg_dir(F.media, url);
	h = host_ok(c);
	assert_int_equal(mediahost_check(h, &e), -1);
	assert_has(e.msg, "step 2 of 3");
	assert_has(e.msg, "HTTP 404");
	assert_has(e.msg, "the test image was removed");
	mediahost_free(h);
	cfg_free(c);
	free(url);
}

/* -------------------------------------------------------- s3 backend */

static void test_s3_round_trip(void **state)
{
	(void)state;
	/* The two-line key file form, with CRLF line ends. */
	const char *kf = key_file("s3.key", "AKIDMEDIA\r\n" SECRET_OK "\r\n", 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];
	char *pub = NULL;

	mediahost_name("jpg", name, sizeof(name));
	if (mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg", &pub, &e) < 0)
		fail_msg("put: %s", e.msg);
	char *want = xasprintf("%s/ritual-media/%s", F.base, name);
	assert_string_equal(pub, want);

	char *objs = s3_objects();
	assert_has(objs, name);
	assert_has(objs, "\"image/jpeg\"");
	char size[32];
	snprintf(size, sizeof(size), "\"size\":%zu", sizeof(IMG));
	assert_has(objs, size);
	free(objs);

	assert_int_equal(mediahost_remove(h, name, &e), 0);
	objs = s3_objects();
	assert_lacks(objs, name);
	free(objs);
	/* Deleting a missing object is fine. */
	assert_int_equal(mediahost_remove(h, name, &e), 0);

	free(want);
	free(pub);
	mediahost_free(h);
	cfg_free(c);
}

static void test_s3_wrong_secret(void **state)
{
	(void)state;
	const char *kf = key_file("wrong.key", "AKIDMEDIA:" SECRET_WRONG "\n", 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];
	char *pub = NULL;

	mediahost_name("jpg", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       &pub, &e), MEDIAHOST_CONFIG);
	assert_null(pub);
	/* Both causes, and the headers libcurl really signed. */
	assert_has(e.msg, "does not belong to its access key");
	assert_has(e.msg, "signed headers: content-type;host;"
		   "x-amz-content-sha256;x-amz-date;");
	assert_has(e.msg, "S3 PUT");
	assert_has(e.msg, "HTTP 403");
	assert_has(e.msg, "SignatureDoesNotMatch");
	assert_has(e.msg, "The request signature we calculated");
	assert_has(e.msg, "wrong.key");
	assert_lacks(e.msg, SECRET_WRONG);
	assert_lacks(e.msg, SECRET_OK);
	char *objs = s3_objects();
	assert_lacks(objs, name);
	free(objs);

	/* DELETE reports the same way. */
	assert_int_equal(mediahost_remove(h, name, &e), MEDIAHOST_CONFIG);
	assert_has(e.msg, "S3 DELETE");
	assert_has(e.msg, "SignatureDoesNotMatch");
	assert_lacks(e.msg, SECRET_WRONG);

	mediahost_free(h);
	cfg_free(c);
}

static void test_s3_other_errors(void **state)
{
	(void)state;
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];
	mediahost_name("jpg", name, sizeof(name));

	/* Unknown access key. */
	const char *kf = key_file("unknown.key", "AKIDNOBODY:" SECRET_OK, 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), MEDIAHOST_CONFIG);
	assert_has(e.msg, "InvalidAccessKeyId");
	assert_lacks(e.msg, SECRET_OK);
	mediahost_free(h);
	cfg_free(c);

	/* Wrong region. */
	kf = key_file("ok.key", "AKIDMEDIA:" SECRET_OK, 0600);
	c = cfg_s3("ritual-media", "eu-west-3", kf);
	h = host_ok(c);
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), MEDIAHOST_CONFIG);
	assert_has(e.msg, "HTTP 400 AuthorizationHeaderMalformed");
	assert_has(e.msg, "media.s3.region");
	mediahost_free(h);
	cfg_free(c);

	/* Endpoint down. */
	c = cfg_s3("ritual-media", "us-east-1", kf);
	free(c->media.s3_endpoint);
	c->media.s3_endpoint = xstrdup("http://127.0.0.1:1");
	h = host_ok(c);
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	assert_has(e.msg, "S3 PUT");
	assert_has(e.msg, "media.s3.endpoint");
	mediahost_free(h);
	cfg_free(c);
}

static void test_s3_not_public(void **state)
{
	(void)state;
	const char *kf = key_file("priv.key", "AKIDPRIV:" SECRET_PRIV "\n", 0600);
	struct config *c = cfg_s3("ritual-private", "eu-central-1", kf);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];

	mediahost_name("jpg", name, sizeof(name));
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), -1);
	char *want = xasprintf("the image was stored but %s/ritual-private/%s "
			       "answered HTTP 403: the bucket is not "
			       "publicly readable; Meta must be able to download "
			       "it without credentials", F.base, name);
	assert_string_equal(e.msg, want);
	free(want);
	char *objs = s3_objects();
	assert_has(objs, name);
	free(objs);

	assert_int_equal(mediahost_remove(h, name, &e), 0);
	objs = s3_objects();
	assert_lacks(objs, name);
	free(objs);

	/* The check names step 2 and leaves nothing behind. */
	assert_int_equal(mediahost_check(h, &e), -1);
	assert_has(e.msg, "step 2 of 3");
	assert_has(e.msg, "HTTP 403");
	assert_has(e.msg, "the test image was removed");
	objs = s3_objects();
	assert_lacks(objs, "ritual-private");
	free(objs);

	mediahost_free(h);
	cfg_free(c);
}

static void test_s3_check(void **state)
{
	(void)state;
	const char *kf = key_file("check.key", "AKIDMEDIA:" SECRET_OK "\n", 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	struct err e = {""};

	if (mediahost_check(h, &e) < 0)
		fail_msg("check: %s", e.msg);
	assert_has(e.msg, "bucket ritual-media");
	assert_has(e.msg, "fetched it back unchanged");
	assert_lacks(e.msg, SECRET_OK);
	char *objs = s3_objects();
	assert_lacks(objs, "ritual-media");
	free(objs);

	mediahost_free(h);
	cfg_free(c);
}

/* POST body (JSON) to the fake's control path; asserts a 2xx answer. */
static void fake_ctl(const char *method, const char *path, const char *body)
{
	char *url = xasprintf("%s/_fake/%s", F.base, path);
	struct http_request req = {.method = method, .url = url,
				   .content_type = body ? "application/json" : NULL,
				   .body = body, .body_len = body ? strlen(body) : 0};
	struct http_response r;
	if (http_perform(F.http, &req, &r) < 0)
		fail_msg("%s /_fake/%s: %s", method, path, r.error);
	if (r.status < 200 || r.status > 299)
		fail_msg("%s /_fake/%s: HTTP %ld %s", method, path, r.status, r.body);
	http_response_free(&r);
	free(url);
}

/* The next S3 PUT answers status with an S3 XML error of that code. */
static void s3_fault(long status, const char *code)
{
	char *json = xasprintf(
		"{\"match\": {\"network\": \"s3\", \"method\": \"PUT\"}, "
		"\"times\": 1, \"action\": {\"type\": \"error\", "
		"\"status\": %ld, \"content_type\": \"application/xml\", "
		"\"body\": \"<?xml version=\\\"1.0\\\" encoding=\\\"UTF-8\\\"?>"
		"<Error><Code>%s</Code><Message>injected</Message></Error>\"}}",
		status, code);
	fake_ctl("POST", "faults", json);
	free(json);
}

/* The class of every S3 answer: only the ones that name the key, the
 * bucket or the region are MEDIAHOST_CONFIG; the storage's own trouble
 * stays -1 (transient). */
static void test_s3_error_classes(void **state)
{
	(void)state;
	static const struct {
		long status;
		const char *code;
		int want;
	} cases[] = {
		{404, "NoSuchBucket", MEDIAHOST_CONFIG},
		{403, "AccessDenied", MEDIAHOST_CONFIG},
		{403, "InvalidAccessKeyId", MEDIAHOST_CONFIG},
		{403, "SignatureDoesNotMatch", MEDIAHOST_CONFIG},
		{301, "PermanentRedirect", MEDIAHOST_CONFIG},
		{503, "SlowDown", -1},
		{500, "InternalError", -1},
		{503, "ServiceUnavailable", -1},
		{403, "RequestTimeTooSkewed", -1},
		{400, "EntityTooLarge", -1},
	};
	const char *kf = key_file("cls.key", "AKIDMEDIA:" SECRET_OK "\n", 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	char name[MEDIAHOST_NAME_SIZE];

	fake_ctl("DELETE", "faults", NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = {""};
		mediahost_name("jpg", name, sizeof(name));
		s3_fault(cases[i].status, cases[i].code);
		int rc = mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e);
		if (rc != cases[i].want)
			fail_msg("%s: got %d, expected %d: %s", cases[i].code,
				 rc, cases[i].want, e.msg);
		assert_has(e.msg, cases[i].code);
	}
	/* The real AccessDenied: a key the fake knows, of another bucket;
	 * and the check reports the same class at step 1. */
	mediahost_free(h);
	cfg_free(c);
	kf = key_file("other.key", "AKIDPRIV:" SECRET_PRIV "\n", 0600);
	c = cfg_s3("ritual-media", "us-east-1", kf);
	h = host_ok(c);
	struct err e = {""};
	assert_int_equal(mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg",
				       NULL, &e), MEDIAHOST_CONFIG);
	assert_has(e.msg, "AccessDenied");
	assert_has(e.msg, "grant it s3:PutObject");
	assert_int_equal(mediahost_check(h, &e), MEDIAHOST_CONFIG);
	assert_has(e.msg, "step 1 of 3");
	assert_has(e.msg, "AccessDenied");
	assert_lacks(e.msg, SECRET_PRIV);
	mediahost_free(h);
	cfg_free(c);
}

/* What libcurl signed is exactly what it sent: no removed or blank header
 * (libcurl < 8.3 signs a blank "Expect:", curl #11664) in SignedHeaders,
 * seen in the request as the fake received it. */
static void test_s3_signed_headers(void **state)
{
	(void)state;
	const char *kf = key_file("sig.key", "AKIDMEDIA:" SECRET_OK "\n", 0600);
	struct config *c = cfg_s3("ritual-media", "us-east-1", kf);
	struct mediahost *h = host_ok(c);
	struct err e = {""};
	char name[MEDIAHOST_NAME_SIZE];

	fake_ctl("POST", "reset", "{}");
	mediahost_name("jpg", name, sizeof(name));
	if (mediahost_put(h, name, IMG, sizeof(IMG), "image/jpeg", NULL, &e) < 0)
		fail_msg("put: %s", e.msg);
	assert_int_equal(mediahost_remove(h, name, &e), 0);

	char *url = xasprintf("%s/_fake/requests?network=s3", F.base);
	struct http_request req = {.method = "GET", .url = url};
	struct http_response r;
	if (http_perform(F.http, &req, &r) < 0)
		fail_msg("GET /_fake/requests: %s", r.error);
	assert_int_equal(r.status, 200);
	assert_has(r.body, "SignedHeaders=content-type;host;"
		   "x-amz-content-sha256;x-amz-date,");
	assert_has(r.body, "SignedHeaders=host;x-amz-content-sha256;"
		   "x-amz-date,");
	assert_lacks(r.body, "expect;");
	http_response_free(&r);
	free(url);
	mediahost_free(h);
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_no_media_group),
		cmocka_unit_test(test_key_file_refused),
		cmocka_unit_test(test_dir_round_trip),
		cmocka_unit_test(test_dir_url_not_served),
		cmocka_unit_test(test_dir_stale_bytes),
		cmocka_unit_test(test_dir_wrong_content_type),
		cmocka_unit_test(test_dir_unwritable_and_bad_names),
		cmocka_unit_test(test_dir_server_down),
		cmocka_unit_test(test_dir_check),
		cmocka_unit_test(test_s3_round_trip),
		cmocka_unit_test(test_s3_wrong_secret),
		cmocka_unit_test(test_s3_other_errors),
		cmocka_unit_test(test_s3_not_public),
		cmocka_unit_test(test_s3_check),
		cmocka_unit_test(test_s3_error_classes),
		cmocka_unit_test(test_s3_signed_headers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
