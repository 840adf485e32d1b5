/*
 * fuzz_common.c - the harness shared by every fuzz target (see fuzz.h):
 * invariant failures, input helpers, the scripted HTTP layer that stands
 * in for http_perform (linked with -Wl,--wrap=http_perform and friends),
 * and the publisher driver.
 *
 * The harness may include curl/curl.h: it uses libcurl's own URL parser
 * to see which host a request would really go to, so that a token sent
 * anywhere but an allowed host is caught the way libcurl would send it.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ritual/mediahost.h"
#include "ritual/util.h"

/* ------------------------------------------------------------------ */
/* Failing                                                              */

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==fuzz== invariant broken at %s:%d: %s\n==fuzz== ",
		file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* ------------------------------------------------------------------ */
/* Input helpers                                                        */

char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

int fz_terminated(const char *buf, size_t cap)
{
	return memchr(buf, '\0', cap) != NULL;
}

size_t fz_split(char *s, const char *sep, char **parts, size_t max)
{
	size_t n = 0, sl = strlen(sep);
	char *p = s;
	parts[n++] = s;
	while (n < max) {
		/* a separator is a whole line: at the start or after '\n' */
		char *hit = NULL;
		for (char *q = p; (q = strstr(q, sep)) != NULL; q++) {
			if ((q == s || q[-1] == '\n') &&
			    (q[sl] == '\n' || q[sl] == '\0')) {
				hit = q;
				break;
			}
		}
		if (!hit)
			break;
		if (hit > s && hit[-1] == '\n')
			hit[-1] = '\0';
		hit[0] = '\0';
		p = hit + sl + (hit[sl] == '\n');
		parts[n++] = p;
	}
	return n;
}

int fz_contains(const void *hay, size_t hlen, const char *needle)
{
	const unsigned char *h = hay;
	size_t nl = strlen(needle);
	if (nl == 0)
		return 1;
	for (size_t i = 0; i + nl <= hlen; i++) {
		size_t j = 0;
		while (j < nl && h[i + j] == (unsigned char)needle[j])
			j++;
		if (j == nl)
			return 1;
	}
	return 0;
}

static char tmpdir[256];

static void tmpdir_remove(void)
{
	if (!tmpdir[0])
		return;
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			char p[512];
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p); /* a folder made by a target */
		}
		closedir(d);
	}
	rmdir(tmpdir);
}

const char *fz_tmpdir(void)
{
	if (tmpdir[0])
		return tmpdir;
	struct stat st;
	const char *base = "/dev/shm";
	if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode) || access(base, W_OK) < 0) {
		base = getenv("TMPDIR");
		if (!base || !*base)
			base = "/tmp";
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/ritual-fuzz-XXXXXX", base);
	if (!mkdtemp(tmpdir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(tmpdir_remove);
	return tmpdir;
}

const char *fz_write_file(const char *name, const void *data, size_t len,
			  unsigned mode)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", fz_tmpdir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		abort();
	}
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror(path);
			abort();
		}
		p += w;
		len -= (size_t)w;
	}
	fchmod(fd, mode);
	close(fd);
	return path;
}

/* ------------------------------------------------------------------ */
/* Scripts                                                              */

/* The next line of *p (NUL-terminated in place); NULL at the end. */
static char *next_line(char **p, char *end)
{
	if (*p >= end)
		return NULL;
	char *line = *p;
	char *nl = memchr(line, '\n', (size_t)(end - line));
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = end;
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

static int word_is(const char *line, const char *word, const char **arg)
{
	size_t n = strlen(word);
	if (strncmp(line, word, n) != 0 || (line[n] != ' ' && line[n] != '\0'))
		return 0;
	*arg = line[n] ? line + n + 1 : line + n;
	return 1;
}

static void parse_status(const char *a, struct fz_resp *r)
{
	r->fail = HTTP_OK;
	r->status = 200;
	if (strncmp(a, "fail", 4) == 0) {
		r->status = 0;
		if (strstr(a, "not-sent"))
			r->fail = HTTP_NOT_SENT;
		else if (strstr(a, "too-large"))
			r->fail = HTTP_TOO_LARGE;
		else
			r->fail = HTTP_NO_RESPONSE;
		return;
	}
	r->status = strtol(a, NULL, 10);
}

void fz_script_parse(const uint8_t *data, size_t size, struct fz_script *s)
{
	memset(s, 0, sizeof(*s));
	s->text = fz_cstr(data, size);
	snprintf(s->op, sizeof(s->op), "publish");
	s->rounds = 3;
	s->image = 0;
	char *p = s->text, *end = s->text + size;
	char *line;
	const char *a;

	/* directives */
	while (p < end && strncmp(p, ">>>", 3) != 0) {
		line = next_line(&p, end);
		if (word_is(line, "op", &a))
			snprintf(s->op, sizeof(s->op), "%s", a);
		else if (word_is(line, "rounds", &a))
			s->rounds = (int)strtol(a, NULL, 10);
		else if (word_is(line, "image", &a))
			s->image = strcmp(a, "jpeg") == 0 ? 1 : strcmp(a, "png") == 0 ? 2 : 0;
		else if (word_is(line, "text", &a))
			s->job_text = a;
		else if (word_is(line, "alt", &a))
			s->alt = a;
		else if (word_is(line, "link", &a))
			s->link = a;
		else if (word_is(line, "member", &a))
			s->member = 1;
		else if (word_is(line, "login", &a))
			s->ig_login_instagram = strcmp(a, "instagram") == 0;
		else if (word_is(line, "media", &a))
			s->media_none = strcmp(a, "none") == 0;
		else if (word_is(line, "mediafail", &a))
			s->media_fail = 1;
		else if (word_is(line, "savefail", &a))
			s->savefail = (int)strtol(a, NULL, 10);
		else if (word_is(line, "commitfail", &a))
			s->commitfail = 1;
		else if (word_is(line, "tokenfail", &a))
			s->tokenfail = 1;
		else if (word_is(line, "tokenage", &a))
			s->tokenage_days = strtol(a, NULL, 10);
		else if (word_is(line, "commit_at", &a))
			s->commit_at = strtoll(a, NULL, 10);
		else if (word_is(line, "set", &a) && s->nsets < FZ_MAX_SETS) {
			char *eq = strchr(a, '=');
			if (eq) {
				*eq = '\0';
				s->set_key[s->nsets] = a;
				s->set_val[s->nsets] = eq + 1;
				s->nsets++;
			}
		}
	}
	if (s->rounds < 1)
		s->rounds = 1;
	if (s->rounds > 6)
		s->rounds = 6;

	/* responses */
	while (p < end && s->nresp < FZ_MAX_RESP) {
		line = next_line(&p, end);       /* ">>> ..." */
		struct fz_resp *r = &s->resp[s->nresp++];
		a = line + 3;
		while (*a == ' ')
			a++;
		parse_status(a, r);
		/* headers, up to a blank line (or the next response) */
		while (p < end && strncmp(p, ">>>", 3) != 0) {
			line = next_line(&p, end);
			if (!*line)
				break;
			char *colon = strchr(line, ':');
			if (!colon || r->nh >= FZ_MAX_HDRS)
				continue;
			*colon = '\0';
			const char *v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			for (char *c = line; *c; c++)   /* http.c lower-cases names */
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			r->hname[r->nh] = line;
			r->hvalue[r->nh] = v;
			r->nh++;
		}
		/* body: up to "\n>>>" */
		r->body = p;
		char *stop = end;
		for (char *q = p; q < end; q++) {
			if ((q == p || q[-1] == '\n') && end - q >= 3 &&
			    memcmp(q, ">>>", 3) == 0) {
				stop = q;
				break;
			}
		}
		r->body_len = (size_t)(stop - p);
		if (stop < end && r->body_len && p[r->body_len - 1] == '\n')
			r->body_len--;
		p = stop;
	}
}

void fz_script_free(struct fz_script *s)
{
	free(s->text);
	memset(s, 0, sizeof(*s));
}

int fz_make_response(const struct fz_resp *r, struct http_response *out)
{
	memset(out, 0, sizeof(*out));
	out->body = xmalloc(r->body_len + 1);
	if (r->body_len)
		memcpy(out->body, r->body, r->body_len);
	out->body[r->body_len] = '\0';
	out->body_len = r->body_len;
	if (r->nh) {
		out->headers = xcalloc(r->nh, sizeof(*out->headers));
		for (size_t i = 0; i < r->nh; i++) {
			out->headers[i].name = xstrdup(r->hname[i]);
			out->headers[i].value = xstrdup(r->hvalue[i]);
		}
		out->nheaders = r->nh;
	}
	out->fail = r->fail;
	out->seconds = 0.25;
	if (r->fail != HTTP_OK) {
		out->status = 0;
		snprintf(out->error, sizeof(out->error), "%s",
			 r->fail == HTTP_NOT_SENT ? "Could not connect to server"
			 : r->fail == HTTP_TOO_LARGE ? "the response was too large"
						     : "Operation timed out");
		return -1;
	}
	out->status = r->status;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The fixed configuration                                              */

struct config fz_cfg = {
	.path = (char *)"/etc/ritual/ritual.conf",
	.timezone = (char *)"UTC",
	.database = (char *)"/var/lib/ritual/ritual.db",
	.business = {
		.name = (char *)"Wellness Rituals",
		.website = (char *)"https://www.myrituals.me",
		.booking_url = (char *)"https://www.myrituals.me/book-online",
		.phone = (char *)"407-535-2331",
	},
	.missed_after = 21600,
	.min_gap = 300,
	.api = {
		.graph = (char *)"https://graph.facebook.com/v25.0",
		.instagram = (char *)"https://graph.instagram.com/v25.0",
		.linkedin = (char *)"https://api.linkedin.com",
		.linkedin_version = (char *)"202601",
		.linkedin_oauth = (char *)"https://www.linkedin.com",
	},
	.limits = {
		.facebook_text = 63206,
		.facebook_image_bytes = 4194304,
		.instagram_caption = 2200,
		.instagram_hashtags = 5,
		.instagram_mentions = 20,
		.instagram_image_bytes = 8388608,
		.linkedin_text = 3000,
		.linkedin_image_pixels = 36152320,
	},
	.retry = {8, 30, 3600, 60},
	.http = {10, 60, 120, 1048576},
};

static char ig_token_path[512] = "/etc/ritual/instagram.token";

static struct account accounts[] = {
	{.name = (char *)"facebook", .network = NET_FACEBOOK,
	 .page_id = (char *)"102030405060708",
	 .token_file = (char *)"/etc/ritual/facebook.token",
	 .api = (char *)"https://graph.facebook.com/v25.0"},
	{.name = (char *)"instagram", .network = NET_INSTAGRAM,
	 .user_id = (char *)"17841400000000000", .token_file = ig_token_path,
	 .api = (char *)"https://graph.facebook.com/v25.0"},
	{.name = (char *)"instagram", .network = NET_INSTAGRAM,
	 .user_id = (char *)"17841400000000000", .token_file = ig_token_path,
	 .api = (char *)"https://graph.instagram.com/v25.0",
	 .login = IG_LOGIN_INSTAGRAM},
	{.name = (char *)"linkedin", .network = NET_LINKEDIN,
	 .author = (char *)"urn:li:organization:5515715",
	 .token_file = (char *)"/etc/ritual/linkedin.token",
	 .api = (char *)"https://api.linkedin.com"},
	{.name = (char *)"linkedin-me", .network = NET_LINKEDIN,
	 .author = (char *)"urn:li:person:8f3K2pQ",
	 .token_file = (char *)"/etc/ritual/linkedin.token",
	 .api = (char *)"https://api.linkedin.com"},
};

const struct account *fz_account(enum network net, int variant)
{
	switch (net) {
	case NET_FACEBOOK:
		return &accounts[0];
	case NET_INSTAGRAM:
		return &accounts[variant ? 2 : 1];
	default:
		return &accounts[variant ? 4 : 3];
	}
}

struct pub_ctx fz_plain_ctx(enum network net)
{
	struct pub_ctx c = {.cfg = &fz_cfg, .account = fz_account(net, 0),
			    .token = FZ_TOKEN, .now = FZ_NOW};
	return c;
}

/* ------------------------------------------------------------------ */
/* The run's state: script, store, what the publisher did               */

#define MAX_KV 32
#define MAX_CALLS 24

static struct {
	const struct fz_script *script;
	enum network net;
	const uint8_t *input;
	size_t input_size;
	int token_in_input;
	size_t next;              /* next scripted response */
	size_t calls;
	char *key[MAX_KV], *val[MAX_KV];
	size_t nkv;
	int saves;
	int save_failed, commit_failed;
	int commit_pending, committed_ever;
	char token_now[256];
} S;

static void kv_clear(void)
{
	for (size_t i = 0; i < S.nkv; i++) {
		free(S.key[i]);
		free(S.val[i]);
	}
	S.nkv = 0;
}

static void kv_set(const char *k, const char *v)
{
	for (size_t i = 0; i < S.nkv; i++) {
		if (strcmp(S.key[i], k) == 0) {
			free(S.val[i]);
			S.val[i] = xstrdup(v);
			return;
		}
	}
	FZ_CHECK(S.nkv < MAX_KV, "more than %d distinct saved keys", MAX_KV);
	S.key[S.nkv] = xstrdup(k);
	S.val[S.nkv] = xstrdup(v);
	S.nkv++;
}

static void no_token(const char *what, const void *p, size_t n)
{
	if (S.token_in_input || !p)
		return;
	FZ_CHECK(!fz_contains(p, n, FZ_TOKEN), "the token leaked into %s", what);
}

static void no_token_str(const char *what, const char *s)
{
	if (s)
		no_token(what, s, strlen(s));
}

static int cb_save(struct pub_ctx *ctx, const char *key, const char *value,
		   struct err *err)
{
	FZ_CHECK(key && *key, "save() with an empty key");
	FZ_CHECK(value != NULL, "save(\"%s\") with a NULL value", key);
	no_token_str("a saved value", value);
	S.saves++;
	if (S.script->savefail && S.saves == S.script->savefail) {
		S.save_failed = 1;
		return err_set(err, "fuzz: disk full while saving %s", key);
	}
	kv_set(key, value);
	return 0;
}

static char *cb_load(struct pub_ctx *ctx, const char *key)
{
	FZ_CHECK(key && *key, "load() with an empty key");
	for (size_t i = 0; i < S.nkv; i++)
		if (strcmp(S.key[i], key) == 0)
			return xstrdup(S.val[i]);
	return NULL;
}

static int cb_committing(struct pub_ctx *ctx, struct err *err)
{
	if (S.script->commitfail) {
		S.commit_failed = 1;
		return err_set(err, "fuzz: cannot mark the commit");
	}
	S.commit_pending = 1;
	S.committed_ever = 1;
	return 0;
}

static int cb_token_update(struct pub_ctx *ctx, const char *token, time_t expires,
			   struct err *err)
{
	FZ_CHECK(token && *token, "token_update() with an empty token");
	FZ_CHECK(expires > ctx->now, "token_update() with an expiry (%lld) not "
		 "after now (%lld)", (long long)expires, (long long)ctx->now);
	if (S.script->tokenfail)
		return err_set(err, "fuzz: cannot write the token file");
	snprintf(S.token_now, sizeof(S.token_now), "%s", token);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The stand-ins for http.c and mediahost.c                             */

static int host_in(const char *host, const char *domain)
{
	size_t hl = strlen(host), dl = strlen(domain);
	if (hl == dl)
		return strcmp(host, domain) == 0;
	return hl > dl && host[hl - dl - 1] == '.' &&
	       strcmp(host + hl - dl, domain) == 0;
}

/* Where libcurl would really send url: scheme and lower-cased host;
 * 0, or -1 when libcurl would refuse the URL (nothing is sent). */
static int curl_target(const char *url, char *scheme, size_t sl, char *host,
		       size_t hl, char *path, size_t pl)
{
	CURLU *u = curl_url();
	char *sc = NULL, *h = NULL, *pa = NULL;
	int rc = -1;
	if (!u)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &sc, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PATH, &pa, 0) != CURLUE_OK)
		pa = NULL;
	snprintf(scheme, sl, "%s", sc);
	snprintf(host, hl, "%s", h);
	snprintf(path, pl, "%s", pa ? pa : "/");
	for (char *c = scheme; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (char *c = host; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	rc = 0;
out:
	curl_free(sc);
	curl_free(h);
	curl_free(pa);
	curl_url_cleanup(u);
	return rc;
}

static int is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	       strcmp(host, "[::1]") == 0;
}

/* The hosts a token may go to: the API hosts of the configuration and,
 * for LinkedIn, LinkedIn's own upload hosts (API-NOTES.md 3.2). */
static int token_host_ok(const char *host)
{
	const char *apis[] = {"graph.facebook.com", "graph.instagram.com",
			      "api.linkedin.com"};
	for (size_t i = 0; i < RT_ARRAY_LEN(apis); i++)
		if (strcmp(host, apis[i]) == 0)
			return 1;
	if (S.net == NET_LINKEDIN &&
	    (host_in(host, "linkedin.com") || host_in(host, "licdn.com")))
		return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void check_request(const struct http_request *req)
{
	char scheme[32], host[512], path[1024];
	FZ_CHECK(req->method && req->url, "request without a method or URL");
	FZ_CHECK(!S.commit_failed, "a request (%s %s) after committing() failed",
		 req->method, req->url);
	int parsed = curl_target(req->url, scheme, sizeof(scheme), host,
				 sizeof(host), path, sizeof(path)) == 0;

	if (req->bearer) {
		FZ_CHECK(strcmp(req->bearer, FZ_TOKEN) == 0 ||
			 (S.token_now[0] && strcmp(req->bearer, S.token_now) == 0),
			 "a bearer that is not the account's token");
		if (parsed) {
			FZ_CHECK(strcmp(scheme, "https") == 0 ||
				 (strcmp(scheme, "http") == 0 && is_loopback(host)),
				 "the token is sent over %s to %s (%s)", scheme,
				 host, req->url);
			FZ_CHECK(token_host_ok(host),
				 "the token is sent to host \"%s\" (%s %s)", host,
				 req->method, req->url);
		}
	}
	/* The token goes in the Authorization header only; the exceptions
	 * are the two calls whose subject is the token itself and which take
	 * it in the query only: Instagram's refresh_access_token and Graph's
	 * debug_token (input_token). Neither URL is ever logged. */
	if (!strstr(req->url, "/refresh_access_token?") &&
	    !strstr(req->url, "/debug_token?input_token="))
		no_token_str("a request URL", req->url);
	for (const char *const *h = req->headers; h && *h; h++)
		no_token_str("a request header", *h);
	if (req->body)
		no_token("a request body", req->body, req->body_len);
	for (size_t i = 0; i < req->nform; i++)
		no_token_str("a form value", req->form[i].value);
	for (size_t i = 0; i < req->nparts; i++)
		if (!req->parts[i].filename)
			no_token_str("a multipart value", req->parts[i].value);

	/* The calls that make a post visible go out only right after
	 * committing() (publisher.h), as commit requests (a fresh connection
	 * that libcurl never replays). Other requests may be commit requests
	 * too (LinkedIn's one-shot upload PUT); any request ends the
	 * "right after committing()" window. */
	int visible = parsed && strcmp(req->method, "POST") == 0 &&
		      (ends_with(path, "/feed") || ends_with(path, "/photos") ||
		       ends_with(path, "/media_publish") ||
		       ends_with(path, "/rest/posts"));
	if (visible) {
		FZ_CHECK(req->commit, "%s %s makes a post visible but is not a "
			 "commit request", req->method, req->url);
		FZ_CHECK(S.commit_pending, "%s %s makes a post visible without "
			 "committing() right before it", req->method, req->url);
	}
	S.commit_pending = 0;
}

int __wrap_http_perform(struct http_client *c, const struct http_request *req,
			struct http_response *resp);
int __wrap_http_perform(struct http_client *c, const struct http_request *req,
			struct http_response *resp)
{
	(void)c;
	check_request(req);
	S.calls++;
	FZ_CHECK(S.calls <= MAX_CALLS, "more than %d requests in one run "
		 "(a loop?)", MAX_CALLS);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: request %s %s%s\n", req->method, req->url,
			req->commit ? " (commit)" : "");
	if (!S.script || S.next >= S.script->nresp) {
		struct fz_resp none = {.fail = HTTP_NOT_SENT};
		return fz_make_response(&none, resp);
	}
	return fz_make_response(&S.script->resp[S.next++], resp);
}

static int fake_media;

int __wrap_mediahost_put(struct mediahost *h, const char *name, const void *data,
			 size_t len, const char *mime, char **url, struct err *err);
int __wrap_mediahost_put(struct mediahost *h, const char *name, const void *data,
			 size_t len, const char *mime, char **url, struct err *err)
{
	FZ_CHECK(h == (struct mediahost *)&fake_media, "mediahost_put on an "
		 "unknown host");
	FZ_CHECK(name && *name, "mediahost_put without a name");
	FZ_CHECK(data && len, "mediahost_put without data");
	if (url)
		*url = NULL;
	if (S.script->media_fail)
		return err_set(err, "fuzz: the web server answered 403");
	if (url)
		*url = xasprintf("https://media.example.com/ritual/%s", name);
	return 0;
}

int __wrap_mediahost_check(struct mediahost *h, struct err *err);
int __wrap_mediahost_check(struct mediahost *h, struct err *err)
{
	if (S.script->media_fail)
		return err_set(err, "fuzz: 2 of 3 fetch back: HTTP 404");
	err_set(err, "stored, fetched back and removed a test file");
	return 0;
}

void __wrap_mediahost_name(const char *ext, char *buf, size_t len);
void __wrap_mediahost_name(const char *ext, char *buf, size_t len)
{
	/* deterministic, so an input always does the same thing */
	snprintf(buf, len, "ritual-0123456789abcdef0123456789abcdef.%s", ext);
}

/* ------------------------------------------------------------------ */
/* The driver                                                           */

void fz_check_result(const struct pub_result *res, enum network net,
		     const char *op, time_t now, const uint8_t *input, size_t size)
{
	int tok_ok = fz_contains(input, size, FZ_TOKEN);
	FZ_CHECK((unsigned)res->cls <= PUB_UNKNOWN, "class %d out of range",
		 (int)res->cls);
	FZ_CHECK(FZ_TERMINATED(res->message) && FZ_TERMINATED(res->remote_id) &&
		 FZ_TERMINATED(res->permalink), "unterminated result string");
	if (res->cls == PUB_WAIT || res->cls == PUB_RATE)
		FZ_CHECK(res->retry_at == 0 || res->retry_at >= now,
			 "%s with retry_at %lld before now %lld",
			 pub_class_name(res->cls), (long long)res->retry_at,
			 (long long)now);
	FZ_CHECK(res->account_hold_until == 0 || res->account_hold_until >= now,
		 "account_hold_until %lld before now",
		 (long long)res->account_hold_until);
	if (res->cls != PUB_OK)
		FZ_CHECK(res->message[0], "class %s without a message for the owner",
			 pub_class_name(res->cls));
	if (op && res->cls == PUB_OK)
		FZ_CHECK(res->remote_id[0], "%s: PUB_OK without a remote id", op);
	if (net == NET_LINKEDIN && res->remote_id[0])
		FZ_CHECK(strncmp(res->remote_id, "urn:li:", 7) == 0,
			 "LinkedIn remote id \"%s\" is not a URN", res->remote_id);
	if (!tok_ok) {
		FZ_CHECK(!fz_contains(res->message, strlen(res->message), FZ_TOKEN),
			 "the token leaked into the message: %s", res->message);
		FZ_CHECK(!fz_contains(res->remote_id, strlen(res->remote_id), FZ_TOKEN)
			 && !fz_contains(res->permalink, strlen(res->permalink),
					 FZ_TOKEN), "the token leaked into the ids");
	}
}

static const unsigned char tiny_jpeg[] = {
	0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01,
	0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x05, 0x46, 0x04, 0x38, 0x01, 0x01, 0x11,
	0x00, 0xFF, 0xD9,
};

static const unsigned char tiny_png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
	'R', 0, 0, 4, 0x38, 0, 0, 5, 0x46, 8, 2, 0, 0, 0, 0, 0, 0, 0,
};

static void run_check(const struct publisher *pub, struct pub_ctx *ctx,
		      const uint8_t *data, size_t size)
{
	struct pub_check chk;
	memset(&chk, 0x5A, sizeof(chk));
	FZ_CHECK(pub->check(ctx, &chk) == 0, "check() did not return 0");
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "fuzz: check ok %d: %s / %s\n", chk.ok, chk.detail,
			chk.fix);
	FZ_CHECK(FZ_TERMINATED(chk.detail) && FZ_TERMINATED(chk.fix),
		 "unterminated check strings");
	FZ_CHECK(chk.ok == 0 || chk.ok == 1, "check ok = %d", chk.ok);
	if (chk.ok)
		FZ_CHECK(!chk.fix[0], "check ok but with a fix: %s", chk.fix);
	else
		FZ_CHECK(chk.detail[0] && chk.fix[0], "failed check without "
			 "detail or fix (detail \"%s\", fix \"%s\")", chk.detail,
			 chk.fix);
	if (!S.token_in_input)
		FZ_CHECK(!fz_contains(chk.detail, strlen(chk.detail), FZ_TOKEN) &&
			 !fz_contains(chk.fix, strlen(chk.fix), FZ_TOKEN),
			 "the token leaked into the check output");
}

void fz_publisher_run(enum network net, const uint8_t *data, size_t size)
{
	struct fz_script sc;
	fz_script_parse(data, size, &sc);
	const struct publisher *pub = publisher_for(net);
	FZ_CHECK(pub && pub->publish && pub->reconcile && pub->check,
		 "publisher %d incomplete", (int)net);

	memset(&S, 0, sizeof(S));
	S.script = &sc;
	S.net = net;
	S.input = data;
	S.input_size = size;
	S.token_in_input = fz_contains(data, size, FZ_TOKEN);
	for (size_t i = 0; i < sc.nsets; i++)
		kv_set(sc.set_key[i], sc.set_val[i]);

	snprintf(ig_token_path, sizeof(ig_token_path), "%s",
		 "/nonexistent/ritual-fuzz/instagram.token");
	int variant = net == NET_INSTAGRAM ? sc.ig_login_instagram : sc.member;
	struct pub_ctx ctx = {
		.cfg = &fz_cfg, .account = fz_account(net, variant),
		.token = FZ_TOKEN, .http = NULL,
		.media = sc.media_none ? NULL : (struct mediahost *)&fake_media,
		.now = FZ_NOW, .save = cb_save, .load = cb_load,
		.committing = cb_committing, .token_update = cb_token_update,
	};
	struct pub_job job = {
		.delivery_id = 7, .post_id = 3,
		.text = sc.job_text ? sc.job_text
				    : "Loosen tight hamstrings\n\nTwo minutes a day. #massage",
		.title = "Loosen tight hamstrings", .link = sc.link, .alt = sc.alt,
		.claimed_at = FZ_NOW, .commit_at = (time_t)sc.commit_at,
	};
	if (sc.image == 1) {
		job.image = tiny_jpeg;
		job.image_len = sizeof(tiny_jpeg);
		job.image_mime = "image/jpeg";
		job.image_name = "hamstrings.jpg";
	} else if (sc.image == 2) {
		job.image = tiny_png;
		job.image_len = sizeof(tiny_png);
		job.image_mime = "image/png";
		job.image_name = "hamstrings.png";
	}
	job.image_width = 1080;
	job.image_height = 1350;

	struct pub_result res;
	if (strcmp(sc.op, "check") == 0) {
		run_check(pub, &ctx, data, size);
	} else if (strcmp(sc.op, "maintain") == 0) {
		if (pub->maintain) {
			if (sc.tokenage_days) {
				const char *p = fz_write_file("instagram.token",
							      "IGQfuzz\n", 8, 0600);
				snprintf(ig_token_path, sizeof(ig_token_path), "%s", p);
				struct timespec ts[2];
				ts[0].tv_sec = ts[1].tv_sec =
					FZ_NOW - (time_t)(sc.tokenage_days % 100000) * 86400;
				ts[0].tv_nsec = ts[1].tv_nsec = 0;
				utimensat(AT_FDCWD, ig_token_path, ts, 0);
			}
			memset(&res, 0, sizeof(res));
			FZ_CHECK(pub->maintain(&ctx, &res) == 0, "maintain() failed");
			if (getenv("FUZZ_VERBOSE"))
				fprintf(stderr, "fuzz: maintain: %s: %s\n",
					pub_class_name(res.cls), res.message);
			FZ_CHECK((unsigned)res.cls <= PUB_UNKNOWN, "maintain class");
			FZ_CHECK(FZ_TERMINATED(res.message), "maintain message");
			if (res.cls != PUB_OK)
				FZ_CHECK(res.message[0], "maintain: %s without a message",
					 pub_class_name(res.cls));
			if (!S.token_in_input)
				FZ_CHECK(!fz_contains(res.message, strlen(res.message),
						      FZ_TOKEN), "token in message");
		}
	} else {
		int reconcile_first = strcmp(sc.op, "reconcile") == 0;
		for (int round = 0; round < sc.rounds; round++) {
			const char *op = reconcile_first ? "reconcile" : "publish";
			memset(&res, 0, sizeof(res));
			S.save_failed = S.commit_failed = 0;
			S.commit_pending = 0;
			int rc = reconcile_first ? pub->reconcile(&ctx, &job, &res)
						 : pub->publish(&ctx, &job, &res);
			FZ_CHECK(rc == 0 || rc == -1, "%s returned %d", op, rc);
			if (rc < 0)
				FZ_CHECK(S.save_failed || S.commit_failed,
					 "%s returned -1 but no save or committing() "
					 "failed (%s)", op, res.message);
			if (rc < 0)
				FZ_CHECK(res.message[0], "%s returned -1 without a "
					 "message", op);
			fz_check_result(&res, net, op, ctx.now, data, size);
			if (getenv("FUZZ_VERBOSE"))
				fprintf(stderr, "fuzz: %s round %d: rc %d, %s, id \"%s\", "
					"retry_at %+lld: %s\n", op, round, rc,
					pub_class_name(res.cls), res.remote_id,
					res.retry_at ? (long long)(res.retry_at - ctx.now) : 0LL,
					res.message);
			if (S.committed_ever && !job.commit_at)
				job.commit_at = ctx.now;
			if (S.next >= sc.nresp)
				break;
			if (res.cls == PUB_UNKNOWN) {
				reconcile_first = 1;  /* the daemon reconciles next */
			} else if (res.cls == PUB_WAIT || res.cls == PUB_TRANSIENT) {
				reconcile_first = 0;
			} else {
				break;
			}
			if (res.retry_at > ctx.now)
				ctx.now = res.retry_at;
			else
				ctx.now += 30;
		}
	}
	kv_clear();
	memset(&S, 0, sizeof(S));
	fz_script_free(&sc);
}
